#include "ntp/precision.h"

#include <algorithm>
#include <cmath>

namespace ntp {

int8_t PrecisionLog2(absl::Duration precision) {
  // max() first: log2 of zero or a negative number is not a finite value.
  const double seconds = std::max(absl::ToDoubleSeconds(precision), 1e-9);
  return static_cast<int8_t>(std::clamp(std::ceil(std::log2(seconds)),
                                        double{kMinPrecisionLog2},
                                        double{kMaxPrecisionLog2}));
}

}  // namespace ntp
