#include "clock/fake_clock.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::IsOkAndHolds;
using ::ntp::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(FakeClockTest, AdvancesWithFrequencyCorrection) {
  FakeClock clock(kStart);
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(clock.Now(), kStart + absl::Seconds(10));
  ASSERT_THAT(clock.SetFrequencyPpm(100), IsOk());
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(clock.Now(), kStart + absl::Seconds(20) + absl::Milliseconds(1));
}

TEST(FakeClockTest, SlewRunsAt500PpmAndStepCancelsIt) {
  FakeClock clock(kStart);
  ASSERT_THAT(clock.SlewBy(absl::Milliseconds(-1)), IsOk());
  clock.Advance(absl::Seconds(1));  // 0.5 ms of the slew
  EXPECT_EQ(clock.Now(), kStart + absl::Seconds(1) - absl::Microseconds(500));
  EXPECT_EQ(clock.slew_remaining(), absl::Microseconds(-500));
  clock.Advance(absl::Seconds(10));  // the rest, then nothing more
  EXPECT_EQ(clock.Now(), kStart + absl::Seconds(11) - absl::Milliseconds(1));
  EXPECT_EQ(clock.slew_remaining(), absl::ZeroDuration());
  ASSERT_THAT(clock.SlewBy(absl::Seconds(1)), IsOk());
  ASSERT_THAT(clock.StepBy(absl::Seconds(-2)), IsOk());
  EXPECT_EQ(clock.slew_remaining(), absl::ZeroDuration());
  EXPECT_EQ(clock.step_count(), 1);
  EXPECT_THAT(clock.operations(),
              ElementsAre("slew -1ms", "slew +1s", "step -2s"));
}

TEST(FakeClockTest, ValidatesAndRecordsStatus) {
  FakeClock clock(kStart);
  EXPECT_THAT(clock.SetFrequencyPpm(-501),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(clock.SetSyncStatus({.synchronized = true, .leap = LeapStatus::kDelete}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(ClockStatus status, clock.ReadStatus());
  EXPECT_TRUE(status.sync.synchronized);
  EXPECT_EQ(status.state, KernelTimeState::kDelete);
  EXPECT_THAT(clock.operations(), ElementsAre("sync synchronized leap=delete"));
}

TEST(FakeClockTest, AppliesExactlyByDefault) {
  FakeClock clock(kStart);
  const absl::Duration odd = absl::Nanoseconds(1234567) + absl::Nanoseconds(1) / 4;
  EXPECT_THAT(clock.StepBy(odd), IsOkAndHolds(odd));
  EXPECT_THAT(clock.SlewBy(-odd), IsOkAndHolds(-odd));
  EXPECT_THAT(clock.SetFrequencyPpm(1.0 / 3), IsOkAndHolds(1.0 / 3));
  EXPECT_EQ(clock.Now(), kStart + odd);
  EXPECT_THAT(clock.SlewBy(absl::InfiniteDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FakeClockTest, ResolutionRoundsWhatIsAppliedAndReturned) {
  FakeClock clock(kStart);
  clock.set_resolution({.step = absl::Microseconds(1),
                        .slew = absl::Microseconds(100),
                        .frequency_ppm = 0.25});
  // Steps floored, slews and frequencies to the nearest unit.
  EXPECT_THAT(clock.StepBy(absl::Nanoseconds(-1500)), IsOkAndHolds(absl::Microseconds(-2)));
  EXPECT_EQ(clock.Now(), kStart - absl::Microseconds(2));
  EXPECT_THAT(clock.SlewBy(absl::Microseconds(-149)), IsOkAndHolds(absl::Microseconds(-100)));
  EXPECT_THAT(clock.SlewBy(absl::Microseconds(150)), IsOkAndHolds(absl::Microseconds(200)));
  EXPECT_EQ(clock.slew_remaining(), absl::Microseconds(200));
  EXPECT_THAT(clock.SetFrequencyPpm(-12.4), IsOkAndHolds(-12.5));
  EXPECT_EQ(clock.frequency_ppm(), -12.5);
  // Never beyond the limit: 499.9 would round to 500 within +-499.9.
  clock.set_max_frequency_ppm(499.9);
  EXPECT_THAT(clock.SetFrequencyPpm(499.9), IsOkAndHolds(499.75));
  EXPECT_THAT(clock.operations(),
              ElementsAre("step -2us", "slew -100us", "slew +200us", "freq -12.500ppm",
                          "freq 499.750ppm"));
}

TEST(FakeClockTest, ReadOnlyRefusesWrites) {
  FakeClock clock(kStart);
  clock.set_read_only(true);
  EXPECT_THAT(clock.StepBy(absl::Seconds(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(clock.SlewBy(absl::Seconds(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(clock.SetFrequencyPpm(1),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(clock.Now(), kStart);
  EXPECT_TRUE(clock.operations().empty());
}

}  // namespace
}  // namespace clocks
