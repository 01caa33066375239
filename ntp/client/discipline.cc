#include "ntp/client/discipline.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ntp {

const char* DisciplineStateName(DisciplineState state) {
  switch (state) {
    case DisciplineState::kNset: return "NSET";
    case DisciplineState::kFset: return "FSET";
    case DisciplineState::kSync: return "SYNC";
    case DisciplineState::kSpike: return "SPIK";
  }
  return "?";
}

std::string PanicMessage(double offset_seconds, double panic_threshold_seconds) {
  return absl::StrFormat(
      "time correction of %.0f seconds exceeds sanity limit (%.0f); set clock "
      "manually to the correct UTC time.",
      offset_seconds, panic_threshold_seconds);
}

Discipline::Discipline(ClockSteering* steering, EventSink* events,
                       const DisciplineOptions& options)
    : steering_(steering),
      events_(events),
      options_(options),
      allow_panic_(options.allow_big_first_step) {}

void Discipline::Report(EventKind kind, std::string text) {
  if (events_ != nullptr) events_->OnEvent(Event{kind, std::move(text)});
}

double Discipline::step_threshold_seconds() const {
  if (options_.never_step) return kSlewOnlyStepThresholdSeconds;
  if (options_.step_threshold_seconds <= 0) {
    return std::numeric_limits<double>::infinity();
  }
  return options_.step_threshold_seconds;
}

void Discipline::Start(std::optional<double> initial_frequency_ppm) {
  state_ = initial_frequency_ppm.has_value() ? DisciplineState::kFset
                                             : DisciplineState::kNset;
  ApplyFrequency(initial_frequency_ppm.value_or(0.0));
}

void Discipline::SetFrequency(double frequency_ppm) { ApplyFrequency(frequency_ppm); }

void Discipline::ApplyFrequency(double ppm) {
  if (std::fabs(ppm) > options_.max_frequency_ppm) {
    Report(EventKind::kWarning,
           absl::StrFormat("frequency error %.0f PPM exceeds tolerance %.0f PPM", ppm,
                           options_.max_frequency_ppm));
    ppm = std::copysign(options_.max_frequency_ppm, ppm);
  }
  frequency_ppm_ = ppm;
  steering_->SetBaseFrequency(ppm);
}

void Discipline::NoteExternalStep() {
  if (state_ == DisciplineState::kSync || state_ == DisciplineState::kSpike) {
    state_ = DisciplineState::kFset;
  }
}

UpdateResult Discipline::DoStep(double offset) {
  UpdateResult result;
  result.offset_seconds = offset;
  if (absl::Status s = steering_->Step(offset); !s.ok()) {
    Report(EventKind::kWarning,
           absl::StrCat("step of ", absl::StrFormat("%+.6f", offset),
                        " s failed: ", s.message()));
    return result;
  }
  ++steps_;
  state_ = DisciplineState::kSync;
  // ntpd's words (ntpd/ntp_loopfilter.c local_clock): "time reset +0.5 s".
  Report(EventKind::kClockStep, absl::StrFormat("time reset %+.6f s", offset));
  result.outcome = UpdateOutcome::kStepped;
  return result;
}

UpdateResult Discipline::DoSlew(double offset, std::optional<double> frequency_ppm,
                               double min_seconds) {
  UpdateResult result;
  result.offset_seconds = offset;
  if (frequency_ppm.has_value()) ApplyFrequency(*frequency_ppm);
  if (absl::Status s = steering_->CorrectPhase(offset, min_seconds); !s.ok()) {
    Report(EventKind::kWarning, absl::StrCat("slew failed: ", s.message()));
    return result;
  }
  if (std::fabs(offset) >= kDefaultStepThresholdSeconds) {
    Report(EventKind::kClockSlew, absl::StrFormat("time slew %+.6f s", offset));
  }
  state_ = DisciplineState::kSync;
  result.outcome = UpdateOutcome::kSlewed;
  return result;
}

UpdateResult Discipline::Update(double now_seconds, double offset_seconds,
                                std::optional<double> frequency_ppm,
                                double min_slew_seconds) {
  last_offset_ = offset_seconds;
  const double magnitude = std::fabs(offset_seconds);
  // RFC 5905 §11.3: beyond PANICT the process exits; ntpd's -g lets the
  // first update through whatever its size, once.
  const bool allowed = allow_panic_;
  allow_panic_ = false;
  if (options_.panic_threshold_seconds > 0 && magnitude > options_.panic_threshold_seconds &&
      !allowed) {
    Report(EventKind::kPanic,
           PanicMessage(offset_seconds, options_.panic_threshold_seconds));
    UpdateResult result;
    result.outcome = UpdateOutcome::kPanic;
    result.offset_seconds = offset_seconds;
    return result;
  }
  const bool beyond_step = magnitude > step_threshold_seconds();
  switch (state_) {
    case DisciplineState::kNset:
    case DisciplineState::kFset:
      if (beyond_step) return DoStep(offset_seconds);
      return DoSlew(offset_seconds, frequency_ppm, min_slew_seconds);
    case DisciplineState::kSync:
      if (beyond_step) {
        // A single spike is never acted upon (RFC 5905 Figure 28).
        state_ = DisciplineState::kSpike;
        spike_start_ = now_seconds;
        Report(EventKind::kInfo,
               absl::StrFormat("spike_detect %+.6f s", offset_seconds));
        UpdateResult result;
        result.offset_seconds = offset_seconds;
        return result;
      }
      return DoSlew(offset_seconds, frequency_ppm, min_slew_seconds);
    case DisciplineState::kSpike:
      if (beyond_step) {
        if (now_seconds - spike_start_ < options_.stepout_seconds) {
          UpdateResult result;
          result.offset_seconds = offset_seconds;
          return result;
        }
        return DoStep(offset_seconds);
      }
      return DoSlew(offset_seconds, frequency_ppm, min_slew_seconds);
  }
  return UpdateResult{};
}

}  // namespace ntp
