#include "ntp/server/access_control.h"

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ntp {
namespace {

net::IpAddress Ip(const std::string& text) { return *net::IpAddress::Parse(text); }

struct Line {
  std::string address;  // "default4", "default6" or an address
  int prefix;
  RestrictMask flags;
  bool ntpport = false;
};

AccessControl Build(const std::vector<Line>& lines) {
  AccessControl acl;
  for (const Line& l : lines) {
    if (l.address == "default4") {
      acl.AddDefault(net::IpAddress::Family::kV4, l.flags);
    } else if (l.address == "default6") {
      acl.AddDefault(net::IpAddress::Family::kV6, l.flags);
    } else {
      acl.Add(Ip(l.address), l.prefix, l.flags, l.ntpport);
    }
  }
  return acl;
}

constexpr RestrictMask kSeedDefault = kRestrictKod | kRestrictNoModify |
                                      kRestrictNoTrap | kRestrictNoPeer |
                                      kRestrictNoQuery;

// The seed's server-ntp.conf lines (testdata/configs/seed/server-ntp.conf):
//   restrict default kod nomodify notrap nopeer noquery
//   restrict -6 default kod nomodify notrap nopeer noquery
//   restrict 127.0.0.1
//   restrict -6 ::1
//   restrict 127.127.1.0
//   restrict 192.168.31.0 mask 255.255.255.0 nomodify notrap
std::vector<Line> SeedServerLines() {
  return {
      {"default4", 0, kSeedDefault},
      {"default6", 0, kSeedDefault},
      {"127.0.0.1", 32, 0},
      {"::1", 128, 0},
      {"127.127.1.0", 32, 0},
      {"192.168.31.0", 24, kRestrictNoModify | kRestrictNoTrap},
  };
}

struct LookupCase {
  std::string source;
  uint16_t port;
  RestrictMask expected;
};

TEST(AccessControlTest, SeedServerConfigOutcomeMatrix) {
  const AccessControl acl = Build(SeedServerLines());
  const std::vector<LookupCase> cases = {
      {"127.0.0.1", 40000, 0},                       // loopback: everything
      {"::1", 40000, 0},
      {"192.168.31.223", 123, kRestrictNoModify | kRestrictNoTrap},
      {"192.168.31.1", 50000, kRestrictNoModify | kRestrictNoTrap},
      {"192.168.32.1", 50000, kSeedDefault},         // just outside the /24
      {"10.0.0.7", 123, kSeedDefault},
      {"127.0.0.2", 40000, kSeedDefault},            // only 127.0.0.1 is listed
      {"2001:db8::1", 123, kSeedDefault},
      {"::2", 123, kSeedDefault},
  };
  for (const LookupCase& c : cases) {
    EXPECT_EQ(acl.Lookup(Ip(c.source), c.port), c.expected)
        << c.source << " got " << RestrictMaskToString(acl.Lookup(Ip(c.source), c.port));
  }
}

TEST(AccessControlTest, MostSpecificWinsWhateverTheLineOrder) {
  // ntpd sorts the entries so that the most specific match wins (ntp_acc(5)),
  // so reversing the lines changes nothing.
  std::vector<Line> lines = {
      {"default4", 0, kRestrictIgnore},
      {"10.0.0.0", 8, kRestrictNoQuery},
      {"10.1.0.0", 16, kRestrictLimited},
      {"10.1.2.3", 32, 0},
  };
  for (int pass = 0; pass < 2; ++pass) {
    const AccessControl acl = Build(lines);
    EXPECT_EQ(acl.Lookup(Ip("10.1.2.3"), 1000), 0u);
    EXPECT_EQ(acl.Lookup(Ip("10.1.2.4"), 1000), kRestrictLimited);
    EXPECT_EQ(acl.Lookup(Ip("10.2.0.1"), 1000), kRestrictNoQuery);
    EXPECT_EQ(acl.Lookup(Ip("11.0.0.1"), 1000), kRestrictIgnore);
    std::reverse(lines.begin(), lines.end());
  }
}

TEST(AccessControlTest, DuplicateLinesMergeFlags) {
  const AccessControl acl = Build({
      {"192.168.1.0", 24, kRestrictNoModify},
      {"192.168.1.0", 24, kRestrictNoTrap},
      {"default4", 0, kRestrictNoQuery},
      {"default4", 0, kRestrictKod},
  });
  EXPECT_EQ(acl.Lookup(Ip("192.168.1.9"), 5), kRestrictNoModify | kRestrictNoTrap);
  EXPECT_EQ(acl.Lookup(Ip("8.8.8.8"), 5), kRestrictNoQuery | kRestrictKod);
  EXPECT_EQ(acl.Entries(net::IpAddress::Family::kV4).size(), 2u);
}

TEST(AccessControlTest, AddressIsMaskedBeforeStoring) {
  // `restrict 192.168.31.77 mask 255.255.255.0` is the /24 entry.
  const AccessControl acl = Build({{"192.168.31.77", 24, kRestrictNoTrap}});
  EXPECT_EQ(acl.Lookup(Ip("192.168.31.1"), 5), kRestrictNoTrap);
  EXPECT_EQ(acl.Entries(net::IpAddress::Family::kV4)[0].network, Ip("192.168.31.0"));
}

TEST(AccessControlTest, DefaultsHaveNoFlagsAndFamiliesAreSeparate) {
  AccessControl acl;
  EXPECT_EQ(acl.Lookup(Ip("203.0.113.5"), 123), 0u);
  acl.AddDefault(net::IpAddress::Family::kV4, kRestrictIgnore);
  EXPECT_EQ(acl.Lookup(Ip("203.0.113.5"), 123), kRestrictIgnore);
  EXPECT_EQ(acl.Lookup(Ip("2001:db8::5"), 123), 0u);  // -4 default only
}

TEST(AccessControlTest, NtpPortEntryMatchesOnlyPort123AndSortsFirst) {
  AccessControl acl = Build({
      {"192.0.2.1", 32, kRestrictNoQuery},
      {"192.0.2.1", 32, kRestrictIgnore, /*ntpport=*/true},
  });
  EXPECT_EQ(acl.Lookup(Ip("192.0.2.1"), 123), kRestrictIgnore);
  EXPECT_EQ(acl.Lookup(Ip("192.0.2.1"), 40000), kRestrictNoQuery);
}

TEST(AccessControlTest, InterfaceEntryIgnoresOurOwnPort123Only) {
  AccessControl acl = Build(SeedServerLines());
  acl.AddInterfaceAddress(Ip("127.0.0.1"));
  EXPECT_EQ(acl.Lookup(Ip("127.0.0.1"), 123), kRestrictIgnore);
  EXPECT_EQ(acl.Lookup(Ip("127.0.0.1"), 45678), 0u);  // ntpq, ntpdate -u
}

TEST(AccessControlTest, Ipv6PrefixesAcrossThe64BitBoundary) {
  const AccessControl acl = Build({
      {"default6", 0, kRestrictIgnore},
      {"2001:db8::", 32, kRestrictNoQuery},
      {"2001:db8:0:0:8000::", 65, kRestrictLimited},
      {"2001:db8::1", 128, 0},
  });
  EXPECT_EQ(acl.Lookup(Ip("2001:db8::1"), 9), 0u);
  EXPECT_EQ(acl.Lookup(Ip("2001:db8::2"), 9), kRestrictNoQuery);
  EXPECT_EQ(acl.Lookup(Ip("2001:db8::8000:0:0:1"), 9), kRestrictLimited);
  EXPECT_EQ(acl.Lookup(Ip("2001:db9::1"), 9), kRestrictIgnore);
  const auto entries = acl.Entries(net::IpAddress::Family::kV6);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].prefix_length, 128);
  EXPECT_EQ(entries[1].prefix_length, 65);
  EXPECT_EQ(entries[1].network, Ip("2001:db8:0:0:8000::"));
  EXPECT_EQ(entries[3].prefix_length, 0);
}

TEST(AccessControlTest, SourceTemplateAddsHostEntries) {
  AccessControl acl = Build({{"default4", 0, kRestrictNoQuery | kRestrictNoPeer}});
  acl.SetSourceTemplate(kRestrictNoModify);
  acl.ApplySourceTemplate(Ip("198.51.100.7"));
  EXPECT_EQ(acl.Lookup(Ip("198.51.100.7"), 123), kRestrictNoModify);
  EXPECT_EQ(acl.Lookup(Ip("198.51.100.8"), 123), kRestrictNoQuery | kRestrictNoPeer);
}

TEST(AccessControlTest, MaskToString) {
  EXPECT_EQ(RestrictMaskToString(kSeedDefault), "kod nomodify nopeer noquery notrap");
  EXPECT_EQ(RestrictMaskToString(0), "");
}

// The rule itself, without the table: among the lines matching `source`
// (same family, masked equal, port 123 for ntpport lines) the longest
// prefix wins, an ntpport line before a plain one; equal lines OR their
// flags; the implicit defaults have none.
struct ParsedLine {
  Line line;
  net::IpAddress network;  // masked
  net::IpAddress mask;
};

RestrictMask Reference(const std::vector<ParsedLine>& parsed, const net::IpAddress& source,
                       uint16_t port) {
  int best_prefix = -1;
  bool best_ntpport = false;
  net::IpAddress best_network;
  RestrictMask flags = 0;
  for (const ParsedLine& p : parsed) {
    const Line& l = p.line;
    if (p.network.family() != source.family()) continue;
    const net::IpAddress& mask = p.mask;
    const net::IpAddress& ip = p.network;
    if (ip != source.Masked(mask)) continue;
    if (l.ntpport && port != 123) continue;
    const bool better = l.prefix > best_prefix ||
                        (l.prefix == best_prefix && l.ntpport && !best_ntpport);
    const bool same = l.prefix == best_prefix && l.ntpport == best_ntpport &&
                      ip.Masked(mask) == best_network;
    if (better) {
      best_prefix = l.prefix;
      best_ntpport = l.ntpport;
      best_network = ip.Masked(mask);
      flags = l.flags;
    } else if (same) {
      flags |= l.flags;
    }
  }
  return flags;
}

TEST(AccessControlTest, ThousandsOfEntriesMatchTheRuleAndBulkEqualsOneByOne) {
  // A crowded space (10.0.0.0/16, 2001:db8::/112 and around) so that many
  // lines overlap, repeat and fill groups far beyond the scanned size.
  uint64_t state = 1;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  const int kV4Prefixes[] = {8, 16, 20, 24, 28, 30, 32};
  const int kV6Prefixes[] = {32, 64, 100, 112, 120, 128};
  std::vector<Line> lines;
  for (int i = 0; i < 3000; ++i) {
    Line l;
    if (next() % 3 != 0) {
      l.address = "10.0." + std::to_string(next() % 32) + "." + std::to_string(next() % 256);
      l.prefix = kV4Prefixes[next() % 7];
    } else {
      char text[64];
      std::snprintf(text, sizeof(text), "2001:db8::%x", next() % 8192);
      l.address = text;
      l.prefix = kV6Prefixes[next() % 6];
    }
    l.flags = RestrictMask{1} << (next() % 16);
    l.ntpport = next() % 10 == 0;
    lines.push_back(l);
  }
  lines.push_back({"0.0.0.0", 0, kRestrictNoQuery});
  std::vector<ParsedLine> parsed;
  for (const Line& l : lines) {
    const net::IpAddress ip = Ip(l.address);
    const net::IpAddress mask = net::IpAddress::PrefixMask(ip.family(), l.prefix);
    parsed.push_back({l, ip.Masked(mask), mask});
  }
  const AccessControl one_by_one = Build(lines);
  AccessControl bulk;
  std::vector<AccessControl::Entry> entries;
  for (const Line& l : lines) entries.push_back({Ip(l.address), l.prefix, l.ntpport, false, l.flags});
  bulk.AddAll(entries);

  for (auto family : {net::IpAddress::Family::kV4, net::IpAddress::Family::kV6}) {
    const std::vector<AccessControl::Entry> a = one_by_one.Entries(family);
    const std::vector<AccessControl::Entry> b = bulk.Entries(family);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].network, b[i].network);
      EXPECT_EQ(a[i].prefix_length, b[i].prefix_length);
      EXPECT_EQ(a[i].ntpport_only, b[i].ntpport_only);
      EXPECT_EQ(a[i].flags, b[i].flags);
    }
  }
  int mismatches = 0;
  for (int i = 0; i < 5000 && mismatches < 10; ++i) {
    std::string text;
    if (next() % 2 == 0) {
      text = "10.0." + std::to_string(next() % 40) + "." + std::to_string(next() % 256);
    } else {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "2001:db8::%x", next() % 10000);
      text = buf;
    }
    const net::IpAddress source = Ip(text);
    const uint16_t port = next() % 4 == 0 ? 123 : 40000;
    const RestrictMask want = Reference(parsed, source, port);
    EXPECT_EQ(bulk.Lookup(source, port), want) << text << " port " << port;
    EXPECT_EQ(one_by_one.Lookup(source, port), want) << text << " port " << port;
    if (bulk.Lookup(source, port) != want) ++mismatches;
  }
}

}  // namespace
}  // namespace ntp
