#include "ntp/client/discipline.h"

#include <string>
#include <vector>

#include "clock/fake_clock.h"
#include "clock/manual_scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::testing::HasSubstr;

class Sink final : public EventSink {
 public:
  void OnEvent(const Event& e) override { events.push_back(e); }
  std::vector<Event> events;
};

class DisciplineTest : public ::testing::Test {
 protected:
  DisciplineTest()
      : clock_(absl::FromUnixSeconds(1704067200)),
        steering_(&clock_, &scheduler_, scheduler_.Now()) {}
  clocks::ManualScheduler scheduler_;
  clocks::FakeClock clock_;
  ClockSteering steering_;
  Sink sink_;
};

TEST_F(DisciplineTest, StateTableOfRfc5905Figure28) {
  Discipline d(&steering_, &sink_, DisciplineOptions{});
  ASSERT_THAT(d.Start(std::nullopt), IsOk());
  EXPECT_EQ(d.state(), DisciplineState::kNset);
  // NSET, |theta| > STEPT: step.
  EXPECT_EQ(d.Update(10, 0.5, 0.0).outcome, UpdateOutcome::kStepped);
  EXPECT_EQ(d.state(), DisciplineState::kSync);
  // SYNC, small: slew.
  EXPECT_EQ(d.Update(20, 0.01, 0.0).outcome, UpdateOutcome::kSlewed);
  // SYNC, big: spike, ignored.
  EXPECT_EQ(d.Update(30, 0.3, 0.0).outcome, UpdateOutcome::kIgnored);
  EXPECT_EQ(d.state(), DisciplineState::kSpike);
  // Still big before the stepout (300 s): ignored.
  EXPECT_EQ(d.Update(300, 0.3, 0.0).outcome, UpdateOutcome::kIgnored);
  // After the stepout: step.
  EXPECT_EQ(d.Update(331, 0.3, 0.0).outcome, UpdateOutcome::kStepped);
  EXPECT_EQ(d.step_count(), 2);
  // SPIK back to small: slew, SYNC.
  EXPECT_EQ(d.Update(400, 0.3, 0.0).outcome, UpdateOutcome::kIgnored);
  EXPECT_EQ(d.Update(464, 0.001, 0.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_EQ(d.state(), DisciplineState::kSync);
}

TEST_F(DisciplineTest, DriftFileStartsInFsetAndSetsTheFrequency) {
  Discipline d(&steering_, &sink_, DisciplineOptions{});
  ASSERT_THAT(d.Start(-17.25), IsOk());
  EXPECT_EQ(d.state(), DisciplineState::kFset);
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), -17.25);
  EXPECT_EQ(d.Update(5, 0.05, -17.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_DOUBLE_EQ(d.frequency_ppm(), -17.0);
}

TEST_F(DisciplineTest, PanicUnlessMinusG) {
  Discipline d(&steering_, &sink_, DisciplineOptions{});
  ASSERT_THAT(d.Start(std::nullopt), IsOk());
  UpdateResult r = d.Update(5, -2000.0, 0.0);
  EXPECT_EQ(r.outcome, UpdateOutcome::kPanic);
  EXPECT_EQ(clock_.step_count(), 0);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].kind, EventKind::kPanic);
  EXPECT_EQ(sink_.events[0].text,
            "time correction of -2000 seconds exceeds sanity limit (1000); set clock "
            "manually to the correct UTC time.");
}

TEST_F(DisciplineTest, MinusGAllowsExactlyOneBigCorrection) {
  DisciplineOptions o;
  o.allow_big_first_step = true;
  Discipline d(&steering_, &sink_, o);
  ASSERT_THAT(d.Start(std::nullopt), IsOk());
  EXPECT_EQ(d.Update(5, 3600.0, 0.0).outcome, UpdateOutcome::kStepped);
  EXPECT_EQ(clock_.step_count(), 1);
  EXPECT_EQ(d.Update(2000, 3600.0, 0.0).outcome, UpdateOutcome::kPanic);
}

TEST_F(DisciplineTest, MinusGIsUsedUpByTheFirstUpdateWhateverItIs) {
  DisciplineOptions o;
  o.allow_big_first_step = true;
  Discipline d(&steering_, &sink_, o);
  ASSERT_THAT(d.Start(std::nullopt), IsOk());
  EXPECT_EQ(d.Update(5, 0.001, 0.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_FALSE(d.panic_allowance_left());
}

TEST_F(DisciplineTest, MinusXRaisesTheStepThresholdTo600Seconds) {
  DisciplineOptions o;
  o.never_step = true;
  Discipline d(&steering_, &sink_, o);
  ASSERT_THAT(d.Start(std::nullopt), IsOk());
  EXPECT_DOUBLE_EQ(d.step_threshold_seconds(), 600.0);
  EXPECT_EQ(d.Update(5, 30.0, 0.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_EQ(clock_.step_count(), 0);
}

TEST_F(DisciplineTest, TinkerStepZeroNeverSteps) {
  DisciplineOptions o;
  o.step_threshold_seconds = 0;
  Discipline d(&steering_, &sink_, o);
  ASSERT_THAT(d.Start(std::nullopt), IsOk());
  EXPECT_EQ(d.Update(5, 5.0, 0.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_EQ(clock_.step_count(), 0);
}

TEST_F(DisciplineTest, FrequencyBeyondToleranceIsClampedWithNtpdsWarning) {
  Discipline d(&steering_, &sink_, DisciplineOptions{});
  ASSERT_THAT(d.Start(std::nullopt), IsOk());
  EXPECT_EQ(d.Update(5, 0.0, 612.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_DOUBLE_EQ(d.frequency_ppm(), 500.0);
  ASSERT_FALSE(sink_.events.empty());
  EXPECT_THAT(sink_.events[0].text, HasSubstr("frequency error 612 PPM exceeds tolerance 500 PPM"));
}

TEST(DisciplineStateNameTest, Names) {
  EXPECT_STREQ(DisciplineStateName(DisciplineState::kNset), "NSET");
  EXPECT_STREQ(DisciplineStateName(DisciplineState::kSpike), "SPIK");
}

}  // namespace
}  // namespace ntp
