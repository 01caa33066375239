// The core's deterministic random numbers: SplitMix64 seeded from the
// host's random seed, so a simulated run is reproducible and a daemon can
// seed it from the OS. Used for transmit-timestamp nonces, poll-interval
// dither, first-poll spreading, and the server's hash keys. Not cryptographic: the nonce only has to
// be unpredictable to an off-path attacker, and the daemon seeds it from
// a good source. No globals; one generator per owner.
#ifndef NTP_RANDOM_H_
#define NTP_RANDOM_H_

#include <cstdint>

namespace ntp {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  // A uniform random bit generator ([rand.req.urng]), for callers that take
  // an absl::BitGenRef (NTS Unique Identifiers, cookie nonces).
  using result_type = uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() { return Next(); }

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // A seed for a sub-generator (one per association, ...).
  uint64_t Fork() { return Next() ^ 0xD1B54A32D192ED03ull; }

 private:
  uint64_t state_;
};

}  // namespace ntp

#endif  // NTP_RANDOM_H_
