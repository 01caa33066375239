// The clock filter's dispersion sum (RFC 5905 §10): the stage dispersions
// in the filter's sort order, weighted 1/2, 1/4, 1/8, ... The one copy for
// the client's clock filter and the server's LOCAL clock reference.
#ifndef NTP_FILTER_DISPERSION_H_
#define NTP_FILTER_DISPERSION_H_

#include "absl/types/span.h"

namespace ntp {

// Σ ε_i / 2^(i+1) over `sorted_dispersions_seconds` (i from 0, first the
// stage the filter ranks best). An empty stage counts as MAXDISP: pass
// kMaxDispersion for it (or 0 to sum only the stages that hold samples).
// Adds in order, so callers get the same bits as the loop it replaces.
double FilterDispersion(absl::Span<const double> sorted_dispersions_seconds);

}  // namespace ntp

#endif  // NTP_FILTER_DISPERSION_H_
