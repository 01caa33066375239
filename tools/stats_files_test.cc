#include "tools/stats_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/parser.h"

namespace tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s, absl::Duration extra = {}) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone()) + extra;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

ntp::PeerStatsRecord Peer(absl::Time at) {
  ntp::PeerStatsRecord r;
  r.clock_time = at;
  r.peer = net::IpAddress::V4(0x7F000002);
  r.status = 0x9614;
  r.offset = absl::Microseconds(-123.456);
  r.delay = absl::Microseconds(234.5);
  r.dispersion = absl::Milliseconds(1.5);
  r.jitter = absl::Nanoseconds(45678);
  return r;
}

ntp::LoopStatsRecord Loop(absl::Time at) {
  ntp::LoopStatsRecord r;
  r.clock_time = at;
  r.offset = absl::Nanoseconds(123456);
  r.frequency_ppm = -12.3456;
  r.jitter = absl::Nanoseconds(45678);
  r.wander_ppm = 0.0123454;
  r.poll_log2 = 6;
  return r;
}

// A fresh directory under TEST_TMPDIR, with a trailing '/'.
std::string FreshDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, "/");
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
  mkdir(dir.c_str(), 0755);
  return dir;
}

TEST(StatsLinesTest, PeerstatsInNtpdsFormat) {
  // 2022-01-01 is MJD 59580; 01:00:15.0175 is 3615.018 s past midnight.
  EXPECT_EQ(FormatPeerStatsLine(Peer(Utc(2022, 1, 1, 1, 0, 15, absl::Microseconds(17500)))),
            "59580 3615.018 127.0.0.2 9614 -0.000123456 0.000234500 0.001500000 0.000045678");
}

TEST(StatsLinesTest, LoopstatsInNtpdsFormat) {
  EXPECT_EQ(FormatLoopStatsLine(Loop(Utc(2022, 1, 1, 0, 0, 5))),
            "59580 5.000 0.000123456 -12.346 0.000045678 0.012345 6");
}

TEST(StatsLinesTest, SecondsRoundToMillisecondsWithinTheDay) {
  EXPECT_THAT(FormatLoopStatsLine(Loop(Utc(2022, 1, 1, 0, 0, 0, absl::Microseconds(999)))),
              HasSubstr("59580 0.001 "));
  EXPECT_THAT(FormatLoopStatsLine(Loop(Utc(2021, 12, 31, 23, 59, 59,
                                           absl::Microseconds(999400)))),
              HasSubstr("59579 86399.999 "));
  EXPECT_THAT(FormatLoopStatsLine(Loop(absl::UnixEpoch())), HasSubstr("40587 0.000 "));
}

TEST(StatsFileNameTest, TypesNameTheirFiles) {
  const absl::Time t = Utc(2022, 3, 7, 12, 0, 0);
  StatsFileSet set{"/s/peerstats", ntp::FilegenConfig::Type::kDay, true};
  EXPECT_EQ(StatsFileName(set, t), "/s/peerstats.20220307");
  set.type = ntp::FilegenConfig::Type::kMonth;
  EXPECT_EQ(StatsFileName(set, t), "/s/peerstats.202203");
  set.type = ntp::FilegenConfig::Type::kYear;
  EXPECT_EQ(StatsFileName(set, t), "/s/peerstats.2022");
  set.type = ntp::FilegenConfig::Type::kNone;
  EXPECT_EQ(StatsFileName(set, t), "/s/peerstats");
}

TEST(StatsFilesOptionsTest, FromTheConfiguration) {
  ntp::ParsedConfig parsed = ntp::ParseNtpConfText(
      "statsdir /var/log/ntpstats\n"
      "statistics loopstats peerstats\n"
      "filegen peerstats file peers type none nolink enable\n"
      "filegen loopstats file loops type day disable\n",
      "test.conf", nullptr);
  ASSERT_TRUE(parsed.ok());
  StatsFilesOptions options = StatsFilesOptionsFromConfig(parsed.config);
  EXPECT_FALSE(options.loopstats.has_value());
  ASSERT_TRUE(options.peerstats.has_value());
  EXPECT_EQ(options.peerstats->prefix, "/var/log/ntpstats/peers");
  EXPECT_EQ(options.peerstats->type, ntp::FilegenConfig::Type::kNone);
  EXPECT_FALSE(options.peerstats->link);
}

TEST(StatsFilesOptionsTest, DefaultsAndDisableStats) {
  ntp::ParsedConfig parsed =
      ntp::ParseNtpConfText("statistics loopstats\n", "test.conf", nullptr);
  ASSERT_TRUE(parsed.ok());
  StatsFilesOptions options = StatsFilesOptionsFromConfig(parsed.config);
  ASSERT_TRUE(options.loopstats.has_value());
  EXPECT_EQ(options.loopstats->prefix, "/var/NTP/loopstats");
  EXPECT_EQ(options.loopstats->type, ntp::FilegenConfig::Type::kDay);
  EXPECT_FALSE(options.peerstats.has_value());  // not named anywhere

  parsed = ntp::ParseNtpConfText("statistics loopstats\ndisable stats\n", "test.conf", nullptr);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(StatsFilesOptionsFromConfig(parsed.config).loopstats.has_value());
}

TEST(StatsFilesTest, AppendsLinesAndStartsANewFileEachUtcDay) {
  const std::string dir = FreshDir("day");
  std::vector<std::string> log;
  {
    StatsFiles files({{StatsFileSet{dir + "loopstats", ntp::FilegenConfig::Type::kDay, true}},
                      {StatsFileSet{dir + "peerstats", ntp::FilegenConfig::Type::kDay, true}}},
                     [&](const std::string& line) { log.push_back(line); });
    files.OnPeerStats(Peer(Utc(2022, 1, 1, 23, 59, 59)));
    files.OnLoopStats(Loop(Utc(2022, 1, 1, 23, 59, 59, absl::Milliseconds(500))));
    files.OnPeerStats(Peer(Utc(2022, 1, 2, 0, 0, 1)));
    EXPECT_EQ(files.counters().lines_written, 3u);
    EXPECT_EQ(files.counters().failures, 0u);
  }
  EXPECT_THAT(log, IsEmpty());
  EXPECT_EQ(Read(dir + "peerstats.20220101"),
            "59580 86399.000 127.0.0.2 9614 -0.000123456 0.000234500 0.001500000 "
            "0.000045678\n");
  EXPECT_EQ(Read(dir + "peerstats.20220102"),
            "59581 1.000 127.0.0.2 9614 -0.000123456 0.000234500 0.001500000 0.000045678\n");
  EXPECT_EQ(Read(dir + "loopstats.20220101"),
            "59580 86399.500 0.000123456 -12.346 0.000045678 0.012345 6\n");
  // The bare prefix is a hard link to the current file (ntpd's `link`).
  EXPECT_EQ(Read(dir + "peerstats"), Read(dir + "peerstats.20220102"));
  EXPECT_EQ(Read(dir + "loopstats"), Read(dir + "loopstats.20220101"));

  // Opened for append: a second writer (a restart) adds to the day's file.
  StatsFiles again({{}, {StatsFileSet{dir + "peerstats", ntp::FilegenConfig::Type::kDay, false}}},
                   [&](const std::string& line) { log.push_back(line); });
  again.OnLoopStats(Loop(Utc(2022, 1, 2, 0, 0, 2)));  // not configured: dropped
  again.OnPeerStats(Peer(Utc(2022, 1, 2, 0, 0, 2)));
  EXPECT_EQ(again.counters().lines_written, 1u);
  EXPECT_EQ(Read(dir + "peerstats.20220102"),
            "59581 1.000 127.0.0.2 9614 -0.000123456 0.000234500 0.001500000 0.000045678\n"
            "59581 2.000 127.0.0.2 9614 -0.000123456 0.000234500 0.001500000 0.000045678\n");
  EXPECT_FALSE(Exists(dir + "loopstats.20220102"));
}

TEST(StatsFilesTest, TypeNoneWritesThePrefixItself) {
  const std::string dir = FreshDir("none");
  StatsFiles files({{StatsFileSet{dir + "loops", ntp::FilegenConfig::Type::kNone, true}}, {}},
                   [](const std::string&) {});
  files.OnLoopStats(Loop(Utc(2022, 1, 1, 0, 0, 5)));
  files.OnLoopStats(Loop(Utc(2022, 1, 2, 0, 0, 5)));
  EXPECT_EQ(Read(dir + "loops"),
            "59580 5.000 0.000123456 -12.346 0.000045678 0.012345 6\n"
            "59581 5.000 0.000123456 -12.346 0.000045678 0.012345 6\n");
}

TEST(StatsFilesTest, FailuresAreCountedAndLoggedOnceAnHour) {
  const std::string dir = FreshDir("fail");
  // The statistics "directory" is a regular file: every open fails.
  const std::string not_a_dir = dir + "file";
  { std::ofstream(not_a_dir) << "x"; }
  std::vector<std::string> log;
  StatsFiles files({{}, {StatsFileSet{not_a_dir + "/peerstats",
                                      ntp::FilegenConfig::Type::kDay, true}}},
                   [&](const std::string& line) { log.push_back(line); });
  const absl::Time t0 = Utc(2022, 1, 1, 0, 0, 0);
  for (int i = 0; i < 10; ++i) files.OnPeerStats(Peer(t0 + absl::Minutes(i)));
  EXPECT_EQ(files.counters().failures, 10u);
  EXPECT_EQ(files.counters().lines_written, 0u);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("peerstats: can't open "));
  EXPECT_THAT(log[0], HasSubstr("Not a directory (1 record dropped)"));
  files.OnPeerStats(Peer(t0 + absl::Minutes(61)));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_THAT(log[1], HasSubstr("(10 records dropped in the last hour)"));
}

TEST(StatsFilesTest, UnsupportedTypesAreWrittenAsDays) {
  const std::string dir = FreshDir("week");
  std::vector<std::string> log;
  StatsFiles files({{StatsFileSet{dir + "loopstats", ntp::FilegenConfig::Type::kWeek, false}},
                    {}},
                   [&](const std::string& line) { log.push_back(line); });
  EXPECT_THAT(log, ElementsAre("filegen loopstats type week is not supported: written as "
                               "type day"));
  files.OnLoopStats(Loop(Utc(2022, 1, 1, 0, 0, 5)));
  EXPECT_TRUE(Exists(dir + "loopstats.20220101"));
  EXPECT_FALSE(Exists(dir + "loopstats"));  // nolink
}

}  // namespace
}  // namespace tools
