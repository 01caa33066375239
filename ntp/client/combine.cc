#include "ntp/client/combine.h"

#include <algorithm>
#include <cmath>

namespace ntp {

CombineResult Combine(absl::Span<const CombineInput> survivors,
                      double selection_jitter_seconds) {
  CombineResult result;
  if (survivors.empty()) return result;
  const CombineInput& peer = survivors[0];
  if (peer.prefer) {
    result.offset_seconds = peer.offset_seconds;
    result.peer_jitter_seconds = peer.jitter_seconds;
    result.used_prefer = true;
  } else {
    // RFC 5905 §11.2.3: weights 1/lambda; PSI_p from the offsets' spread
    // around the system peer's.
    double y = 0, z = 0, w = 0;
    for (const CombineInput& s : survivors) {
      const double inv = 1.0 / std::max(s.root_distance_seconds, 1e-9);
      const double d = s.offset_seconds - peer.offset_seconds;
      y += inv;
      z += inv * s.offset_seconds;
      w += inv * d * d;
    }
    result.offset_seconds = z / y;
    result.peer_jitter_seconds = std::sqrt(w / y);
  }
  result.system_jitter_seconds =
      std::sqrt(selection_jitter_seconds * selection_jitter_seconds +
                result.peer_jitter_seconds * result.peer_jitter_seconds);
  return result;
}

}  // namespace ntp
