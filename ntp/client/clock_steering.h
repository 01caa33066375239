// ClockSteering: the only code that asks for changes of the host's clock
// (ClockOperation actions, ntp/actions.h), and the ledger of every change the
// clock reported it applied. It plans a base frequency correction, phase
// corrections (a temporary frequency offset ended by a timer, plus the
// clock's own slew for large ones) and steps, and answers "how much phase has
// this client added to the clock from the origin until time t"
// (CorrectionAt), which the OscillatorEstimators use to turn measured offsets into
// raw oscillator offsets.
//
// The ledger records only what ClockResultInput reports as applied, with the
// applied value (the clock's own resolution: e.g. 2^-16 ppm on Linux), never
// a copy of the kernel's rounding. A refused operation leaves the ledger as
// it was and is reported once as a warning.
//
// Times are seconds on the engine timeline: monotonic time minus `origin`.
// Not thread-safe; runs inside the host's Handle().
#ifndef NTP_CLIENT_CLOCK_STEERING_H_
#define NTP_CLIENT_CLOCK_STEERING_H_

#include <deque>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ntp/actions.h"
#include "ntp/client/constants.h"
#include "ntp/events.h"

namespace ntp {

struct SteeringOptions {
  // Largest |frequency| ever commanded (base + temporary phase correction).
  // ClockSteering lowers it to the clock's max_frequency_ppm: 500 ppm for
  // a frequency-only clock, up to 83333 ppm (chrony's default maxslewrate)
  // for one that also adjusts the kernel tick; large offsets are then
  // slewed that much faster.
  double max_frequency_ppm = kMaxSlewFrequencyPpm;
  // Largest |base frequency| (RFC 5905 §11.3: the frequency tolerance).
  double max_base_frequency_ppm = kMaxFrequencyCorrectionPpm;
  // Use the clock's slew (at ClockCapabilities::slew_rate_ppm) in addition
  // to the frequency for corrections that would take longer than
  // `min_correction_seconds` through the frequency alone.
  bool use_kernel_slew = true;
  // Only the clock's slew, never a temporary frequency (ntpd -q: the
  // process exits right after and must not leave a frequency offset behind).
  bool kernel_slew_only = false;
  // Shortest duration of a frequency-path phase correction: a small
  // correction is done within a tenth of a second, so that the offsets
  // sampled between polls carry none of it (the fixed-poll benchmarks in
  // testdata/scenarios/bench/ lose a quarter of their accuracy at 1 s).
  double min_correction_seconds = 0.1;
};

class ClockSteering {
 public:
  // REQUIRES: dispatch and events outlive this object. `end_timer` is the
  // timer key the host routes back to OnTimer().
  ClockSteering(const Dispatch* dispatch, EventSink* events, absl::Time origin,
                TimerKey end_timer, const ClockCapabilities& clock,
                const SteeringOptions& options = {});
  ClockSteering(const ClockSteering&) = delete;
  ClockSteering& operator=(const ClockSteering&) = delete;

  // Seconds on the engine timeline now.
  double Now() const;

  // Sets the base frequency correction (clamped to +-max_frequency_ppm) and
  // keeps the phase correction in progress, if any, going (re-planned
  // around the new base).
  void SetBaseFrequency(double ppm);
  // Starts adding `offset_seconds` to the clock (positive: the clock gains),
  // replacing any correction still in progress, as fast as the limits allow
  // but taking at least `min_duration_seconds` (the discipline stretches a
  // correction while the frequency is not known yet). InvalidArgument if
  // the offset is not finite (nothing asked).
  absl::Status CorrectPhase(double offset_seconds, double min_duration_seconds = 0);
  // Steps the clock by `offset_seconds`; cancels any correction in progress.
  // InvalidArgument if not finite (nothing asked).
  absl::Status Step(double offset_seconds);
  // Tells the clock the synchronisation state (the kernel's STA_UNSYNC,
  // leap bits and error estimates).
  void SetSyncState(const ClockSyncState& sync);
  // Ends a phase correction in progress now (frequency back to the base);
  // for a clean shutdown.
  void Finish();

  // The end-of-correction timer fired.
  void OnTimer();
  // What the clock applied for one of this object's operations.
  void OnClockResult(const ClockResultInput& result);

  // Phase added to the clock by this object from the origin until `t`
  // (steps, frequency corrections including the base, slews), as the clock
  // reported applying them. Exact for times back to about an hour before
  // the last change.
  double CorrectionAt(double t) const;
  // The base frequency asked for (the discipline's frequency estimate).
  double base_frequency_ppm() const { return base_ppm_; }
  // The frequency the clock reported applying last.
  double applied_frequency_ppm() const { return applied_ppm_; }
  // Phase still to be applied by the correction in progress (planned).
  double RemainingCorrection() const;
  bool correcting() const { return timer_armed_ || SlewActiveAt(Now()); }
  // Operations the clock refused so far.
  uint64_t refused_operations() const { return refused_; }

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
  struct PendingOperation {
    uint64_t id;
    ClockOpKind kind;
    double time;  // engine time it was asked for
  };

  void CommandFrequency(double ppm);
  void CommandSlew(double amount);
  uint64_t Ask(ClockOperation op);
  void ArmEndTimer(double when);
  void DisarmEndTimer();
  void RecordFrequency(double time, double ppm);
  void RecordSlew(double time, double amount);
  void RecordStep(double time, double amount);
  void ReportRefusal(ClockOpKind kind, const absl::Status& status);
  double FrequencyPhaseAt(double t) const;
  double SlewAppliedAt(const SlewRecord& s, double t) const;
  bool SlewActiveAt(double t) const;
  // Folds records older than kKeepSeconds before `now`.
  void Prune(double now);

  const Dispatch* const dispatch_;
  EventSink* const events_;
  const absl::Time origin_;
  const TimerKey end_timer_;
  const double slew_rate_ppm_;
  SteeringOptions options_;  // max_frequency_ppm capped by the clock

  double base_ppm_ = 0;
  double commanded_ppm_ = 0;      // last frequency asked for
  double applied_ppm_ = 0;        // last frequency the clock reported
  double temp_ppm_ = 0;           // commanded_ppm_ - base_ppm_ while correcting
  double correction_end_ = 0;     // planned end of the frequency-path part
  bool timer_armed_ = false;

  // The frequency request of the current input, while it can be updated.
  struct FrequencyRequest {
    uint64_t serial = 0;  // Dispatch::serial it belongs to (0: none)
    size_t index = 0;     // its place in that input's actions
    uint64_t id = 0;
  };
  FrequencyRequest frequency_request_;
  uint64_t next_op_id_ = 1;
  std::deque<PendingOperation> pending_;
  uint64_t refused_ = 0;
  std::optional<uint32_t> status_bits_;  // last kernel status asked for
  bool refusal_reported_[4] = {false, false, false, false};

  std::deque<FrequencySegment> segments_;
  std::deque<SlewRecord> slews_;
  std::deque<StepRecord> steps_;
  // Phase of records pruned from the deques (completed, long ago).
  double folded_slews_ = 0;
  double folded_steps_ = 0;
};

}  // namespace ntp

#endif  // NTP_CLIENT_CLOCK_STEERING_H_
