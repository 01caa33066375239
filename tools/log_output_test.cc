#include "tools/log_output.h"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "ntp/config/parser.h"
#include "ntp/testing/status_matchers.h"

namespace tools {
namespace {

using Kind = LogDestination::Kind;

ntp::NtpConfig Config(const std::string& text) {
  ntp::ParsedConfig parsed = ntp::ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok());
  return parsed.config;
}

TEST(ChooseLogDestinationTest, FlagWinsOverLogfileWhichWinsOverSyslog) {
  const ntp::NtpConfig with_logfile = Config("logfile /var/log/ntp.log\n");
  const ntp::NtpConfig without = Config("server 127.0.0.2\n");

  LogDestination d = ChooseLogDestination("/tmp/l.log", with_logfile, true);
  EXPECT_EQ(d.kind, Kind::kFile);
  EXPECT_EQ(d.path, "/tmp/l.log");
  EXPECT_TRUE(d.from_flag);

  d = ChooseLogDestination("", with_logfile, true);
  EXPECT_EQ(d.kind, Kind::kFile);
  EXPECT_EQ(d.path, "/var/log/ntp.log");
  EXPECT_FALSE(d.from_flag);

  EXPECT_EQ(ChooseLogDestination("", without, true).kind, Kind::kSyslog);
  EXPECT_EQ(ChooseLogDestination("", without, false).kind, Kind::kStderr);
}

TEST(SyslogPriorityTest, ByKind) {
  EXPECT_EQ(SyslogPriority(ntp::EventKind::kPanic), LOG_ERR);
  EXPECT_EQ(SyslogPriority(ntp::EventKind::kWarning), LOG_WARNING);
  EXPECT_EQ(SyslogPriority(ntp::EventKind::kSync), LOG_NOTICE);
  EXPECT_EQ(SyslogPriority(ntp::EventKind::kKissOfDeath), LOG_INFO);
}

TEST(RedirectStderrToFileTest, AppendsAndReportsAMissingDirectory) {
  EXPECT_THAT(RedirectStderrToFile("/nonexistent-dir/x.log"),
              ntp::testing::StatusIs(absl::StatusCode::kNotFound));
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/stderr.log";
  { std::ofstream(path) << "before\n"; }
  const int saved = dup(STDERR_FILENO);
  ASSERT_THAT(RedirectStderrToFile(path), ntp::testing::IsOk());
  std::fprintf(stderr, "a line\n");
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "before\na line\n");
}

}  // namespace
}  // namespace tools
