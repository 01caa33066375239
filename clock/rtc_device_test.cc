// RtcDevice: the read-only mode never writes, a missing device is
// Unavailable, and the machine's RTC (if any) reads as a plausible time.
// Tests never open an RTC for writing.
#include "clock/rtc_device.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::StatusIs;

TEST(RtcDeviceTest, ReadOnlyRefusesToWriteWithoutOpeningTheDevice) {
  // A path that cannot be opened: a write that tried would fail otherwise.
  RtcDevice rtc("/nonexistent/rtc", RtcDevice::Mode::kReadOnly);
  EXPECT_THAT(rtc.Write(absl::FromUnixSeconds(1700000000)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(RtcDeviceTest, MissingDeviceIsUnavailable) {
  RtcDevice rtc("/nonexistent/rtc", RtcDevice::Mode::kReadWrite);
  EXPECT_THAT(rtc.Read().status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(rtc.Write(absl::FromUnixSeconds(1700000000)),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(rtc.Describe(), "/nonexistent/rtc");
}

TEST(RtcDeviceTest, TheMachinesRtcReadsAPlausibleTime) {
  const std::string path = RtcDevice::FindDevice();
  if (path.empty()) GTEST_SKIP() << "this machine has no /dev/rtc0 or /dev/rtc";
  RtcDevice rtc(path, RtcDevice::Mode::kReadOnly);
  absl::StatusOr<absl::Time> time = rtc.Read();
  if (!time.ok() && absl::IsPermissionDenied(time.status())) {
    GTEST_SKIP() << "no permission to read " << path;
  }
  ASSERT_TRUE(time.ok()) << time.status();
  // Within a day of the system clock (an RTC kept in local time would be
  // hours off, but not a day).
  EXPECT_LT(absl::AbsDuration(*time - absl::Now()), absl::Hours(24));
}

}  // namespace
}  // namespace clocks
