// The combine algorithm of RFC 5905 §11.2.3: the system offset THETA as the
// average of the survivors' offsets weighted by the reciprocal of their root
// distance, the peer jitter PSI_p, and the system jitter
// PSI = sqrt(PSI_s^2 + PSI_p^2). With a `prefer` survivor (ntpd 4.2.8) the
// system offset is simply the preferred peer's. Pure computation.
#ifndef NTP_CLIENT_COMBINE_H_
#define NTP_CLIENT_COMBINE_H_

#include "absl/types/span.h"

namespace ntp {

struct CombineInput {
  double offset_seconds = 0;
  double root_distance_seconds = 0;  // lambda; floored at 1e-9 for weighting
  double jitter_seconds = 0;         // peer jitter (used for a prefer peer)
  bool prefer = false;
};

struct CombineResult {
  double offset_seconds = 0;          // THETA
  double peer_jitter_seconds = 0;     // PSI_p
  double system_jitter_seconds = 0;   // PSI
  bool used_prefer = false;
};

// `survivors` ranked as the cluster algorithm left them: survivors[0] is the
// system peer. `selection_jitter_seconds` is PSI_s from the cluster step.
// REQUIRES: !survivors.empty() (an empty input returns zeros).
CombineResult Combine(absl::Span<const CombineInput> survivors,
                      double selection_jitter_seconds);

}  // namespace ntp

#endif  // NTP_CLIENT_COMBINE_H_
