// tinker / tick / tos / enable / disable / interface / broadcastdelay /
// nonvolatile.
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

TEST(TinkerTest, EveryOption) {
  ParsedConfig parsed = ExpectClean(
      "tinker step 0.5 stepout 600 panic 0 dispersion 20 allan 12 "
      "huffpuff 7200 freq -12.5 stepback 0.2 stepfwd 0.3 tick 0.01\n");
  const TinkerConfig& t = parsed.config.tinker;
  EXPECT_DOUBLE_EQ(t.step_seconds, 0.5);
  EXPECT_DOUBLE_EQ(t.stepout_seconds, 600);
  EXPECT_DOUBLE_EQ(t.panic_seconds, 0);
  EXPECT_DOUBLE_EQ(t.dispersion_ppm, 20);
  EXPECT_EQ(t.allan_log2_seconds, 12);
  EXPECT_DOUBLE_EQ(t.huffpuff_seconds, 7200);
  EXPECT_DOUBLE_EQ(*t.freq_ppm, -12.5);
  EXPECT_DOUBLE_EQ(*t.stepback_seconds, 0.2);
  EXPECT_DOUBLE_EQ(*t.stepfwd_seconds, 0.3);
  EXPECT_DOUBLE_EQ(*t.tick_seconds, 0.01);
  ASSERT_TRUE(t.location.has_value());
}

TEST(TinkerTest, LinesAccumulateAndTickIsAnAlias) {
  ParsedConfig parsed = ExpectClean("tinker panic 0\ntinker step 0\ntick 1e-4\n");
  EXPECT_DOUBLE_EQ(parsed.config.tinker.panic_seconds, 0);
  EXPECT_DOUBLE_EQ(parsed.config.tinker.step_seconds, 0);
  EXPECT_DOUBLE_EQ(*parsed.config.tinker.tick_seconds, 1e-4);
  EXPECT_DOUBLE_EQ(parsed.config.tinker.stepout_seconds, 300);  // default
}

TEST(TinkerTest, SmallStepoutWarns) {
  ParsedConfig parsed = Parse("tinker stepout 60\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "below the 300 s default")));
  EXPECT_DOUBLE_EQ(parsed.config.tinker.stepout_seconds, 60);
}

TEST(TinkerTest, FreqAndDriftfileAreMutuallyExclusive) {
  ParsedConfig parsed = Parse("driftfile /var/lib/ntp/drift\ntinker freq 3\n");
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(ErrorAt(2, "tinker freq and driftfile "
                                     "(test.conf:1) are mutually exclusive")));
}

TEST(TinkerTest, Errors) {
  ExpectSingleError("tinker", 1, "tinker: missing options");
  ExpectSingleError("tinker step -1", 1,
                    "tinker step: value '-1' is out of range 0..");
  ExpectSingleError("tinker step abc", 1, "tinker step: 'abc' is not a number");
  ExpectSingleError("tinker step 0x10", 1, "is not a number");
  ExpectSingleError("tinker step .", 1, "is not a number");
  ExpectSingleError("tinker step", 1, "tinker step: missing value");
  ExpectSingleError("tinker huffpuff 60", 1, "below the 900 s lower limit");
  ExpectSingleError("tinker freq 501", 1, "out of range -500..500");
  ExpectSingleError("tinker allan 1.5", 1, "is not an integer");
  ExpectSingleError("tinker wobble 1", 1, "tinker: unknown option 'wobble'");
  ExpectSingleError("tick 0", 1, "tick: value '0' is out of range");
  ExpectSingleError("tick", 1, "tick: missing value");
  ExpectSingleError("tick 0.01 0.02", 1, "tick: unexpected argument '0.02'");
  ParsedConfig parsed = ExpectSingleError("tinker panic 10 step -2", 1, "step");
  EXPECT_DOUBLE_EQ(parsed.config.tinker.panic_seconds, 1000);  // untouched
}

TEST(TosTest, EveryOption) {
  ParsedConfig parsed = ExpectClean(
      "tos minsane 2 minclock 4 maxclock 8 mindist 0.01 maxdist 2 orphan 11 "
      "orphanwait 60 cohort 1 floor 2 ceiling 12 beacon 900 bcpollbstep 3 "
      "basedate 2024-01-01\n");
  const TosConfig& t = parsed.config.tos;
  EXPECT_EQ(t.minsane, 2);
  EXPECT_EQ(t.minclock, 4);
  EXPECT_EQ(t.maxclock, 8);
  EXPECT_DOUBLE_EQ(t.mindist_seconds, 0.01);
  EXPECT_DOUBLE_EQ(t.maxdist_seconds, 2);
  EXPECT_EQ(t.orphan_stratum, 11);
  EXPECT_DOUBLE_EQ(t.orphanwait_seconds, 60);
  EXPECT_TRUE(t.cohort);
  EXPECT_EQ(t.floor, 2);
  EXPECT_EQ(t.ceiling, 12);
  EXPECT_DOUBLE_EQ(t.beacon_seconds, 900);
  EXPECT_EQ(t.bcpollbstep, 3);
  EXPECT_EQ(t.basedate, "2024-01-01");
  EXPECT_EQ(ExpectClean("tos basedate 45000\n").config.tos.basedate, "45000");
}

TEST(LeapSmearIntervalTest, ValueAndRange) {
  EXPECT_EQ(ExpectClean("leapsmearinterval 86400\n").config.leapsmearinterval_seconds, 86400);
  ExpectSingleError("leapsmearinterval 90000", 1, "out of range");
  ExpectSingleError("leapsmearinterval", 1, "leapsmearinterval: missing value");
}

TEST(TosTest, CorrectionBudget) {
  const TosConfig defaults = ExpectClean("tos minsane 1\n").config.tos;
  EXPECT_EQ(defaults.budget_seconds, 0);  // no budget
  EXPECT_EQ(defaults.budgetwindow_seconds, 86400);
  const TosConfig t = ExpectClean("tos budget 0.15 budgetwindow 3600\n").config.tos;
  EXPECT_DOUBLE_EQ(t.budget_seconds, 0.15);
  EXPECT_DOUBLE_EQ(t.budgetwindow_seconds, 3600);
  ExpectSingleError("tos budgetwindow 0", 1, "out of range");
  ExpectSingleError("tos budget -1", 1, "out of range");
}

TEST(TosTest, ConsistencyIsCheckedOverAllLines) {
  // minclock 1 alone would break minsane < minclock; the later line fixes it.
  ExpectClean("tos minclock 1\ntos minsane 0\n");
  ParsedConfig parsed = Parse("tos minsane 3\n");
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(ErrorAt(1, "tos: must have minsane (3) < minclock "
                                     "(3) <= maxclock (10)")));
  ExpectSingleError("tos minclock 5 maxclock 4", 1, "<= maxclock (4)");
  ExpectSingleError("tos floor 5 ceiling 5", 1,
                    "tos: floor (5) must be below ceiling (5)");
}

TEST(TosTest, Errors) {
  ExpectSingleError("tos", 1, "tos: missing options");
  ExpectSingleError("tos orphan 0", 1, "tos orphan: value '0' is out of range 1..16");
  ExpectSingleError("tos orphan 17", 1, "out of range 1..16");
  ExpectSingleError("tos ceiling 16", 1, "out of range 1..15");
  ExpectSingleError("tos cohort 2", 1, "tos cohort: '2' is not a boolean");
  ExpectSingleError("tos bcpollbstep 5", 1, "out of range 0..4");
  ExpectSingleError("tos maxdist 0", 1, "out of range");
  ExpectSingleError("tos basedate yesterday", 1,
                    "neither YYYY-MM-DD nor a day count");
  ExpectSingleError("tos minclock", 1, "tos minclock: missing value");
  ExpectSingleError("tos maxpoll 5", 1, "tos: unknown option 'maxpoll'");
}

TEST(EnableDisableTest, Flags) {
  ParsedConfig parsed = ExpectClean(
      "disable auth kernel monitor ntp stats unpeer_crypto_early "
      "unpeer_crypto_nak_early unpeer_digest_early\n"
      "enable bclient calibrate mode7\n");
  const SystemFlags& f = parsed.config.system;
  EXPECT_FALSE(f.auth || f.kernel || f.monitor || f.ntp || f.stats ||
               f.unpeer_crypto_early || f.unpeer_crypto_nak_early ||
               f.unpeer_digest_early);
  EXPECT_TRUE(f.bclient && f.calibrate && f.mode7);
  EXPECT_EQ(f.location->line, 2);
  ParsedConfig later = ExpectClean("disable monitor\nenable monitor\n");
  EXPECT_TRUE(later.config.system.monitor);
}

TEST(EnableDisableTest, Errors) {
  ExpectSingleError("enable", 1, "enable: missing options");
  ParsedConfig parsed =
      ExpectSingleError("disable kernel pps", 1, "disable: unknown option 'pps'");
  EXPECT_TRUE(parsed.config.system.kernel);  // whole line ignored
}

TEST(InterfaceTest, Rules) {
  ParsedConfig parsed = ExpectClean(
      "interface ignore wildcard\n"
      "interface listen ipv4\n"
      "interface drop ipv6\n"
      "nic listen all\n"
      "interface listen eth0\n"
      "interface ignore 192.168.1.1\n"
      "interface listen fe80::/10\n");
  const auto& r = parsed.config.interfaces;
  ASSERT_EQ(r.size(), 7u);
  using A = InterfaceRule::Action;
  using M = InterfaceRule::Match;
  EXPECT_EQ(r[0].action, A::kIgnore);
  EXPECT_EQ(r[0].match, M::kWildcard);
  EXPECT_EQ(r[1].match, M::kIpv4);
  EXPECT_EQ(r[2].action, A::kDrop);
  EXPECT_EQ(r[2].match, M::kIpv6);
  EXPECT_EQ(r[3].match, M::kAll);
  EXPECT_EQ(r[4].match, M::kName);
  EXPECT_EQ(r[4].name, "eth0");
  EXPECT_EQ(r[5].match, M::kAddress);
  EXPECT_EQ(r[5].address, *net::IpAddress::Parse("192.168.1.1"));
  EXPECT_EQ(r[5].prefix_length, -1);
  EXPECT_EQ(r[6].prefix_length, 10);
  EXPECT_EQ(r[6].location.line, 7);
}

TEST(InterfaceTest, Errors) {
  ExpectSingleError("interface listen", 1,
                    "interface: expected listen|ignore|drop and an interface");
  ExpectSingleError("interface open eth0", 1,
                    "interface: unknown action 'open'");
  ExpectSingleError("interface listen 10.0.0.1/33", 1, "invalid prefix length");
  ExpectSingleError("interface listen 10.0.0.300", 1, "invalid address");
  ExpectSingleError("interface listen eth0 eth1", 1,
                    "interface: unexpected argument 'eth1'");
}

TEST(MiscTest, BroadcastDelayAndNonvolatile) {
  ParsedConfig parsed =
      ExpectClean("broadcastdelay 0.008\nnonvolatile 1e-7\n");
  EXPECT_DOUBLE_EQ(*parsed.config.broadcastdelay_seconds, 0.008);
  EXPECT_DOUBLE_EQ(*parsed.config.drift_wander_threshold, 1e-7);
  ExpectSingleError("broadcastdelay -1", 1, "out of range");
  ExpectSingleError("broadcastdelay", 1, "broadcastdelay: missing value");
  ExpectSingleError("nonvolatile 2", 1, "nonvolatile: value '2' is out of range");
}

}  // namespace
}  // namespace ntp
