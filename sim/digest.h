// A streaming 128-bit digest of simulation events, for the determinism
// self-check: two runs with the same seed must produce the same digest.
// Not cryptographic: fast (two xxHash64-style rounds per 64-bit word)
// because every packet, clock operation, timer and protocol event goes
// through it.
#ifndef SIM_DIGEST_H_
#define SIM_DIGEST_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace sim {

class Digest {
 public:
  Digest() = default;

  void AddU64(uint64_t value) {
    // xxHash64's round (Collet) per lane; Hex() finalises.
    a_ = Round(a_, value);
    b_ = Round(b_, ((value << 32) | (value >> 32)) ^ a_);
    ++words_;
  }
  void AddI64(int64_t value) { AddU64(static_cast<uint64_t>(value)); }
  // The IEEE-754 bit pattern (0.0 and -0.0 differ; that is intended).
  void AddDouble(double value);
  // The bytes and their length (so ("ab","c") differs from ("a","bc")).
  void AddBytes(absl::Span<const uint8_t> bytes);
  void AddString(absl::string_view text);
  // Folds another digest in (used to combine per-domain digests in order).
  void AddDigest(const Digest& other);

  // 32 lowercase hex digits.
  std::string Hex() const;
  uint64_t words() const { return words_; }

  friend bool operator==(const Digest&, const Digest&) = default;

 private:
  static constexpr uint64_t Round(uint64_t acc, uint64_t input) {
    acc += input * 0xC2B2AE3D27D4EB4FULL;
    acc = (acc << 31) | (acc >> 33);
    return acc * 0x9E3779B185EBCA87ULL;
  }

  uint64_t a_ = 0x6a09e667f3bcc908ULL;
  uint64_t b_ = 0xbb67ae8584caa73bULL;
  uint64_t words_ = 0;
};

}  // namespace sim

#endif  // SIM_DIGEST_H_
