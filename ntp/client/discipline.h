// The clock discipline's decision layer (RFC 5905 §11.3, with ntpd 4.2.8's
// thresholds and command-line modes): given the combined offset THETA and
// the estimated oscillator frequency, decide between panic, step, ignore
// (spike) and slew, and ask ClockSteering to carry the decision out (the
// clock's answer comes back later as a ClockResultInput; a refusal is
// reported by ClockSteering and leaves its ledger unchanged).
//
//   panic:  |THETA| > panic threshold (1000 s; 0 = off) and no -g allowance
//           left (-g allows one correction of any size, the first) -> the
//           daemon must exit with ntpd's message; the clock is untouched.
//   NSET/FSET (never set; FSET = drift file read): |THETA| > step threshold
//           -> step, else slew; -> SYNC. (ntpd's FREQ training state is not
//           needed: the offset trackers estimate the frequency from the
//           first samples on.)
//   SYNC:   |THETA| > step threshold -> SPIK (ignored); else slew.
//   SPIK:   still beyond the threshold after `stepout` seconds -> step;
//           back below -> slew, SYNC.
// -x raises the step threshold to 600 s; `tinker step 0` never steps.
// Frequencies beyond +-500 ppm are clamped with ntpd's warning.
#ifndef NTP_CLIENT_DISCIPLINE_H_
#define NTP_CLIENT_DISCIPLINE_H_

#include <optional>
#include <string>

#include "ntp/client/clock_steering.h"
#include "ntp/client/constants.h"
#include "ntp/events.h"

namespace ntp {

struct DisciplineOptions {
  double step_threshold_seconds = kDefaultStepThresholdSeconds;  // 0: never
  double stepout_seconds = kDefaultStepoutSeconds;
  double panic_threshold_seconds = kDefaultPanicThresholdSeconds;  // 0: off
  bool allow_big_first_step = false;  // ntpd -g
  bool never_step = false;            // ntpd -x
  double max_frequency_ppm = kMaxFrequencyCorrectionPpm;
};

enum class DisciplineState { kNset, kFset, kSync, kSpike };
const char* DisciplineStateName(DisciplineState state);

enum class UpdateOutcome {
  kIgnored,  // spike held back
  kSlewed,   // frequency/phase correction applied
  kStepped,  // clock stepped: callers reset their associations
  kPanic,    // beyond the panic threshold: the daemon must exit
};

struct UpdateResult {
  UpdateOutcome outcome = UpdateOutcome::kIgnored;
  double offset_seconds = 0;  // THETA acted upon
};

class Discipline {
 public:
  // REQUIRES: steering outlives this object; events may be null.
  Discipline(ClockSteering* steering, EventSink* events,
             const DisciplineOptions& options);

  // Starts from a known frequency (drift file, FSET) or none (NSET, 0 ppm)
  // and asks the clock for that frequency.
  void Start(std::optional<double> initial_frequency_ppm);

  // One system update at `now_seconds` (engine timeline): `offset_seconds`
  // is THETA (positive: the clock is behind), `frequency_ppm` the
  // frequency correction that would cancel the oscillator's error, if known.
  // A slew takes at least `min_slew_seconds`.
  UpdateResult Update(double now_seconds, double offset_seconds,
                      std::optional<double> frequency_ppm, double min_slew_seconds = 0);

  // New thresholds and limits (a configuration change): the state, the
  // frequency and the -g allowance left are kept.
  void set_options(const DisciplineOptions& options) { options_ = options; }

  // The clock was stepped by another process (ClientEngine found the step
  // in its samples): the next update beyond the step threshold steps at
  // once, as the first one would, instead of waiting out the stepout.
  void NoteExternalStep();

  // Sets the frequency only (holdover tweaks, tests).
  void SetFrequency(double frequency_ppm);

  DisciplineState state() const { return state_; }
  // The step threshold in effect (600 s with -x; infinity when never).
  double step_threshold_seconds() const;
  bool panic_allowance_left() const { return allow_panic_; }
  int step_count() const { return steps_; }
  double last_offset_seconds() const { return last_offset_; }
  // The frequency correction decided (the one owner of this value: the
  // drift file, the system variables and ntpq read it here; ClockSteering
  // plans around it and records what the clock applied).
  double frequency_ppm() const { return frequency_ppm_; }

 private:
  void Report(EventKind kind, std::string text);
  UpdateResult DoStep(double offset);
  UpdateResult DoSlew(double offset, std::optional<double> frequency_ppm,
                      double min_seconds);
  // Clamps to the tolerance (with ntpd's warning) and asks for it.
  void ApplyFrequency(double ppm);

  ClockSteering* const steering_;
  EventSink* const events_;
  DisciplineOptions options_;
  DisciplineState state_ = DisciplineState::kNset;
  bool allow_panic_ = false;
  double spike_start_ = 0;
  double last_offset_ = 0;
  double frequency_ppm_ = 0;
  int steps_ = 0;
};

// ntpd's panic message for an offset (ntpd/ntp_loopfilter.c):
// "time correction of 2000 seconds exceeds sanity limit (1000); set clock
// manually to the correct UTC time."
std::string PanicMessage(double offset_seconds, double panic_threshold_seconds);

}  // namespace ntp

#endif  // NTP_CLIENT_DISCIPLINE_H_
