#include "ntp/server/access_control.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

struct FlagWord {
  RestrictMask bit;
  const char* word;
};
// In the order of ntp_acc(5)'s flag list.
constexpr FlagWord kFlagWords[] = {
    {kRestrictFlake, "flake"},
    {kRestrictIgnore, "ignore"},
    {kRestrictKod, "kod"},
    {kRestrictLimited, "limited"},
    {kRestrictLowPrioTrap, "lowpriotrap"},
    {kRestrictMssntp, "mssntp"},
    {kRestrictNoEPeer, "noepeer"},
    {kRestrictNoModify, "nomodify"},
    {kRestrictNoMruList, "nomrulist"},
    {kRestrictNoPeer, "nopeer"},
    {kRestrictNoQuery, "noquery"},
    {kRestrictNoServe, "noserve"},
    {kRestrictNoTrap, "notrap"},
    {kRestrictNoTrust, "notrust"},
    {kRestrictServerResponseFuzz, "serverresponse fuzz"},
    {kRestrictVersion, "version"},
};

uint64_t PrefixBits64(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return ~uint64_t{0};
  return ~uint64_t{0} << (64 - bits);
}

std::array<uint8_t, 16> Store128(uint64_t hi, uint64_t lo) {
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  return b;
}

// Match order: prefix length descending, ntpport entries first, then
// address descending (ntpd's sort; for contiguous masks the first entry that
// matches is the longest prefix).
template <typename E>
bool MoreSpecificFirst(const E& a, const E& b) {
  if (a.prefix_length != b.prefix_length) return a.prefix_length > b.prefix_length;
  if (a.ntpport_only != b.ntpport_only) return a.ntpport_only;
  return a.SortKey() > b.SortKey();
}

constexpr uint16_t kNtpPort = 123;

}  // namespace

std::string RestrictMaskToString(RestrictMask mask) {
  std::string out;
  for (const FlagWord& f : kFlagWords) {
    if ((mask & f.bit) == 0) continue;
    if (!out.empty()) out += ' ';
    out += f.word;
  }
  return out;
}

AccessControl::AccessControl() {
  AddEntry(net::IpAddress::AnyV4(), 0, 0, false, false);
  AddEntry(net::IpAddress::AnyV6(), 0, 0, false, false);
}

void AccessControl::Add(const net::IpAddress& address, int prefix_length,
                        RestrictMask flags, bool ntpport_only) {
  AddEntry(address, prefix_length, flags, ntpport_only, false);
}

void AccessControl::AddDefault(net::IpAddress::Family family, RestrictMask flags) {
  AddEntry(family == net::IpAddress::Family::kV4 ? net::IpAddress::AnyV4()
                                                 : net::IpAddress::AnyV6(),
           0, flags, false, false);
}

void AccessControl::AddInterfaceAddress(const net::IpAddress& address) {
  AddEntry(address, address.is_v4() ? 32 : 128, kRestrictIgnore, true, true);
}

void AccessControl::ApplySourceTemplate(const net::IpAddress& address) {
  if (!source_template_.has_value()) return;
  AddEntry(address, address.is_v4() ? 32 : 128, *source_template_, false, false);
}

void AccessControl::AddAll(const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    Append(e.network, e.prefix_length, e.flags, e.ntpport_only, e.is_interface);
  }
  Normalize();
}

void AccessControl::Append(const net::IpAddress& address, int prefix_length,
                           RestrictMask flags, bool ntpport_only, bool is_interface) {
  if (address.is_v4()) {
    prefix_length = std::clamp(prefix_length, 0, 32);
    const uint32_t mask = prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length);
    v4_.push_back({address.v4() & mask, mask, prefix_length, ntpport_only, is_interface, flags});
    return;
  }
  prefix_length = std::clamp(prefix_length, 0, 128);
  const uint64_t mask_hi = PrefixBits64(prefix_length);
  const uint64_t mask_lo = PrefixBits64(prefix_length - 64);
  const uint64_t hi = LoadBe64(address.bytes().data()) & mask_hi;
  const uint64_t lo = LoadBe64(address.bytes().data() + 8) & mask_lo;
  v6_.push_back({hi, lo, mask_hi, mask_lo, prefix_length, ntpport_only, is_interface, flags});
}

namespace {

template <typename E>
bool SameKey(const E& a, const E& b) {
  return a.prefix_length == b.prefix_length && a.ntpport_only == b.ntpport_only &&
         a.SortKey() == b.SortKey();
}

// Sorts into match order and merges entries with equal keys.
template <typename E>
void SortAndMerge(std::vector<E>& entries) {
  std::sort(entries.begin(), entries.end(), MoreSpecificFirst<E>);
  size_t out = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (out > 0 && SameKey(entries[out - 1], entries[i])) {
      entries[out - 1].flags |= entries[i].flags;
      entries[out - 1].is_interface = entries[out - 1].is_interface || entries[i].is_interface;
    } else {
      entries[out++] = entries[i];
    }
  }
  entries.resize(out);
}

// Moves the last element to its place in the sorted rest, or merges it
// into the entry with the same key.
template <typename E>
void InsertLast(std::vector<E>& entries) {
  const E e = entries.back();
  entries.pop_back();
  auto it = std::lower_bound(entries.begin(), entries.end(), e, MoreSpecificFirst<E>);
  if (it != entries.end() && SameKey(*it, e)) {
    it->flags |= e.flags;
    it->is_interface = it->is_interface || e.is_interface;
  } else {
    entries.insert(it, e);
  }
}

}  // namespace

void AccessControl::Normalize() {
  SortAndMerge(v4_);
  SortAndMerge(v6_);
  RebuildGroups();
}

namespace {

// Groups this short are scanned; longer ones get a hash index.
constexpr uint32_t kScanLimit = 8;

uint32_t Hash4(uint32_t network) {
  return static_cast<uint32_t>((uint64_t{network} * 0x9E3779B97F4A7C15ull) >> 32);
}
uint32_t Hash6(uint64_t hi, uint64_t lo) {
  return static_cast<uint32_t>(((hi ^ (lo * 0xC2B2AE3D27D4EB4Full)) * 0x9E3779B97F4A7C15ull) >>
                               32);
}

}  // namespace

// Splits sorted `entries` into groups and indexes the long ones.
template <typename E, typename Slot, typename MakeGroup, typename HashOf, typename MakeSlot>
void AccessControl::Regroup(const std::vector<E>& entries, std::vector<Group>& groups,
                            std::vector<Slot>& slots, MakeGroup make_group, HashOf hash_of,
                            MakeSlot make_slot) {
  groups.clear();
  slots.clear();
  for (uint32_t i = 0; i < entries.size(); ++i) {
    const E& e = entries[i];
    if (groups.empty() || groups.back().prefix_length != e.prefix_length ||
        groups.back().ntpport_only != e.ntpport_only) {
      groups.push_back(make_group(e, i));
    }
    groups.back().end = i + 1;
  }
  for (Group& g : groups) {
    const uint32_t size = g.end - g.begin;
    if (size <= kScanLimit) continue;
    uint32_t capacity = 16;
    while (capacity < 2 * size) capacity *= 2;
    g.slot_begin = static_cast<uint32_t>(slots.size());
    g.slot_mask = capacity - 1;
    slots.resize(slots.size() + capacity);
    for (uint32_t i = g.begin; i < g.end; ++i) {
      uint32_t h = hash_of(entries[i]) & g.slot_mask;
      while ((slots[g.slot_begin + h].flags & kSlotUsed) != 0) h = (h + 1) & g.slot_mask;
      slots[g.slot_begin + h] = make_slot(entries[i]);
    }
  }
}

void AccessControl::RebuildGroups() {
  Regroup(
      v4_, v4_groups_, v4_slots_,
      [](const V4Entry& e, uint32_t i) {
        return Group{e.prefix_length, e.ntpport_only, i, i, e.mask, 0, 0};
      },
      [](const V4Entry& e) { return Hash4(e.network); },
      [](const V4Entry& e) { return V4Slot{e.network, e.flags | kSlotUsed}; });
  Regroup(
      v6_, v6_groups_, v6_slots_,
      [](const V6Entry& e, uint32_t i) {
        return Group{e.prefix_length, e.ntpport_only, i, i, 0, e.mask_hi, e.mask_lo};
      },
      [](const V6Entry& e) { return Hash6(e.network_hi, e.network_lo); },
      [](const V6Entry& e) {
        return V6Slot{e.network_hi, e.network_lo, e.flags | kSlotUsed};
      });
}

void AccessControl::AddEntry(const net::IpAddress& address, int prefix_length,
                             RestrictMask flags, bool ntpport_only,
                             bool is_interface) {
  // One entry into the sorted list: O(log n) to find its place, O(n) to
  // make room and regroup.
  Append(address, prefix_length, flags, ntpport_only, is_interface);
  if (address.is_v4()) {
    InsertLast(v4_);
  } else {
    InsertLast(v6_);
  }
  RebuildGroups();
}

RestrictMask AccessControl::Lookup(const net::IpAddress& source,
                                   uint16_t source_port) const {
  const bool from_ntp_port = source_port == kNtpPort;
  if (source.is_v4()) {
    const uint32_t a = source.v4();
    for (const Group& g : v4_groups_) {
      if (g.ntpport_only && !from_ntp_port) continue;
      const uint32_t key = a & g.mask4;
      if (g.slot_mask != 0) {
        for (uint32_t h = Hash4(key) & g.slot_mask;; h = (h + 1) & g.slot_mask) {
          const V4Slot& slot = v4_slots_[g.slot_begin + h];
          if ((slot.flags & kSlotUsed) == 0) break;
          if (slot.network == key) return slot.flags & ~kSlotUsed;
        }
        continue;
      }
      for (uint32_t i = g.begin; i < g.end; ++i) {
        if (v4_[i].network == key) return v4_[i].flags;
      }
    }
    return 0;  // unreachable: the default entry matches everything
  }
  const uint64_t hi = LoadBe64(source.bytes().data());
  const uint64_t lo = LoadBe64(source.bytes().data() + 8);
  for (const Group& g : v6_groups_) {
    if (g.ntpport_only && !from_ntp_port) continue;
    const uint64_t key_hi = hi & g.mask_hi;
    const uint64_t key_lo = lo & g.mask_lo;
    if (g.slot_mask != 0) {
      for (uint32_t h = Hash6(key_hi, key_lo) & g.slot_mask;; h = (h + 1) & g.slot_mask) {
        const V6Slot& slot = v6_slots_[g.slot_begin + h];
        if ((slot.flags & kSlotUsed) == 0) break;
        if (slot.network_hi == key_hi && slot.network_lo == key_lo) {
          return slot.flags & ~kSlotUsed;
        }
      }
      continue;
    }
    for (uint32_t i = g.begin; i < g.end; ++i) {
      if (v6_[i].network_hi == key_hi && v6_[i].network_lo == key_lo) return v6_[i].flags;
    }
  }
  return 0;
}

std::vector<AccessControl::Entry> AccessControl::Entries(
    net::IpAddress::Family family) const {
  std::vector<Entry> out;
  if (family == net::IpAddress::Family::kV4) {
    for (const V4Entry& e : v4_) {
      out.push_back({net::IpAddress::V4(e.network), e.prefix_length,
                     e.ntpport_only, e.is_interface, e.flags});
    }
  } else {
    for (const V6Entry& e : v6_) {
      out.push_back({net::IpAddress::V6(Store128(e.network_hi, e.network_lo)),
                     e.prefix_length, e.ntpport_only, e.is_interface, e.flags});
    }
  }
  return out;
}

}  // namespace ntp
