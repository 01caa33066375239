#include "sim/sim_clock.h"

#include <sys/timex.h>  // STA_* and TIME_* values only: no call is made

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sim {
namespace {

constexpr double kSlewRate = clocks::kSlewRatePpm * 1e-6;
constexpr int64_t kNanosPerDay = int64_t{86400} * 1'000'000'000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;
// NTP_PHASE_LIMIT (Linux kernel/time/ntp.c): 16 s in the kernel's maxerror.
constexpr double kPhaseLimitSeconds = 16.0;
// MAXFREQ: maxerror grows by 500 us each second.
constexpr double kMaxErrorGrowthPerSecond = 500e-6;
// SystemClock's adjtime limit.
constexpr double kMaxSlewSeconds = 2000.0;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

double RoundToMicroseconds(double seconds) { return std::round(seconds * 1e6) * 1e-6; }

}  // namespace

const char* ClockOperationName(ClockOperation::Kind kind) {
  switch (kind) {
    case ClockOperation::Kind::kStep: return "step";
    case ClockOperation::Kind::kSlew: return "slew";
    case ClockOperation::Kind::kFrequency: return "frequency";
    case ClockOperation::Kind::kSyncStatus: return "sync_status";
    case ClockOperation::Kind::kLeap: return "leap";
    case ClockOperation::Kind::kInjectedStep: return "injected_step";
    case ClockOperation::Kind::kFalseticker: return "falseticker";
  }
  return "unknown";
}

SimClock::SimClock(const EventLoop* loop, Oscillator* oscillator,
                   const SimClockParams& params, uint64_t read_seed,
                   ClockObserver* observer)
    : loop_(loop),
      oscillator_(oscillator),
      epoch_(params.epoch),
      epoch_unix_ns_(absl::ToUnixNanos(params.epoch)),
      resolution_ns_(std::max<int64_t>(1, std::llround(params.resolution_s * 1e9))),
      read_jitter_s_(std::max(0.0, params.read_jitter_s)),
      precision_(params.precision_s > 0
                     ? absl::Seconds(params.precision_s)
                     : absl::Nanoseconds(std::max<int64_t>(1, std::llround(params.resolution_s * 1e9)))),
      read_only_(params.read_only),
      read_rng_(read_seed),
      observer_(observer),
      status_bits_(STA_UNSYNC) {
  state_.t_ns = loop_->now_ns();
  state_.phase_error = oscillator_->PhaseError(state_.t_ns);
  state_.offset = params.initial_offset_s;
  state_.kernel_state = TIME_OK;
  freq_ = std::clamp(std::round(params.initial_frequency_ppm * 65536.0) / 65536.0,
                     -clocks::kMaxFrequencyPpm, clocks::kMaxFrequencyPpm) *
          1e-6;
  max_error_set_ns_ = state_.t_ns;
}

int64_t SimClock::ClockUnixNanos(const State& s) const {
  return epoch_unix_ns_ + s.t_ns + std::llround(s.offset * 1e9);
}

SimClock::State SimClock::Project(int64_t t_ns) {
  State s = state_;
  if (t_ns <= s.t_ns) return s;
  const double phase_error = oscillator_->PhaseError(t_ns);
  const double d_phase = phase_error - s.phase_error;
  const double du = (t_ns - s.t_ns) * 1e-9 + d_phase;
  double slewed = 0;
  if (s.slew_remaining != 0) {
    const double max_slew = kSlewRate * du;
    slewed = std::clamp(s.slew_remaining, -max_slew, max_slew);
    s.slew_remaining -= slewed;
    if (std::fabs(s.slew_remaining) < 1e-15) s.slew_remaining = 0;
  }
  s.offset += d_phase + freq_ * du + slewed;
  s.t_ns = t_ns;
  s.phase_error = phase_error;
  if (s.kernel_state == TIME_OOP && ClockUnixNanos(s) >= s.oop_until_clock_ns) {
    s.kernel_state = TIME_WAIT;
  }
  if (s.leap_armed) {
    const int64_t clock_ns = ClockUnixNanos(s);
    if (s.leap_direction < 0 && clock_ns >= s.leap_at_clock_ns) {
      // Insert: 23:59:60 repeats as the clock goes back one second.
      s.offset -= 1.0;
      s.leap_armed = false;
      s.kernel_state = TIME_OOP;
      s.oop_until_clock_ns = s.leap_at_clock_ns;
      if (ClockUnixNanos(s) >= s.oop_until_clock_ns) s.kernel_state = TIME_WAIT;
    } else if (s.leap_direction > 0 &&
               clock_ns >= s.leap_at_clock_ns - kNanosPerSecond) {
      // Delete: 23:59:59 is skipped.
      s.offset += 1.0;
      s.leap_armed = false;
      s.kernel_state = TIME_WAIT;
    }
  }
  return s;
}

void SimClock::AdvanceToNow() {
  const bool armed = state_.leap_armed;
  const int direction = state_.leap_direction;
  state_ = Project(loop_->now_ns());
  if (armed && !state_.leap_armed) {
    last_reading_ns_ = INT64_MIN;
    Report(ClockOperation::Kind::kLeap, direction < 0 ? -1.0 : 1.0, true);
  }
}

void SimClock::Report(ClockOperation::Kind kind, double value, bool ok) {
  if (observer_ != nullptr) observer_->OnClockOperation(ClockOperation{kind, value, ok});
}

absl::Time SimClock::Now() {
  AdvanceToNow();
  double offset_ns = state_.offset * 1e9;
  if (read_jitter_s_ > 0) offset_ns += read_jitter_s_ * 1e9 * read_rng_.Uniform01();
  // Integer nanoseconds since the Unix epoch, floored to the resolution.
  int64_t reading_ns = epoch_unix_ns_ + state_.t_ns + static_cast<int64_t>(std::floor(offset_ns));
  if (resolution_ns_ > 1) reading_ns = FloorDiv(reading_ns, resolution_ns_) * resolution_ns_;
  if (reading_ns < last_reading_ns_) reading_ns = last_reading_ns_;
  last_reading_ns_ = reading_ns;
  return absl::FromUnixNanos(reading_ns);
}

absl::Status SimClock::CheckWritable() const {
  if (!read_only_) return absl::OkStatus();
  return absl::FailedPreconditionError("simulated clock is read-only");
}

absl::StatusOr<absl::Duration> SimClock::StepBy(absl::Duration offset) {
  if (absl::Status s = CheckWritable(); !s.ok()) {
    Report(ClockOperation::Kind::kStep, absl::ToDoubleSeconds(offset), false);
    return s;
  }
  if (offset == absl::InfiniteDuration() || offset == -absl::InfiniteDuration()) {
    Report(ClockOperation::Kind::kStep, 0, false);
    return absl::InvalidArgumentError("cannot step by an infinite offset");
  }
  AdvanceToNow();
  // ADJ_SETOFFSET | ADJ_NANO: whole nanoseconds, floored.
  const int64_t step_ns = absl::ToInt64Nanoseconds(
      absl::Floor(offset, absl::Nanoseconds(1)));
  const double step_s = static_cast<double>(step_ns) * 1e-9;
  ++host_steps_;
  if (!detached_) {
    state_.offset += step_s;
    // The kernel's ntp_clear() on a clock set.
    state_.slew_remaining = 0;
    state_.leap_armed = false;
    status_bits_ |= STA_UNSYNC | STA_NANO;
    max_error_s_ = est_error_s_ = kPhaseLimitSeconds;
    max_error_set_ns_ = state_.t_ns;
    last_reading_ns_ = INT64_MIN;
  }
  Report(ClockOperation::Kind::kStep, step_s, true);
  return absl::Nanoseconds(step_ns);
}

absl::StatusOr<absl::Duration> SimClock::SlewBy(absl::Duration offset) {
  const double seconds = absl::ToDoubleSeconds(offset);
  if (absl::Status s = CheckWritable(); !s.ok()) {
    Report(ClockOperation::Kind::kSlew, seconds, false);
    return s;
  }
  if (!(std::fabs(seconds) <= kMaxSlewSeconds)) {
    Report(ClockOperation::Kind::kSlew, seconds, false);
    return absl::InvalidArgumentError(
        absl::StrCat("slew of ", absl::FormatDuration(offset),
                     " exceeds the limit of 2000s"));
  }
  AdvanceToNow();
  const double slew = RoundToMicroseconds(seconds);
  if (!detached_) state_.slew_remaining = slew;
  Report(ClockOperation::Kind::kSlew, slew, true);
  // The whole microseconds the kernel stores (the same rounding as `slew`).
  return absl::Microseconds(std::llround(seconds * 1e6));
}

absl::StatusOr<double> SimClock::SetFrequencyPpm(double ppm) {
  if (absl::Status s = CheckWritable(); !s.ok()) {
    Report(ClockOperation::Kind::kFrequency, ppm, false);
    return s;
  }
  if (!(std::fabs(ppm) <= clocks::kMaxSlewFrequencyPpm)) {
    Report(ClockOperation::Kind::kFrequency, ppm, false);
    return absl::InvalidArgumentError(absl::StrFormat(
        "frequency %.3f ppm outside +/-%.0f ppm", ppm, clocks::kMaxSlewFrequencyPpm));
  }
  AdvanceToNow();
  // Tick part in whole 100 ppm steps (as SystemClock splits it), the rest in
  // the kernel's 2^-16 ppm frequency units.
  const double tick_ppm =
      std::fabs(ppm) <= clocks::kMaxFrequencyPpm ? 0.0 : std::round(ppm / 100.0) * 100.0;
  const double quantised_ppm =
      tick_ppm + std::round((ppm - tick_ppm) * 65536.0) / 65536.0;
  const double applied = quantised_ppm * 1e-6;
  if (!detached_) freq_ = applied;
  Report(ClockOperation::Kind::kFrequency, quantised_ppm, true);
  // Read back as ReadStatus reports it.
  return applied * 1e6;
}

void SimClock::UpdateMaxError() {
  const int64_t whole_seconds = (loop_->now_ns() - max_error_set_ns_) / kNanosPerSecond;
  if (whole_seconds <= 0) return;
  max_error_s_ += kMaxErrorGrowthPerSecond * static_cast<double>(whole_seconds);
  max_error_set_ns_ += whole_seconds * kNanosPerSecond;
  if (max_error_s_ > kPhaseLimitSeconds) {
    max_error_s_ = kPhaseLimitSeconds;
    status_bits_ |= STA_UNSYNC;
  }
}

absl::Status SimClock::SetSyncStatus(const clocks::ClockSyncStatus& status) {
  if (absl::Status s = CheckWritable(); !s.ok()) {
    Report(ClockOperation::Kind::kSyncStatus, 0, false);
    return s;
  }
  if (status.max_error < absl::ZeroDuration() ||
      status.est_error < absl::ZeroDuration()) {
    Report(ClockOperation::Kind::kSyncStatus, 0, false);
    return absl::InvalidArgumentError("error estimates must not be negative");
  }
  AdvanceToNow();
  const double value = (status.synchronized ? 1 : 0) +
                       (status.leap == clocks::LeapStatus::kInsert   ? 2
                        : status.leap == clocks::LeapStatus::kDelete ? 4
                                                                     : 0);
  if (detached_) {
    Report(ClockOperation::Kind::kSyncStatus, value, true);
    return absl::OkStatus();
  }
  UpdateMaxError();
  status_bits_ &= ~static_cast<uint32_t>(STA_UNSYNC | STA_INS | STA_DEL);
  if (!status.synchronized) status_bits_ |= STA_UNSYNC;
  if (status.leap == clocks::LeapStatus::kInsert) status_bits_ |= STA_INS;
  if (status.leap == clocks::LeapStatus::kDelete) status_bits_ |= STA_DEL;
  max_error_s_ = RoundToMicroseconds(absl::ToDoubleSeconds(status.max_error));
  est_error_s_ = RoundToMicroseconds(absl::ToDoubleSeconds(status.est_error));
  max_error_set_ns_ = state_.t_ns;
  if (max_error_s_ > kPhaseLimitSeconds) {
    max_error_s_ = kPhaseLimitSeconds;
    status_bits_ |= STA_UNSYNC;
  }
  // Leap state machine (kernel second_overflow, applied at once).
  const int direction = (status_bits_ & STA_INS)   ? -1
                        : (status_bits_ & STA_DEL) ? 1
                                                   : 0;
  switch (state_.kernel_state) {
    case TIME_OK:
    case TIME_INS:
    case TIME_DEL:
      if (direction == 0) {
        state_.leap_armed = false;
        state_.kernel_state = TIME_OK;
      } else {
        const int64_t clock_ns = ClockUnixNanos(state_);
        state_.leap_armed = true;
        state_.leap_direction = direction;
        state_.leap_at_clock_ns = (FloorDiv(clock_ns, kNanosPerDay) + 1) * kNanosPerDay;
        state_.kernel_state = direction < 0 ? TIME_INS : TIME_DEL;
      }
      break;
    case TIME_WAIT:
      if (direction == 0) state_.kernel_state = TIME_OK;
      break;
    default:
      break;
  }
  Report(ClockOperation::Kind::kSyncStatus, value, true);
  return absl::OkStatus();
}

absl::StatusOr<clocks::ClockStatus> SimClock::ReadStatus() {
  AdvanceToNow();
  UpdateMaxError();
  clocks::ClockStatus out;
  out.frequency_ppm = freq_ * 1e6;
  out.slew_remaining = absl::Microseconds(std::llround(state_.slew_remaining * 1e6));
  out.sync.synchronized = (status_bits_ & STA_UNSYNC) == 0;
  out.sync.leap = (status_bits_ & STA_INS)   ? clocks::LeapStatus::kInsert
                  : (status_bits_ & STA_DEL) ? clocks::LeapStatus::kDelete
                                             : clocks::LeapStatus::kNone;
  out.sync.max_error = absl::Microseconds(std::llround(max_error_s_ * 1e6));
  out.sync.est_error = absl::Microseconds(std::llround(est_error_s_ * 1e6));
  if (status_bits_ & STA_UNSYNC) {
    out.state = clocks::KernelTimeState::kError;
  } else {
    switch (state_.kernel_state) {
      case TIME_INS: out.state = clocks::KernelTimeState::kInsert; break;
      case TIME_DEL: out.state = clocks::KernelTimeState::kDelete; break;
      case TIME_OOP: out.state = clocks::KernelTimeState::kLeapInProgress; break;
      case TIME_WAIT: out.state = clocks::KernelTimeState::kLeapOccurred; break;
      default: out.state = clocks::KernelTimeState::kOk; break;
    }
  }
  out.tick = absl::Microseconds(10000);
  out.status_bits = status_bits_;
  return out;
}

double SimClock::TrueOffsetSeconds() { return Project(loop_->now_ns()).offset; }

double SimClock::TrueFrequencyErrorPpm() {
  const double e = oscillator_->FrequencyError(loop_->now_ns());
  return ((1 + e) * (1 + freq_) - 1) * 1e6;
}

double SimClock::OscillatorFrequencyPpm() {
  return oscillator_->FrequencyError(loop_->now_ns()) * 1e6;
}

double SimClock::slew_remaining_seconds() {
  return Project(loop_->now_ns()).slew_remaining;
}

void SimClock::InjectStep(double offset_s) {
  AdvanceToNow();
  state_.offset += offset_s;
  last_reading_ns_ = INT64_MIN;
  Report(ClockOperation::Kind::kInjectedStep, offset_s, true);
}

void SimClock::DetachFromHost() {
  AdvanceToNow();
  detached_ = true;
  Report(ClockOperation::Kind::kFalseticker, 0, true);
}

}  // namespace sim
