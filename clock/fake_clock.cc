#include "clock/fake_clock.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace clocks {
namespace {

std::string Signed(absl::Duration d) {
  return absl::StrCat(d >= absl::ZeroDuration() ? "+" : "", absl::FormatDuration(d));
}

const char* LeapName(LeapStatus leap) {
  switch (leap) {
    case LeapStatus::kInsert: return "insert";
    case LeapStatus::kDelete: return "delete";
    case LeapStatus::kNone: break;
  }
  return "none";
}

bool IsInfinite(absl::Duration d) {
  return d == absl::InfiniteDuration() || d == -absl::InfiniteDuration();
}

// `d` rounded to the nearest multiple of `unit` (halves away from zero).
absl::Duration RoundToMultiple(absl::Duration d, absl::Duration unit) {
  if (unit <= absl::ZeroDuration()) return d;
  const absl::Duration magnitude =
      absl::Floor(absl::AbsDuration(d) + unit / 2, unit);
  return d < absl::ZeroDuration() ? -magnitude : magnitude;
}

}  // namespace

FakeClock::FakeClock(absl::Time start, absl::Duration precision)
    : now_(start), precision_(precision) {}

void FakeClock::Advance(absl::Duration true_elapsed) {
  if (true_elapsed <= absl::ZeroDuration()) return;
  now_ += true_elapsed + true_elapsed * (frequency_ppm_ * 1e-6);
  const absl::Duration max_slew = true_elapsed * (kSlewRatePpm * 1e-6);
  absl::Duration slewed = slew_remaining_;
  if (slewed > max_slew) slewed = max_slew;
  if (slewed < -max_slew) slewed = -max_slew;
  now_ += slewed;
  slew_remaining_ -= slewed;
}

absl::Status FakeClock::CheckWritable() const {
  if (!read_only_) return absl::OkStatus();
  return absl::FailedPreconditionError("fake clock is read-only");
}

absl::StatusOr<absl::Duration> FakeClock::StepBy(absl::Duration offset) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  if (IsInfinite(offset)) {
    return absl::InvalidArgumentError("cannot step by an infinite offset");
  }
  const absl::Duration applied = resolution_.step > absl::ZeroDuration()
                                     ? absl::Floor(offset, resolution_.step)
                                     : offset;
  now_ += applied;
  slew_remaining_ = absl::ZeroDuration();
  ++step_count_;
  operations_.push_back(absl::StrCat("step ", Signed(applied)));
  return applied;
}

absl::StatusOr<absl::Duration> FakeClock::SlewBy(absl::Duration offset) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  if (IsInfinite(offset)) {
    return absl::InvalidArgumentError("cannot slew by an infinite offset");
  }
  const absl::Duration applied = RoundToMultiple(offset, resolution_.slew);
  slew_remaining_ = applied;
  operations_.push_back(absl::StrCat("slew ", Signed(applied)));
  return applied;
}

absl::StatusOr<double> FakeClock::SetFrequencyPpm(double ppm) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  if (!(std::fabs(ppm) <= max_frequency_ppm_)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "frequency %.3f ppm outside +/-%.0f ppm", ppm, max_frequency_ppm_));
  }
  double applied = ppm;
  if (const double unit = resolution_.frequency_ppm; unit > 0) {
    applied = std::round(ppm / unit) * unit;
    if (std::fabs(applied) > max_frequency_ppm_) applied -= std::copysign(unit, applied);
  }
  frequency_ppm_ = applied;
  operations_.push_back(absl::StrFormat("freq %.3fppm", applied));
  return applied;
}

absl::Status FakeClock::SetSyncStatus(const ClockSyncStatus& status) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  if (status.max_error < absl::ZeroDuration() ||
      status.est_error < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("error estimates must not be negative");
  }
  sync_ = status;
  operations_.push_back(absl::StrCat(
      "sync ", status.synchronized ? "synchronized" : "unsynchronized",
      " leap=", LeapName(status.leap)));
  return absl::OkStatus();
}

absl::StatusOr<ClockStatus> FakeClock::ReadStatus() {
  ClockStatus out;
  out.frequency_ppm = frequency_ppm_;
  out.slew_remaining = slew_remaining_;
  out.sync = sync_;
  out.state = sync_.leap == LeapStatus::kInsert   ? KernelTimeState::kInsert
              : sync_.leap == LeapStatus::kDelete ? KernelTimeState::kDelete
                                                  : KernelTimeState::kOk;
  return out;
}

}  // namespace clocks
