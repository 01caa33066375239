// The simulated host clock: the Clock seam on top of an Oscillator, with the
// Linux kernel semantics of exactly the calls clocks::SystemClock makes. Each
// write returns what this kernel model applied, as SystemClock returns what
// the real kernel took.
//
//   StepBy          ADJ_SETOFFSET | ADJ_NANO via clock_adjtime: the offset is
//                   applied in whole nanoseconds (floored, as SystemClock
//                   builds the timespec); returns that step. Like the
//                   kernel's ntp_clear() on a set: the adjtime slew is
//                   cancelled, STA_UNSYNC is set, maxerror/esterror become
//                   16 s, a pending leap second is disarmed (status bits kept
//                   until rewritten).
//   SlewBy          adjtime()-style ADJ_OFFSET_SINGLESHOT: the offset, rounded
//                   to microseconds, REPLACES any slew in progress and is
//                   applied at 500 ppm of oscillator time; returns the
//                   rounded offset. |offset| > 2000 s: InvalidArgument (as
//                   SystemClock).
//   SetFrequencyPpm ADJ_FREQUENCY | ADJ_TICK: |ppm| <= kMaxSlewFrequencyPpm
//                   (83333) else InvalidArgument. Up to 500 ppm it is all
//                   kernel frequency, stored in units of 2^-16 ppm; beyond,
//                   whole 100 ppm steps go to the tick (1 us at USER_HZ 100)
//                   and the remainder to the frequency, as SystemClock does.
//                   Returns the correction now in effect (what ReadStatus
//                   reports).
//   SetSyncStatus   ADJ_STATUS|ADJ_MAXERROR|ADJ_ESTERROR: only STA_UNSYNC,
//                   STA_INS, STA_DEL change; errors rounded to microseconds;
//                   maxerror then grows by 500 us per second and STA_UNSYNC
//                   is set once it passes 16 s (kernel second_overflow).
//                   STA_INS/STA_DEL arm a leap second at the end of the
//                   current UTC day (clock time); at that instant the clock
//                   goes back (insert) or forward (delete) one second; state
//                   TIME_OOP during the repeated second, then TIME_WAIT until
//                   both bits are cleared.
//   ReadStatus      the state as the kernel reports it (TIME_ERROR while
//                   STA_UNSYNC is set).
//
// Rate: with oscillator phase u(t) = t + E(t), the clock advances by
// du * (1 + f) + slew, where f is the frequency correction and the slew
// takes at most 500e-6 * du of the remaining adjtime offset.
//
// Reading: the exact clock value, plus uniform read jitter in
// [0, read_jitter), floored to whole nanoseconds and to the resolution
// (a whole number of nanoseconds, at least 1); never earlier than the
// previous reading unless the clock was stepped or leapt in between.
//
// Ground truth (no randomness, no side effects on the trajectory) is
// available at the loop's current time for the metrics.
#ifndef SIM_SIM_CLOCK_H_
#define SIM_SIM_CLOCK_H_

#include <cstdint>
#include <string>

#include "clock/clock.h"
#include "sim/event_loop.h"
#include "sim/oscillator.h"
#include "sim/random.h"

namespace sim {

// Every call that writes the clock, as reported to a ClockObserver.
struct ClockOperation {
  enum class Kind {
    kStep,          // StepBy by the host
    kSlew,          // SlewBy by the host
    kFrequency,     // SetFrequencyPpm by the host
    kSyncStatus,    // SetSyncStatus by the host
    kLeap,          // the kernel executed a leap second (value: +-1 s)
    kInjectedStep,  // a scenario fault stepped the clock
    kFalseticker,   // a scenario fault detached the clock from its host
  };
  Kind kind = Kind::kStep;
  double value = 0;  // seconds (step, slew, leap) or ppm (frequency)
  bool ok = true;    // false: the call failed (nothing changed)
};

const char* ClockOperationName(ClockOperation::Kind kind);

class ClockObserver {
 public:
  virtual ~ClockObserver() = default;
  virtual void OnClockOperation(const ClockOperation& op) = 0;
};

struct SimClockParams {
  absl::Time epoch = absl::FromUnixSeconds(1704067200);  // UTC at true time 0
  double initial_offset_s = 0;       // clock minus true time at t = 0
  double initial_frequency_ppm = 0;  // kernel frequency correction at t = 0
  double resolution_s = 1e-9;        // reading granularity (rounded to >= 1 ns)
  double read_jitter_s = 0;          // uniform [0, read_jitter) per reading
  double precision_s = 0;            // Precision(); 0: max(resolution, 1 ns)
  bool read_only = false;            // every write fails (like chronyd -x)
};

class SimClock final : public clocks::Clock {
 public:
  // REQUIRES: `loop` and `oscillator` outlive the clock; `observer` may be
  // null. `read_seed` feeds the read jitter.
  SimClock(const EventLoop* loop, Oscillator* oscillator,
           const SimClockParams& params, uint64_t read_seed,
           ClockObserver* observer = nullptr);

  // The seam.
  absl::Time Now() override;
  absl::Duration Precision() const override { return precision_; }
  absl::StatusOr<absl::Duration> StepBy(absl::Duration offset) override;
  absl::StatusOr<absl::Duration> SlewBy(absl::Duration offset) override;
  double MaxFrequencyPpm() const override { return clocks::kMaxSlewFrequencyPpm; }
  absl::StatusOr<double> SetFrequencyPpm(double ppm) override;
  absl::Status SetSyncStatus(const clocks::ClockSyncStatus& status) override;
  absl::StatusOr<clocks::ClockStatus> ReadStatus() override;

  // Ground truth at the loop's current time.
  // Clock minus true time, seconds (positive: the clock is ahead).
  double TrueOffsetSeconds();
  // Rate error of the clock without the slew: (1 + e)(1 + f) - 1, in ppm.
  double TrueFrequencyErrorPpm();
  // The oscillator's own error e, ppm.
  double OscillatorFrequencyPpm();
  double frequency_correction_ppm() const { return freq_ * 1e6; }
  double slew_remaining_seconds();
  int host_step_count() const { return host_steps_; }

  // Faults: not the host's doing, reported as such to the observer.
  void InjectStep(double offset_s);
  // From now on the host's writes succeed but change nothing (a server
  // whose clock went bad and that no longer disciplines it); they still
  // return the values an attached clock would have applied.
  void DetachFromHost();
  bool detached() const { return detached_; }

  void set_observer(ClockObserver* observer) { observer_ = observer; }

 private:
  // The clock state projected to true time t (ns). Pure.
  struct State {
    int64_t t_ns = 0;
    double phase_error = 0;  // oscillator E(t)
    double offset = 0;       // clock minus (epoch + t), seconds
    double slew_remaining = 0;
    // Leap second bookkeeping.
    bool leap_armed = false;
    int64_t leap_at_clock_ns = 0;  // Unix ns of clock time the leap happens at
    int leap_direction = 0;        // -1 insert (clock goes back), +1 delete
    int kernel_state = 0;          // TIME_OK, TIME_INS, ... (<sys/timex.h>)
    int64_t oop_until_clock_ns = 0;
  };
  State Project(int64_t t_ns);
  void AdvanceToNow();
  int64_t ClockUnixNanos(const State& s) const;
  void Report(ClockOperation::Kind kind, double value, bool ok);
  absl::Status CheckWritable() const;
  void UpdateMaxError();

  const EventLoop* const loop_;
  Oscillator* const oscillator_;
  const absl::Time epoch_;
  const int64_t epoch_unix_ns_;
  const int64_t resolution_ns_;
  const double read_jitter_s_;
  const absl::Duration precision_;
  const bool read_only_;
  Rng read_rng_;
  ClockObserver* observer_;

  State state_;
  double freq_ = 0;  // correction as a fraction (quantised to 2^-16 ppm)
  uint32_t status_bits_;
  double max_error_s_ = 16;
  double est_error_s_ = 16;
  int64_t max_error_set_ns_ = 0;
  int64_t last_reading_ns_ = INT64_MIN;  // Unix ns of the last reading
  bool detached_ = false;
  int host_steps_ = 0;
};

}  // namespace sim

#endif  // SIM_SIM_CLOCK_H_
