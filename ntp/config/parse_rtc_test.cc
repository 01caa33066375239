// The `rtc` directive (RtcConfig in config.h).
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/parser.h"
#include "ntp/config/parser_test_util.h"

namespace ntp {
namespace {

using ::ntp::testing::ExpectClean;
using ::ntp::testing::ExpectSingleError;

TEST(RtcTest, KernelModeIsTheDefault) {
  ParsedConfig parsed = ExpectClean("server 10.0.0.1\n");
  EXPECT_EQ(parsed.config.rtc.mode, RtcConfig::Mode::kKernel);
  EXPECT_FALSE(parsed.config.rtc.location.has_value());
  parsed = ExpectClean("rtc kernel\n");
  EXPECT_EQ(parsed.config.rtc.mode, RtcConfig::Mode::kKernel);
  EXPECT_TRUE(parsed.config.rtc.location.has_value());
}

TEST(RtcTest, WriteModeWithAndWithoutInterval) {
  ParsedConfig parsed = ExpectClean("rtc write\n");
  EXPECT_EQ(parsed.config.rtc.mode, RtcConfig::Mode::kWrite);
  EXPECT_DOUBLE_EQ(parsed.config.rtc.write_interval_seconds, 660);
  parsed = ExpectClean("rtc write interval 3600\n");
  EXPECT_DOUBLE_EQ(parsed.config.rtc.write_interval_seconds, 3600);
}

TEST(RtcTest, BadLinesNameTheLine) {
  ExpectSingleError("rtc", 1, "rtc: missing mode");
  ExpectSingleError("\nrtc hourly", 2, "rtc: unknown mode \"hourly\"");
  ExpectSingleError("rtc kernel now", 1, "");
  ExpectSingleError("rtc write every 60", 1, "expected `interval SECONDS`");
  ExpectSingleError("rtc write interval", 1, "expected `interval SECONDS`");
  ExpectSingleError("rtc write interval 5", 1, "out of range");
  ExpectSingleError("rtc write interval 100000", 1, "out of range");
}

}  // namespace
}  // namespace ntp
