#include "ntp/filter_dispersion.h"

namespace ntp {

double FilterDispersion(absl::Span<const double> sorted_dispersions_seconds) {
  double sum = 0;
  double weight = 0.5;
  for (const double dispersion : sorted_dispersions_seconds) {
    sum += weight * dispersion;
    weight *= 0.5;
  }
  return sum;
}

}  // namespace ntp
