#include "ntp/client/clock_steering.h"

#include <cmath>

#include "clock/fake_clock.h"
#include "clock/manual_scheduler.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;

// FakeClock's elapsed time is true time; advancing both together in small
// steps keeps the clock and the scheduler's timers consistent.
class SteeringTest : public ::testing::Test {
 protected:
  SteeringTest()
      : scheduler_(absl::FromUnixSeconds(1000)),
        clock_(absl::FromUnixSeconds(1704067200)),
        start_clock_(clock_.Now()) {}

  void Run(double seconds) {
    const absl::Time end = scheduler_.Now() + absl::Seconds(seconds);
    while (scheduler_.Now() < end) {
      absl::Time next = end;
      if (auto due = scheduler_.NextDue(); due.has_value() && *due < next) next = *due;
      clock_.Advance(next - scheduler_.Now());
      scheduler_.AdvanceTo(next);
    }
  }
  // Phase the clock gained over true time since the start.
  double Gained() {
    return absl::ToDoubleSeconds(clock_.Now() - start_clock_) -
           absl::ToDoubleSeconds(scheduler_.Now() - absl::FromUnixSeconds(1000));
  }

  clocks::ManualScheduler scheduler_;
  clocks::FakeClock clock_;
  absl::Time start_clock_;
};

TEST_F(SteeringTest, LedgerMatchesTheClockThroughEveryKindOfChange) {
  ClockSteering steering(&clock_, &scheduler_, scheduler_.Now());
  ASSERT_THAT(steering.SetBaseFrequency(-12.5), IsOk());
  Run(100);
  EXPECT_NEAR(steering.CorrectionAt(steering.Now()), Gained(), 1e-9);
  ASSERT_THAT(steering.CorrectPhase(0.1), IsOk());  // large: kernel slew + frequency
  Run(30);
  EXPECT_NEAR(steering.CorrectionAt(steering.Now()), Gained(), 1e-9);
  ASSERT_THAT(steering.CorrectPhase(-0.00002), IsOk());  // replaces it
  Run(0.5);
  ASSERT_THAT(steering.SetBaseFrequency(3), IsOk());  // mid-correction
  Run(10);
  EXPECT_NEAR(steering.CorrectionAt(steering.Now()), Gained(), 1e-9);
  ASSERT_THAT(steering.Step(-0.25), IsOk());
  Run(5);
  EXPECT_NEAR(steering.CorrectionAt(steering.Now()), Gained(), 1e-9);
  EXPECT_FALSE(steering.correcting());
}

TEST_F(SteeringTest, LedgerAnswersForPastTimes) {
  ClockSteering steering(&clock_, &scheduler_, scheduler_.Now());
  ASSERT_THAT(steering.SetBaseFrequency(100), IsOk());
  Run(10);
  const double at10 = steering.CorrectionAt(10);
  ASSERT_THAT(steering.CorrectPhase(0.001), IsOk());
  Run(20);
  EXPECT_DOUBLE_EQ(steering.CorrectionAt(10), at10);
  EXPECT_NEAR(at10, 100e-6 * 10, 1e-12);
  // Within the kernel frequency resolution (2^-16 ppm) over the correction.
  EXPECT_NEAR(steering.CorrectionAt(30), 100e-6 * 30 + 0.001, 1e-9);
}

TEST_F(SteeringTest, SmallCorrectionUsesTheFrequencyForAtLeastOneSecond) {
  ClockSteering steering(&clock_, &scheduler_, scheduler_.Now());
  ASSERT_THAT(steering.CorrectPhase(50e-6), IsOk());
  EXPECT_NEAR(clock_.frequency_ppm(), 50.0, 1e-9);
  EXPECT_EQ(clock_.slew_remaining(), absl::ZeroDuration());
  Run(1.0);
  EXPECT_NEAR(clock_.frequency_ppm(), 0.0, 1e-9);
  EXPECT_NEAR(Gained(), 50e-6, 1e-12);
}

TEST_F(SteeringTest, LargeCorrectionRunsKernelSlewAndFrequencyTogether) {
  ClockSteering steering(&clock_, &scheduler_, scheduler_.Now());
  ASSERT_THAT(steering.CorrectPhase(-0.1), IsOk());
  EXPECT_LT(clock_.slew_remaining(), absl::ZeroDuration());
  EXPECT_NEAR(clock_.frequency_ppm(), -500.0, 1e-9);
  Run(99);
  EXPECT_TRUE(steering.correcting());
  Run(2);  // 0.1 s at 1000 ppm: 100 s
  EXPECT_FALSE(steering.correcting());
  EXPECT_NEAR(Gained(), -0.1, 1e-9);
  EXPECT_NEAR(clock_.frequency_ppm(), 0.0, 1e-9);
}

TEST_F(SteeringTest, KernelSlewOnlyLeavesNoFrequencyBehind) {
  SteeringOptions options;
  options.kernel_slew_only = true;
  ClockSteering steering(&clock_, &scheduler_, scheduler_.Now(), options);
  ASSERT_THAT(steering.CorrectPhase(0.05), IsOk());
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), 0.0);
  Run(101);
  EXPECT_NEAR(Gained(), 0.05, 1e-9);
}

TEST_F(SteeringTest, FrequencyIsClampedToTheLimit) {
  ClockSteering steering(&clock_, &scheduler_, scheduler_.Now());
  ASSERT_THAT(steering.SetBaseFrequency(900), IsOk());
  EXPECT_DOUBLE_EQ(steering.base_frequency_ppm(), 500.0);
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), 500.0);
}

TEST_F(SteeringTest, FinishEndsTheCorrection) {
  ClockSteering steering(&clock_, &scheduler_, scheduler_.Now());
  ASSERT_THAT(steering.CorrectPhase(0.01), IsOk());
  ASSERT_THAT(steering.Finish(), IsOk());
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), 0.0);
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(SteeringTest, ClockErrorsArePassedOn) {
  ClockSteering steering(&clock_, &scheduler_, scheduler_.Now());
  clock_.set_read_only(true);
  EXPECT_FALSE(steering.Step(1.0).ok());
  EXPECT_FALSE(steering.CorrectPhase(0.001).ok());
  EXPECT_DOUBLE_EQ(steering.CorrectionAt(steering.Now()), 0.0);
  EXPECT_FALSE(steering.CorrectPhase(std::nan("")).ok());
}

}  // namespace
}  // namespace ntp
