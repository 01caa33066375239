// The NTP precision field (RFC 5905 §7.3): a clock's precision as a signed
// log2 of seconds. The one conversion from a Clock's Precision() for the
// daemon, the client and the simulator's built-in hosts.
#ifndef NTP_PRECISION_H_
#define NTP_PRECISION_H_

#include <cstdint>

#include "absl/time/time.h"

namespace ntp {

// ceil(log2(1 ns)): clock readings come in nanoseconds, so no clock is
// announced as finer than this.
inline constexpr int8_t kMinPrecisionLog2 = -29;
// A precision of 1 s or coarser is announced as 1 s.
inline constexpr int8_t kMaxPrecisionLog2 = 0;

// log2 of `precision` in seconds, rounded up (a clock read every 1.5 us has
// precision -19: 2^-19 s = 1.9 us), clamped to
// [kMinPrecisionLog2, kMaxPrecisionLog2]. Zero, negative and sub-nanosecond
// durations give kMinPrecisionLog2; infinite ones kMaxPrecisionLog2.
int8_t PrecisionLog2(absl::Duration precision);

}  // namespace ntp

#endif  // NTP_PRECISION_H_
