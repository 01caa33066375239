// SystemClock tests. The real kernel is only ever used read-only; the writing
// paths run against a recorder of the timex structures they would pass.
#include "clock/system_clock.h"

#include <cerrno>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "clock/recording_kernel_calls.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::IsOkAndHolds;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

// A SystemClock over an emulated kernel; `kernel` stays owned by the clock.
std::unique_ptr<SystemClock> MakeClock(SystemClock::Mode mode,
                                       RecordingKernelCalls** kernel) {
  auto calls = std::make_unique<RecordingKernelCalls>();
  *kernel = calls.get();
  return std::make_unique<SystemClock>(mode, std::move(calls));
}

// A kernel that keeps the frequency more coarsely than Linux (2^-10 ppm,
// rounded down), to show that SystemClock reports what the kernel took.
class CoarseFrequencyKernel final : public KernelClockCalls {
 public:
  int GetTime(timespec* ts) override { return kernel_.GetTime(ts); }
  int GetResolution(timespec* ts) override { return kernel_.GetResolution(ts); }
  int AdjustTime(timex* tx) override {
    if ((tx->modes & ADJ_FREQUENCY) != 0) tx->freq &= ~long{63};
    return kernel_.AdjustTime(tx);
  }

 private:
  RecordingKernelCalls kernel_;
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
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadOnly, &kernel);
  (void)clock->StepBy(absl::Seconds(-3));
  (void)clock->SlewBy(absl::Milliseconds(4));
  (void)clock->SetFrequencyPpm(-7);
  (void)clock->SetSyncStatus(ClockSyncStatus{.synchronized = true});
  ASSERT_THAT(clock->ReadStatus(), IsOk());
  ASSERT_FALSE(kernel->calls().empty());
  for (const timex& tx : kernel->calls()) EXPECT_TRUE(IsReadOnlyMode(tx.modes)) << tx.modes;
  EXPECT_EQ(kernel->writing_calls(), 0);
}

TEST(SystemClockTest, StepUsesSetOffsetWithNormalisedNanoseconds) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadWrite, &kernel);
  EXPECT_THAT(clock->StepBy(absl::Milliseconds(1500)),
              IsOkAndHolds(absl::Milliseconds(1500)));
  EXPECT_THAT(clock->StepBy(absl::Milliseconds(-1500)),
              IsOkAndHolds(absl::Milliseconds(-1500)));
  // Below a nanosecond the timespec is floored.
  EXPECT_THAT(clock->StepBy(-absl::Nanoseconds(1) / 4),
              IsOkAndHolds(-absl::Nanoseconds(1)));
  EXPECT_THAT(clock->StepBy(absl::Nanoseconds(2) + absl::Nanoseconds(1) * 0.75),
              IsOkAndHolds(absl::Nanoseconds(2)));
  const std::vector<timex>& log = kernel->calls();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].modes, unsigned{ADJ_SETOFFSET | ADJ_NANO});
  EXPECT_EQ(log[0].time.tv_sec, 1);
  EXPECT_EQ(log[0].time.tv_usec, 500'000'000);
  EXPECT_EQ(log[1].time.tv_sec, -2);
  EXPECT_EQ(log[1].time.tv_usec, 500'000'000);
  EXPECT_EQ(log[2].time.tv_sec, -1);
  EXPECT_EQ(log[2].time.tv_usec, 999'999'999);
  EXPECT_THAT(clock->StepBy(absl::InfiniteDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(kernel->calls().size(), 4u);
}

TEST(SystemClockTest, StepMovesTheKernelClockByTheReturnedAmount) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadWrite, &kernel);
  const absl::Time before = clock->Now();  // lets 1 us pass
  ASSERT_OK_AND_ASSIGN(const absl::Duration applied,
                       clock->StepBy(absl::Seconds(-2) - absl::Nanoseconds(1) / 2));
  EXPECT_EQ(clock->Now() - before, applied + absl::Microseconds(1));
}

TEST(SystemClockTest, SlewUsesSingleShotMicroseconds) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadWrite, &kernel);
  // Rounded to the nearest microsecond; the kernel keeps it as given.
  EXPECT_THAT(clock->SlewBy(absl::Microseconds(-1234) - absl::Nanoseconds(600)),
              IsOkAndHolds(absl::Microseconds(-1235)));
  EXPECT_EQ(kernel->slew_remaining(), absl::Microseconds(-1235));
  // The kernel answers with the previous offset; the clock reports the new one.
  EXPECT_THAT(clock->SlewBy(absl::Microseconds(2) + absl::Nanoseconds(499)),
              IsOkAndHolds(absl::Microseconds(2)));
  ASSERT_OK_AND_ASSIGN(ClockStatus status, clock->ReadStatus());
  EXPECT_EQ(status.slew_remaining, absl::Microseconds(2));
  const std::vector<timex>& log = kernel->calls();
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[0].modes, unsigned{ADJ_OFFSET_SINGLESHOT});
  EXPECT_EQ(log[0].offset, -1235);
  EXPECT_THAT(clock->SlewBy(absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(clock->SlewBy(-absl::InfiniteDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SystemClockTest, FrequencyIsScaledPpmAndClamped) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadWrite, &kernel);
  EXPECT_DOUBLE_EQ(clock->MaxFrequencyPpm(), kMaxSlewFrequencyPpm);
  EXPECT_THAT(clock->SetFrequencyPpm(-12.5), IsOkAndHolds(-12.5));
  ASSERT_EQ(kernel->calls().size(), 1u);
  EXPECT_EQ(kernel->calls()[0].modes, unsigned{ADJ_FREQUENCY | ADJ_TICK});
  EXPECT_EQ(kernel->calls()[0].freq, -12.5 * 65536);
  EXPECT_EQ(kernel->calls()[0].tick, 10000);  // nominal at USER_HZ 100
  // Whole units of 2^-16 ppm, as the kernel reads them back.
  EXPECT_THAT(clock->SetFrequencyPpm(1.0 / 3),
              IsOkAndHolds(std::round(65536.0 / 3) / 65536.0));
  EXPECT_THAT(clock->SetFrequencyPpm(83333.5),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(clock->SetFrequencyPpm(std::nan("")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(kernel->calls().size(), 2u);  // rejected values make no call
  ASSERT_OK_AND_ASSIGN(ClockStatus status, clock->ReadStatus());
  EXPECT_EQ(status.frequency_ppm, std::round(65536.0 / 3) / 65536.0);
}

TEST(SystemClockTest, FrequencyIsWhatTheKernelReadsBack) {
  SystemClock clock(SystemClock::Mode::kReadWrite,
                    std::make_unique<CoarseFrequencyKernel>());
  // 1.001 ppm is 65601.5 units: 65602 passed, 65600 (2^-10 ppm) kept.
  EXPECT_THAT(clock.SetFrequencyPpm(1.001), IsOkAndHolds(65600 / 65536.0));
  EXPECT_THAT(clock.SetFrequencyPpm(1234.5),
              IsOkAndHolds(1200 + (std::lround(34.5 * 65536) & ~long{63}) / 65536.0));
}

TEST(SystemClockTest, FastSlewFrequencyGoesThroughTheTick) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadWrite, &kernel);
  EXPECT_THAT(clock->SetFrequencyPpm(1234.5), IsOkAndHolds(1234.5));
  EXPECT_THAT(clock->SetFrequencyPpm(-83333), IsOkAndHolds(-83333));
  const std::vector<timex>& log = kernel->calls();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].tick, 10012);                  // +1200 ppm
  EXPECT_EQ(log[0].freq, std::lround(34.5 * 65536));  // the rest
  EXPECT_EQ(log[1].tick, 10000 - 833);            // -83300 ppm
  EXPECT_EQ(log[1].freq, std::lround(-33.0 * 65536));
  EXPECT_EQ(kernel->state().tick, 10000 - 833);
}

TEST(SystemClockTest, SyncStatusKeepsOtherBitsAndSetsLeap) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadWrite, &kernel);
  kernel->state().status = STA_PLL | STA_UNSYNC;
  ASSERT_THAT(clock->SetSyncStatus({.synchronized = true,
                                    .leap = LeapStatus::kInsert,
                                    .max_error = absl::Milliseconds(3),
                                    .est_error = absl::Microseconds(40)}),
              IsOk());
  const std::vector<timex>& log = kernel->calls();
  ASSERT_EQ(log.size(), 2u);  // read, then write
  EXPECT_EQ(log[0].modes, 0u);
  EXPECT_EQ(log[1].modes, unsigned{ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR});
  EXPECT_EQ(log[1].status, STA_PLL | STA_INS);  // STA_UNSYNC cleared
  EXPECT_EQ(log[1].maxerror, 3000);
  EXPECT_EQ(log[1].esterror, 40);
  ASSERT_OK_AND_ASSIGN(ClockStatus status, clock->ReadStatus());
  EXPECT_TRUE(status.sync.synchronized);
  EXPECT_EQ(status.sync.leap, LeapStatus::kInsert);
  EXPECT_EQ(status.sync.max_error, absl::Milliseconds(3));
  EXPECT_THAT(clock->SetSyncStatus({.max_error = -absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SystemClockTest, ReadStatusDecodesKernelFields) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadOnly, &kernel);
  kernel->state() = {.freq = 12 * 65536,
                     .tick = 10001,
                     .status = STA_PLL | STA_UNSYNC,
                     .maxerror = 1500,
                     .esterror = 20};
  kernel->set_slew_remaining(absl::Microseconds(-250));
  ASSERT_OK_AND_ASSIGN(ClockStatus status, clock->ReadStatus());
  EXPECT_DOUBLE_EQ(status.frequency_ppm, 112.0);  // tick +1 us is +100 ppm
  EXPECT_EQ(status.slew_remaining, absl::Microseconds(-250));
  EXPECT_FALSE(status.sync.synchronized);
  EXPECT_EQ(status.sync.max_error, absl::Microseconds(1500));
  EXPECT_EQ(status.sync.est_error, absl::Microseconds(20));
  EXPECT_EQ(status.state, KernelTimeState::kError);  // STA_UNSYNC: TIME_ERROR
  EXPECT_EQ(status.tick, absl::Microseconds(10001));
  EXPECT_EQ(status.status_bits, unsigned{STA_PLL | STA_UNSYNC});
  kernel->state().status = STA_PLL;
  ASSERT_OK_AND_ASSIGN(status, clock->ReadStatus());
  EXPECT_EQ(status.state, KernelTimeState::kOk);
}

TEST(SystemClockTest, KernelErrorsBecomeStatuses) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadWrite, &kernel);
  kernel->set_fail_with(EPERM);
  const auto denied =
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("clock_adjtime"));
  EXPECT_THAT(clock->StepBy(absl::Seconds(1)), denied);
  EXPECT_THAT(clock->SlewBy(absl::Seconds(1)), denied);
  EXPECT_THAT(clock->SetFrequencyPpm(1), denied);
  EXPECT_THAT(clock->ReadStatus(), StatusIs(absl::StatusCode::kPermissionDenied));
}

// The emulation the tests above rely on (kernel/time/ntp.c).
TEST(RecordingKernelCallsTest, AnswersAsLinux) {
  RecordingKernelCalls kernel;
  timex slew{};
  slew.modes = ADJ_OFFSET_SINGLESHOT;
  slew.offset = 700;
  EXPECT_EQ(kernel.AdjustTime(&slew), TIME_ERROR);  // STA_UNSYNC at boot
  EXPECT_EQ(slew.offset, 0);                        // the previous offset
  timex freq{};
  freq.modes = ADJ_FREQUENCY;
  freq.freq = 600 * 65536;
  kernel.AdjustTime(&freq);
  EXPECT_EQ(freq.freq, 500 * 65536);  // clamped to MAXFREQ
  timex bad_tick{};
  bad_tick.modes = ADJ_TICK;
  bad_tick.tick = 11001;
  EXPECT_EQ(kernel.AdjustTime(&bad_tick), -1);
  EXPECT_EQ(errno, EINVAL);
  timex step{};
  step.modes = ADJ_SETOFFSET | ADJ_NANO;
  step.time.tv_sec = 5;
  EXPECT_EQ(kernel.AdjustTime(&step), TIME_ERROR);
  EXPECT_EQ(step.time.tv_sec, 1'800'000'005);  // the time after the step
  EXPECT_EQ(kernel.slew_remaining(), absl::ZeroDuration());  // ntp_clear()
  EXPECT_NE(step.status & STA_NANO, 0);
  EXPECT_EQ(kernel.writing_calls(), 4);
  // 10 s at +500 ppm.
  timespec before, after;
  kernel.GetTime(&before);
  kernel.Advance(absl::Seconds(10) - absl::Microseconds(1));
  kernel.GetTime(&after);
  EXPECT_EQ(absl::DurationFromTimespec(after) - absl::DurationFromTimespec(before),
            absl::Seconds(10) + absl::Milliseconds(5));
}

TEST(SystemClockTest, PrecisionIsTheSmallestObservedStep) {
  RecordingKernelCalls* kernel;
  auto clock = MakeClock(SystemClock::Mode::kReadOnly, &kernel);
  EXPECT_EQ(clock->Precision(), absl::Microseconds(1));
}

}  // namespace
}  // namespace clocks
