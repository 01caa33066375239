// Deterministic randomness for the simulator. One 64-bit scenario seed drives
// everything; each component (a host's clock, a directed link, a host's
// protocol code) draws from its own stream derived from (seed, component
// name), so adding a component never changes another component's draws.
// Portable by construction: the generator (xoshiro256**) and every
// distribution are written here, not taken from <random>, whose
// distributions differ between standard libraries. Never seeded from the
// wall clock or the OS (absl::BitGen is not used in sim/).
#ifndef SIM_RANDOM_H_
#define SIM_RANDOM_H_

#include <cstdint>
#include <limits>

#include "absl/strings/string_view.h"

namespace sim {

// One step of SplitMix64 (Steele, Lea, Flood 2014): advances `state` and
// returns a well-mixed 64-bit value.
uint64_t SplitMix64(uint64_t& state);

// The seed of the stream named `component` under scenario seed `seed`:
// SplitMix64 finalisation of seed ^ FNV-1a-64(component). Stable across
// builds and platforms (part of the replay contract: do not change).
uint64_t DeriveSeed(uint64_t seed, absl::string_view component);

// xoshiro256** (Blackman, Vigna 2018) with portable distributions.
// Satisfies std::uniform_random_bit_generator. Not thread-safe (sim/ has no
// threads).
class Rng {
 public:
  using result_type = uint64_t;

  // State expanded from `seed` with SplitMix64 (never all zero).
  explicit Rng(uint64_t seed);
  // Rng(DeriveSeed(seed, component)).
  static Rng ForComponent(uint64_t seed, absl::string_view component) {
    return Rng(DeriveSeed(seed, component));
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() {
    return std::numeric_limits<result_type>::max();
  }
  result_type operator()();

  // Uniform in [0, 1), 53 random bits.
  double Uniform01();
  // Uniform in (0, 1]: safe to take the logarithm of.
  double UniformOpenZero();
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform01(); }
  // Uniform integer in [0, n). REQUIRES: n > 0.
  uint64_t UniformInt(uint64_t n);
  // True with probability p (p <= 0: never, p >= 1: always; no draw is
  // made in either case, so a zero-probability feature costs nothing).
  bool Bernoulli(double p);
  // Standard normal N(0, 1) (Box-Muller, two uniforms per call, no cache).
  double StandardNormal();
  // Exponential with the given mean (>= 0).
  double Exponential(double mean);
  // Lomax (Pareto type II, shifted to start at 0): scale * (U^(-1/shape) - 1).
  // Heavy tailed; mean scale / (shape - 1) for shape > 1. REQUIRES: shape > 0.
  double ParetoExcess(double scale, double shape);

 private:
  uint64_t s_[4];
};

}  // namespace sim

#endif  // SIM_RANDOM_H_
