#include "ntp/client/clock_steering.h"

#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <variant>
#include <vector>

#include "clock/fake_clock.h"
#include "gtest/gtest.h"
#include "ntp/runtime/executor.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::StatusIs;

constexpr TimerKey kEndTimer = 7;
const absl::Time kMonotonicStart = absl::FromUnixSeconds(1000);

class RecordingSink final : public EventSink {
 public:
  void OnEvent(const Event& e) override { events.push_back(e); }
  int Count(EventKind kind) const {
    int n = 0;
    for (const Event& e : events) n += e.kind == kind;
    return n;
  }
  std::vector<Event> events;
};

// Drives a ClockSteering as ntp::Host and the executor would: each call runs
// inside a Dispatch at the virtual monotonic time; the ClockOperation
// actions are carried out on a FakeClock (the model of the host's clock,
// whose elapsed time is true time) and answered with what it applied, as
// ClockResultInputs delivered after the call's actions; SetTimer/CancelTimer
// go to a timer map fired in time order.
class SteeringTest : public ::testing::Test {
 protected:
  SteeringTest() : clock_(absl::FromUnixSeconds(1704067200)), start_clock_(clock_.Now()) {}

  void Make(const SteeringOptions& options = {}) {
    ClockCapabilities caps;
    caps.precision = clock_.Precision();
    caps.max_frequency_ppm = clock_.MaxFrequencyPpm();
    caps.slew_rate_ppm = clocks::kSlewRatePpm;
    steering_ = std::make_unique<ClockSteering>(&dispatch_, &sink_, kMonotonicStart, kEndTimer,
                                                caps, options);
  }

  // Runs `f` inside a dispatch now, carries its actions out and (unless
  // held) delivers the clock's answers.
  template <typename F>
  void Call(F f) {
    actions_.Clear();
    dispatch_.now = Readings{now_, clock_.Now()};
    dispatch_.out = &actions_;
    f();
    dispatch_.out = nullptr;
    for (const Action& action : actions_.list()) {
      if (const auto* op = std::get_if<ClockOperation>(&action)) {
        asked_.push_back(*op);
        results_.push_back(Apply(*op));
      } else if (const auto* set = std::get_if<SetTimer>(&action)) {
        EXPECT_EQ(set->key, kEndTimer);
        timers_[set->key] = set->when;
      } else if (const auto* cancel = std::get_if<CancelTimer>(&action)) {
        timers_.erase(cancel->key);
      } else {
        ADD_FAILURE() << "unexpected action";
      }
    }
    if (!hold_results_) DeliverResults();
  }
  void DeliverResults() {
    while (!results_.empty()) {
      ClockResultInput result = results_.front();
      results_.pop_front();
      result.now = Readings{now_, clock_.Now()};
      Call([&] { steering_->OnClockResult(result); });
    }
  }
  // What the clock applied, as the executor reports it.
  ClockResultInput Apply(const ClockOperation& op) {
    return runtime::ApplyClockOperation(clock_, op);
  }

  // Lets `seconds` of true time pass, firing the end timer when due.
  void Run(double seconds) {
    const absl::Time end = now_ + absl::Seconds(seconds);
    while (now_ < end) {
      absl::Time next = end;
      auto timer = timers_.find(kEndTimer);
      const bool fire = timer != timers_.end() && timer->second <= end;
      if (fire) next = std::max(now_, timer->second);
      clock_.Advance(next - now_);
      now_ = next;
      if (fire) {
        timers_.erase(kEndTimer);
        Call([&] { steering_->OnTimer(); });
      }
    }
    // Queries between inputs answer as of the last one; make that now.
    dispatch_.now = Readings{now_, clock_.Now()};
  }
  // Phase the clock gained over true time since the start.
  double Gained() {
    return absl::ToDoubleSeconds(clock_.Now() - start_clock_) -
           absl::ToDoubleSeconds(now_ - kMonotonicStart);
  }
  double Elapsed() const { return absl::ToDoubleSeconds(now_ - kMonotonicStart); }
  double Ledger() const { return steering_->CorrectionAt(Elapsed()); }

  absl::Time now_ = kMonotonicStart;
  clocks::FakeClock clock_;
  const absl::Time start_clock_;
  Dispatch dispatch_;
  Actions actions_;
  RecordingSink sink_;
  std::map<TimerKey, absl::Time> timers_;
  std::vector<ClockOperation> asked_;
  std::deque<ClockResultInput> results_;
  bool hold_results_ = false;
  std::unique_ptr<ClockSteering> steering_;
};

TEST_F(SteeringTest, LedgerMatchesTheClockThroughEveryKindOfChange) {
  Make();
  Call([&] { steering_->SetBaseFrequency(-12.5); });
  Run(100);
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
  EXPECT_NEAR(Gained(), -12.5e-6 * 100, 1e-9);
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(0.1), ::ntp::testing::IsOk()); });
  Run(30);
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(-0.00002), ::ntp::testing::IsOk()); });
  Run(0.5);
  Call([&] { steering_->SetBaseFrequency(3); });  // mid-correction
  Run(10);
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
  Call([&] { ASSERT_THAT(steering_->Step(-0.25), ::ntp::testing::IsOk()); });
  Run(5);
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
  EXPECT_FALSE(steering_->correcting());
  EXPECT_EQ(clock_.step_count(), 1);
  EXPECT_EQ(steering_->refused_operations(), 0u);
}

TEST_F(SteeringTest, LedgerAnswersForPastTimes) {
  Make();
  Call([&] { steering_->SetBaseFrequency(100); });
  Run(10);
  const double at10 = steering_->CorrectionAt(10);
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(0.001), ::ntp::testing::IsOk()); });
  Run(20);
  EXPECT_DOUBLE_EQ(steering_->CorrectionAt(10), at10);
  EXPECT_NEAR(at10, 100e-6 * 10, 1e-12);
  EXPECT_NEAR(steering_->CorrectionAt(30), 100e-6 * 30 + 0.001, 1e-9);
  EXPECT_NEAR(steering_->CorrectionAt(30), Gained(), 1e-9);
}

TEST_F(SteeringTest, SmallCorrectionUsesTheFrequencyForAtLeastATenthOfASecond) {
  Make();
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(5e-6), ::ntp::testing::IsOk()); });
  EXPECT_NEAR(clock_.frequency_ppm(), 50.0, 1e-9);
  EXPECT_EQ(clock_.slew_remaining(), absl::ZeroDuration());
  ASSERT_EQ(timers_.count(kEndTimer), 1u);
  EXPECT_EQ(timers_[kEndTimer], kMonotonicStart + absl::Milliseconds(100));
  Run(0.1);
  EXPECT_NEAR(clock_.frequency_ppm(), 0.0, 1e-9);
  EXPECT_NEAR(Gained(), 5e-6, 1e-12);
  EXPECT_TRUE(timers_.empty());
}

TEST_F(SteeringTest, LargeCorrectionRunsKernelSlewAndFrequencyTogether) {
  Make();
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(-0.1), ::ntp::testing::IsOk()); });
  EXPECT_LT(clock_.slew_remaining(), absl::ZeroDuration());
  EXPECT_NEAR(clock_.frequency_ppm(), -500.0, 1e-9);
  Run(99);
  EXPECT_TRUE(steering_->correcting());
  Run(2);  // 0.1 s at 1000 ppm: 100 s
  EXPECT_FALSE(steering_->correcting());
  EXPECT_NEAR(Gained(), -0.1, 1e-9);
  EXPECT_NEAR(clock_.frequency_ppm(), 0.0, 1e-9);
}

TEST_F(SteeringTest, KernelSlewOnlyLeavesNoFrequencyBehind) {
  SteeringOptions options;
  options.kernel_slew_only = true;
  Make(options);
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(0.05), ::ntp::testing::IsOk()); });
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), 0.0);
  EXPECT_TRUE(timers_.empty());
  Run(101);
  EXPECT_NEAR(Gained(), 0.05, 1e-9);
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
}

TEST_F(SteeringTest, FrequencyIsClampedToTheLimit) {
  Make();
  Call([&] { steering_->SetBaseFrequency(900); });
  EXPECT_DOUBLE_EQ(steering_->base_frequency_ppm(), 500.0);
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), 500.0);
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_DOUBLE_EQ(asked_[0].ppm, 500.0);
}

TEST_F(SteeringTest, NeverAsksMoreFrequencyThanTheClockAccepts) {
  clock_.set_max_frequency_ppm(100);
  Make();  // the default option would allow 83333 ppm
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(0.5), ::ntp::testing::IsOk()); });
  Call([&] { steering_->SetBaseFrequency(-400); });
  for (const ClockOperation& op : asked_) {
    if (op.kind == ClockOpKind::kFrequency) EXPECT_LE(std::fabs(op.ppm), 100.0);
  }
  EXPECT_EQ(steering_->refused_operations(), 0u);
}

TEST_F(SteeringTest, FinishEndsTheCorrection) {
  Make();
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(0.01), ::ntp::testing::IsOk()); });
  ASSERT_FALSE(timers_.empty());
  Call([&] { steering_->Finish(); });
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), 0.0);
  EXPECT_TRUE(timers_.empty());
  // A late expiry of the cancelled timer changes nothing.
  const size_t asked = asked_.size();
  Call([&] { steering_->OnTimer(); });
  EXPECT_EQ(asked_.size(), asked);
}

TEST_F(SteeringTest, NonFiniteCorrectionsAreRejectedAndNothingIsAsked) {
  Make();
  Call([&] {
    EXPECT_THAT(steering_->CorrectPhase(std::nan("")),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(steering_->Step(INFINITY), StatusIs(absl::StatusCode::kInvalidArgument));
  });
  EXPECT_TRUE(asked_.empty());
  EXPECT_TRUE(timers_.empty());
}

TEST_F(SteeringTest, SyncStateGoesToTheClock) {
  Make();
  ClockSyncState sync;
  sync.synchronized = true;
  sync.max_error = absl::Milliseconds(3);
  Call([&] { steering_->SetSyncState(sync); });
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_EQ(asked_[0].kind, ClockOpKind::kSyncStatus);
  EXPECT_TRUE(clock_.sync_status().synchronized);
  EXPECT_EQ(clock_.sync_status().max_error, absl::Milliseconds(3));
  EXPECT_EQ(Ledger(), 0.0);
}

// ---- The ledger holds what the clock reported, not what was asked ----

TEST_F(SteeringTest, LedgerChangesOnlyWhenTheClockReports) {
  Make();
  hold_results_ = true;
  Call([&] { ASSERT_THAT(steering_->Step(0.5), ::ntp::testing::IsOk()); });
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(Ledger(), 0.0);  // asked, not yet reported
  DeliverResults();
  EXPECT_DOUBLE_EQ(Ledger(), 0.5);
  EXPECT_NEAR(Ledger(), Gained(), 1e-12);
  // A result nobody asked for is ignored.
  ClockResultInput stray;
  stray.id = 999;
  stray.kind = ClockOpKind::kStep;
  stray.applied_offset = absl::Seconds(7);
  Call([&] { steering_->OnClockResult(stray); });
  EXPECT_DOUBLE_EQ(Ledger(), 0.5);
}

TEST_F(SteeringTest, LedgerUsesTheFrequencyTheClockApplied) {
  // The kernel keeps the frequency in 2^-16 ppm.
  const double unit = std::ldexp(1.0, -16);
  clock_.set_resolution(clocks::FakeClockResolution{{}, {}, unit});
  Make();
  const double asked = 12 + 0.4 * unit;
  Call([&] { steering_->SetBaseFrequency(asked); });
  EXPECT_DOUBLE_EQ(steering_->base_frequency_ppm(), asked);
  EXPECT_DOUBLE_EQ(steering_->applied_frequency_ppm(), 12.0);
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), 12.0);
  Run(100000);
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
  // A ledger of the requests would be 0.4 units * 1e5 s = 0.6 us off.
  EXPECT_GT(std::fabs(asked * 1e-6 * 100000 - Gained()), 5e-7);
}

TEST_F(SteeringTest, LedgerUsesTheSlewTheClockApplied) {
  // adjtime() slews in whole microseconds.
  clock_.set_resolution(clocks::FakeClockResolution{{}, absl::Microseconds(1), 0});
  Make();
  Call([&] { ASSERT_THAT(steering_->CorrectPhase(0.1000004), ::ntp::testing::IsOk()); });
  ClockOperation slew;
  for (const ClockOperation& op : asked_) {
    if (op.kind == ClockOpKind::kSlew) slew = op;
  }
  ASSERT_EQ(slew.kind, ClockOpKind::kSlew);
  ASSERT_NE(slew.offset, absl::Trunc(slew.offset, absl::Microseconds(1)));
  Run(50);
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
  Run(200);
  EXPECT_FALSE(steering_->correcting());
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
  // The clock dropped the sub-microsecond part of the slew.
  EXPECT_GT(std::fabs(Gained() - 0.1000004), 1e-7);
}

TEST_F(SteeringTest, LedgerUsesTheStepTheClockApplied) {
  clock_.set_resolution(clocks::FakeClockResolution{absl::Milliseconds(1), {}, 0});
  Make();
  Call([&] { ASSERT_THAT(steering_->Step(-0.2500004), ::ntp::testing::IsOk()); });
  EXPECT_NEAR(Gained(), -0.251, 1e-12);  // floored
  EXPECT_NEAR(Ledger(), -0.251, 1e-12);
}

TEST_F(SteeringTest, RefusalLeavesTheLedgerUnchangedAndIsReportedOnce) {
  Make();
  Call([&] { steering_->SetBaseFrequency(10); });
  Run(100);
  const double before = Ledger();
  EXPECT_NEAR(before, Gained(), 1e-9);

  clock_.set_read_only(true);
  // Asking succeeds (the operation is only a request); the clock refuses.
  Call([&] { ASSERT_THAT(steering_->Step(1.0), ::ntp::testing::IsOk()); });
  Call([&] { ASSERT_THAT(steering_->Step(2.0), ::ntp::testing::IsOk()); });
  Call([&] { steering_->SetBaseFrequency(20); });
  Call([&] { steering_->SetBaseFrequency(30); });
  EXPECT_EQ(steering_->refused_operations(), 4u);
  EXPECT_DOUBLE_EQ(Ledger(), before);
  EXPECT_DOUBLE_EQ(steering_->applied_frequency_ppm(), 10.0);
  Run(100);
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);  // still 10 ppm, no step
  // One warning per kind of operation, not one per refusal.
  ASSERT_EQ(sink_.Count(EventKind::kWarning), 2);
  EXPECT_EQ(sink_.events[0].text, "clock step refused: fake clock is read-only");
  EXPECT_EQ(sink_.events[1].text, "clock frequency refused: fake clock is read-only");

  // Once the clock accepts a step again, a later refusal is reported anew.
  clock_.set_read_only(false);
  Call([&] { ASSERT_THAT(steering_->Step(0.5), ::ntp::testing::IsOk()); });
  EXPECT_NEAR(Ledger(), Gained(), 1e-9);
  clock_.set_read_only(true);
  Call([&] { ASSERT_THAT(steering_->Step(0.5), ::ntp::testing::IsOk()); });
  EXPECT_EQ(sink_.Count(EventKind::kWarning), 3);
  EXPECT_EQ(steering_->refused_operations(), 5u);
}

}  // namespace
}  // namespace ntp
