// SystemClock tests. The real kernel is only ever used read-only; the writing
// paths run against a recorder of the timex structures they would pass.
#include "clock/system_clock.h"

#include <cerrno>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

// Records AdjustTime calls; GetTime ticks 1 us per call.
class RecordingKernelCalls final : public KernelClockCalls {
 public:
  explicit RecordingKernelCalls(std::vector<timex>* log) : log_(log) {}
  int GetTime(timespec* ts) override {
    ts->tv_sec = 1'800'000'000 + static_cast<time_t>(reads_ / 1'000'000);
    ts->tv_nsec = static_cast<long>(reads_ % 1'000'000) * 1000;
    ++reads_;
    return 0;
  }
  int GetResolution(timespec* ts) override {
    ts->tv_sec = 0;
    ts->tv_nsec = 1;
    return 0;
  }
  int AdjustTime(timex* tx) override {
    log_->push_back(*tx);
    if (fail_with_ != 0) {
      errno = fail_with_;
      return -1;
    }
    tx->status = STA_PLL | STA_UNSYNC;
    tx->freq = 12 * 65536;
    tx->maxerror = 1500;
    tx->esterror = 20;
    tx->tick = 10000;
    if (tx->modes == ADJ_OFFSET_SS_READ) tx->offset = -250;
    return TIME_OK;
  }
  int fail_with_ = 0;

 private:
  std::vector<timex>* log_;
  int64_t reads_ = 0;
};

bool IsReadOnlyMode(unsigned modes) {
  return modes == 0 || modes == ADJ_OFFSET_SS_READ;
}

TEST(SystemClockRealTest, ReadOnlyReadsTheRealClock) {
  std::unique_ptr<SystemClock> clock =
      SystemClock::Create(SystemClock::Mode::kReadOnly);
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const absl::Time before = absl::TimeFromTimespec(ts);
  const absl::Time now = clock->Now();
  clock_gettime(CLOCK_REALTIME, &ts);
  const absl::Time after = absl::TimeFromTimespec(ts);
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_GT(clock->Precision(), absl::ZeroDuration());
  EXPECT_LT(clock->Precision(), absl::Milliseconds(1));
  absl::StatusOr<ClockStatus> status = clock->ReadStatus();
  ASSERT_THAT(status, IsOk());
  EXPECT_LE(std::abs(status->frequency_ppm), 600.0);
  EXPECT_GT(status->tick, absl::ZeroDuration());
}

TEST(SystemClockRealTest, ReadOnlyRefusesEveryWrite) {
  std::unique_ptr<SystemClock> clock =
      SystemClock::Create(SystemClock::Mode::kReadOnly);
  const auto refused = StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("read-only"));
  EXPECT_THAT(clock->StepBy(absl::Seconds(1)), refused);
  EXPECT_THAT(clock->SlewBy(absl::Milliseconds(1)), refused);
  EXPECT_THAT(clock->SetFrequencyPpm(1.0), refused);
  EXPECT_THAT(clock->SetSyncStatus(ClockSyncStatus{}), refused);
}

TEST(SystemClockTest, ReadOnlyModeMakesNoWritingCall) {
  std::vector<timex> log;
  SystemClock clock(SystemClock::Mode::kReadOnly,
                    std::make_unique<RecordingKernelCalls>(&log));
  (void)clock.StepBy(absl::Seconds(-3));
  (void)clock.SlewBy(absl::Milliseconds(4));
  (void)clock.SetFrequencyPpm(-7);
  (void)clock.SetSyncStatus(ClockSyncStatus{.synchronized = true});
  ASSERT_THAT(clock.ReadStatus(), IsOk());
  ASSERT_FALSE(log.empty());
  for (const timex& tx : log) EXPECT_TRUE(IsReadOnlyMode(tx.modes)) << tx.modes;
}

TEST(SystemClockTest, StepUsesSetOffsetWithNormalisedNanoseconds) {
  std::vector<timex> log;
  SystemClock clock(SystemClock::Mode::kReadWrite,
                    std::make_unique<RecordingKernelCalls>(&log));
  ASSERT_THAT(clock.StepBy(absl::Milliseconds(1500)), IsOk());
  ASSERT_THAT(clock.StepBy(absl::Milliseconds(-1500)), IsOk());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].modes, unsigned{ADJ_SETOFFSET | ADJ_NANO});
  EXPECT_EQ(log[0].time.tv_sec, 1);
  EXPECT_EQ(log[0].time.tv_usec, 500'000'000);
  EXPECT_EQ(log[1].time.tv_sec, -2);
  EXPECT_EQ(log[1].time.tv_usec, 500'000'000);
  EXPECT_THAT(clock.StepBy(absl::InfiniteDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SystemClockTest, SlewUsesSingleShotMicroseconds) {
  std::vector<timex> log;
  SystemClock clock(SystemClock::Mode::kReadWrite,
                    std::make_unique<RecordingKernelCalls>(&log));
  ASSERT_THAT(clock.SlewBy(absl::Microseconds(-1234) - absl::Nanoseconds(600)),
              IsOk());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].modes, unsigned{ADJ_OFFSET_SINGLESHOT});
  EXPECT_EQ(log[0].offset, -1235);  // rounded to nearest microsecond
  EXPECT_THAT(clock.SlewBy(absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SystemClockTest, FrequencyIsScaledPpmAndClamped) {
  std::vector<timex> log;
  SystemClock clock(SystemClock::Mode::kReadWrite,
                    std::make_unique<RecordingKernelCalls>(&log));
  EXPECT_DOUBLE_EQ(clock.MaxFrequencyPpm(), kMaxSlewFrequencyPpm);
  ASSERT_THAT(clock.SetFrequencyPpm(-12.5), IsOk());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].modes, unsigned{ADJ_FREQUENCY | ADJ_TICK});
  EXPECT_EQ(log[0].freq, -12.5 * 65536);
  EXPECT_EQ(log[0].tick, 10000);  // nominal at USER_HZ 100
  EXPECT_THAT(clock.SetFrequencyPpm(83333.5),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(clock.SetFrequencyPpm(std::nan("")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(log.size(), 1u);  // rejected values make no call
}

TEST(SystemClockTest, FastSlewFrequencyGoesThroughTheTick) {
  std::vector<timex> log;
  SystemClock clock(SystemClock::Mode::kReadWrite,
                    std::make_unique<RecordingKernelCalls>(&log));
  ASSERT_THAT(clock.SetFrequencyPpm(1234.5), IsOk());
  ASSERT_THAT(clock.SetFrequencyPpm(-83333), IsOk());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].tick, 10012);                  // +1200 ppm
  EXPECT_EQ(log[0].freq, std::lround(34.5 * 65536));  // the rest
  EXPECT_EQ(log[1].tick, 10000 - 833);            // -83300 ppm
  EXPECT_EQ(log[1].freq, std::lround(-33.0 * 65536));
}

TEST(SystemClockTest, SyncStatusKeepsOtherBitsAndSetsLeap) {
  std::vector<timex> log;
  SystemClock clock(SystemClock::Mode::kReadWrite,
                    std::make_unique<RecordingKernelCalls>(&log));
  ASSERT_THAT(clock.SetSyncStatus({.synchronized = true,
                                   .leap = LeapStatus::kInsert,
                                   .max_error = absl::Milliseconds(3),
                                   .est_error = absl::Microseconds(40)}),
              IsOk());
  ASSERT_EQ(log.size(), 2u);  // read, then write
  EXPECT_EQ(log[0].modes, 0u);
  EXPECT_EQ(log[1].modes, unsigned{ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR});
  EXPECT_EQ(log[1].status, STA_PLL | STA_INS);  // STA_UNSYNC cleared
  EXPECT_EQ(log[1].maxerror, 3000);
  EXPECT_EQ(log[1].esterror, 40);
  EXPECT_THAT(clock.SetSyncStatus({.max_error = -absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SystemClockTest, ReadStatusDecodesKernelFields) {
  std::vector<timex> log;
  SystemClock clock(SystemClock::Mode::kReadOnly,
                    std::make_unique<RecordingKernelCalls>(&log));
  ASSERT_OK_AND_ASSIGN(ClockStatus status, clock.ReadStatus());
  EXPECT_DOUBLE_EQ(status.frequency_ppm, 12.0);
  EXPECT_EQ(status.slew_remaining, absl::Microseconds(-250));
  EXPECT_FALSE(status.sync.synchronized);
  EXPECT_EQ(status.sync.max_error, absl::Microseconds(1500));
  EXPECT_EQ(status.state, KernelTimeState::kOk);
  EXPECT_EQ(status.tick, absl::Milliseconds(10));
}

TEST(SystemClockTest, KernelErrorsBecomeStatuses) {
  std::vector<timex> log;
  auto calls = std::make_unique<RecordingKernelCalls>(&log);
  calls->fail_with_ = EPERM;
  SystemClock clock(SystemClock::Mode::kReadWrite, std::move(calls));
  EXPECT_THAT(clock.StepBy(absl::Seconds(1)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("clock_adjtime")));
  EXPECT_THAT(clock.ReadStatus(), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(SystemClockTest, PrecisionIsTheSmallestObservedStep) {
  std::vector<timex> log;
  SystemClock clock(SystemClock::Mode::kReadOnly,
                    std::make_unique<RecordingKernelCalls>(&log));
  EXPECT_EQ(clock.Precision(), absl::Microseconds(1));
}

}  // namespace
}  // namespace clocks
