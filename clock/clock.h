// The Clock seam: the one interface through which protocol and discipline code
// reads and steers a host's time. Implementations: SystemClock (Linux
// clock_gettime / clock_adjtime, with a read-only mode), FakeClock (unit
// tests), and the simulator's oscillator model (sim/).
//
// Sign conventions (same as the Linux kernel and chrony's localp.h):
// - StepBy(+x) moves the clock x later (it jumps forward).
// - SlewBy(+x) makes the clock gain x over time (it runs fast until done).
// - SetFrequencyPpm(+f) makes the clock run f ppm faster than its free-running
//   oscillator.
#ifndef CLOCK_CLOCK_H_
#define CLOCK_CLOCK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace clocks {

// Largest frequency correction accepted by SetFrequencyPpm, as the Linux
// kernel's ADJ_FREQUENCY limit (MAXFREQ, 500 ppm) and RFC 5905 §11.3 (NTP_MAXFREQ).
inline constexpr double kMaxFrequencyPpm = 500.0;
// Rate at which a SlewBy offset is applied by the kernel (adjtime semantics).
inline constexpr double kSlewRatePpm = 500.0;
// Largest total frequency correction a clock that can also lengthen or
// shorten the kernel tick accepts (chrony's default maxslewrate, 1/12 of the
// kernel's +-10% tick range). Corrections beyond kMaxFrequencyPpm are for
// temporary fast slewing only; the base frequency stays within +-500 ppm.
inline constexpr double kMaxSlewFrequencyPpm = 83333.0;

// A leap second announced for the end of the current UTC day.
enum class LeapStatus { kNone, kInsert, kDelete };

// Status the kernel reports to other programs (ntpstat, adjtimex -p) and uses
// for leap seconds. Written by SetSyncStatus.
struct ClockSyncStatus {
  bool synchronized = false;  // false sets STA_UNSYNC
  LeapStatus leap = LeapStatus::kNone;
  // Kernel maxerror / esterror (rounded to microseconds by SystemClock).
  absl::Duration max_error = absl::Seconds(16);
  absl::Duration est_error = absl::Seconds(16);
};

// Kernel-style state read back by ReadStatus.
enum class KernelTimeState { kOk, kInsert, kDelete, kLeapInProgress, kLeapOccurred, kError };

struct ClockStatus {
  double frequency_ppm = 0;                      // current frequency correction
  absl::Duration slew_remaining;                 // part of the last SlewBy not yet applied
  ClockSyncStatus sync;                          // as last set (or by another program)
  KernelTimeState state = KernelTimeState::kError;
  absl::Duration tick = absl::Microseconds(10000);  // kernel tick length (USER_HZ 100)
  uint32_t status_bits = 0;                      // raw STA_* bits (Linux <sys/timex.h>)
};

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
  // progress. Returns FailedPrecondition if the clock is read-only,
  // InvalidArgument for an infinite offset, or the OS error.
  virtual absl::Status StepBy(absl::Duration offset) = 0;

  // Starts slewing `offset` into the clock at kSlewRatePpm, replacing (not
  // adding to) any slew still in progress. Zero cancels a slew. Errors as StepBy.
  virtual absl::Status SlewBy(absl::Duration offset) = 0;

  // The largest |ppm| SetFrequencyPpm accepts: kMaxFrequencyPpm for a clock
  // with only the kernel frequency, up to kMaxSlewFrequencyPpm for one that
  // also adjusts the tick.
  virtual double MaxFrequencyPpm() const { return kMaxFrequencyPpm; }

  // Sets the frequency correction. REQUIRES |ppm| <= MaxFrequencyPpm(), else
  // InvalidArgument (nothing changed). FailedPrecondition if read-only.
  virtual absl::Status SetFrequencyPpm(double ppm) = 0;

  // Sets synchronisation / leap status and error estimates as a whole.
  // FailedPrecondition if read-only; InvalidArgument for negative errors.
  virtual absl::Status SetSyncStatus(const ClockSyncStatus& status) = 0;

  // Reads the kernel-style status. Allowed in read-only mode.
  virtual absl::StatusOr<ClockStatus> ReadStatus() = 0;
};

}  // namespace clocks

#endif  // CLOCK_CLOCK_H_
