// The server's per-client table (ntpd 4.2.8's MRU / monitor list) and the
// `discard average/minimum` rate-limit decision made from it. One entry per
// source IP address (all ports together, so a cron'd ntpdate cannot evade
// it). Memory is bounded: every entry, the hash index and the LRU links are
// allocated once in the constructor; when the table is full the least
// recently seen client is evicted. The per-packet path never allocates.
//
// Hash flooding: the index hashes addresses with a secret key derived from a
// seed, so spoofed source addresses cannot be chosen to collide.
#ifndef NTP_SERVER_CLIENT_TABLE_H_
#define NTP_SERVER_CLIENT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "net/address.h"

namespace ntp {

// ntpd 4.2.8 `discard` defaults (ntp_acc(5)).
struct RateLimitSettings {
  int average_log2_seconds = 3;  // 2^3 = 8 s minimum average headway
  int minimum_seconds = 2;       // guard time between two packets
  // Process-wide cap on KoD replies (token bucket), on top of ntpd's
  // per-client limit: even a flood spoofing many victims cannot turn the
  // server into a KoD source beyond this rate. Not in ntpd.
  double max_kod_per_second = 100.0;
  double kod_burst = 100.0;
};

// What the rate limiter decided for one packet (ntpd's RES_LIMITED and
// RES_KOD bits after ntp_monitor()).
enum class RateVerdict : uint8_t {
  kAccept,        // within limits
  kLimitedKod,    // over the limits; one RATE KoD may be sent
  kLimitedDrop,   // over the limits; drop silently (KoDs are rate-limited too)
};

class ClientTable {
 public:
  // One client as ntpq's mrulist would show it.
  struct ClientView {
    net::IpAddress address;
    uint64_t count = 0;           // packets seen
    absl::Time first_seen;        // scheduler (monotonic) time
    absl::Time last_seen;
    int32_t leak = 0;             // ntpd's leaky-bucket score, seconds
    uint16_t last_port = 0;
    uint8_t last_mode = 0;
    uint8_t last_version = 0;
  };

  // Bytes one entry costs, index included (for sizing from `mru maxmem`).
  static size_t BytesPerEntry();
  // ntpd's default `mru maxmem` is 1024 KiB.
  static constexpr size_t kDefaultMaxMemoryBytes = size_t{1024} * 1024;

  // REQUIRES: capacity >= 1. Allocates all memory now.
  ClientTable(size_t capacity, const RateLimitSettings& settings,
              uint64_t hash_seed);
  ~ClientTable();
  ClientTable(const ClientTable&) = delete;
  ClientTable& operator=(const ClientTable&) = delete;

  // Records a packet from `source` at monotonic time `now` and returns
  // ntpd's rate decision (4.2.8 ntp_monitor()): with
  // interval = whole seconds since this client's previous packet,
  // head = 2^average, limit = 8 * head, leak = max(0, leak - interval):
  //   interval + 1 >= minimum and leak + head < limit -> accept,
  //                                                      leak += head - 2
  //   else if leak < limit -> kLimitedKod, leak = limit + head
  //   else                 -> kLimitedDrop
  // A client seen for the first time (or evicted since) is accepted.
  // Never allocates.
  RateVerdict Record(const net::IpAddress& source, uint16_t source_port,
                     uint8_t mode, uint8_t version, absl::Time now);

  // Takes one token from the process-wide KoD bucket (refilled at
  // settings.max_kod_per_second up to kod_burst). False: no KoD may be sent
  // now. Call only when a KoD is about to be sent.
  bool TakeKodToken(absl::Time now);

  // New `discard` limits (a configuration change); the clients seen so
  // far and their rate history are kept.
  void set_rate_settings(const RateLimitSettings& settings) { settings_ = settings; }

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  uint64_t evictions() const { return evictions_; }
  // Memory held by the table (all of it allocated up front).
  size_t memory_bytes() const;

  // Clients, most recently seen first, at most `max` of them.
  std::vector<ClientView> MostRecent(size_t max) const;

 private:
  struct Entry;
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  uint32_t Hash(const uint8_t (&key)[16], bool v4) const;
  uint32_t Find(const uint8_t (&key)[16], bool v4, uint32_t bucket) const;
  void UnlinkLru(uint32_t i);
  void PushFront(uint32_t i);
  void RemoveFromBucket(uint32_t i);

  const size_t capacity_;
  RateLimitSettings settings_;
  uint64_t key0_, key1_;
  std::unique_ptr<Entry[]> entries_;
  std::vector<uint32_t> buckets_;
  uint32_t bucket_mask_ = 0;
  uint32_t lru_head_ = kNone;  // most recent
  uint32_t lru_tail_ = kNone;  // least recent
  size_t size_ = 0;
  uint64_t evictions_ = 0;
  double kod_tokens_;
  absl::Time kod_refill_time_ = absl::InfinitePast();
};

}  // namespace ntp

#endif  // NTP_SERVER_CLIENT_TABLE_H_
