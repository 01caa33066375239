#include "clock/fake_clock.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::IsOk;
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
