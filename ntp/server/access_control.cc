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

void AccessControl::AddEntry(const net::IpAddress& address, int prefix_length,
                             RestrictMask flags, bool ntpport_only,
                             bool is_interface) {
  if (address.is_v4()) {
    prefix_length = std::clamp(prefix_length, 0, 32);
    const uint32_t mask =
        prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length);
    const uint32_t network = address.v4() & mask;
    for (V4Entry& e : v4_) {
      if (e.network == network && e.prefix_length == prefix_length &&
          e.ntpport_only == ntpport_only) {
        e.flags |= flags;
        e.is_interface = e.is_interface || is_interface;
        return;
      }
    }
    v4_.push_back({network, mask, prefix_length, ntpport_only, is_interface, flags});
    std::stable_sort(v4_.begin(), v4_.end(), MoreSpecificFirst<V4Entry>);
    return;
  }
  prefix_length = std::clamp(prefix_length, 0, 128);
  const uint64_t mask_hi = PrefixBits64(prefix_length);
  const uint64_t mask_lo = PrefixBits64(prefix_length - 64);
  const uint64_t hi = LoadBe64(address.bytes().data()) & mask_hi;
  const uint64_t lo = LoadBe64(address.bytes().data() + 8) & mask_lo;
  for (V6Entry& e : v6_) {
    if (e.network_hi == hi && e.network_lo == lo &&
        e.prefix_length == prefix_length && e.ntpport_only == ntpport_only) {
      e.flags |= flags;
      e.is_interface = e.is_interface || is_interface;
      return;
    }
  }
  v6_.push_back({hi, lo, mask_hi, mask_lo, prefix_length, ntpport_only,
                 is_interface, flags});
  std::stable_sort(v6_.begin(), v6_.end(), MoreSpecificFirst<V6Entry>);
}

RestrictMask AccessControl::Lookup(const net::IpAddress& source,
                                   uint16_t source_port) const {
  const bool from_ntp_port = source_port == kNtpPort;
  if (source.is_v4()) {
    const uint32_t a = source.v4();
    for (const V4Entry& e : v4_) {
      if ((a & e.mask) != e.network) continue;
      if (e.ntpport_only && !from_ntp_port) continue;
      return e.flags;
    }
    return 0;  // unreachable: the default entry matches everything
  }
  const uint64_t hi = LoadBe64(source.bytes().data());
  const uint64_t lo = LoadBe64(source.bytes().data() + 8);
  for (const V6Entry& e : v6_) {
    if ((hi & e.mask_hi) != e.network_hi || (lo & e.mask_lo) != e.network_lo) {
      continue;
    }
    if (e.ntpport_only && !from_ntp_port) continue;
    return e.flags;
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
