// ntpd's leap-seconds.list (the IERS/NIST file named by `leapfile`):
// parsing and verification. Lines:
//   #$ N        last update, NTP seconds
//   #@ N        expiry, NTP seconds
//   T  OFFSET   from NTP second T on, TAI - UTC = OFFSET (comment after #)
//   #h H H H H H  SHA-1 of the data, five 32-bit words in hex
// The hash covers the digits of the #$ and #@ values and of every data
// line up to its comment, in file order (the file's own description;
// ntpd ntp_leapsec.c leapsec_validate). Pure: text in, values out.
#ifndef NTP_LEAP_SECONDS_LIST_H_
#define NTP_LEAP_SECONDS_LIST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ntp/system_state.h"

namespace ntp {

struct LeapSecondsEntry {
  int64_t ntp_seconds = 0;  // the first second with the new offset
  int tai_offset = 0;       // TAI - UTC from then on
};

struct LeapSecondsList {
  int64_t updated_ntp_seconds = 0;
  int64_t expires_ntp_seconds = 0;
  std::vector<LeapSecondsEntry> entries;  // ascending
  bool hash_checked = false;  // false: `ignorehash`

  absl::Time updated() const;
  absl::Time expires() const;
  bool Expired(absl::Time now) const { return now >= expires(); }
  // TAI - UTC at `t` (0 before the first entry).
  int TaiOffsetAt(absl::Time t) const;
  // The leap second at the end of the UTC day that contains `t`, if any:
  // kInsertSecond / kDeleteSecond when the next entry starts at the next
  // midnight and changes the offset by +1 / -1; otherwise kNoWarning.
  Leap LeapAtEndOfDay(absl::Time t) const;
};

// Parses and verifies `text`. InvalidArgument "FILE:LINE: message" for a
// malformed line, a missing #$/#@/#h line, entries out of order, or (unless
// `ignore_hash`) a hash that does not match. Expiry is the caller's check
// (LeapSecondsList::Expired), as ntpd warns but still uses an expired file.
absl::StatusOr<LeapSecondsList> ParseLeapSecondsList(absl::string_view text,
                                                     absl::string_view file_name,
                                                     bool ignore_hash = false);

}  // namespace ntp

#endif  // NTP_LEAP_SECONDS_LIST_H_
