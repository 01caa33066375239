#include "ntp/client/discipline.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "clock/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ntp {
namespace {

using ::testing::HasSubstr;

constexpr TimerKey kEndTimer = 3;
const absl::Time kOrigin = absl::FromUnixSeconds(1000);

class Sink final : public EventSink {
 public:
  void OnEvent(const Event& e) override { events.push_back(e); }
  std::vector<std::string> Texts(EventKind kind) const {
    std::vector<std::string> out;
    for (const Event& e : events) {
      if (e.kind == kind) out.push_back(e.text);
    }
    return out;
  }
  std::vector<Event> events;
};

// The discipline over a ClockSteering driven as ntp::Host would: each call
// runs inside a Dispatch at engine time `t`; the ClockOperation actions are
// carried out on a FakeClock and answered with ClockResultInputs.
class DisciplineTest : public ::testing::Test {
 protected:
  DisciplineTest() : clock_(absl::FromUnixSeconds(1704067200)) {}

  void Make(const DisciplineOptions& options) {
    ClockCapabilities caps;
    caps.max_frequency_ppm = clock_.MaxFrequencyPpm();
    steering_ = std::make_unique<ClockSteering>(&dispatch_, &sink_, kOrigin, kEndTimer, caps);
    discipline_ = std::make_unique<Discipline>(steering_.get(), &sink_, options);
  }
  void Start(std::optional<double> ppm) {
    Call(0, [&] { discipline_->Start(ppm); });
  }
  UpdateResult Update(double t, double offset, std::optional<double> ppm) {
    UpdateResult result;
    Call(t, [&] { result = discipline_->Update(t, offset, ppm); });
    return result;
  }
  template <typename F>
  void Call(double t, F f) {
    now_ = kOrigin + absl::Seconds(t);
    actions_.Clear();
    dispatch_.now = Readings{now_, clock_.Now()};
    dispatch_.out = &actions_;
    f();
    dispatch_.out = nullptr;
    std::vector<ClockResultInput> results;
    for (const Action& action : actions_.list()) {
      const auto* op = std::get_if<ClockOperation>(&action);
      if (op == nullptr) continue;  // timers: the tests never let them fire
      asked_.push_back(*op);
      ClockResultInput r;
      r.now = dispatch_.now;
      r.id = op->id;
      r.kind = op->kind;
      if (op->kind == ClockOpKind::kStep) {
        absl::StatusOr<absl::Duration> applied = clock_.StepBy(op->offset);
        r.status = applied.status();
        if (applied.ok()) r.applied_offset = *applied;
      } else if (op->kind == ClockOpKind::kSlew) {
        absl::StatusOr<absl::Duration> applied = clock_.SlewBy(op->offset);
        r.status = applied.status();
        if (applied.ok()) r.applied_offset = *applied;
      } else if (op->kind == ClockOpKind::kFrequency) {
        absl::StatusOr<double> applied = clock_.SetFrequencyPpm(op->ppm);
        r.status = applied.status();
        if (applied.ok()) r.applied_ppm = *applied;
      }
      results.push_back(r);
    }
    for (const ClockResultInput& r : results) steering_->OnClockResult(r);
  }
  int Asked(ClockOpKind kind) const {
    int n = 0;
    for (const ClockOperation& op : asked_) n += op.kind == kind;
    return n;
  }

  absl::Time now_ = kOrigin;
  clocks::FakeClock clock_;
  Dispatch dispatch_;
  Actions actions_;
  Sink sink_;
  std::vector<ClockOperation> asked_;
  std::unique_ptr<ClockSteering> steering_;
  std::unique_ptr<Discipline> discipline_;
};

TEST_F(DisciplineTest, StateTableOfRfc5905Figure28) {
  Make(DisciplineOptions{});
  Start(std::nullopt);
  EXPECT_EQ(discipline_->state(), DisciplineState::kNset);
  // NSET, |theta| > STEPT: step.
  EXPECT_EQ(Update(10, 0.5, 0.0).outcome, UpdateOutcome::kStepped);
  EXPECT_EQ(discipline_->state(), DisciplineState::kSync);
  EXPECT_EQ(clock_.step_count(), 1);
  // SYNC, small: slew.
  EXPECT_EQ(Update(20, 0.01, 0.0).outcome, UpdateOutcome::kSlewed);
  // SYNC, big: spike, ignored.
  EXPECT_EQ(Update(30, 0.3, 0.0).outcome, UpdateOutcome::kIgnored);
  EXPECT_EQ(discipline_->state(), DisciplineState::kSpike);
  // Still big before the stepout (300 s): ignored.
  EXPECT_EQ(Update(300, 0.3, 0.0).outcome, UpdateOutcome::kIgnored);
  EXPECT_EQ(clock_.step_count(), 1);
  // After the stepout: step.
  EXPECT_EQ(Update(331, 0.3, 0.0).outcome, UpdateOutcome::kStepped);
  EXPECT_EQ(discipline_->step_count(), 2);
  EXPECT_EQ(clock_.step_count(), 2);
  // SPIK back to small: slew, SYNC.
  EXPECT_EQ(Update(400, 0.3, 0.0).outcome, UpdateOutcome::kIgnored);
  EXPECT_EQ(Update(464, 0.001, 0.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_EQ(discipline_->state(), DisciplineState::kSync);
  // The clock applied the two steps (0.5 + 0.3 s) and nothing else at once.
  EXPECT_EQ(clock_.operations()[1], "step +500ms");
  EXPECT_EQ(sink_.Texts(EventKind::kClockStep),
            (std::vector<std::string>{"time reset +0.500000 s", "time reset +0.300000 s"}));
}

TEST_F(DisciplineTest, DriftFileStartsInFsetAndSetsTheFrequency) {
  Make(DisciplineOptions{});
  Start(-17.25);
  EXPECT_EQ(discipline_->state(), DisciplineState::kFset);
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), -17.25);
  EXPECT_DOUBLE_EQ(steering_->applied_frequency_ppm(), -17.25);
  EXPECT_EQ(Update(5, 0.05, -17.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_DOUBLE_EQ(discipline_->frequency_ppm(), -17.0);
}

TEST_F(DisciplineTest, PanicUnlessMinusG) {
  Make(DisciplineOptions{});
  Start(std::nullopt);
  const size_t asked = asked_.size();
  UpdateResult r = Update(5, -2000.0, 0.0);
  EXPECT_EQ(r.outcome, UpdateOutcome::kPanic);
  EXPECT_EQ(asked_.size(), asked);  // the clock is untouched
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
  Make(o);
  Start(std::nullopt);
  EXPECT_EQ(Update(5, 3600.0, 0.0).outcome, UpdateOutcome::kStepped);
  EXPECT_EQ(clock_.step_count(), 1);
  EXPECT_EQ(Update(2000, 3600.0, 0.0).outcome, UpdateOutcome::kPanic);
  EXPECT_EQ(clock_.step_count(), 1);
}

TEST_F(DisciplineTest, MinusGIsUsedUpByTheFirstUpdateWhateverItIs) {
  DisciplineOptions o;
  o.allow_big_first_step = true;
  Make(o);
  Start(std::nullopt);
  EXPECT_TRUE(discipline_->panic_allowance_left());
  EXPECT_EQ(Update(5, 0.001, 0.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_FALSE(discipline_->panic_allowance_left());
}

TEST_F(DisciplineTest, MinusXRaisesTheStepThresholdTo600Seconds) {
  DisciplineOptions o;
  o.never_step = true;
  Make(o);
  Start(std::nullopt);
  EXPECT_DOUBLE_EQ(discipline_->step_threshold_seconds(), 600.0);
  EXPECT_EQ(Update(5, 30.0, 0.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_EQ(clock_.step_count(), 0);
  EXPECT_EQ(Asked(ClockOpKind::kStep), 0);
  EXPECT_GT(Asked(ClockOpKind::kSlew), 0);
}

TEST_F(DisciplineTest, TinkerStepZeroNeverSteps) {
  DisciplineOptions o;
  o.step_threshold_seconds = 0;
  Make(o);
  Start(std::nullopt);
  EXPECT_EQ(Update(5, 5.0, 0.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_EQ(clock_.step_count(), 0);
  EXPECT_EQ(Asked(ClockOpKind::kStep), 0);
}

TEST_F(DisciplineTest, FrequencyBeyondToleranceIsClampedWithNtpdsWarning) {
  Make(DisciplineOptions{});
  Start(std::nullopt);
  EXPECT_EQ(Update(5, 0.0, 612.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_DOUBLE_EQ(discipline_->frequency_ppm(), 500.0);
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), 500.0);
  ASSERT_FALSE(sink_.events.empty());
  EXPECT_THAT(sink_.events[0].text,
              HasSubstr("frequency error 612 PPM exceeds tolerance 500 PPM"));
}

TEST_F(DisciplineTest, RefusingClockKeepsTheLedgerAndWarnsOncePerKind) {
  clock_.set_read_only(true);
  Make(DisciplineOptions{});
  Start(3.0);
  // The decisions are made (the discipline cannot know the answer yet); the
  // clock refuses each; the ledger stays empty.
  EXPECT_EQ(Update(10, 0.5, 3.0).outcome, UpdateOutcome::kStepped);
  EXPECT_EQ(Update(20, 0.00001, 3.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_EQ(Update(30, 0.00002, 3.0).outcome, UpdateOutcome::kSlewed);
  EXPECT_EQ(steering_->CorrectionAt(30), 0.0);
  EXPECT_DOUBLE_EQ(steering_->applied_frequency_ppm(), 0.0);
  EXPECT_GT(steering_->refused_operations(), 3u);
  EXPECT_TRUE(clock_.operations().empty());
  EXPECT_EQ(sink_.Texts(EventKind::kWarning),
            (std::vector<std::string>{"clock frequency refused: fake clock is read-only",
                                      "clock step refused: fake clock is read-only"}));
}

TEST(DisciplineStateNameTest, Names) {
  EXPECT_STREQ(DisciplineStateName(DisciplineState::kNset), "NSET");
  EXPECT_STREQ(DisciplineStateName(DisciplineState::kFset), "FSET");
  EXPECT_STREQ(DisciplineStateName(DisciplineState::kSync), "SYNC");
  EXPECT_STREQ(DisciplineStateName(DisciplineState::kSpike), "SPIK");
}

}  // namespace
}  // namespace ntp
