// The Clock contract (clock/clock.h) as one typed GoogleTest suite, run
// against every implementation so they cannot drift apart. Test-only and
// header-only: an implementation's test instantiates it with a list of
// traits types, each of which builds one configuration of a clock:
//
//   struct MyClockTraits {
//     static constexpr const char* kName = "MyClock";  // test name suffix
//     static constexpr bool kWritable = true;  // false: every write refused
//     // false when something else may change the clock's state between two
//     // reads (the machine's kernel): "nothing changed" is then not checked.
//     static constexpr bool kOwnsState = true;
//     // How far a returned value may be from the request.
//     static constexpr clocks::testing::ClockResolution kResolution = {...};
//     // How far two back-to-back readings may differ from what the test did
//     // (time a read takes, read jitter, granularity).
//     static constexpr absl::Duration kReadNoise = absl::Microseconds(1);
//     static std::unique_ptr<clocks::testing::ClockHarness> Make();
//   };
//   namespace clocks::testing {  // the suite's namespace
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, ClockContractTest,
//       ::testing::Types<MyClockTraits>, TraitsName);
//   }
#ifndef CLOCK_CLOCK_CONTRACT_H_
#define CLOCK_CLOCK_CONTRACT_H_

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks::testing {

// The finest steps in which an implementation applies each write: a value
// a write returns is at most this far from the request.
struct ClockResolution {
  absl::Duration step;
  absl::Duration slew;
  double frequency_ppm = 0;
};

// One clock under test and what drives it.
class ClockHarness {
 public:
  virtual ~ClockHarness() = default;
  virtual Clock& clock() = 0;
  // Lets `true_elapsed` (> 0) of true time pass. A real clock moves by
  // itself and does nothing here.
  virtual void Advance(absl::Duration true_elapsed) = 0;
  // Writes that reached the clock's backend so far (kernel calls asking for
  // a change, accepted operations of a model); -1 if it cannot tell.
  virtual int writing_calls() const = 0;
};

// Test names from the traits' kName.
struct TraitsName {
  template <typename Traits>
  static std::string GetName(int) {
    return Traits::kName;
  }
};

template <typename Traits>
class ClockContractTest : public ::testing::Test {
 protected:
  void SetUp() override { harness_ = Traits::Make(); }

  Clock& clock() { return harness_->clock(); }
  void Advance(absl::Duration d) { harness_->Advance(d); }
  // Tolerance for comparing clock differences with what the test did.
  absl::Duration Noise() const {
    return Traits::kReadNoise + absl::Nanoseconds(1);  // + rounding of rates
  }
  // How far the clock moves while `true_elapsed` passes.
  absl::Duration Elapsed(absl::Duration true_elapsed) {
    const absl::Time before = clock().Now();
    Advance(true_elapsed);
    return clock().Now() - before;
  }
  static void ExpectNear(absl::Duration actual, absl::Duration expected, absl::Duration tolerance) {
    EXPECT_LE(absl::AbsDuration(actual - expected), tolerance)
        << "actual " << actual << ", expected " << expected;
  }

  std::unique_ptr<ClockHarness> harness_;
};

TYPED_TEST_SUITE_P(ClockContractTest);

TYPED_TEST_P(ClockContractTest, PrecisionIsPositive) {
  EXPECT_GT(this->clock().Precision(), absl::ZeroDuration());
  EXPECT_LT(this->clock().Precision(), absl::InfiniteDuration());
}

TYPED_TEST_P(ClockContractTest, ReadStatusWorks) {
  const absl::StatusOr<ClockStatus> status = this->clock().ReadStatus();
  ASSERT_THAT(status, ::ntp::testing::IsOk());
  EXPECT_GT(status->tick, absl::ZeroDuration());
  EXPECT_LE(std::fabs(status->frequency_ppm), this->clock().MaxFrequencyPpm());
  EXPECT_GE(status->sync.max_error, absl::ZeroDuration());
  EXPECT_GE(status->sync.est_error, absl::ZeroDuration());
}

TYPED_TEST_P(ClockContractTest, MaxFrequencyIsWithinTheSeamLimits) {
  EXPECT_GE(this->clock().MaxFrequencyPpm(), kMaxFrequencyPpm);
  EXPECT_LE(this->clock().MaxFrequencyPpm(), kMaxSlewFrequencyPpm);
}

// Now() never goes backwards without a step, whatever the frequency and slew.
TYPED_TEST_P(ClockContractTest, NowIsMonotonicWithoutSteps) {
  Clock& clock = this->clock();
  absl::Time previous = clock.Now();
  for (int i = 0; i < 300; ++i) {
    if (TypeParam::kWritable && i == 100) {
      ASSERT_THAT(clock.SetFrequencyPpm(-clock.MaxFrequencyPpm()), ::ntp::testing::IsOk());
      ASSERT_THAT(clock.SlewBy(absl::Seconds(-1)), ::ntp::testing::IsOk());
    }
    if (TypeParam::kWritable && i == 200) {
      ASSERT_THAT(clock.SetFrequencyPpm(clock.MaxFrequencyPpm()), ::ntp::testing::IsOk());
      ASSERT_THAT(clock.SlewBy(absl::Seconds(1)), ::ntp::testing::IsOk());
    }
    if (i % 3 != 0) this->Advance(absl::Milliseconds(7) + absl::Nanoseconds(i));
    const absl::Time now = clock.Now();
    EXPECT_GE(now, previous) << "reading " << i;
    previous = now;
  }
}

// Read-only: every write is FailedPrecondition and reaches nothing.
TYPED_TEST_P(ClockContractTest, ReadOnlyRefusesEveryWriteAndChangesNothing) {
  if (TypeParam::kWritable) GTEST_SKIP() << "writable";
  using ::ntp::testing::StatusIs;
  Clock& clock = this->clock();
  ASSERT_OK_AND_ASSIGN(const ClockStatus before, clock.ReadStatus());
  const absl::Time start = clock.Now();
  const auto refused = StatusIs(absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(clock.StepBy(absl::Seconds(10)), refused);
  EXPECT_THAT(clock.StepBy(absl::InfiniteDuration()), refused);
  EXPECT_THAT(clock.SlewBy(absl::Milliseconds(-3)), refused);
  EXPECT_THAT(clock.SlewBy(absl::ZeroDuration()), refused);
  EXPECT_THAT(clock.SetFrequencyPpm(12.5), refused);
  EXPECT_THAT(clock.SetFrequencyPpm(0), refused);
  EXPECT_THAT(clock.SetSyncStatus({.synchronized = true, .leap = LeapStatus::kInsert}), refused);
  EXPECT_LT(clock.Now() - start, absl::Seconds(1));  // not stepped
  const int writes = this->harness_->writing_calls();
  if (writes >= 0) {
    EXPECT_EQ(writes, 0);
  }
  if (!TypeParam::kOwnsState) return;
  ASSERT_OK_AND_ASSIGN(const ClockStatus after, clock.ReadStatus());
  EXPECT_EQ(after.frequency_ppm, before.frequency_ppm);
  EXPECT_EQ(after.slew_remaining, before.slew_remaining);
  EXPECT_EQ(after.sync.synchronized, before.sync.synchronized);
  EXPECT_EQ(after.sync.leap, before.sync.leap);
}

// StepBy(+x) jumps forward, StepBy(-x) back, by the value returned, which
// is within the step resolution of the request.
TYPED_TEST_P(ClockContractTest, StepMovesTheClockByTheAppliedAmount) {
  if (!TypeParam::kWritable) GTEST_SKIP() << "read-only";
  Clock& clock = this->clock();
  const absl::Duration quarter_ns = absl::Nanoseconds(1) / 4;
  for (const absl::Duration request :
       {absl::Seconds(1.5) + quarter_ns, -absl::Seconds(2.25) - quarter_ns,
        absl::Milliseconds(129) + absl::Nanoseconds(3) * 0.75, -quarter_ns * 3, absl::Hours(24),
        -absl::Hours(24)}) {
    const absl::Time before = clock.Now();
    ASSERT_OK_AND_ASSIGN(const absl::Duration applied, clock.StepBy(request));
    const absl::Time after = clock.Now();
    EXPECT_LE(absl::AbsDuration(applied - request), TypeParam::kResolution.step)
        << "request " << request << ", applied " << applied;
    this->ExpectNear(after - before, applied, this->Noise());
  }
}

TYPED_TEST_P(ClockContractTest, StepCancelsTheSlew) {
  if (!TypeParam::kWritable) GTEST_SKIP() << "read-only";
  Clock& clock = this->clock();
  ASSERT_THAT(clock.SlewBy(absl::Milliseconds(300)), ::ntp::testing::IsOk());
  ASSERT_THAT(clock.StepBy(absl::Seconds(1)), ::ntp::testing::IsOk());
  ASSERT_OK_AND_ASSIGN(const ClockStatus status, clock.ReadStatus());
  EXPECT_EQ(status.slew_remaining, absl::ZeroDuration());
  // Nothing more is gained.
  this->ExpectNear(this->Elapsed(absl::Seconds(2)), absl::Seconds(2), this->Noise());
}

// SlewBy(+x) gains the applied value over time at kSlewRatePpm, SlewBy(-x)
// loses it; ReadStatus shows what is left.
TYPED_TEST_P(ClockContractTest, SlewGainsTheAppliedAmountAt500Ppm) {
  if (!TypeParam::kWritable) GTEST_SKIP() << "read-only";
  Clock& clock = this->clock();
  const absl::Duration noise = this->Noise();
  for (const absl::Duration request : {absl::Microseconds(2345) + absl::Nanoseconds(678),
                                       -absl::Microseconds(1234) - absl::Nanoseconds(501)}) {
    ASSERT_OK_AND_ASSIGN(const absl::Duration applied, clock.SlewBy(request));
    EXPECT_LE(absl::AbsDuration(applied - request), TypeParam::kResolution.slew)
        << "request " << request << ", applied " << applied;
    ASSERT_OK_AND_ASSIGN(ClockStatus status, clock.ReadStatus());
    EXPECT_EQ(status.slew_remaining, applied);
    // 500 us of it in the first second (500 ppm), all of it once done, and
    // then no more.
    const absl::Duration first = this->Elapsed(absl::Seconds(1));
    const absl::Duration rate =
        applied > absl::ZeroDuration() ? absl::Microseconds(500) : -absl::Microseconds(500);
    this->ExpectNear(first, absl::Seconds(1) + rate, noise);
    ASSERT_OK_AND_ASSIGN(status, clock.ReadStatus());
    this->ExpectNear(status.slew_remaining, applied - rate, TypeParam::kResolution.slew + noise);
    const absl::Duration rest = this->Elapsed(absl::Seconds(10));
    this->ExpectNear(first + rest, absl::Seconds(11) + applied, noise * 2);
    ASSERT_OK_AND_ASSIGN(status, clock.ReadStatus());
    EXPECT_EQ(status.slew_remaining, absl::ZeroDuration());
  }
}

TYPED_TEST_P(ClockContractTest, SlewReplacesTheSlewInProgressAndZeroCancels) {
  if (!TypeParam::kWritable) GTEST_SKIP() << "read-only";
  Clock& clock = this->clock();
  ASSERT_THAT(clock.SlewBy(absl::Milliseconds(100)), ::ntp::testing::IsOk());
  ASSERT_OK_AND_ASSIGN(const absl::Duration applied, clock.SlewBy(-absl::Microseconds(200)));
  ASSERT_OK_AND_ASSIGN(ClockStatus status, clock.ReadStatus());
  EXPECT_EQ(status.slew_remaining, applied);
  this->ExpectNear(this->Elapsed(absl::Seconds(2)), absl::Seconds(2) + applied, this->Noise());
  ASSERT_THAT(clock.SlewBy(absl::Milliseconds(5)), ::ntp::testing::IsOk());
  EXPECT_THAT(clock.SlewBy(absl::ZeroDuration()),
              ::ntp::testing::IsOkAndHolds(absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(status, clock.ReadStatus());
  EXPECT_EQ(status.slew_remaining, absl::ZeroDuration());
  this->ExpectNear(this->Elapsed(absl::Seconds(2)), absl::Seconds(2), this->Noise());
}

// SetFrequencyPpm(+f) runs f ppm fast, (-f) slow, with f the value returned,
// within the frequency resolution of the request and what ReadStatus shows.
TYPED_TEST_P(ClockContractTest, FrequencyRunsAtTheAppliedCorrection) {
  if (!TypeParam::kWritable) GTEST_SKIP() << "read-only";
  Clock& clock = this->clock();
  const double max = clock.MaxFrequencyPpm();
  for (const double request : {100.3, -37.123456789, 1.0 / 3, 0.0, max, -max, max * 0.9}) {
    ASSERT_OK_AND_ASSIGN(const double applied, clock.SetFrequencyPpm(request));
    EXPECT_LE(std::fabs(applied - request), TypeParam::kResolution.frequency_ppm + 1e-9)
        << "request " << request << ", applied " << applied;
    EXPECT_LE(std::fabs(applied), max);
    ASSERT_OK_AND_ASSIGN(const ClockStatus status, clock.ReadStatus());
    EXPECT_EQ(status.frequency_ppm, applied);
    const absl::Duration elapsed = this->Elapsed(absl::Seconds(10));
    this->ExpectNear(elapsed, absl::Seconds(10) + absl::Seconds(10) * (applied * 1e-6),
                     this->Noise());
  }
}

TYPED_TEST_P(ClockContractTest, FrequencyBeyondTheLimitIsRejectedAndChangesNothing) {
  if (!TypeParam::kWritable) GTEST_SKIP() << "read-only";
  using ::ntp::testing::StatusIs;
  Clock& clock = this->clock();
  ASSERT_OK_AND_ASSIGN(const double applied, clock.SetFrequencyPpm(12.5));
  const int writes = this->harness_->writing_calls();
  const double max = clock.MaxFrequencyPpm();
  const auto invalid = StatusIs(absl::StatusCode::kInvalidArgument);
  for (const double request : {std::nextafter(max, 2 * max), -std::nextafter(max, 2 * max), max + 1,
                               -2 * max, kMaxSlewFrequencyPpm + 1, 1e300}) {
    EXPECT_THAT(clock.SetFrequencyPpm(request), invalid) << request;
  }
  EXPECT_EQ(this->harness_->writing_calls(), writes);
  ASSERT_OK_AND_ASSIGN(const ClockStatus status, clock.ReadStatus());
  EXPECT_EQ(status.frequency_ppm, applied);
}

TYPED_TEST_P(ClockContractTest, NonFiniteInputsAreRejectedAndChangeNothing) {
  if (!TypeParam::kWritable) GTEST_SKIP() << "read-only";
  using ::ntp::testing::StatusIs;
  Clock& clock = this->clock();
  ASSERT_OK_AND_ASSIGN(const double frequency, clock.SetFrequencyPpm(-3.25));
  ASSERT_OK_AND_ASSIGN(const absl::Duration slew, clock.SlewBy(absl::Milliseconds(2)));
  const int writes = this->harness_->writing_calls();
  const absl::Time start = clock.Now();
  const auto invalid = StatusIs(absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(clock.StepBy(absl::InfiniteDuration()), invalid);
  EXPECT_THAT(clock.StepBy(-absl::InfiniteDuration()), invalid);
  EXPECT_THAT(clock.SlewBy(absl::InfiniteDuration()), invalid);
  EXPECT_THAT(clock.SlewBy(-absl::InfiniteDuration()), invalid);
  EXPECT_THAT(clock.SetFrequencyPpm(std::numeric_limits<double>::quiet_NaN()), invalid);
  EXPECT_THAT(clock.SetFrequencyPpm(std::numeric_limits<double>::infinity()), invalid);
  EXPECT_THAT(clock.SetFrequencyPpm(-std::numeric_limits<double>::infinity()), invalid);
  EXPECT_EQ(this->harness_->writing_calls(), writes);
  this->ExpectNear(clock.Now() - start, absl::ZeroDuration(), this->Noise());
  ASSERT_OK_AND_ASSIGN(const ClockStatus status, clock.ReadStatus());
  EXPECT_EQ(status.frequency_ppm, frequency);
  EXPECT_EQ(status.slew_remaining, slew);
}

TYPED_TEST_P(ClockContractTest, ReadStatusReflectsTheLastSyncStatus) {
  if (!TypeParam::kWritable) GTEST_SKIP() << "read-only";
  using ::ntp::testing::IsOk;
  Clock& clock = this->clock();
  const ClockSyncStatus statuses[] = {
      {.synchronized = true,
       .leap = LeapStatus::kInsert,
       .max_error = absl::Milliseconds(3),
       .est_error = absl::Microseconds(40)},
      {.synchronized = true,
       .leap = LeapStatus::kDelete,
       .max_error = absl::Microseconds(1500),
       .est_error = absl::Microseconds(20)},
      {.synchronized = false,
       .leap = LeapStatus::kNone,
       .max_error = absl::Seconds(1),
       .est_error = absl::Milliseconds(1)},
      {.synchronized = true,
       .leap = LeapStatus::kNone,
       .max_error = absl::Microseconds(100),
       .est_error = absl::Microseconds(1)},
  };
  for (const ClockSyncStatus& sync : statuses) {
    ASSERT_THAT(clock.SetSyncStatus(sync), IsOk());
    ASSERT_OK_AND_ASSIGN(const ClockStatus status, clock.ReadStatus());
    EXPECT_EQ(status.sync.synchronized, sync.synchronized);
    EXPECT_EQ(status.sync.leap, sync.leap);
    EXPECT_EQ(status.sync.max_error, sync.max_error);
    EXPECT_EQ(status.sync.est_error, sync.est_error);
    if (sync.synchronized && sync.leap == LeapStatus::kNone) {
      EXPECT_EQ(status.state, KernelTimeState::kOk);
    }
  }
  const ClockSyncStatus last = statuses[3];
  EXPECT_THAT(clock.SetSyncStatus({.max_error = -absl::Microseconds(1)}),
              ::ntp::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(clock.SetSyncStatus({.est_error = -absl::Microseconds(1)}),
              ::ntp::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(const ClockStatus status, clock.ReadStatus());
  EXPECT_EQ(status.sync.synchronized, last.synchronized);
  EXPECT_EQ(status.sync.max_error, last.max_error);
}

REGISTER_TYPED_TEST_SUITE_P(
    ClockContractTest, PrecisionIsPositive, ReadStatusWorks, MaxFrequencyIsWithinTheSeamLimits,
    NowIsMonotonicWithoutSteps, ReadOnlyRefusesEveryWriteAndChangesNothing,
    StepMovesTheClockByTheAppliedAmount, StepCancelsTheSlew, SlewGainsTheAppliedAmountAt500Ppm,
    SlewReplacesTheSlewInProgressAndZeroCancels, FrequencyRunsAtTheAppliedCorrection,
    FrequencyBeyondTheLimitIsRejectedAndChangesNothing, NonFiniteInputsAreRejectedAndChangeNothing,
    ReadStatusReflectsTheLastSyncStatus);

}  // namespace clocks::testing

#endif  // CLOCK_CLOCK_CONTRACT_H_
