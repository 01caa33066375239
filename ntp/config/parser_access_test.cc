// restrict / discard / mru.
#include <string>

#include "gmock/gmock.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "net/address.h"
#include "ntp/config/parser.h"
#include "ntp/config/parser_test_util.h"

namespace ntp {
namespace {

using ::ntp::testing::ExpectClean;
using ::ntp::testing::ExpectSingleError;
using ::ntp::testing::Parse;
using ::ntp::testing::WarningAt;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using F = net::IpAddress::Family;

net::IpAddress Ip(const char* text) { return *net::IpAddress::Parse(text); }

TEST(RestrictTest, DefaultWithoutFamilyCoversBothLists) {
  ParsedConfig parsed = ExpectClean("restrict default nomodify\n");
  ASSERT_EQ(parsed.config.restricts.size(), 1u);
  const RestrictRule& r = parsed.config.restricts[0];
  EXPECT_TRUE(r.is_default);
  EXPECT_FALSE(r.is_source);
  EXPECT_FALSE(r.family.has_value());
  EXPECT_FALSE(r.address.has_value());
  EXPECT_FALSE(r.mask.has_value());
  EXPECT_EQ(r.host, "default");
  EXPECT_TRUE(r.AppliesToFamily(F::kV4));
  EXPECT_TRUE(r.AppliesToFamily(F::kV6));
  EXPECT_EQ(r.flags.ToString(), "nomodify");
}

TEST(RestrictTest, FamilyDefaults) {
  ParsedConfig parsed = ExpectClean(
      "restrict -4 default noserve\nrestrict -6 default ignore\n");
  const RestrictRule& v4 = parsed.config.restricts.at(0);
  EXPECT_EQ(v4.family, F::kV4);
  EXPECT_EQ(v4.address, Ip("0.0.0.0"));
  EXPECT_EQ(v4.mask, Ip("0.0.0.0"));
  EXPECT_EQ(v4.prefix_length(), 0);
  const RestrictRule& v6 = parsed.config.restricts.at(1);
  EXPECT_EQ(v6.family, F::kV6);
  EXPECT_EQ(v6.address, Ip("::"));
  EXPECT_EQ(v6.mask, Ip("::"));
  EXPECT_FALSE(v6.AppliesToFamily(F::kV4));
}

TEST(RestrictTest, HostAndNetworkEntries) {
  ParsedConfig parsed = ExpectClean(
      "restrict 127.0.0.1\n"
      "restrict -6 ::1\n"
      "restrict 192.168.31.0 mask 255.255.255.0 nomodify notrap\n"
      "restrict 10.0.0.0/8 limited kod\n"
      "restrict 2001:db8::/32 noquery\n"
      "restrict ntp.example.com noquery\n");
  const auto& r = parsed.config.restricts;
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].address, Ip("127.0.0.1"));
  EXPECT_EQ(r[0].mask, Ip("255.255.255.255"));
  EXPECT_EQ(r[0].family, F::kV4);
  EXPECT_TRUE(r[0].flags.none());
  EXPECT_EQ(r[1].address, Ip("::1"));
  EXPECT_EQ(r[1].prefix_length(), 128);
  EXPECT_EQ(r[2].address, Ip("192.168.31.0"));
  EXPECT_EQ(r[2].mask, Ip("255.255.255.0"));
  EXPECT_EQ(r[2].flags.ToString(), "nomodify notrap");
  EXPECT_EQ(r[3].prefix_length(), 8);
  EXPECT_TRUE(r[3].flags.limited && r[3].flags.kod);
  EXPECT_EQ(r[4].address, Ip("2001:db8::"));
  EXPECT_EQ(r[4].prefix_length(), 32);
  EXPECT_EQ(r[5].host, "ntp.example.com");
  EXPECT_FALSE(r[5].address.has_value());
  EXPECT_EQ(r[5].location, (SourceLocation{"test.conf", 6, 1}));
}

TEST(RestrictTest, EveryFlagAndIppeerlimit) {
  ParsedConfig parsed = ExpectClean(
      "restrict source ippeerlimit 2 flake ignore kod limited lowpriotrap "
      "mssntp noepeer nomodify nomrulist nopeer noquery noserve notrap "
      "notrust ntpport serverresponse fuzz version\n");
  const RestrictRule& r = parsed.config.restricts.at(0);
  EXPECT_TRUE(r.is_source);
  EXPECT_EQ(r.host, "source");
  EXPECT_EQ(r.ippeerlimit, 2);
  const RestrictFlags& f = r.flags;
  EXPECT_TRUE(f.flake && f.ignore && f.kod && f.limited && f.lowpriotrap &&
              f.mssntp && f.noepeer && f.nomodify && f.nomrulist && f.nopeer &&
              f.noquery && f.noserve && f.notrap && f.notrust && f.ntpport &&
              f.serverresponse_fuzz && f.version);
  EXPECT_FALSE(r.AppliesToFamily(F::kV4));
}

TEST(RestrictTest, KodWithoutLimitedWarnsLikeNtpd) {
  ParsedConfig parsed = Parse(
      "restrict default kod nomodify\n"
      "restrict -6 default kod\n"
      "restrict 10.0.0.1 kod\n"
      "restrict source kod\n"
      "restrict 10.0.0.2 kod limited\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(
      parsed.diagnostics,
      ElementsAre(
          WarningAt(1, "restrict default: KOD does nothing without LIMITED."),
          WarningAt(2, "restrict default: KOD does nothing without LIMITED."),
          WarningAt(3, "restrict 10.0.0.1: KOD does nothing without LIMITED."),
          WarningAt(4, "restrict source: KOD does nothing without LIMITED.")));
  EXPECT_EQ(parsed.config.restricts.size(), 5u);
}

TEST(RestrictTest, HostBitsOutsideTheMaskAreClearedWithAWarning) {
  ParsedConfig parsed =
      Parse("restrict 192.168.31.77 mask 255.255.255.0 nomodify\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "has bits outside its mask; using "
                                       "192.168.31.0")));
  EXPECT_EQ(parsed.config.restricts.at(0).address, Ip("192.168.31.0"));
  EXPECT_EQ(parsed.config.restricts.at(0).host, "192.168.31.77");
}

TEST(RestrictTest, RepeatedEntriesAreKeptInFileOrder) {
  ParsedConfig parsed = ExpectClean(
      "restrict 10.0.0.1 nomodify\nrestrict 10.0.0.1 noquery\n");
  ASSERT_EQ(parsed.config.restricts.size(), 2u);
  EXPECT_EQ(parsed.config.restricts[1].flags.ToString(), "noquery");
}

struct BadRestrict {
  const char* text;
  int column;
  const char* message;
};

class RestrictErrorTest : public ::testing::TestWithParam<BadRestrict> {};

TEST_P(RestrictErrorTest, PinsColumnAndMessage) {
  ParsedConfig parsed =
      ExpectSingleError(GetParam().text, 1, GetParam().message);
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_EQ(parsed.diagnostics[0].column, GetParam().column);
  EXPECT_THAT(parsed.config.restricts, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    All, RestrictErrorTest,
    ::testing::Values(
        BadRestrict{"restrict", 10, "restrict: missing address"},
        BadRestrict{"restrict -4", 13, "restrict: missing address"},
        BadRestrict{"restrict default nomodfy", 18,
                    "restrict: unknown flag 'nomodfy'"},
        BadRestrict{"restrict 10.0.0.0 mask 255.0.255.0", 24,
                    "mask '255.0.255.0' unusable: not a contiguous netmask"},
        BadRestrict{"restrict 10.0.0.0 mask 255.255.255.256", 24,
                    "mask '255.255.255.256' unusable: not an address"},
        BadRestrict{"restrict 10.0.0.0 mask ffff::", 24,
                    "unusable: address family differs from '10.0.0.0'"},
        BadRestrict{"restrict 10.0.0.0 mask", 24, "mask: missing value"},
        BadRestrict{"restrict default mask 0.0.0.0", 18,
                    "'mask' needs a numeric address, not 'default'"},
        BadRestrict{"restrict 10.0.0.0 nomodify mask 255.0.0.0", 28,
                    "'mask' must directly follow the address"},
        BadRestrict{"restrict 10.0.0.0/8 mask 255.0.0.0", 21,
                    "cannot be combined with a /prefix length"},
        BadRestrict{"restrict 10.0.0.0/33", 10,
                    "prefix length 33 is out of range 0..32"},
        BadRestrict{"restrict 10.0.0.0/x", 10, "invalid prefix length"},
        BadRestrict{"restrict 10.0.0.256", 10,
                    "restrict: invalid address '10.0.0.256'"},
        BadRestrict{"restrict -6 127.0.0.1", 13,
                    "address '127.0.0.1' does not match the -6 flag"},
        BadRestrict{"restrict -4 source", 10,
                    "-4/-6 cannot be used with 'source'"},
        BadRestrict{"restrict default ippeerlimit -2", 30,
                    "ippeerlimit: value '-2' is out of range -1..32767"},
        BadRestrict{"restrict default serverresponse", 18,
                    "'serverresponse' must be followed by 'fuzz'"},
        BadRestrict{"restrict default \"nomodify\"", 18,
                    "unknown flag 'nomodify'"},
        BadRestrict{"restrict bad!host", 10, "invalid character in host"}));

TEST(DiscardTest, Options) {
  ParsedConfig parsed = ExpectClean("discard average 5 minimum 1 monitor 1000\n");
  EXPECT_EQ(parsed.config.discard.average_log2_seconds, 5);
  EXPECT_EQ(parsed.config.discard.minimum_seconds, 1);
  EXPECT_EQ(parsed.config.discard.monitor, 1000);
  ASSERT_TRUE(parsed.config.discard.location.has_value());
  EXPECT_EQ(parsed.config.discard.location->line, 1);
  // Later lines change only what they name.
  ParsedConfig two = ExpectClean("discard average 4\ndiscard minimum 0\n");
  EXPECT_EQ(two.config.discard.average_log2_seconds, 4);
  EXPECT_EQ(two.config.discard.minimum_seconds, 0);
  EXPECT_EQ(two.config.discard.monitor, 3000);
}

TEST(DiscardTest, Errors) {
  ExpectSingleError("discard", 1, "discard: missing options");
  ExpectSingleError("discard average 256", 1,
                    "discard average: value '256' is out of range 0..255");
  ExpectSingleError("discard minimum -1", 1, "out of range");
  ExpectSingleError("discard minimum 256", 1, "out of range 0..255");
  ExpectSingleError("discard monitor 2147483647", 1, "out of range 0..16777216");
  ExpectClean("discard minimum 255 monitor 16777216\n");
  ExpectSingleError("discard maximum 3", 1, "discard: unknown option 'maximum'");
  ParsedConfig parsed =
      ExpectSingleError("discard average 4 minimum x", 1, "is not an integer");
  EXPECT_EQ(parsed.config.discard.average_log2_seconds, 3);  // untouched
}

TEST(MruTest, OptionsAndErrors) {
  ParsedConfig parsed = ExpectClean(
      "mru maxdepth 1000 maxmem 2048 mindepth 100 maxage 32 initalloc 10 "
      "initmem 8 incalloc 20 incmem 16\n");
  const MruConfig& m = parsed.config.mru;
  EXPECT_EQ(m.maxdepth, 1000);
  EXPECT_EQ(m.maxmem_kib, 2048);
  EXPECT_EQ(m.mindepth, 100);
  EXPECT_EQ(m.maxage_seconds, 32);
  EXPECT_EQ(m.initalloc, 10);
  EXPECT_EQ(m.initmem_kib, 8);
  EXPECT_EQ(m.incalloc, 20);
  EXPECT_EQ(m.incmem_kib, 16);
  ExpectSingleError("mru maxdepth -1", 1, "out of range");
  ExpectSingleError("mru size 1", 1, "mru: unknown option 'size'");
}

TEST(MruTest, EveryOptionIsBounded) {
  // ntpd takes any unsigned value; ours would be allocated at start.
  ParsedConfig parsed = ExpectSingleError("server 127.127.1.0\nmru maxdepth 2147483647\n", 2,
                                          "mru maxdepth: value '2147483647' is out of range "
                                          "0..1048576");
  EXPECT_EQ(FormatDiagnostic(parsed.diagnostics[0]).rfind("test.conf:2:", 0), 0u)
      << FormatDiagnostic(parsed.diagnostics[0]);
  EXPECT_FALSE(parsed.config.mru.maxdepth.has_value());
  ExpectClean("mru maxdepth 1048576 mindepth 1048576 initalloc 1048576 incalloc 1048576\n");
  ExpectClean("mru maxmem 131072 initmem 131072 incmem 131072 maxage 16777216\n");
  for (const char* option : {"mindepth", "initalloc", "incalloc"}) {
    ExpectSingleError(absl::StrCat("mru ", option, " 1048577"), 1, "out of range 0..1048576");
  }
  for (const char* option : {"maxmem", "initmem", "incmem"}) {
    ExpectSingleError(absl::StrCat("mru ", option, " 131073"), 1, "out of range 0..131072");
  }
  ExpectSingleError("mru maxage 16777217", 1, "out of range 0..16777216");
  ExpectSingleError("mru maxdepth 99999999999999999999", 1, "out of range");
  ExpectSingleError("mru", 1, "mru: missing options");
}

}  // namespace
}  // namespace ntp
