#include "ntp/client/peer_fitness.h"

#include <algorithm>

namespace ntp {

double RootDistance(const DistanceInput& in, double min_distance_seconds) {
  const double lambda = (in.delay_seconds + in.root_delay_seconds) / 2 +
                        in.dispersion_seconds + in.phi * std::max(0.0, in.age_seconds) +
                        in.root_dispersion_seconds + in.jitter_seconds;
  return std::max(min_distance_seconds, lambda);
}

uint16_t PeerFitness(const FitnessInput& in) {
  uint16_t bits = 0;
  if (in.leap_unsynchronized || in.stratum < in.stratum_floor ||
      in.stratum >= in.stratum_ceiling) {
    bits |= kFitStratum;
  }
  if (in.root_distance_seconds >= in.max_distance_seconds + in.phi * in.poll_seconds) {
    bits |= kFitDistance;
  }
  if (in.stratum > 1 && in.refid_is_ours) bits |= kFitLoop;
  if (in.reach == 0 || in.noselect) bits |= kFitUnreachable;
  return bits;
}

}  // namespace ntp
