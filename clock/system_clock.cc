// SystemClock: the Linux implementation of the Clock seam.
#include "clock/system_clock.h"

#include <cerrno>
#include <unistd.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clock/posix_error.h"

namespace clocks {
namespace {

class LinuxKernelClockCalls final : public KernelClockCalls {
 public:
  int GetTime(timespec* ts) override { return clock_gettime(CLOCK_REALTIME, ts); }
  int GetResolution(timespec* ts) override {
    return clock_getres(CLOCK_REALTIME, ts);
  }
  int AdjustTime(timex* tx) override { return clock_adjtime(CLOCK_REALTIME, tx); }
};

absl::Duration FromTimespec(const timespec& ts) {
  return absl::Seconds(ts.tv_sec) + absl::Nanoseconds(ts.tv_nsec);
}

// Rounds to whole microseconds, the kernel's unit for offsets and errors.
long ToMicroseconds(absl::Duration d) {
  return static_cast<long>(absl::ToInt64Microseconds(d + (d < absl::ZeroDuration()
                                                              ? -absl::Nanoseconds(500)
                                                              : absl::Nanoseconds(500))));
}

KernelTimeState StateFromReturn(int state) {
  switch (state) {
    case TIME_OK: return KernelTimeState::kOk;
    case TIME_INS: return KernelTimeState::kInsert;
    case TIME_DEL: return KernelTimeState::kDelete;
    case TIME_OOP: return KernelTimeState::kLeapInProgress;
    case TIME_WAIT: return KernelTimeState::kLeapOccurred;
    default: return KernelTimeState::kError;
  }
}

}  // namespace

std::unique_ptr<KernelClockCalls> KernelClockCalls::Linux() {
  return std::make_unique<LinuxKernelClockCalls>();
}

std::unique_ptr<SystemClock> SystemClock::Create(Mode mode) {
  return std::make_unique<SystemClock>(mode, KernelClockCalls::Linux());
}

SystemClock::SystemClock(Mode mode, std::unique_ptr<KernelClockCalls> calls)
    : mode_(mode), calls_(std::move(calls)) {
  const long user_hz = sysconf(_SC_CLK_TCK);
  nominal_tick_us_ = 1'000'000 / (user_hz > 0 ? user_hz : 100);
  // Precision as ntpd measures it: the smallest non-zero step seen between
  // back-to-back readings, but never finer than the declared resolution.
  timespec res{};
  absl::Duration resolution = absl::Nanoseconds(1);
  if (calls_->GetResolution(&res) == 0 && FromTimespec(res) > resolution) {
    resolution = FromTimespec(res);
  }
  absl::Duration smallest_step = absl::InfiniteDuration();
  timespec previous{};
  calls_->GetTime(&previous);
  for (int i = 0; i < 64; ++i) {
    timespec current{};
    calls_->GetTime(&current);
    const absl::Duration step = FromTimespec(current) - FromTimespec(previous);
    if (step > absl::ZeroDuration() && step < smallest_step) smallest_step = step;
    previous = current;
  }
  precision_ = smallest_step == absl::InfiniteDuration()
                   ? resolution
                   : std::max(resolution, smallest_step);
}

absl::Time SystemClock::Now() {
  timespec ts{};
  calls_->GetTime(&ts);  // CLOCK_REALTIME reads cannot fail
  return absl::TimeFromTimespec(ts);
}

absl::Status SystemClock::RefuseIfReadOnly(absl::string_view operation) const {
  if (mode_ == Mode::kReadWrite) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "clock is read-only (no-adjust mode, like chronyd -x): refused to ",
      operation));
}

absl::Status SystemClock::Adjust(timex* tx, absl::string_view operation) {
  if (calls_->AdjustTime(tx) < 0) {
    return PosixError(absl::StrCat("clock_adjtime (", operation, ")"), errno);
  }
  return absl::OkStatus();
}

double SystemClock::FrequencyPpm(const timex& tx) const {
  return static_cast<double>(tx.freq) / 65536.0 +
         static_cast<double>(tx.tick - nominal_tick_us_) * 1e6 /
             static_cast<double>(nominal_tick_us_);
}

absl::StatusOr<absl::Duration> SystemClock::StepBy(absl::Duration offset) {
  const std::string what = absl::StrCat("step by ", absl::FormatDuration(offset));
  if (absl::Status s = RefuseIfReadOnly(what); !s.ok()) return s;
  if (offset == absl::InfiniteDuration() || offset == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("cannot step by an infinite offset");
  }
  // ADJ_SETOFFSET with ADJ_NANO: time.tv_sec may be negative, tv_usec holds
  // nanoseconds in [0, 1e9).
  absl::Duration rem;
  int64_t seconds = absl::IDivDuration(offset, absl::Seconds(1), &rem);
  if (rem < absl::ZeroDuration()) {
    seconds -= 1;
    rem += absl::Seconds(1);
  }
  timex tx{};
  tx.modes = ADJ_SETOFFSET | ADJ_NANO;
  tx.time.tv_sec = seconds;
  tx.time.tv_usec = absl::ToInt64Nanoseconds(rem);
  // The kernel returns the current time in tx.time: keep what was passed.
  const absl::Duration applied =
      absl::Seconds(tx.time.tv_sec) + absl::Nanoseconds(tx.time.tv_usec);
  if (absl::Status s = Adjust(&tx, what); !s.ok()) return s;
  return applied;
}

absl::StatusOr<absl::Duration> SystemClock::SlewBy(absl::Duration offset) {
  const std::string what = absl::StrCat("slew by ", absl::FormatDuration(offset));
  if (absl::Status s = RefuseIfReadOnly(what); !s.ok()) return s;
  // adjtime() semantics: the kernel applies the offset at 500 ppm.
  constexpr absl::Duration kMaxSlew = absl::Seconds(2000);
  if (absl::AbsDuration(offset) > kMaxSlew) {
    return absl::InvalidArgumentError(
        absl::StrCat("slew of ", absl::FormatDuration(offset),
                     " exceeds the limit of ", absl::FormatDuration(kMaxSlew)));
  }
  timex tx{};
  tx.modes = ADJ_OFFSET_SINGLESHOT;
  tx.offset = ToMicroseconds(offset);
  // The kernel stores the offset as given and returns the previous one in
  // tx.offset (kernel/time/ntp.c, ADJ_ADJTIME): keep what was passed.
  const absl::Duration applied = absl::Microseconds(tx.offset);
  if (absl::Status s = Adjust(&tx, what); !s.ok()) return s;
  return applied;
}

absl::StatusOr<double> SystemClock::SetFrequencyPpm(double ppm) {
  const std::string what = absl::StrFormat("set frequency to %.3f ppm", ppm);
  if (absl::Status s = RefuseIfReadOnly(what); !s.ok()) return s;
  if (!(std::fabs(ppm) <= kMaxSlewFrequencyPpm)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "frequency %.3f ppm outside +/-%.0f ppm", ppm, kMaxSlewFrequencyPpm));
  }
  // The tick carries whole steps of 1e6 / nominal_tick ppm (100 ppm at
  // USER_HZ 100); the kernel frequency (scaled ppm, 16-bit fraction) the
  // remainder, which stays well inside its +-500 ppm.
  const double ppm_per_tick_us = 1e6 / static_cast<double>(nominal_tick_us_);
  const long tick_delta_us =
      std::fabs(ppm) <= kMaxFrequencyPpm ? 0 : std::lround(ppm / ppm_per_tick_us);
  timex tx{};
  tx.modes = ADJ_FREQUENCY | ADJ_TICK;
  tx.tick = nominal_tick_us_ + tick_delta_us;
  tx.freq = std::lround((ppm - tick_delta_us * ppm_per_tick_us) * 65536.0);
  if (absl::Status s = Adjust(&tx, what); !s.ok()) return s;
  // The kernel fills in its frequency and tick after applying them.
  return FrequencyPpm(tx);
}

absl::Status SystemClock::SetSyncStatus(const ClockSyncStatus& status) {
  if (absl::Status s = RefuseIfReadOnly("set the synchronisation status"); !s.ok()) {
    return s;
  }
  if (status.max_error < absl::ZeroDuration() ||
      status.est_error < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("error estimates must not be negative");
  }
  timex read{};
  if (absl::Status s = Adjust(&read, "read status"); !s.ok()) return s;
  timex tx{};
  tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
  tx.status = read.status & ~(STA_UNSYNC | STA_INS | STA_DEL);
  if (!status.synchronized) tx.status |= STA_UNSYNC;
  if (status.leap == LeapStatus::kInsert) tx.status |= STA_INS;
  if (status.leap == LeapStatus::kDelete) tx.status |= STA_DEL;
  tx.maxerror = ToMicroseconds(status.max_error);
  tx.esterror = ToMicroseconds(status.est_error);
  return Adjust(&tx, "set the synchronisation status");
}

absl::StatusOr<ClockStatus> SystemClock::ReadStatus() {
  timex tx{};  // modes = 0: read only
  const int state = calls_->AdjustTime(&tx);
  if (state < 0) return PosixError("clock_adjtime (read status)", errno);
  timex slew{};
  slew.modes = ADJ_OFFSET_SS_READ;  // read-only: remaining adjtime() offset
  if (calls_->AdjustTime(&slew) < 0) {
    return PosixError("clock_adjtime (read slew)", errno);
  }
  ClockStatus out;
  out.frequency_ppm = FrequencyPpm(tx);
  out.slew_remaining = absl::Microseconds(slew.offset);
  out.sync.synchronized = (tx.status & STA_UNSYNC) == 0;
  out.sync.leap = (tx.status & STA_INS)   ? LeapStatus::kInsert
                  : (tx.status & STA_DEL) ? LeapStatus::kDelete
                                          : LeapStatus::kNone;
  out.sync.max_error = absl::Microseconds(tx.maxerror);
  out.sync.est_error = absl::Microseconds(tx.esterror);
  out.state = StateFromReturn(state);
  out.tick = absl::Microseconds(tx.tick);
  out.status_bits = static_cast<uint32_t>(tx.status);
  return out;
}

}  // namespace clocks
