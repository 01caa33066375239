// The system variables of one NTP instance (RFC 5905 §11.2, "System Process
// Variables"): what the clock discipline and selection decide and what the
// server side announces in every reply. Written by the client side (or the
// local-clock reference), read by the responder, ntpq and ntpstat.
#ifndef NTP_SYSTEM_STATE_H_
#define NTP_SYSTEM_STATE_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "ntp/ntp_time.h"

namespace ntp {

// RFC 5905 §7.3 leap indicator values.
enum class Leap : uint8_t {
  kNoWarning = 0,
  kInsertSecond = 1,  // last minute of the day has 61 seconds
  kDeleteSecond = 2,  // last minute of the day has 59 seconds
  kUnsynchronized = 3,
};

// RFC 5905 §7.2: MAXSTRAT; stratum 16 means unsynchronised.
inline constexpr int kMaxStratum = 16;

struct SystemVariables {
  Leap leap = Leap::kUnsynchronized;
  int stratum = kMaxStratum;  // 1..15 when synchronised; announced 0 when 16
  int8_t precision_log2 = -20;  // log2 seconds of the clock's precision
  NtpShort root_delay;
  NtpShort root_dispersion;
  // Reference ID as announced: kiss code / refclock name for stratum 1 and
  // for the unsynchronised states ("INIT", then "STEP" after a step), IPv4
  // address or IPv6 MD5 hash of the system peer otherwise.
  uint32_t reference_id = 0x494E4954;  // "INIT" (ntp/wire/refid.h AsciiRefId)
  NtpTimestamp reference_time;          // when the clock was last set/updated
  // For ntpq/ntpstat: the system peer's display name ("LOCAL(0)", an
  // address), empty when none.
  std::string system_peer;
  // Current estimates from the discipline (for status displays and sim metrics).
  double offset_seconds = 0;    // last clock offset measured/combined
  double frequency_ppm = 0;     // current frequency correction
  double jitter_seconds = 0;    // system jitter
  int poll_log2 = 6;            // system poll exponent

  bool synchronized() const {
    return leap != Leap::kUnsynchronized && stratum < kMaxStratum;
  }
};

}  // namespace ntp

#endif  // NTP_SYSTEM_STATE_H_
