#include "sim/sim_clock.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "sim/oscillator.h"

namespace sim {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::IsOkAndHolds;
using ::ntp::testing::StatusIs;

constexpr int64_t kSecond = 1'000'000'000;

int64_t Seconds(double s) { return static_cast<int64_t>(std::llround(s * 1e9)); }

struct Recorder : ClockObserver {
  void OnClockOperation(const ClockOperation& op) override { ops.push_back(op); }
  std::vector<ClockOperation> ops;
};

class SimClockTest : public ::testing::Test {
 protected:
  void Make(const OscillatorParams& osc, const SimClockParams& params = {}) {
    oscillator_ = std::make_unique<Oscillator>(osc, 1);
    clock_ = std::make_unique<SimClock>(&loop_, oscillator_.get(), params, 2, &recorder_);
  }
  void RunTo(double t_s) { loop_.RunUntil(Seconds(t_s)); }
  // Offset of the reading from true UTC, as the host would see it.
  double ReadOffset(const SimClockParams& params = {}) {
    return absl::ToDoubleSeconds(clock_->Now() - params.epoch -
                                 absl::Nanoseconds(loop_.now_ns()));
  }

  EventLoop loop_;
  Recorder recorder_;
  std::unique_ptr<Oscillator> oscillator_;
  std::unique_ptr<SimClock> clock_;
};

TEST_F(SimClockTest, ConstantFrequencyErrorGrowsLinearly) {
  Make({.freq_ppm = 50}, {.initial_offset_s = 0.25});
  EXPECT_DOUBLE_EQ(clock_->TrueOffsetSeconds(), 0.25);
  RunTo(1000);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 0.25 + 50e-6 * 1000, 1e-12);
  EXPECT_NEAR(ReadOffset(), 0.25 + 0.05, 1e-9);
  EXPECT_NEAR(clock_->TrueFrequencyErrorPpm(), 50, 1e-9);
}

TEST_F(SimClockTest, FrequencyCorrectionScalesOscillatorTime) {
  Make({.freq_ppm = 100});
  ASSERT_THAT(clock_->SetFrequencyPpm(-40), IsOk());
  RunTo(1000);
  // du = t (1 + e); clock gains du (1 + f) - t = t ((1 + e)(1 + f) - 1).
  const double expected = 1000 * ((1 + 100e-6) * (1 - 40e-6) - 1);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), expected, 1e-12);
  EXPECT_NEAR(clock_->TrueFrequencyErrorPpm(), expected / 1000 * 1e6, 1e-9);
}

TEST_F(SimClockTest, FrequencyIsClampedAndQuantisedLikeTheKernel) {
  Make({});
  EXPECT_THAT(clock_->SetFrequencyPpm(83333.5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(clock_->SetFrequencyPpm(-83334), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(clock_->SetFrequencyPpm(std::nan("")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(clock_->frequency_correction_ppm(), 0);
  EXPECT_THAT(clock_->SetFrequencyPpm(500), IsOkAndHolds(500));
  EXPECT_THAT(clock_->SetFrequencyPpm(1.0 / 3),
              IsOkAndHolds(std::round(65536.0 / 3) / 65536.0));
  EXPECT_EQ(clock_->frequency_correction_ppm(), std::round(65536.0 / 3) / 65536.0);
  ASSERT_OK_AND_ASSIGN(clocks::ClockStatus status, clock_->ReadStatus());
  EXPECT_EQ(status.frequency_ppm, std::round(65536.0 / 3) / 65536.0);
  // Beyond 500 ppm: whole 100 ppm tick steps plus a quantised remainder.
  EXPECT_THAT(clock_->SetFrequencyPpm(-1234.5), IsOkAndHolds(-1200 - 34.5));
  EXPECT_EQ(clock_->frequency_correction_ppm(), -1200 - 34.5);
  ASSERT_OK_AND_ASSIGN(const double applied, clock_->SetFrequencyPpm(-1234.567));
  ASSERT_OK_AND_ASSIGN(status, clock_->ReadStatus());
  EXPECT_EQ(applied, status.frequency_ppm);
  EXPECT_EQ(applied, clock_->frequency_correction_ppm());
  EXPECT_NEAR(applied, -1234.567, 0.5 / 65536);
  EXPECT_EQ(clock_->MaxFrequencyPpm(), clocks::kMaxSlewFrequencyPpm);
}

TEST_F(SimClockTest, SlewRunsAt500PpmAndStops) {
  Make({});
  ASSERT_THAT(clock_->SlewBy(absl::Milliseconds(1)), IsOk());
  RunTo(1);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 0.0005, 1e-12);
  ASSERT_OK_AND_ASSIGN(clocks::ClockStatus status, clock_->ReadStatus());
  EXPECT_EQ(status.slew_remaining, absl::Microseconds(500));
  RunTo(2);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 0.001, 1e-12);
  RunTo(10);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 0.001, 1e-12);
  EXPECT_EQ(clock_->slew_remaining_seconds(), 0);
}

TEST_F(SimClockTest, NegativeSlewAndRoundingToMicroseconds) {
  Make({});
  EXPECT_THAT(clock_->SlewBy(absl::Nanoseconds(-2'000'400)),  // -2000.4 us
              IsOkAndHolds(absl::Microseconds(-2000)));
  ASSERT_OK_AND_ASSIGN(clocks::ClockStatus status, clock_->ReadStatus());
  EXPECT_EQ(status.slew_remaining, absl::Microseconds(-2000));
  EXPECT_THAT(clock_->SlewBy(absl::Nanoseconds(-2'000'500)),  // halves away from zero
              IsOkAndHolds(absl::Microseconds(-2001)));
  EXPECT_THAT(clock_->SlewBy(absl::Nanoseconds(-2'000'400)),
              IsOkAndHolds(absl::Microseconds(-2000)));
  RunTo(100);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), -0.002, 1e-12);
}

TEST_F(SimClockTest, SlewReplacesThePreviousSlew) {
  Make({});
  ASSERT_THAT(clock_->SlewBy(absl::Milliseconds(1)), IsOk());
  RunTo(1);  // 0.5 ms done
  ASSERT_THAT(clock_->SlewBy(absl::Microseconds(-200)), IsOk());
  RunTo(5);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 0.0005 - 0.0002, 1e-12);
}

TEST_F(SimClockTest, SlewIsLimitedLikeSystemClock) {
  Make({});
  EXPECT_THAT(clock_->SlewBy(absl::Seconds(2001)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(clock_->SlewBy(absl::Seconds(2000)), IsOk());
}

TEST_F(SimClockTest, SlewRateIsInOscillatorTime) {
  Make({.freq_ppm = 200});
  ASSERT_THAT(clock_->SlewBy(absl::Seconds(1)), IsOk());
  RunTo(100);
  // du = 100 * (1 + 200e-6); slewed 500e-6 du; plus the oscillator error.
  const double du = 100 * (1 + 200e-6);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 100 * 200e-6 + 500e-6 * du, 1e-12);
}

TEST_F(SimClockTest, StepIsImmediateCancelsSlewAndMarksUnsynchronised) {
  Make({});
  ASSERT_THAT(clock_->SetSyncStatus({.synchronized = true,
                                     .max_error = absl::Milliseconds(1),
                                     .est_error = absl::Microseconds(10)}),
              IsOk());
  ASSERT_THAT(clock_->SlewBy(absl::Milliseconds(5)), IsOk());
  RunTo(1);
  ASSERT_THAT(clock_->StepBy(absl::Seconds(-1.5)), IsOk());
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 0.0005 - 1.5, 1e-12);
  EXPECT_NEAR(ReadOffset(), 0.0005 - 1.5, 1e-9);  // readings may go back after a step
  RunTo(20);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 0.0005 - 1.5, 1e-12);
  ASSERT_OK_AND_ASSIGN(clocks::ClockStatus status, clock_->ReadStatus());
  EXPECT_FALSE(status.sync.synchronized);
  EXPECT_EQ(status.state, clocks::KernelTimeState::kError);
  EXPECT_EQ(status.slew_remaining, absl::ZeroDuration());
  EXPECT_EQ(clock_->host_step_count(), 1);
  EXPECT_THAT(clock_->StepBy(absl::InfiniteDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SimClockTest, StepIsAppliedInWholeNanoseconds) {
  Make({});
  EXPECT_THAT(clock_->StepBy(absl::Nanoseconds(1) * 2.75),
              IsOkAndHolds(absl::Nanoseconds(2)));
  EXPECT_DOUBLE_EQ(clock_->TrueOffsetSeconds(), 2e-9);
  EXPECT_THAT(clock_->StepBy(-absl::Nanoseconds(1) / 4),  // floors to -1 ns
              IsOkAndHolds(-absl::Nanoseconds(1)));
  EXPECT_DOUBLE_EQ(clock_->TrueOffsetSeconds(), 1e-9);
}

TEST_F(SimClockTest, SinusoidPhaseMatchesItsClosedFormIntegral) {
  OscillatorParams p{.sine_amplitude_ppm = 3, .sine_period_s = 600, .sine_phase_rad = 0.4};
  Make(p);
  for (double t : {10.0, 150.0, 299.0, 600.0, 1234.5}) {
    RunTo(t);
    const double w = 2 * std::numbers::pi / 600;
    const double expected = 3e-6 / w * (std::cos(0.4) - std::cos(w * t + 0.4));
    EXPECT_NEAR(clock_->TrueOffsetSeconds(), expected, 1e-12) << t;
    EXPECT_NEAR(clock_->OscillatorFrequencyPpm(), 3 * std::sin(w * t + 0.4), 1e-9);
  }
}

TEST_F(SimClockTest, FrequencyStepsIntegrateFromTheirInstant) {
  OscillatorParams p{.freq_ppm = 1};
  p.freq_steps = {{.at_s = 100, .delta_ppm = 10}, {.at_s = 200, .delta_ppm = -20}};
  Make(p);
  RunTo(150);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 150e-6 + 50 * 10e-6, 1e-12);
  RunTo(300);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 300e-6 + 200 * 10e-6 - 100 * 20e-6, 1e-12);
  EXPECT_NEAR(clock_->OscillatorFrequencyPpm(), 1 + 10 - 20, 1e-9);
}

TEST(OscillatorTest, WanderIsARandomWalkWithTheGivenSigma) {
  // Var[w(T)] = sigma^2 T; Var[E(T)] ~ sigma^2 T^3 / 3 (continuous limit).
  constexpr int kSeeds = 600;
  constexpr double kSigmaPpm = 0.01;
  constexpr double kT = 1000;
  double sum_w2 = 0, sum_e2 = 0, sum_w = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    Oscillator osc({.wander_ppm_per_sqrt_s = kSigmaPpm, .wander_step_s = 1},
                   DeriveSeed(seed, "wander"));
    const double w = osc.FrequencyError(Seconds(kT)) * 1e6;
    const double e = osc.PhaseError(Seconds(kT));
    sum_w += w;
    sum_w2 += w * w;
    sum_e2 += e * e;
  }
  const double var_w = sum_w2 / kSeeds;
  const double expected_var_w = kSigmaPpm * kSigmaPpm * kT;
  // Relative standard error of a variance estimate: sqrt(2/N) = 5.8%.
  EXPECT_NEAR(var_w / expected_var_w, 1.0, 0.2);
  EXPECT_NEAR(sum_w / kSeeds, 0.0, 4 * std::sqrt(expected_var_w / kSeeds));
  const double expected_var_e = std::pow(kSigmaPpm * 1e-6, 2) * std::pow(kT, 3) / 3;
  EXPECT_NEAR(sum_e2 / kSeeds / expected_var_e, 1.0, 0.2);
}

TEST(OscillatorTest, WanderPathDoesNotDependOnQueryTimes) {
  OscillatorParams p{.wander_ppm_per_sqrt_s = 0.1, .wander_step_s = 2};
  Oscillator sparse(p, 9), dense(p, 9);
  for (int t = 0; t <= 5000; ++t) dense.PhaseError(Seconds(t * 0.7));
  EXPECT_DOUBLE_EQ(sparse.PhaseError(Seconds(3500)), dense.PhaseError(Seconds(3500)));
  EXPECT_DOUBLE_EQ(sparse.FrequencyError(Seconds(3500)), dense.FrequencyError(Seconds(3500)));
}

TEST(OscillatorTest, PhaseIsTheExactIntegralOfThePiecewiseWander) {
  OscillatorParams p{.wander_ppm_per_sqrt_s = 0.5, .wander_step_s = 1};
  Oscillator a(p, 11), b(p, 11);
  // Integrate b's frequency numerically at 0.25 s resolution (exact for a
  // piecewise-constant path sampled inside each interval).
  double integral = 0;
  for (int i = 0; i < 400; ++i) integral += b.FrequencyError(Seconds(i * 0.25 + 0.1)) * 0.25;
  EXPECT_NEAR(a.PhaseError(Seconds(100)), integral, 1e-15);
}

TEST_F(SimClockTest, ResolutionAndReadJitter) {
  SimClockParams params{.resolution_s = 1e-6, .read_jitter_s = 5e-6};
  Make({.freq_ppm = 10}, params);
  absl::Time previous = absl::InfinitePast();
  for (int i = 1; i <= 2000; ++i) {
    loop_.RunUntil(i * 1'000'003);
    const absl::Time now = clock_->Now();
    const absl::Duration since_epoch = now - absl::UnixEpoch();
    EXPECT_EQ(since_epoch % absl::Microseconds(1), absl::ZeroDuration());
    EXPECT_GE(now, previous);
    const double error = absl::ToDoubleSeconds(
        now - params.epoch - absl::Nanoseconds(loop_.now_ns())) - clock_->TrueOffsetSeconds();
    EXPECT_GT(error, -1e-6 - 1e-12);
    EXPECT_LT(error, 5e-6 + 1e-12);
    previous = now;
  }
  EXPECT_EQ(clock_->Precision(), absl::Microseconds(1));
}

TEST_F(SimClockTest, MaxErrorGrowsUntilTheKernelDeclaresUnsync) {
  Make({});
  ASSERT_THAT(clock_->SetSyncStatus({.synchronized = true,
                                     .max_error = absl::Seconds(15.9),
                                     .est_error = absl::Milliseconds(1)}),
              IsOk());
  RunTo(100);
  ASSERT_OK_AND_ASSIGN(clocks::ClockStatus status, clock_->ReadStatus());
  EXPECT_TRUE(status.sync.synchronized);
  EXPECT_EQ(status.state, clocks::KernelTimeState::kOk);
  EXPECT_EQ(status.sync.max_error, absl::Seconds(15.95));
  RunTo(201);
  ASSERT_OK_AND_ASSIGN(status, clock_->ReadStatus());
  EXPECT_FALSE(status.sync.synchronized);
  EXPECT_EQ(status.state, clocks::KernelTimeState::kError);
  EXPECT_EQ(status.sync.max_error, absl::Seconds(16));
}

TEST_F(SimClockTest, LeapSecondInsertion) {
  SimClockParams params;
  params.epoch = absl::FromUnixSeconds(1483228800 - 10);  // 2016-12-31T23:59:50Z
  Make({}, params);
  ASSERT_THAT(clock_->SetSyncStatus({.synchronized = true,
                                     .leap = clocks::LeapStatus::kInsert,
                                     .max_error = absl::Milliseconds(1),
                                     .est_error = absl::Milliseconds(1)}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(clocks::ClockStatus status, clock_->ReadStatus());
  EXPECT_EQ(status.state, clocks::KernelTimeState::kInsert);
  RunTo(9.5);
  EXPECT_EQ(clock_->TrueOffsetSeconds(), 0);
  RunTo(10.25);  // 23:59:60.25
  EXPECT_EQ(absl::ToUnixNanos(clock_->Now()), int64_t{1483228800 - 1} * kSecond + kSecond / 4);
  ASSERT_OK_AND_ASSIGN(status, clock_->ReadStatus());
  EXPECT_EQ(status.state, clocks::KernelTimeState::kLeapInProgress);
  RunTo(11.5);
  ASSERT_OK_AND_ASSIGN(status, clock_->ReadStatus());
  EXPECT_EQ(status.state, clocks::KernelTimeState::kLeapOccurred);
  EXPECT_DOUBLE_EQ(clock_->TrueOffsetSeconds(), -1.0);
  ASSERT_THAT(clock_->SetSyncStatus({.synchronized = true,
                                     .max_error = absl::Milliseconds(1),
                                     .est_error = absl::Milliseconds(1)}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(status, clock_->ReadStatus());
  EXPECT_EQ(status.state, clocks::KernelTimeState::kOk);
  bool leap_reported = false;
  for (const ClockOperation& op : recorder_.ops) {
    if (op.kind == ClockOperation::Kind::kLeap) leap_reported = op.value == -1.0;
  }
  EXPECT_TRUE(leap_reported);
}

TEST_F(SimClockTest, LeapSecondDeletionAndDisarm) {
  SimClockParams params;
  params.epoch = absl::FromUnixSeconds(1483228800 - 10);
  Make({}, params);
  ASSERT_THAT(clock_->SetSyncStatus({.synchronized = true,
                                     .leap = clocks::LeapStatus::kDelete,
                                     .max_error = absl::Milliseconds(1),
                                     .est_error = absl::Milliseconds(1)}),
              IsOk());
  RunTo(9.5);  // 23:59:59.5 does not exist: the clock jumped to 00:00:00.5
  EXPECT_DOUBLE_EQ(clock_->TrueOffsetSeconds(), 1.0);
  // A step disarms a pending leap (the kernel's ntp_clear).
  Make({}, params);
  ASSERT_THAT(clock_->SetSyncStatus({.synchronized = true,
                                     .leap = clocks::LeapStatus::kInsert,
                                     .max_error = absl::Milliseconds(1),
                                     .est_error = absl::Milliseconds(1)}),
              IsOk());
  ASSERT_THAT(clock_->StepBy(absl::Milliseconds(1)), IsOk());
  RunTo(20);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 0.001, 1e-12);
}

TEST_F(SimClockTest, ReadOnlyClockRefusesWrites) {
  Make({}, {.read_only = true});
  EXPECT_THAT(clock_->StepBy(absl::Seconds(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(clock_->SlewBy(absl::Seconds(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(clock_->SetFrequencyPpm(1), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(clock_->SetSyncStatus({}), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(clock_->ReadStatus(), IsOk());
  EXPECT_EQ(clock_->TrueOffsetSeconds(), 0);
}

TEST_F(SimClockTest, FaultsAreReportedAndDetachedClocksIgnoreTheHost) {
  Make({});
  clock_->InjectStep(2.0);
  EXPECT_DOUBLE_EQ(clock_->TrueOffsetSeconds(), 2.0);
  clock_->DetachFromHost();
  // The host is told what an attached clock would have applied.
  EXPECT_THAT(clock_->StepBy(absl::Seconds(-2)), IsOkAndHolds(absl::Seconds(-2)));
  EXPECT_THAT(clock_->SetFrequencyPpm(100), IsOkAndHolds(::testing::DoubleEq(100)));
  RunTo(10);
  EXPECT_DOUBLE_EQ(clock_->TrueOffsetSeconds(), 2.0);
  ASSERT_EQ(recorder_.ops.size(), 4u);
  EXPECT_EQ(recorder_.ops[0].kind, ClockOperation::Kind::kInjectedStep);
  EXPECT_EQ(recorder_.ops[1].kind, ClockOperation::Kind::kFalseticker);
  EXPECT_EQ(recorder_.ops[2].kind, ClockOperation::Kind::kStep);
  EXPECT_EQ(clock_->host_step_count(), 1);
}

TEST_F(SimClockTest, InitialFrequencyCorrection) {
  Make({.freq_ppm = 20}, {.initial_frequency_ppm = -20});
  RunTo(1000);
  EXPECT_NEAR(clock_->TrueOffsetSeconds(), 1000 * ((1 + 20e-6) * (1 - 20e-6) - 1), 1e-12);
}

}  // namespace
}  // namespace sim
