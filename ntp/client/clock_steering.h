// ClockSteering: the only code that changes the host's clock (through the
// clocks::Clock seam), and the ledger of every change it made. It applies a
// base frequency correction, phase corrections (a temporary frequency offset
// ended by a timer, plus the kernel's 500 ppm SlewBy for large ones) and
// steps, and answers "how much phase has this client added to the clock from
// the origin until time t" (CorrectionAt), which the OffsetTrackers use to
// turn measured offsets into raw oscillator offsets.
//
// Times are seconds on the engine timeline: scheduler time minus `origin`.
// Not thread-safe; callbacks run from the scheduler.
#ifndef NTP_CLIENT_CLOCK_STEERING_H_
#define NTP_CLIENT_CLOCK_STEERING_H_

#include <deque>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "clock/scheduler.h"

namespace ntp {

struct SteeringOptions {
  // Largest |frequency| ever commanded (base + temporary phase correction).
  // ClockSteering lowers it to the clock's MaxFrequencyPpm(): 500 ppm for
  // a frequency-only clock, up to clocks::kMaxSlewFrequencyPpm (83333 ppm,
  // chrony's default maxslewrate) for one that also adjusts the kernel tick;
  // large offsets are then slewed that much faster.
  double max_frequency_ppm = clocks::kMaxSlewFrequencyPpm;
  // Largest |base frequency| (RFC 5905 §11.3: the frequency tolerance).
  double max_base_frequency_ppm = clocks::kMaxFrequencyPpm;
  // Use the kernel's SlewBy (clocks::kSlewRatePpm) in addition to the
  // frequency for corrections that would take longer than
  // `min_correction_seconds` through the frequency alone.
  bool use_kernel_slew = true;
  // Only SlewBy, never a temporary frequency (ntpd -q: the process exits
  // right after and must not leave a frequency offset behind).
  bool kernel_slew_only = false;
  double kernel_slew_rate_ppm = clocks::kSlewRatePpm;
  // Shortest duration of a frequency-path phase correction.
  double min_correction_seconds = 1.0;
};

class ClockSteering {
 public:
  // REQUIRES: clock and scheduler outlive this object.
  ClockSteering(clocks::Clock* clock, clocks::Scheduler* scheduler,
                absl::Time origin, const SteeringOptions& options = {});
  ~ClockSteering();
  ClockSteering(const ClockSteering&) = delete;
  ClockSteering& operator=(const ClockSteering&) = delete;

  // Seconds on the engine timeline now.
  double Now() const;

  // Sets the base frequency correction (clamped to +-max_frequency_ppm) and
  // keeps the phase correction in progress, if any, going (re-planned
  // around the new base). Errors from the clock are returned as is.
  absl::Status SetBaseFrequency(double ppm);
  // Starts adding `offset_seconds` to the clock (positive: the clock gains),
  // replacing any correction still in progress, as fast as the limits allow
  // but taking at least `min_duration_seconds` (the discipline stretches a
  // correction while the frequency is not known yet).
  absl::Status CorrectPhase(double offset_seconds, double min_duration_seconds = 0);
  // Steps the clock by `offset_seconds`; cancels any correction in progress.
  absl::Status Step(double offset_seconds);
  // Ends a phase correction in progress now (frequency back to the base);
  // for a clean shutdown.
  absl::Status Finish();

  // Phase added to the clock by this object from the origin until `t`
  // (steps, frequency corrections including the base, slews). Exact for
  // times back to about an hour before the last change.
  double CorrectionAt(double t) const;
  double base_frequency_ppm() const { return base_ppm_; }
  // The frequency commanded right now (base + temporary part).
  double commanded_frequency_ppm() const { return freq_ppm_; }
  // Phase still to be applied by the correction in progress (planned).
  double RemainingCorrection() const;
  bool correcting() const { return timer_ != 0 || SlewActiveAt(Now()); }

 private:
  struct FrequencySegment {
    double start;        // time the frequency took effect
    double phase_at_start;  // cumulative frequency-path phase at `start`
    double ppm;
  };
  struct SlewRecord {
    double start;
    double amount;  // seconds, signed
    double cut;     // time it was cancelled/replaced (inf while active)
  };
  struct StepRecord {
    double time;
    double amount;
  };

  absl::Status CommandFrequency(double ppm);
  absl::Status CommandSlew(double amount);
  double FrequencyPhaseAt(double t) const;
  double SlewAppliedAt(const SlewRecord& s, double t) const;
  bool SlewActiveAt(double t) const;
  void EndCorrection();
  // Folds records older than kKeepSeconds before `now` (= Now()).
  void Prune(double now);

  clocks::Clock* const clock_;
  clocks::Scheduler* const scheduler_;
  const absl::Time origin_;
  SteeringOptions options_;  // max_frequency_ppm capped by the clock

  double base_ppm_ = 0;
  double freq_ppm_ = 0;
  double temp_ppm_ = 0;           // freq_ppm_ - base_ppm_ while correcting
  double correction_end_ = 0;     // planned end of the frequency-path part
  clocks::TimerId timer_ = 0;

  std::deque<FrequencySegment> segments_;
  std::deque<SlewRecord> slews_;
  std::deque<StepRecord> steps_;
  // Phase of records pruned from the deques (completed, long ago).
  double folded_slews_ = 0;
  double folded_steps_ = 0;
};

}  // namespace ntp

#endif  // NTP_CLIENT_CLOCK_STEERING_H_
