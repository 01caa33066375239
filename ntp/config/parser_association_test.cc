// server / peer / pool / fudge.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/address.h"
#include "ntp/config/parser.h"
#include "ntp/config/parser_test_util.h"

namespace ntp {
namespace {

using ::ntp::testing::ErrorAt;
using ::ntp::testing::ExpectClean;
using ::ntp::testing::ExpectSingleError;
using ::ntp::testing::Parse;
using ::ntp::testing::WarningAt;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

net::IpAddress Ip(const char* text) { return *net::IpAddress::Parse(text); }

TEST(ServerTest, PlainServerGetsDefaults) {
  ParsedConfig parsed = ExpectClean("server 192.168.31.223\n");
  ASSERT_EQ(parsed.config.servers.size(), 1u);
  const ServerConfig& s = parsed.config.servers[0];
  EXPECT_EQ(s.kind, AssociationKind::kServer);
  EXPECT_EQ(s.host, "192.168.31.223");
  EXPECT_EQ(s.address, Ip("192.168.31.223"));
  EXPECT_FALSE(s.family.has_value());
  EXPECT_FALSE(s.is_refclock());
  EXPECT_FALSE(s.prefer || s.iburst || s.burst || s.noselect || s.truechimer ||
               s.preempt || s.xleave);
  EXPECT_EQ(s.minpoll, 6);
  EXPECT_EQ(s.maxpoll, 10);
  EXPECT_FALSE(s.minpoll_given || s.maxpoll_given);
  EXPECT_EQ(s.version, 4);
  EXPECT_FALSE(s.key_id.has_value());
  EXPECT_EQ(s.location, (SourceLocation{"test.conf", 1, 1}));
}

TEST(ServerTest, EveryOption) {
  ParsedConfig parsed = Parse(
      "server -4 10.0.0.1 prefer iburst burst noselect true preempt xleave "
      "minpoll 4 maxpoll 12 key 42 version 3 ttl 7\n"
      "trustedkey 42\nkeys /etc/ntp/keys\n");
  EXPECT_THAT(parsed.diagnostics, IsEmpty()) << parsed.FormatAll();
  ASSERT_EQ(parsed.config.servers.size(), 1u);
  const ServerConfig& s = parsed.config.servers[0];
  EXPECT_EQ(s.family, net::IpAddress::Family::kV4);
  EXPECT_TRUE(s.prefer && s.iburst && s.burst && s.noselect && s.truechimer &&
              s.preempt && s.xleave);
  EXPECT_EQ(s.minpoll, 4);
  EXPECT_EQ(s.maxpoll, 12);
  EXPECT_TRUE(s.minpoll_given && s.maxpoll_given);
  EXPECT_EQ(s.key_id, 42u);
  EXPECT_EQ(s.version, 3);
  EXPECT_EQ(s.ttl, 7);
}

TEST(ServerTest, PeerAndPoolAndHostNames) {
  ParsedConfig parsed = ExpectClean(
      "peer ntp1.example.com\n"
      "pool 0.centos.pool.ntp.org iburst\n"
      "server -6 Time.Example.NET.\n"
      "server 2001:db8::1\n");
  ASSERT_EQ(parsed.config.servers.size(), 4u);
  EXPECT_EQ(parsed.config.servers[0].kind, AssociationKind::kPeer);
  EXPECT_FALSE(parsed.config.servers[0].address.has_value());
  EXPECT_EQ(parsed.config.servers[1].kind, AssociationKind::kPool);
  EXPECT_TRUE(parsed.config.servers[1].preempt);  // pool implies preempt
  EXPECT_EQ(parsed.config.servers[1].host, "0.centos.pool.ntp.org");
  EXPECT_EQ(parsed.config.servers[2].host, "Time.Example.NET.");
  EXPECT_EQ(parsed.config.servers[2].family, net::IpAddress::Family::kV6);
  EXPECT_EQ(parsed.config.servers[3].address, Ip("2001:db8::1"));
}

TEST(ServerTest, LocalClockRefclock) {
  ParsedConfig parsed = ExpectClean("server 127.127.1.0 minpoll 4\n");
  const ServerConfig& s = parsed.config.servers.at(0);
  ASSERT_TRUE(s.is_refclock());
  EXPECT_EQ(s.refclock, (RefclockAddress{1, 0}));
  // Refclocks poll at a fixed interval: maxpoll follows minpoll.
  EXPECT_EQ(s.minpoll, 4);
  EXPECT_EQ(s.maxpoll, 4);
  ParsedConfig explicit_max =
      ExpectClean("server 127.127.1.1 mode 3 maxpoll 8\n");
  EXPECT_EQ(explicit_max.config.servers[0].maxpoll, 8);
  EXPECT_EQ(explicit_max.config.servers[0].minpoll, 6);
  EXPECT_EQ(explicit_max.config.servers[0].refclock_mode, 3);
}

TEST(ServerTest, DuplicateIsWarnedAndDropped) {
  ParsedConfig parsed =
      Parse("server 10.0.0.1\nserver 10.0.0.1 iburst\nserver A.b\nserver a.B\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(2, "duplicate association for 10.0.0.1 "
                                       "(first configured at test.conf:1)"),
                          WarningAt(4, "duplicate association for a.B")));
  EXPECT_EQ(parsed.config.servers.size(), 2u);
  EXPECT_FALSE(parsed.config.servers[0].iburst);
}

TEST(ServerTest, AutokeyOptionsWarn) {
  ParsedConfig parsed = Parse("server 10.0.0.1 autokey ident group1\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "autokey: Autokey is not supported"),
                          WarningAt(1, "ident: Autokey is not supported")));
  EXPECT_EQ(parsed.config.servers.size(), 1u);
}

TEST(ServerTest, PollLimitsAtTheEdges) {
  ExpectClean("server 10.0.0.1 minpoll 3 maxpoll 3\n");
  ExpectClean("server 10.0.0.2 minpoll 17 maxpoll 17\n");
  ExpectClean("server 10.0.0.3 minpoll 3 maxpoll 17\n");
}

TEST(ServerTest, KeyUseWarnings) {
  ParsedConfig parsed = Parse("server 10.0.0.1 key 8\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "10.0.0.1 key 8 is not listed in "
                                       "trustedkey"),
                          WarningAt(1, "no 'keys' file is configured")));
}

struct BadServer {
  const char* text;
  int column;
  const char* message;
};

class ServerErrorTest : public ::testing::TestWithParam<BadServer> {};

TEST_P(ServerErrorTest, PinsColumnAndMessage) {
  ParsedConfig parsed =
      ExpectSingleError(GetParam().text, 1, GetParam().message);
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_EQ(parsed.diagnostics[0].column, GetParam().column);
  EXPECT_THAT(parsed.config.servers, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    All, ServerErrorTest,
    ::testing::Values(
        BadServer{"server", 8, "No address for server, line ignored"},
        BadServer{"peer -6", 9, "No address for peer, line ignored"},
        BadServer{"server 10.0.0.1 minpoll 2", 25,
                  "minpoll: value '2' is out of range 3..17"},
        BadServer{"server 10.0.0.1 maxpoll 18", 25,
                  "maxpoll: value '18' is out of range 3..17"},
        BadServer{"server 10.0.0.1 minpoll 10 maxpoll 6", 25,
                  "server: minpoll (10) is greater than maxpoll (6)"},
        BadServer{"server 10.0.0.1 minpoll", 25, "minpoll: missing value"},
        BadServer{"server 10.0.0.1 minpoll six", 25,
                  "minpoll: 'six' is not an integer"},
        BadServer{"server 10.0.0.1 key 0", 21,
                  "key: invalid key ID '0' (must be 1..65535)"},
        BadServer{"server 10.0.0.1 key 65536", 21, "invalid key ID '65536'"},
        BadServer{"server 10.0.0.1 version 0", 25,
                  "version: value '0' is out of range 1..4"},
        BadServer{"server 10.0.0.1 perfer", 17,
                  "server: unknown option 'perfer'"},
        BadServer{"server 10.0.0.1 mode 1", 17,
                  "'mode' does not apply for network peers"},
        BadServer{"server 127.127.1.0 ttl 1", 20,
                  "'ttl' does not apply for refclocks"},
        BadServer{"server 10.0.0.1 ttl 255", 21,
                  "ttl: value '255' is out of range 0..254"},
        BadServer{"peer 127.127.1.0", 6,
                  "peer: a reference clock address (127.127.1.0) is only "
                  "valid with 'server'"},
        BadServer{"server 127.127.20.0", 8,
                  "reference clock type 20 (127.127.20.0) is not supported"},
        BadServer{"server 127.127.1.4", 8,
                  "reference clock unit 4 (127.127.1.4) is out of range 0..3"},
        BadServer{"server 192.168.1.300", 8,
                  "server: invalid address '192.168.1.300'"},
        BadServer{"server 2001:db8:::1", 8, "invalid address"},
        BadServer{"server -6 10.0.0.1", 11,
                  "address '10.0.0.1' does not match the -6 flag"},
        BadServer{"server 224.0.1.1", 8,
                  "attempt to configure invalid address 224.0.1.1"},
        BadServer{"server 0.0.0.0", 8, "attempt to configure invalid address"},
        BadServer{"server 255.255.255.255", 8,
                  "attempt to configure invalid address"},
        BadServer{"pool ff02::101", 6, "attempt to configure invalid address"},
        BadServer{"server bad_host!name", 8, "invalid character in host name"},
        BadServer{"server -bad.example", 8, "starts or ends with '-'"},
        BadServer{"server a..b", 8, "empty label in host name"}));

TEST(FudgeTest, LocalClockStratum) {
  ParsedConfig parsed = ExpectClean(
      "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n");
  ASSERT_EQ(parsed.config.fudges.size(), 1u);
  const FudgeConfig* fudge = parsed.config.FindFudge(RefclockAddress{1, 0});
  ASSERT_NE(fudge, nullptr);
  EXPECT_EQ(fudge->stratum, 10);
  EXPECT_FALSE(fudge->refid.has_value());
  EXPECT_FALSE(fudge->time1_seconds.has_value());
  EXPECT_EQ(fudge->location, (SourceLocation{"test.conf", 2, 1}));
}

TEST(FudgeTest, EveryOptionAndMerging) {
  ParsedConfig parsed = ExpectClean(
      "fudge 127.127.1.0 time1 0.5 time2 -1.25e-3 stratum 0 refid GPS\n"
      "fudge 127.127.1.0 flag1 1 flag2 0 flag3 true flag4 false minjitter "
      "0.001 stratum 3\n"
      "server 127.127.1.0\n");
  const FudgeConfig& f = parsed.config.fudges.at(RefclockAddress{1, 0});
  EXPECT_DOUBLE_EQ(*f.time1_seconds, 0.5);
  EXPECT_DOUBLE_EQ(*f.time2_seconds, -0.00125);
  EXPECT_EQ(f.stratum, 3);  // the later line wins
  EXPECT_EQ(f.refid, "GPS");
  EXPECT_EQ(f.flag1, true);
  EXPECT_EQ(f.flag2, false);
  EXPECT_EQ(f.flag3, true);
  EXPECT_EQ(f.flag4, false);
  EXPECT_DOUBLE_EQ(*f.minjitter_seconds, 0.001);
  EXPECT_EQ(f.location.line, 1);  // first line for this clock
}

TEST(FudgeTest, WithoutServerIsAWarning) {
  ParsedConfig parsed = Parse("fudge 127.127.1.0 stratum 10\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "no 'server 127.127.1.0' line "
                                       "configures this clock")));
}

struct BadFudge {
  const char* text;
  const char* message;
};

class FudgeErrorTest : public ::testing::TestWithParam<BadFudge> {};

TEST_P(FudgeErrorTest, Pins) {
  ParsedConfig parsed = ExpectSingleError(
      std::string("server 127.127.1.0\n") + GetParam().text, 2,
      GetParam().message);
  EXPECT_THAT(parsed.config.fudges, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    All, FudgeErrorTest,
    ::testing::Values(
        BadFudge{"fudge 127.127.1.0 stratum 16",
                 "fudge stratum: value '16' is out of range 0..15"},
        BadFudge{"fudge 127.127.1.0 stratum -1", "out of range 0..15"},
        BadFudge{"fudge", "fudge: missing reference clock address"},
        BadFudge{"fudge 127.127.1.0", "fudge: missing options"},
        BadFudge{"fudge 10.0.0.1 stratum 1",
                 "inappropriate address 10.0.0.1 for the fudge command"},
        BadFudge{"fudge LOCAL stratum 1",
                 "unrecognized fudge reference clock address 'LOCAL'"},
        BadFudge{"fudge 127.127.1.0 refid TOOLONG",
                 "fudge refid: 'TOOLONG' is not 1 to 4 printable"},
        BadFudge{"fudge 127.127.1.0 flag1 2",
                 "fudge flag1: '2' is not a boolean"},
        BadFudge{"fudge 127.127.1.0 time1 abc",
                 "fudge time1: 'abc' is not a number"},
        BadFudge{"fudge 127.127.1.0 time1 nan", "is not a number"},
        BadFudge{"fudge 127.127.1.0 time1 1e999", "is out of range"},
        BadFudge{"fudge 127.127.1.0 stratum", "stratum: missing value"},
        BadFudge{"fudge 127.127.1.0 bogus 1",
                 "fudge: unknown option 'bogus'"}));

}  // namespace
}  // namespace ntp
