// Access control for the NTP server: ntpd 4.2.8's `restrict` table
// (ntp_acc(5)). Entries are address/prefix pairs with a set of flags;
// for a source address the MOST SPECIFIC matching entry decides (longest
// prefix, an `ntpport` entry before the same address/mask without it),
// whatever the order of the lines; repeating an address/mask ORs the flags.
// Two lists, IPv4 and IPv6, each starting with a default entry (0.0.0.0/0,
// ::/0) that has no flags, as in ntpd 4.2.8.
//
// Each list is one array of plain integers sorted in match order, cut into
// groups of one prefix length (and ntpport or not). Lookup masks the source
// once per group, most specific group first, and probes the group's hash
// index (a short group is scanned): O(groups) expected, no allocation, no
// strings. AddAll builds a whole configuration with one sort (20,000
// restrict lines in milliseconds); Add inserts one entry in O(entries).
#ifndef NTP_SERVER_ACCESS_CONTROL_H_
#define NTP_SERVER_ACCESS_CONTROL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/address.h"

namespace ntp {

// Restriction flags (ntp_acc(5)), one bit each.
using RestrictMask = uint32_t;
inline constexpr RestrictMask kRestrictIgnore = 1u << 0;    // drop everything
inline constexpr RestrictMask kRestrictNoQuery = 1u << 1;   // drop mode 6/7
inline constexpr RestrictMask kRestrictNoModify = 1u << 2;  // mode 6 read-only
inline constexpr RestrictMask kRestrictNoTrap = 1u << 3;    // no mode 6 traps
inline constexpr RestrictMask kRestrictLowPrioTrap = 1u << 4;
inline constexpr RestrictMask kRestrictNoPeer = 1u << 5;   // never mobilise
inline constexpr RestrictMask kRestrictNoEPeer = 1u << 6;  // no ephemeral peers
inline constexpr RestrictMask kRestrictNoServe = 1u << 7;  // only mode 6/7
inline constexpr RestrictMask kRestrictNoTrust = 1u << 8;  // MAC required
inline constexpr RestrictMask kRestrictLimited = 1u << 9;  // rate limiting
inline constexpr RestrictMask kRestrictKod = 1u << 10;     // RATE KoD if limited
inline constexpr RestrictMask kRestrictVersion = 1u << 11;  // VN must be 4
inline constexpr RestrictMask kRestrictFlake = 1u << 12;
inline constexpr RestrictMask kRestrictMssntp = 1u << 13;
inline constexpr RestrictMask kRestrictNoMruList = 1u << 14;
inline constexpr RestrictMask kRestrictServerResponseFuzz = 1u << 15;

// "kod limited nomodify ..." in a fixed order; "" for 0.
std::string RestrictMaskToString(RestrictMask mask);

class AccessControl {
 public:
  // One entry of a list, as the table holds it.
  struct Entry {
    net::IpAddress network;  // already masked
    int prefix_length = 0;   // 0..32 / 0..128
    bool ntpport_only = false;  // matches source port 123 only
    bool is_interface = false;  // built-in entry for one of our addresses
    RestrictMask flags = 0;
  };

  // The two default entries, with no flags.
  AccessControl();

  // Adds an entry, or ORs `flags` into the existing entry with the same
  // network, prefix and ntpport_only. `address` is masked here.
  // REQUIRES: 0 <= prefix_length <= 32 (IPv4) / 128 (IPv6).
  void Add(const net::IpAddress& address, int prefix_length, RestrictMask flags,
           bool ntpport_only = false);
  // Add for every element (its `network` is masked here), with one sort for
  // all of them: the way to load a configuration.
  void AddAll(const std::vector<Entry>& entries);
  // ORs `flags` into the default entry of `family` (`restrict -4 default`).
  void AddDefault(net::IpAddress::Family family, RestrictMask flags);
  // ntpd's built-in entry for a local address the daemon listens on:
  // `ignore` for packets from that address with source port 123 (so the
  // server never answers itself), not shadowing ephemeral-port tools.
  void AddInterfaceAddress(const net::IpAddress& address);
  // Stores the `restrict source` template; ApplySourceTemplate then adds a
  // host entry with those flags for an association's address.
  void SetSourceTemplate(RestrictMask flags) { source_template_ = flags; }
  void ApplySourceTemplate(const net::IpAddress& address);
  std::optional<RestrictMask> source_template() const { return source_template_; }

  // The flags of the most specific entry matching `source` (and, for
  // ntpport entries, `source_port` == 123). Never allocates.
  RestrictMask Lookup(const net::IpAddress& source, uint16_t source_port) const;

  // The entries of one family in match order (most specific first).
  std::vector<Entry> Entries(net::IpAddress::Family family) const;

 private:
  struct V4Entry {
    uint32_t network;
    uint32_t mask;
    int prefix_length;
    bool ntpport_only;
    bool is_interface;
    RestrictMask flags;
    uint32_t SortKey() const { return network; }
  };
  struct V6Entry {
    uint64_t network_hi, network_lo;
    uint64_t mask_hi, mask_lo;
    int prefix_length;
    bool ntpport_only;
    bool is_interface;
    RestrictMask flags;
    std::pair<uint64_t, uint64_t> SortKey() const {
      return {network_hi, network_lo};
    }
  };
  // A run of entries with one prefix length and ntpport_only value:
  // [begin, end) of v4_ or v6_, networks descending.
  // A group longer than a few entries also has an open-addressing index:
  // slots [slot_begin, slot_begin + slot_mask + 1) of v4_slots_ / v6_slots_
  // hold each entry's network and flags (so a probe touches one slot, not
  // the entry), probed linearly from the network's hash. slot_mask == 0:
  // no index, the group is scanned.
  struct Group {
    int prefix_length;
    bool ntpport_only;
    uint32_t begin, end;
    uint32_t mask4;
    uint64_t mask_hi, mask_lo;
    uint32_t slot_begin = 0, slot_mask = 0;
  };
  void AddEntry(const net::IpAddress& address, int prefix_length,
                RestrictMask flags, bool ntpport_only, bool is_interface);
  // Appends without sorting; Normalize() restores the invariants.
  void Append(const net::IpAddress& address, int prefix_length, RestrictMask flags,
              bool ntpport_only, bool is_interface);
  // Sorts, merges equal keys (ORing flags) and rebuilds the groups.
  void Normalize();
  // Recomputes the groups and their indexes from the sorted lists.
  void RebuildGroups();
  // Splits sorted `entries` into groups and indexes the long ones.
  template <typename E, typename Slot, typename MakeGroup, typename HashOf,
            typename MakeSlot>
  static void Regroup(const std::vector<E>& entries, std::vector<Group>& groups,
                      std::vector<Slot>& slots, MakeGroup make_group, HashOf hash_of,
                      MakeSlot make_slot);

  // Sorted: prefix length descending, ntpport first, then address
  // descending (ntpd's order; for contiguous masks the first match is the
  // longest prefix). No two entries share network, prefix and ntpport.
  std::vector<V4Entry> v4_;
  std::vector<V6Entry> v6_;
  std::vector<Group> v4_groups_;
  std::vector<Group> v6_groups_;
  // An index slot; `flags` has kSlotUsed set when the slot holds an entry.
  static constexpr uint32_t kSlotUsed = 1u << 31;
  struct V4Slot {
    uint32_t network = 0;
    uint32_t flags = 0;
  };
  struct V6Slot {
    uint64_t network_hi = 0, network_lo = 0;
    uint32_t flags = 0;
  };
  std::vector<V4Slot> v4_slots_;
  std::vector<V6Slot> v6_slots_;
  std::optional<RestrictMask> source_template_;
};

}  // namespace ntp

#endif  // NTP_SERVER_ACCESS_CONTROL_H_
