#include "ntp/server/client_table.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "ntp/random.h"
#include "ntp/wire/big_endian.h"

namespace ntp {

struct ClientTable::Entry {
  uint8_t key[16];      // address bytes (IPv4 in the first 4, rest zero)
  int64_t first_ns;     // monotonic nanoseconds
  int64_t last_ns;
  uint32_t count;
  int32_t leak;         // ntpd's mon->leak, seconds
  uint32_t lru_prev;
  uint32_t lru_next;
  uint32_t hash_next;
  uint16_t last_port;
  uint8_t last_mode;
  uint8_t last_version;
  bool v4;
};

namespace {

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

size_t NextPowerOfTwo(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// ntpd rounds the l_fp interval to whole seconds.
int64_t WholeSecondsRounded(int64_t ns) {
  if (ns <= 0) return 0;
  return (ns + 500'000'000) / 1'000'000'000;
}

}  // namespace

size_t ClientTable::BytesPerEntry() {
  // One entry plus, on average, up to two bucket heads (the index is the
  // next power of two at or above the capacity).
  return sizeof(Entry) + 2 * sizeof(uint32_t);
}

ClientTable::ClientTable(size_t capacity, const RateLimitSettings& settings,
                         uint64_t hash_seed)
    : capacity_(std::max<size_t>(1, std::min<size_t>(capacity, 0x7FFFFFFF))),
      settings_(settings),
      entries_(new Entry[capacity_]),
      kod_tokens_(settings.kod_burst) {
  SplitMix64 rng(hash_seed);
  key0_ = rng.Next();
  key1_ = rng.Next() | 1;
  const size_t buckets = NextPowerOfTwo(capacity_);
  buckets_.assign(buckets, kNone);
  bucket_mask_ = static_cast<uint32_t>(buckets - 1);
}

ClientTable::~ClientTable() = default;

size_t ClientTable::memory_bytes() const {
  return sizeof(*this) + capacity_ * sizeof(Entry) +
         buckets_.capacity() * sizeof(uint32_t);
}

uint32_t ClientTable::Hash(const uint8_t (&key)[16], bool v4) const {
  uint64_t h = (Load64(key) ^ key0_) * key1_;
  if (!v4) h = ((h ^ (h >> 29)) ^ Load64(key + 8) ^ key0_) * key1_;
  h ^= h >> 32;
  return static_cast<uint32_t>(h) & bucket_mask_;
}

uint32_t ClientTable::Find(const uint8_t (&key)[16], bool v4,
                           uint32_t bucket) const {
  for (uint32_t i = buckets_[bucket]; i != kNone; i = entries_[i].hash_next) {
    const Entry& e = entries_[i];
    if (e.v4 == v4 && std::memcmp(e.key, key, 16) == 0) return i;
  }
  return kNone;
}

void ClientTable::UnlinkLru(uint32_t i) {
  Entry& e = entries_[i];
  if (e.lru_prev != kNone) entries_[e.lru_prev].lru_next = e.lru_next;
  else lru_head_ = e.lru_next;
  if (e.lru_next != kNone) entries_[e.lru_next].lru_prev = e.lru_prev;
  else lru_tail_ = e.lru_prev;
  e.lru_prev = e.lru_next = kNone;
}

void ClientTable::PushFront(uint32_t i) {
  Entry& e = entries_[i];
  e.lru_prev = kNone;
  e.lru_next = lru_head_;
  if (lru_head_ != kNone) entries_[lru_head_].lru_prev = i;
  lru_head_ = i;
  if (lru_tail_ == kNone) lru_tail_ = i;
}

void ClientTable::RemoveFromBucket(uint32_t i) {
  const Entry& e = entries_[i];
  uint32_t* link = &buckets_[Hash(e.key, e.v4)];
  while (*link != kNone) {
    if (*link == i) {
      *link = e.hash_next;
      return;
    }
    link = &entries_[*link].hash_next;
  }
}

bool ClientTable::TakeKodToken(absl::Time now) {
  if (kod_refill_time_ != absl::InfinitePast() && now > kod_refill_time_) {
    kod_tokens_ = std::min(
        settings_.kod_burst,
        kod_tokens_ + absl::ToDoubleSeconds(now - kod_refill_time_) *
                          settings_.max_kod_per_second);
  }
  kod_refill_time_ = std::max(kod_refill_time_, now);
  if (kod_tokens_ < 1.0) return false;
  kod_tokens_ -= 1.0;
  return true;
}

RateVerdict ClientTable::Record(const net::IpAddress& source,
                                uint16_t source_port, uint8_t mode,
                                uint8_t version, absl::Time now) {
  uint8_t key[16];
  std::memcpy(key, source.bytes().data(), 16);
  const bool v4 = source.is_v4();
  const int64_t now_ns = absl::ToUnixNanos(now);
  const uint32_t bucket = Hash(key, v4);
  uint32_t i = Find(key, v4, bucket);
  if (i == kNone) {
    if (size_ < capacity_) {
      i = static_cast<uint32_t>(size_++);
    } else {
      i = lru_tail_;  // evict the least recently seen client
      UnlinkLru(i);
      RemoveFromBucket(i);
      ++evictions_;
    }
    Entry& e = entries_[i];
    std::memcpy(e.key, key, 16);
    e.v4 = v4;
    e.first_ns = e.last_ns = now_ns;
    e.count = 1;
    e.leak = 0;
    e.last_port = source_port;
    e.last_mode = mode;
    e.last_version = version;
    e.hash_next = buckets_[bucket];
    buckets_[bucket] = i;
    PushFront(i);
    return RateVerdict::kAccept;
  }

  Entry& e = entries_[i];
  if (i != lru_head_) {
    UnlinkLru(i);
    PushFront(i);
  }
  const int64_t interval =
      std::min<int64_t>(WholeSecondsRounded(now_ns - e.last_ns), 1 << 30);
  e.last_ns = std::max(e.last_ns, now_ns);
  if (e.count != 0xFFFFFFFFu) ++e.count;
  e.last_port = source_port;
  e.last_mode = mode;
  e.last_version = version;

  // ntpd 4.2.8 ntp_monitor(), as described at Record() in client_table.h.
  int64_t leak = std::max<int64_t>(0, e.leak - interval);
  const int64_t head = int64_t{1} << std::clamp(settings_.average_log2_seconds, 0, 24);
  const int64_t limit = 8 * head;  // NTP_SHIFT * head
  RateVerdict verdict;
  if (interval + 1 >= settings_.minimum_seconds && leak + head < limit) {
    leak = leak + head - 2;
    verdict = RateVerdict::kAccept;
  } else if (leak < limit) {
    leak = limit + head;
    verdict = RateVerdict::kLimitedKod;
  } else {
    verdict = RateVerdict::kLimitedDrop;
  }
  e.leak = static_cast<int32_t>(std::max<int64_t>(0, leak));
  return verdict;
}

std::vector<ClientTable::ClientView> ClientTable::MostRecent(size_t max) const {
  std::vector<ClientView> out;
  for (uint32_t i = lru_head_; i != kNone && out.size() < max;
       i = entries_[i].lru_next) {
    const Entry& e = entries_[i];
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), e.key, 16);
    ClientView v;
    if (e.v4) {
      v.address = net::IpAddress::V4(LoadBe32(bytes.data()));
    } else {
      v.address = net::IpAddress::V6(bytes);
    }
    v.count = e.count;
    v.first_seen = absl::FromUnixNanos(e.first_ns);
    v.last_seen = absl::FromUnixNanos(e.last_ns);
    v.leak = e.leak;
    v.last_port = e.last_port;
    v.last_mode = e.last_mode;
    v.last_version = e.last_version;
    out.push_back(v);
  }
  return out;
}

}  // namespace ntp
