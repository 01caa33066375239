// The Clock seam: the one interface through which protocol and discipline code
// reads and steers a host's time. Implementations: SystemClock (Linux
// clock_gettime / clock_adjtime, with a read-only mode), FakeClock (unit
// tests), and the simulator's oscillator model (sim/). The values it reads
// and writes are in clock/clock_types.h.
//
// Sign conventions (same as the Linux kernel and chrony's localp.h):
// - StepBy(+x) moves the clock x later (it jumps forward).
// - SlewBy(+x) makes the clock gain x over time (it runs fast until done).
// - SetFrequencyPpm(+f) makes the clock run f ppm faster than its free-running
//   oscillator.
//
// Writes report what was applied: a clock has a resolution (the Linux kernel
// keeps the frequency in 2^-16 ppm, adjtime() slews in microseconds and
// steps in nanoseconds), so callers that keep account of their corrections
// must use the returned value, never their own copy of the request or of an
// implementation's rounding.
//
// Thread safety: none promised; callers serialise the calls to one Clock.
#ifndef CLOCK_CLOCK_H_
#define CLOCK_CLOCK_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock_types.h"

namespace clocks {

class Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;

  // The clock's current (disciplined) time. Never fails. Successive calls never
  // go backwards unless a step happened in between.
  virtual absl::Time Now() = 0;

  // The clock's precision: the smallest difference between two readings it can
  // show (measured or declared). Always > 0. Used for the NTP precision field.
  virtual absl::Duration Precision() const = 0;

  // Steps the clock by `offset` (positive: forward). Cancels any slew in
  // progress. Returns the step actually applied, which may differ from
  // `offset` by the implementation's step resolution (SystemClock: whole
  // nanoseconds, floored). Errors, with nothing changed: FailedPrecondition if
  // the clock is read-only, InvalidArgument for an infinite offset, or the OS
  // error.
  virtual absl::StatusOr<absl::Duration> StepBy(absl::Duration offset) = 0;

  // Starts slewing `offset` into the clock at kSlewRatePpm, replacing (not
  // adding to) any slew still in progress. Zero cancels a slew. Returns the
  // slew actually started (what the clock will gain in all, as it stored it),
  // which may differ from `offset` by the implementation's slew resolution
  // (SystemClock: whole microseconds, rounded). Errors as StepBy; an offset
  // larger than the implementation can slew is also InvalidArgument
  // (SystemClock: beyond 2000 s).
  virtual absl::StatusOr<absl::Duration> SlewBy(absl::Duration offset) = 0;

  // The largest |ppm| SetFrequencyPpm accepts: kMaxFrequencyPpm for a clock
  // with only the kernel frequency, up to kMaxSlewFrequencyPpm for one that
  // also adjusts the tick.
  virtual double MaxFrequencyPpm() const { return kMaxFrequencyPpm; }

  // Sets the frequency correction. Returns the correction the clock has now,
  // read back from it (what ReadStatus reports as frequency_ppm), which may
  // differ from `ppm` by the implementation's frequency resolution
  // (SystemClock: 2^-16 ppm) but never exceeds MaxFrequencyPpm(). REQUIRES
  // |ppm| <= MaxFrequencyPpm(), else InvalidArgument (also for NaN; nothing
  // changed). FailedPrecondition if read-only; or the OS error.
  virtual absl::StatusOr<double> SetFrequencyPpm(double ppm) = 0;

  // Sets synchronisation / leap status and error estimates as a whole.
  // FailedPrecondition if read-only; InvalidArgument for negative errors.
  virtual absl::Status SetSyncStatus(const ClockSyncStatus& status) = 0;

  // Reads the kernel-style status. Allowed in read-only mode.
  virtual absl::StatusOr<ClockStatus> ReadStatus() = 0;
};

}  // namespace clocks

#endif  // CLOCK_CLOCK_H_
