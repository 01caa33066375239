#include "sim/digest.h"

#include <cstring>

#include "absl/strings/str_format.h"

namespace sim {
namespace {

// MurmurHash3's finaliser for the digest's final value.
uint64_t Fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

}  // namespace

void Digest::AddDouble(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  AddU64(bits);
}

void Digest::AddBytes(absl::Span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    AddU64(word);
  }
  uint64_t tail = 0;
  for (size_t shift = 0; i < bytes.size(); ++i, shift += 8) {
    tail |= uint64_t{bytes[i]} << shift;
  }
  AddU64(tail);
  AddU64(bytes.size());
}

void Digest::AddString(absl::string_view text) {
  AddBytes(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

void Digest::AddDigest(const Digest& other) {
  AddU64(other.a_);
  AddU64(other.b_);
  AddU64(other.words_);
}

std::string Digest::Hex() const {
  const uint64_t high = Fmix64(a_ ^ words_);
  const uint64_t low = Fmix64(b_ + high);
  return absl::StrFormat("%016x%016x", high, low);
}

}  // namespace sim
