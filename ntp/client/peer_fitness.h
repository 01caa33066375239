// Root synchronization distance and the peer fitness tests of one
// association (RFC 5905 §10 lambda, §11.2.1 / Appendix A.5.5.3 "accept";
// ntpd 4.2.8 root_distance() and peer_unfit(), flash bits TEST10..TEST13 as
// ntpq shows them). Pure computation.
#ifndef NTP_CLIENT_PEER_FITNESS_H_
#define NTP_CLIENT_PEER_FITNESS_H_

#include <cstdint>

#include "ntp/client/constants.h"

namespace ntp {

// The inputs of the root distance, all in seconds.
struct DistanceInput {
  double delay_seconds = 0;            // peer delay (clock filter)
  double root_delay_seconds = 0;       // server's root delay (packet)
  double dispersion_seconds = 0;       // peer dispersion (clock filter)
  double root_dispersion_seconds = 0;  // server's root dispersion (packet)
  double jitter_seconds = 0;           // peer jitter
  double age_seconds = 0;              // now - time of the last filter run
  double phi = kPhi;                   // dispersion rate (`tinker dispersion`)
};

// lambda = (delay + rootdelay)/2 + disp + PHI * age + rootdisp + jitter,
// floored at `min_distance_seconds` (ntpd 4.2.8 root_distance; RFC 5905
// A.5.1.1 rootdist uses the same terms).
double RootDistance(const DistanceInput& in,
                    double min_distance_seconds = kDefaultMinDistance);

// Flash bits of the fitness tests (values as ntpd's `flash` variable).
enum PeerFitnessBits : uint16_t {
  kFitStratum = 0x0200,      // TEST10: LI 3, or stratum outside [floor, ceiling)
  kFitDistance = 0x0400,     // TEST11: root distance too large
  kFitLoop = 0x0800,         // TEST12: the server is synchronised to us
  kFitUnreachable = 0x1000,  // TEST13: reach == 0 or `noselect`
};

struct FitnessInput {
  bool leap_unsynchronized = false;  // peer LI == 3
  int stratum = 16;                  // internal stratum (packet 0 -> 16)
  int stratum_floor = 0;             // `tos floor`
  int stratum_ceiling = 15;          // `tos ceiling` (exclusive)
  double root_distance_seconds = 0;
  double max_distance_seconds = kDefaultMaxDistance;  // `tos maxdist`
  double poll_seconds = 64;          // 2^hpoll
  bool refid_is_ours = false;        // server refid names one of our addresses
  uint8_t reach = 0;
  bool noselect = false;
  double phi = kPhi;                 // dispersion rate (`tinker dispersion`)
};

// 0 if the peer is fit for selection, else the TEST10..TEST13 bits that
// failed (ntpd 4.2.8 peer_unfit: the distance limit is maxdist + PHI * 2^hpoll).
uint16_t PeerFitness(const FitnessInput& in);

}  // namespace ntp

#endif  // NTP_CLIENT_PEER_FITNESS_H_
