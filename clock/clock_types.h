// Value types of the Clock seam: what a clock reports (ClockStatus), what is
// written to it (ClockSyncStatus), and the kernel's frequency and slew limits.
// Values layer: no interface, no OS call, only Abseil; the protocol core uses
// these without depending on clock/clock.h.
#ifndef CLOCK_CLOCK_TYPES_H_
#define CLOCK_CLOCK_TYPES_H_

#include <cstdint>

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

}  // namespace clocks

#endif  // CLOCK_CLOCK_TYPES_H_
