// The RTC seam: the machine's battery-backed hardware clock, which keeps
// time while the system is off. The daemon reads it at start (to bound the
// first correction) and, with `rtc write`, sets it from the system clock on
// a schedule (what `hwclock -w` does). Implementations: RtcDevice
// (clock/rtc_device.h, Linux /dev/rtc ioctls, with a read-only mode) and
// FakeRtc (clock/fake_rtc.h, tests). The RTC is assumed to keep UTC, as
// Debian's default (`UTC` in /etc/adjtime).
#ifndef CLOCK_RTC_H_
#define CLOCK_RTC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace clocks {

class Rtc {
 public:
  Rtc() = default;
  Rtc(const Rtc&) = delete;
  Rtc& operator=(const Rtc&) = delete;
  virtual ~Rtc() = default;

  // The RTC's time (whole seconds: RTCs count seconds). Unavailable if
  // there is no RTC; the OS error otherwise.
  virtual absl::StatusOr<absl::Time> Read() = 0;

  // Sets the RTC to `time` (truncated to the second). FailedPrecondition if
  // this RTC is read-only (nothing is opened for writing); InvalidArgument
  // for a time the RTC cannot hold; the OS error otherwise.
  virtual absl::Status Write(absl::Time time) = 0;

  // Where it is, for log lines ("/dev/rtc0").
  virtual std::string Describe() const = 0;
};

}  // namespace clocks

#endif  // CLOCK_RTC_H_
