#include "sim/random.h"

#include <cmath>
#include <numbers>

namespace sim {
namespace {

constexpr uint64_t RotL(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t Fnv1a64(absl::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64-bit offset basis
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV-1a 64-bit prime
  }
  return h;
}

}  // namespace

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t DeriveSeed(uint64_t seed, absl::string_view component) {
  uint64_t state = seed ^ Fnv1a64(component);
  SplitMix64(state);
  return SplitMix64(state);
}

Rng::Rng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& word : s_) word = SplitMix64(state);
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

Rng::result_type Rng::operator()() {
  const uint64_t result = RotL(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = RotL(s_[3], 45);
  return result;
}

double Rng::Uniform01() {
  return static_cast<double>((*this)() >> 11) * 0x1.0p-53;
}

double Rng::UniformOpenZero() {
  return static_cast<double>(((*this)() >> 11) + 1) * 0x1.0p-53;
}

uint64_t Rng::UniformInt(uint64_t n) {
  // Rejection sampling: unbiased for every n.
  const uint64_t limit = max() - max() % n;
  uint64_t x;
  do {
    x = (*this)();
  } while (x >= limit);
  return x % n;
}

bool Rng::Bernoulli(double p) {
  if (!(p > 0)) return false;
  if (p >= 1) return true;
  return Uniform01() < p;
}

double Rng::StandardNormal() {
  const double u1 = UniformOpenZero();
  const double u2 = Uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double Rng::Exponential(double mean) {
  if (!(mean > 0)) return 0;
  return -mean * std::log(UniformOpenZero());
}

double Rng::ParetoExcess(double scale, double shape) {
  if (!(scale > 0) || !(shape > 0)) return 0;
  return scale * (std::pow(UniformOpenZero(), -1.0 / shape) - 1.0);
}

}  // namespace sim
