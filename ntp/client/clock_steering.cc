#include "ntp/client/clock_steering.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ntp {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Records older than this (and finished) are folded into constants.
constexpr double kKeepSeconds = 3600;
constexpr size_t kMaxRecords = 256;

double Sign(double x) { return x < 0 ? -1.0 : 1.0; }

}  // namespace

ClockSteering::ClockSteering(const Dispatch* dispatch, EventSink* events, absl::Time origin,
                             TimerKey end_timer, const ClockCapabilities& clock,
                             const SteeringOptions& options)
    : dispatch_(dispatch),
      events_(events),
      origin_(origin),
      end_timer_(end_timer),
      slew_rate_ppm_(clock.slew_rate_ppm),
      options_(options) {
  // Never command more than this clock accepts.
  options_.max_frequency_ppm = std::min(options_.max_frequency_ppm, clock.max_frequency_ppm);
  segments_.push_back(FrequencySegment{0.0, 0.0, 0.0});
}

double ClockSteering::Now() const {
  return absl::ToDoubleSeconds(dispatch_->now.monotonic - origin_);
}

uint64_t ClockSteering::Ask(ClockOperation op) {
  op.id = next_op_id_++;
  pending_.push_back(PendingOperation{op.id, op.kind, Now()});
  dispatch_->out->Clock(op);
  return op.id;
}

void ClockSteering::ArmEndTimer(double when) {
  correction_end_ = when;
  timer_armed_ = true;
  dispatch_->out->Arm(end_timer_, origin_ + absl::Seconds(when));
}

void ClockSteering::DisarmEndTimer() {
  if (!timer_armed_) return;
  timer_armed_ = false;
  temp_ppm_ = 0;
  dispatch_->out->Disarm(end_timer_);
}

void ClockSteering::OnClockResult(const ClockResultInput& result) {
  if (result.kind == ClockOpKind::kSyncStatus) {
    if (!result.status.ok()) ReportRefusal(result.kind, result.status);
    return;
  }
  // Results come back in the order the operations were asked for.
  while (!pending_.empty() && pending_.front().id < result.id) pending_.pop_front();
  if (pending_.empty() || pending_.front().id != result.id) return;
  const PendingOperation op = pending_.front();
  pending_.pop_front();
  if (!result.status.ok()) {
    ReportRefusal(op.kind, result.status);
    return;
  }
  refusal_reported_[static_cast<int>(op.kind)] = false;
  switch (op.kind) {
    case ClockOpKind::kFrequency:
      RecordFrequency(op.time, result.applied_ppm);
      break;
    case ClockOpKind::kSlew:
      RecordSlew(op.time, absl::ToDoubleSeconds(result.applied_offset));
      break;
    case ClockOpKind::kStep:
      RecordStep(op.time, absl::ToDoubleSeconds(result.applied_offset));
      break;
    case ClockOpKind::kSyncStatus:
      break;
  }
}

void ClockSteering::ReportRefusal(ClockOpKind kind, const absl::Status& status) {
  ++refused_;
  bool& reported = refusal_reported_[static_cast<int>(kind)];
  if (reported || events_ == nullptr) return;
  reported = true;
  events_->OnEvent(Event{EventKind::kWarning,
                         absl::StrCat("clock ", ClockOpKindName(kind),
                                      " refused: ", status.message())});
}

void ClockSteering::RecordFrequency(double time, double ppm) {
  const double phase = FrequencyPhaseAt(time);
  if (segments_.back().start == time) {
    segments_.back().ppm = ppm;
  } else {
    segments_.push_back(FrequencySegment{time, phase, ppm});
  }
  applied_ppm_ = ppm;
  Prune(time);
}

void ClockSteering::RecordSlew(double time, double amount) {
  // A new slew replaces the one in progress.
  if (!slews_.empty() && slews_.back().cut > time) slews_.back().cut = time;
  if (amount != 0) slews_.push_back(SlewRecord{time, amount, kInf});
}

void ClockSteering::RecordStep(double time, double amount) {
  // A step cancels the slew in progress.
  if (!slews_.empty() && slews_.back().cut > time) slews_.back().cut = time;
  steps_.push_back(StepRecord{time, amount});
  Prune(time);
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
  const double applied = slew_rate_ppm_ * 1e-6 * (end - s.start);
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
  if (timer_armed_) remaining += temp_ppm_ * 1e-6 * std::max(0.0, correction_end_ - now);
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
    const double natural_end = s.start + std::fabs(s.amount) / (slew_rate_ppm_ * 1e-6);
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

void ClockSteering::CommandFrequency(double ppm) {
  const double limit = options_.max_frequency_ppm;
  ppm = std::clamp(ppm, -limit, limit);
  commanded_ppm_ = ppm;
  // Within one input only the last frequency asked for matters (the ledger
  // would replace a segment starting at the same instant anyway): update
  // the request still waiting in this input's actions.
  if (dispatch_->serial != 0 && frequency_request_.serial == dispatch_->serial) {
    ClockOperation* pending = dispatch_->out->MutableClockOperation(frequency_request_.index);
    if (pending != nullptr && pending->id == frequency_request_.id &&
        pending->kind == ClockOpKind::kFrequency) {
      pending->ppm = ppm;
      return;
    }
  }
  ClockOperation op;
  op.kind = ClockOpKind::kFrequency;
  op.ppm = ppm;
  frequency_request_.index = dispatch_->out->size();
  frequency_request_.serial = dispatch_->serial;
  frequency_request_.id = Ask(op);
}

void ClockSteering::CommandSlew(double amount) {
  if (amount == 0 && !SlewActiveAt(Now())) {
    bool pending = false;
    for (const PendingOperation& op : pending_) pending |= op.kind == ClockOpKind::kSlew;
    if (!pending) return;
  }
  ClockOperation op;
  op.kind = ClockOpKind::kSlew;
  op.offset = absl::Seconds(amount);
  Ask(op);
}

void ClockSteering::OnTimer() {
  if (!timer_armed_) return;
  timer_armed_ = false;
  temp_ppm_ = 0;
  CommandFrequency(base_ppm_);
}

void ClockSteering::SetBaseFrequency(double ppm) {
  const double limit = options_.max_frequency_ppm;
  const double base_limit = std::min(limit, options_.max_base_frequency_ppm);
  const double remaining =
      timer_armed_ ? temp_ppm_ * 1e-6 * std::max(0.0, correction_end_ - Now()) : 0.0;
  base_ppm_ = std::clamp(ppm, -base_limit, base_limit);
  if (timer_armed_ && remaining != 0) {
    // Re-plan the frequency-path remainder around the new base (any slew
    // keeps running: CorrectPhase would replace it, so do it by hand).
    const double headroom = std::max(1e-3, limit - Sign(remaining) * base_ppm_);
    const double duration = std::max(options_.min_correction_seconds,
                                      std::fabs(remaining) / (headroom * 1e-6));
    temp_ppm_ = remaining / duration * 1e6;
    CommandFrequency(base_ppm_ + temp_ppm_);
    ArmEndTimer(Now() + duration);
    return;
  }
  DisarmEndTimer();
  CommandFrequency(base_ppm_);
}

absl::Status ClockSteering::CorrectPhase(double offset_seconds, double min_duration_seconds) {
  if (!std::isfinite(offset_seconds)) {
    return absl::InvalidArgumentError("phase correction is not finite");
  }
  DisarmEndTimer();
  if (options_.kernel_slew_only) {
    CommandSlew(offset_seconds);
    CommandFrequency(base_ppm_);
    return absl::OkStatus();
  }
  const double limit = options_.max_frequency_ppm;
  const double sign = Sign(offset_seconds);
  const double magnitude = std::fabs(offset_seconds);
  const double headroom_ppm = std::max(0.0, limit - sign * base_ppm_);
  const double slew_ppm = options_.use_kernel_slew ? slew_rate_ppm_ : 0.0;
  const double min_duration = std::max(options_.min_correction_seconds, min_duration_seconds);
  double kernel_part = 0;
  double duration;
  if (headroom_ppm <= 0 ||
      (slew_ppm > 0 && magnitude / (headroom_ppm * 1e-6) > min_duration)) {
    // Large: run the clock's slew and the frequency in parallel, both
    // ending together (or the frequency part later, if it must take longer).
    duration = std::max(min_duration, magnitude / ((headroom_ppm + slew_ppm) * 1e-6));
    kernel_part = sign * std::min(magnitude, slew_ppm * 1e-6 * duration);
  } else {
    duration = std::max(min_duration, magnitude / (std::max(headroom_ppm, 1e-9) * 1e-6));
  }
  CommandSlew(kernel_part);
  const double frequency_part = offset_seconds - kernel_part;
  if (frequency_part == 0 || duration <= 0) {
    CommandFrequency(base_ppm_);
    return absl::OkStatus();
  }
  temp_ppm_ = frequency_part / duration * 1e6;
  CommandFrequency(base_ppm_ + temp_ppm_);
  ArmEndTimer(Now() + duration);
  return absl::OkStatus();
}

absl::Status ClockSteering::Step(double offset_seconds) {
  if (!std::isfinite(offset_seconds)) {
    return absl::InvalidArgumentError("step is not finite");
  }
  DisarmEndTimer();
  ClockOperation op;
  op.kind = ClockOpKind::kStep;
  op.offset = absl::Seconds(offset_seconds);
  Ask(op);
  if (commanded_ppm_ != base_ppm_) CommandFrequency(base_ppm_);
  return absl::OkStatus();
}

void ClockSteering::SetSyncState(const ClockSyncState& sync) {
  // The kernel status bits this asks for (Linux <sys/timex.h>: STA_INS
  // 0x0010, STA_DEL 0x0020, STA_UNSYNC 0x0040), logged in ntpd's words when
  // they change (ntpd/ntp_loopfilter.c).
  const uint32_t bits = (sync.synchronized ? 0u : 0x0040u) |
                        (sync.leap == Leap::kInsertSecond ? 0x0010u : 0u) |
                        (sync.leap == Leap::kDeleteSecond ? 0x0020u : 0u);
  if (!status_bits_.has_value() || *status_bits_ != bits) {
    status_bits_ = bits;
    if (events_ != nullptr) {
      events_->OnEvent(Event{EventKind::kInfo,
                             absl::StrFormat("kernel time sync status change %04x", bits)});
    }
  }
  // Not a ledger entry: only a refusal comes back.
  ClockOperation op;
  op.id = next_op_id_++;
  op.kind = ClockOpKind::kSyncStatus;
  op.sync = sync;
  dispatch_->out->Clock(op);
}

void ClockSteering::Finish() {
  if (!timer_armed_) return;
  DisarmEndTimer();
  CommandFrequency(base_ppm_);
}

}  // namespace ntp
