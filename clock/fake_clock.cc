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

absl::Status FakeClock::StepBy(absl::Duration offset) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  if (offset == absl::InfiniteDuration() || offset == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("cannot step by an infinite offset");
  }
  now_ += offset;
  slew_remaining_ = absl::ZeroDuration();
  ++step_count_;
  operations_.push_back(absl::StrCat("step ", Signed(offset)));
  return absl::OkStatus();
}

absl::Status FakeClock::SlewBy(absl::Duration offset) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  slew_remaining_ = offset;
  operations_.push_back(absl::StrCat("slew ", Signed(offset)));
  return absl::OkStatus();
}

absl::Status FakeClock::SetFrequencyPpm(double ppm) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  if (!(std::fabs(ppm) <= max_frequency_ppm_)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "frequency %.3f ppm outside +/-%.0f ppm", ppm, max_frequency_ppm_));
  }
  frequency_ppm_ = ppm;
  operations_.push_back(absl::StrFormat("freq %.3fppm", ppm));
  return absl::OkStatus();
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
