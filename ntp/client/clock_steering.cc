#include "ntp/client/clock_steering.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ntp {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Records older than this (and finished) are folded into constants.
constexpr double kKeepSeconds = 3600;
constexpr size_t kMaxRecords = 256;

double Sign(double x) { return x < 0 ? -1.0 : 1.0; }

// What the kernel interfaces can express (Linux adjtimex/clock_adjtime, as
// clocks::SystemClock and the simulator's clock apply them), so that the
// ledger records exactly what the clock does: the frequency in units of
// 2^-16 ppm, an adjtime slew in whole microseconds, a step in whole
// nanoseconds (floored, as a timespec is built).
double QuantizeFrequencyPpm(double ppm) { return std::round(ppm * 65536.0) / 65536.0; }
double QuantizeSlewSeconds(double s) { return std::round(s * 1e6) / 1e6; }
double QuantizeStepSeconds(double s) { return std::floor(s * 1e9) / 1e9; }

}  // namespace

ClockSteering::ClockSteering(clocks::Clock* clock, clocks::Scheduler* scheduler,
                             absl::Time origin, const SteeringOptions& options)
    : clock_(clock), scheduler_(scheduler), origin_(origin), options_(options) {
  // Never command more than this clock accepts.
  options_.max_frequency_ppm =
      std::min(options_.max_frequency_ppm, clock_->MaxFrequencyPpm());
  segments_.push_back(FrequencySegment{0.0, 0.0, 0.0});
}

ClockSteering::~ClockSteering() {
  if (timer_ != 0) scheduler_->Cancel(timer_);
}

double ClockSteering::Now() const {
  return absl::ToDoubleSeconds(scheduler_->Now() - origin_);
}

double ClockSteering::FrequencyPhaseAt(double t) const {
  // Last segment starting at or before t (the first one if t is earlier).
  // The segments are in start order and t is nearly always in one of the
  // last few: look there first.
  const size_t count = segments_.size();
  for (size_t k = 1; k <= std::min<size_t>(count, 4); ++k) {
    const FrequencySegment& s = segments_[count - k];
    if (s.start <= t) return s.phase_at_start + s.ppm * 1e-6 * (t - s.start);
  }
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), t,
      [](double value, const FrequencySegment& s) { return value < s.start; });
  if (it != segments_.begin()) --it;
  return it->phase_at_start + it->ppm * 1e-6 * (t - it->start);
}

double ClockSteering::SlewAppliedAt(const SlewRecord& s, double t) const {
  const double end = std::min(t, s.cut);
  if (end <= s.start) return 0;
  const double applied = options_.kernel_slew_rate_ppm * 1e-6 * (end - s.start);
  return Sign(s.amount) * std::min(std::fabs(s.amount), applied);
}

bool ClockSteering::SlewActiveAt(double t) const {
  if (slews_.empty()) return false;
  const SlewRecord& s = slews_.back();
  if (s.cut <= t || t < s.start) return false;
  return std::fabs(SlewAppliedAt(s, t)) < std::fabs(s.amount);
}

double ClockSteering::CorrectionAt(double t) const {
  double c = FrequencyPhaseAt(t) + folded_slews_ + folded_steps_;
  for (const SlewRecord& s : slews_) c += SlewAppliedAt(s, t);
  for (const StepRecord& s : steps_) {
    if (s.time <= t) c += s.amount;
  }
  return c;
}

double ClockSteering::RemainingCorrection() const {
  const double now = Now();
  double remaining = 0;
  if (timer_ != 0) remaining += temp_ppm_ * 1e-6 * std::max(0.0, correction_end_ - now);
  if (!slews_.empty()) {
    const SlewRecord& s = slews_.back();
    if (s.cut > now) remaining += s.amount - SlewAppliedAt(s, now);
  }
  return remaining;
}

void ClockSteering::Prune(double now) {
  const double horizon = now - kKeepSeconds;
  while (segments_.size() > 2 &&
         (segments_[1].start < horizon || segments_.size() > kMaxRecords)) {
    segments_.pop_front();
  }
  while (!slews_.empty()) {
    const SlewRecord& s = slews_.front();
    const double natural_end =
        s.start + std::fabs(s.amount) / (options_.kernel_slew_rate_ppm * 1e-6);
    const double end = std::min(s.cut, natural_end);
    if (end >= horizon && slews_.size() <= kMaxRecords) break;
    folded_slews_ += SlewAppliedAt(s, kInf);
    slews_.pop_front();
  }
  while (!steps_.empty() && (steps_.front().time < horizon || steps_.size() > kMaxRecords)) {
    folded_steps_ += steps_.front().amount;
    steps_.pop_front();
  }
}

absl::Status ClockSteering::CommandFrequency(double ppm) {
  const double limit = options_.max_frequency_ppm;
  ppm = QuantizeFrequencyPpm(std::clamp(ppm, -limit, limit));
  if (std::fabs(ppm) > limit) ppm -= Sign(ppm) / 65536.0;
  if (absl::Status s = clock_->SetFrequencyPpm(ppm); !s.ok()) return s;
  const double now = Now();
  const double phase = FrequencyPhaseAt(now);
  if (segments_.back().start == now) {
    segments_.back().ppm = ppm;
  } else {
    segments_.push_back(FrequencySegment{now, phase, ppm});
  }
  freq_ppm_ = ppm;
  Prune(now);
  return absl::OkStatus();
}

absl::Status ClockSteering::CommandSlew(double amount) {
  amount = QuantizeSlewSeconds(amount);
  const double now = Now();
  const bool active = SlewActiveAt(now);
  if (amount == 0 && !active) return absl::OkStatus();
  if (absl::Status s = clock_->SlewBy(absl::Seconds(amount)); !s.ok()) return s;
  if (!slews_.empty() && slews_.back().cut > now) slews_.back().cut = now;
  if (amount != 0) slews_.push_back(SlewRecord{now, amount, kInf});
  return absl::OkStatus();
}

void ClockSteering::EndCorrection() {
  timer_ = 0;
  temp_ppm_ = 0;
  // Nothing to report to: a failure leaves the temporary frequency in place
  // and the ledger unchanged, which the next measurement will show.
  (void)CommandFrequency(base_ppm_);
}

absl::Status ClockSteering::SetBaseFrequency(double ppm) {
  const double limit = options_.max_frequency_ppm;
  const double base_limit = std::min(limit, options_.max_base_frequency_ppm);
  const double remaining =
      timer_ != 0 ? temp_ppm_ * 1e-6 * std::max(0.0, correction_end_ - Now()) : 0.0;
  base_ppm_ = std::clamp(ppm, -base_limit, base_limit);
  if (timer_ != 0 && remaining != 0) {
    // Re-plan the frequency-path remainder around the new base (any kernel
    // slew keeps running: CorrectPhase would replace it, so do it by hand).
    scheduler_->Cancel(timer_);
    timer_ = 0;
    const double headroom = std::max(1e-3, limit - Sign(remaining) * base_ppm_);
    const double duration = std::max(options_.min_correction_seconds,
                                      std::fabs(remaining) / (headroom * 1e-6));
    temp_ppm_ = remaining / duration * 1e6;
    if (absl::Status s = CommandFrequency(base_ppm_ + temp_ppm_); !s.ok()) return s;
    correction_end_ = Now() + duration;
    timer_ = scheduler_->RunAt(origin_ + absl::Seconds(correction_end_),
                               [this] { EndCorrection(); });
    return absl::OkStatus();
  }
  if (timer_ != 0) {
    scheduler_->Cancel(timer_);
    timer_ = 0;
    temp_ppm_ = 0;
  }
  return CommandFrequency(base_ppm_);
}

absl::Status ClockSteering::CorrectPhase(double offset_seconds,
                                         double min_duration_seconds) {
  if (timer_ != 0) {
    scheduler_->Cancel(timer_);
    timer_ = 0;
    temp_ppm_ = 0;
  }
  if (!std::isfinite(offset_seconds)) {
    return absl::InvalidArgumentError("phase correction is not finite");
  }
  if (options_.kernel_slew_only) {
    if (absl::Status s = CommandSlew(offset_seconds); !s.ok()) return s;
    return CommandFrequency(base_ppm_);
  }
  const double limit = options_.max_frequency_ppm;
  const double sign = Sign(offset_seconds);
  const double magnitude = std::fabs(offset_seconds);
  const double headroom_ppm = std::max(0.0, limit - sign * base_ppm_);
  const double slew_ppm = options_.use_kernel_slew ? options_.kernel_slew_rate_ppm : 0.0;
  const double min_duration = std::max(options_.min_correction_seconds, min_duration_seconds);
  double kernel_part = 0;
  double duration;
  if (headroom_ppm <= 0 ||
      (slew_ppm > 0 && magnitude / (headroom_ppm * 1e-6) > min_duration)) {
    // Large: run the kernel slew and the frequency in parallel, both ending
    // together (or the frequency part later, if it must take longer).
    duration = std::max(min_duration, magnitude / ((headroom_ppm + slew_ppm) * 1e-6));
    kernel_part =
        QuantizeSlewSeconds(sign * std::min(magnitude, slew_ppm * 1e-6 * duration));
  } else {
    duration = std::max(min_duration, magnitude / (std::max(headroom_ppm, 1e-9) * 1e-6));
  }
  if (absl::Status s = CommandSlew(kernel_part); !s.ok()) return s;
  const double frequency_part = offset_seconds - kernel_part;
  if (frequency_part == 0 || duration <= 0) return CommandFrequency(base_ppm_);
  temp_ppm_ = frequency_part / duration * 1e6;
  if (absl::Status s = CommandFrequency(base_ppm_ + temp_ppm_); !s.ok()) {
    temp_ppm_ = 0;
    return s;
  }
  correction_end_ = Now() + duration;
  timer_ = scheduler_->RunAt(origin_ + absl::Seconds(correction_end_),
                             [this] { EndCorrection(); });
  return absl::OkStatus();
}

absl::Status ClockSteering::Step(double offset_seconds) {
  if (!std::isfinite(offset_seconds)) {
    return absl::InvalidArgumentError("step is not finite");
  }
  offset_seconds = QuantizeStepSeconds(offset_seconds);
  if (timer_ != 0) {
    scheduler_->Cancel(timer_);
    timer_ = 0;
    temp_ppm_ = 0;
  }
  if (absl::Status s = clock_->StepBy(absl::Seconds(offset_seconds)); !s.ok()) return s;
  const double now = Now();
  // StepBy cancels the kernel slew in progress.
  if (!slews_.empty() && slews_.back().cut > now) slews_.back().cut = now;
  steps_.push_back(StepRecord{now, offset_seconds});
  if (freq_ppm_ != base_ppm_) return CommandFrequency(base_ppm_);
  Prune(now);
  return absl::OkStatus();
}

absl::Status ClockSteering::Finish() {
  if (timer_ != 0) {
    scheduler_->Cancel(timer_);
    timer_ = 0;
    temp_ppm_ = 0;
    return CommandFrequency(base_ppm_);
  }
  return absl::OkStatus();
}

}  // namespace ntp
