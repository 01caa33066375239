// driftfile / keys / keysdir / leapfile / logfile / pidfile / statsdir /
// saveconfigdir / trustedkey / requestkey / controlkey / statistics /
// filegen / logconfig / setvar, and the root-directory option.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
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

TEST(FilesTest, EveryPathDirective) {
  ParsedConfig parsed = ExpectClean(
      "driftfile /var/lib/ntp/drift\n"
      "keys /etc/ntp/keys\n"
      "keysdir /etc/ntp/\n"
      "leapfile /etc/ntp/leap-seconds.list ignorehash\n"
      "logfile \"/var/log/ntp stats.log\"\n"
      "pidfile /run/ntpd.pid\n"
      "statsdir /var/log/ntpstats/\n"
      "saveconfigdir /var/lib/ntp/saved\n");
  const NtpConfig& c = parsed.config;
  ASSERT_TRUE(c.driftfile && c.keys && c.keysdir && c.leapfile && c.logfile &&
              c.pidfile && c.statsdir && c.saveconfigdir);
  EXPECT_EQ(c.driftfile->path, "/var/lib/ntp/drift");
  EXPECT_EQ(c.driftfile->as_written, "/var/lib/ntp/drift");
  EXPECT_EQ(c.driftfile->location, (SourceLocation{"test.conf", 1, 11}));
  EXPECT_EQ(c.keys->path, "/etc/ntp/keys");
  EXPECT_EQ(c.keysdir->path, "/etc/ntp");  // normalised
  EXPECT_EQ(c.leapfile->path, "/etc/ntp/leap-seconds.list");
  EXPECT_TRUE(c.leapfile_ignore_hash);
  EXPECT_EQ(c.logfile->path, "/var/log/ntp stats.log");
  EXPECT_EQ(c.pidfile->path, "/run/ntpd.pid");
  EXPECT_EQ(c.statsdir->path, "/var/log/ntpstats");
  EXPECT_EQ(c.saveconfigdir->path, "/var/lib/ntp/saved");
}

TEST(FilesTest, RootDirectoryPrefixesAbsolutePathsOnly) {
  ParseOptions options;
  options.root_directory = "/tmp/root";
  ParsedConfig parsed = Parse(
      "driftfile /var/lib/ntp/drift\nkeys /etc/ntp/keys\n"
      "statsdir relative/stats\nleapfile /../../etc/leap\n",
      options);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  EXPECT_EQ(parsed.config.driftfile->path, "/tmp/root/var/lib/ntp/drift");
  EXPECT_EQ(parsed.config.driftfile->as_written, "/var/lib/ntp/drift");
  EXPECT_EQ(parsed.config.keys->path, "/tmp/root/etc/ntp/keys");
  EXPECT_EQ(parsed.config.statsdir->path, "relative/stats");
  EXPECT_EQ(parsed.config.leapfile->path, "/tmp/root/etc/leap");
}

TEST(FilesTest, DriftfileForms) {
  ParsedConfig disabled = ExpectClean("driftfile\n");
  ASSERT_TRUE(disabled.config.driftfile.has_value());
  EXPECT_EQ(disabled.config.driftfile->path, "");
  EXPECT_EQ(ExpectClean("driftfile \"\"\n").config.driftfile->path, "");
  ParsedConfig wander = ExpectClean("driftfile /var/lib/ntp/drift 1e-6\n");
  EXPECT_DOUBLE_EQ(*wander.config.drift_wander_threshold, 1e-6);
  ExpectSingleError("driftfile /a 2", 1, "driftfile wander threshold: value '2'");
  ExpectSingleError("driftfile /a 1e-6 x", 1, "driftfile: unexpected argument 'x'");
}

TEST(FilesTest, Errors) {
  ExpectSingleError("keys", 1, "keys: missing file name");
  ExpectSingleError("keys /etc/ntp/keys /etc/other", 1,
                    "keys: unexpected argument '/etc/other'");
  ExpectSingleError("logfile \"\"", 1, "logfile: empty path");
  ExpectSingleError("pidfile \"/run/a\x01\"", 1, "contains control characters");
  ExpectSingleError("leapfile /etc/leap checkall", 1,
                    "leapfile: unknown option 'checkall'");
}

TEST(KeysTest, TrustedRequestControl) {
  ParsedConfig parsed = ExpectClean(
      "keys /etc/ntp/keys\n"
      "trustedkey 4 8 42\n"
      "trustedkey (100 ... 110)\n"
      "requestkey 8\n"
      "controlkey 42\n");
  const NtpConfig& c = parsed.config;
  EXPECT_EQ(c.trusted_keys.ToString(), "4 8 42 (100 ... 110)");
  EXPECT_EQ(c.trusted_keys.size(), 14u);
  ASSERT_EQ(c.trustedkey_locations.size(), 2u);
  EXPECT_EQ(c.trustedkey_locations[1].line, 3);
  EXPECT_EQ(c.requestkey->key_id, 8u);
  EXPECT_EQ(c.requestkey->location.line, 4);
  EXPECT_EQ(c.controlkey->key_id, 42u);
}

TEST(KeysTest, UntrustedControlKeyWarns) {
  ParsedConfig parsed = Parse("keys /k\ntrustedkey 1\ncontrolkey 8\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(3, "controlkey key 8 is not listed in "
                                       "trustedkey")));
}

// ntpd 4.2.8 ignores an out-of-range ID or an empty range with a notice and
// keeps the rest of the line (ntp/auth/key_id_list.h).
TEST(KeysTest, IgnoredElementsWarn) {
  ParsedConfig parsed = Parse("keys /k\ntrustedkey 4 0 8 (9 ... 3)\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(2, "Ignoring invalid trustedkey 0"),
                          WarningAt(2, "Ignoring invalid trustedkey range 9 ... 3")));
  EXPECT_EQ(parsed.diagnostics[0].column, 14);
  EXPECT_EQ(parsed.config.trusted_keys.ToString(), "4 8");
}

TEST(KeysTest, Errors) {
  ParsedConfig parsed = ExpectSingleError("trustedkey 4 eight 8", 1,
                                          "trustedkey: 'eight' is not a key id");
  EXPECT_EQ(parsed.diagnostics[0].column, 14);
  EXPECT_TRUE(parsed.config.trusted_keys.empty());
  ExpectSingleError("trustedkey", 1, "trustedkey: missing key ID");
  ExpectSingleError("trustedkey (9 .. 3)", 1, "malformed range");
  ExpectSingleError("requestkey 0", 1, "requestkey: invalid key ID '0'");
  ExpectSingleError("controlkey 70000", 1, "must be 1..65535");
  ExpectSingleError("controlkey 1 2", 1, "controlkey: unexpected argument '2'");
}

TEST(StatisticsTest, StatisticsAndFilegen) {
  ParsedConfig parsed = ExpectClean(
      "statistics clockstats cryptostats loopstats peerstats\n"
      "statistics loopstats rawstats\n"
      "filegen loopstats file loops type week nolink disable\n"
      "filegen peerstats\n");
  EXPECT_THAT(parsed.config.statistics,
              ElementsAre(StatsType::kClockstats, StatsType::kCryptostats,
                          StatsType::kLoopstats, StatsType::kPeerstats,
                          StatsType::kRawstats));
  const FilegenConfig& loop = parsed.config.filegens.at(StatsType::kLoopstats);
  EXPECT_EQ(loop.file, "loops");
  EXPECT_EQ(loop.type, FilegenConfig::Type::kWeek);
  EXPECT_FALSE(loop.link);
  EXPECT_FALSE(loop.enabled);
  const FilegenConfig& peer = parsed.config.filegens.at(StatsType::kPeerstats);
  EXPECT_EQ(peer.type, FilegenConfig::Type::kDay);
  EXPECT_TRUE(peer.link);
  EXPECT_TRUE(peer.enabled);
  EXPECT_FALSE(peer.file.has_value());
}

TEST(StatisticsTest, Errors) {
  ExpectSingleError("statistics", 1, "statistics: missing statistics types");
  ParsedConfig parsed = ExpectSingleError(
      "statistics loopstats loopstat", 1,
      "statistics: unknown statistics type 'loopstat'");
  EXPECT_THAT(parsed.config.statistics, IsEmpty());
  ExpectSingleError("filegen", 1, "filegen: missing statistics type");
  ExpectSingleError("filegen stats", 1, "filegen: unknown statistics type");
  ExpectSingleError("filegen loopstats type hour", 1,
                    "filegen type: unknown type 'hour'");
  ExpectSingleError("filegen loopstats file", 1, "filegen file: missing value");
  ExpectSingleError("filegen loopstats rotate", 1,
                    "filegen: unknown option 'rotate'");
}

TEST(LogconfigTest, ValidAndInvalidItems) {
  ParsedConfig parsed =
      Parse("logconfig =syncstatus +sysevents -clockall allinfo peerbogus\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "logconfig: illegal argument peerbogus "
                                       "- ignored")));
  EXPECT_THAT(parsed.config.logconfig,
              ElementsAre("=syncstatus", "+sysevents", "-clockall", "allinfo"));
  ExpectSingleError("logconfig", 1, "logconfig: missing arguments");
}

TEST(SetvarTest, Forms) {
  ParsedConfig parsed = ExpectClean(
      "setvar Owner = \"The Boss\" default\n"
      "setvar site=lab\n"
      "setvar note= hello world\n");
  const auto& v = parsed.config.setvars;
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].name, "Owner");
  EXPECT_EQ(v[0].value, "The Boss");
  EXPECT_TRUE(v[0].is_default);
  EXPECT_EQ(v[1].name, "site");
  EXPECT_EQ(v[1].value, "lab");
  EXPECT_FALSE(v[1].is_default);
  EXPECT_EQ(v[2].value, "hello world");
  ExpectSingleError("setvar novalue", 1, "setvar: expected NAME = VALUE");
  ExpectSingleError("setvar", 1, "setvar: expected NAME = VALUE");
  ExpectSingleError("setvar = x", 1, "setvar: invalid variable name");
}

}  // namespace
}  // namespace ntp
