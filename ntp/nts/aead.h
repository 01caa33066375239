// AEAD_AES_SIV_CMAC_256 (RFC 5297 §5.1, numbered 15 in the IANA AEAD
// registry), the one AEAD algorithm NTS requires (RFC 8915 §5.1), through
// OpenSSL's EVP AES-128 (CMAC over CBC, CTR over ECB; see aead.cc for why
// not EVP's "AES-128-SIV"): a 32-octet key (a CMAC key and a CTR key), any number of
// associated-data components, and output laid out as RFC 5297 §2.6 has it:
// the 16-octet synthetic IV, then the ciphertext.
//
// The nonce is not special to SIV: RFC 5297 §3 makes it the last
// associated-data component, and that is how RFC 8915 §5.6 uses it.
// Key material never appears in any Status message.
#ifndef NTP_NTS_AEAD_H_
#define NTP_NTS_AEAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ntp::nts {

// RFC 5116 §6 / IANA "AEAD Algorithms": AEAD_AES_SIV_CMAC_256 is 15.
inline constexpr uint16_t kAeadAesSivCmac256 = 15;
inline constexpr size_t kAesSivCmac256KeyOctets = 32;
// The synthetic IV that prefixes every ciphertext (RFC 5297 §2.6).
inline constexpr size_t kAesSivTagOctets = 16;
// RFC 5297 §7: S2V accepts at most 126 associated-data components.
inline constexpr size_t kMaxAssociatedDataComponents = 126;

// One key, ready for any number of Seal/Open calls. Not thread-safe (it
// keeps two OpenSSL cipher contexts and scratch space); movable, not
// copyable.
class AesSivCmac256 {
 public:
  // InvalidArgument unless `key` has 32 octets; Internal if OpenSSL has no
  // AES-128-SIV.
  static absl::StatusOr<AesSivCmac256> Create(absl::Span<const uint8_t> key);

  // Replaces the key in place (two AES key schedules and two blocks): for
  // a server that switches keys on every request. InvalidArgument unless
  // 32 octets.
  absl::Status Rekey(absl::Span<const uint8_t> key);

  AesSivCmac256(AesSivCmac256&&) noexcept;
  AesSivCmac256& operator=(AesSivCmac256&&) noexcept;
  ~AesSivCmac256();

  // Writes IV ‖ ciphertext (plaintext.size() + 16 octets) to the front of
  // `out` and returns that size. `out` may not overlap the inputs.
  // ResourceExhausted: `out` is too small. InvalidArgument: more than 126
  // components.
  absl::StatusOr<size_t> Seal(
      absl::Span<const absl::Span<const uint8_t>> associated_data,
      absl::Span<const uint8_t> plaintext, absl::Span<uint8_t> out);

  // Checks and decrypts IV ‖ ciphertext; writes the plaintext
  // (ciphertext.size() - 16 octets) to the front of `out` and returns its
  // size. PermissionDenied: the IV does not authenticate (`out` is zeroed).
  // `out` may not overlap the inputs. InvalidArgument: shorter than 16 octets or too many
  // components. ResourceExhausted: `out` is too small.
  absl::StatusOr<size_t> Open(
      absl::Span<const absl::Span<const uint8_t>> associated_data,
      absl::Span<const uint8_t> ciphertext, absl::Span<uint8_t> out);

  // The RFC 8915 §5.6 shape: one associated-data component, then the nonce.
  absl::StatusOr<size_t> Seal(absl::Span<const uint8_t> associated_data,
                              absl::Span<const uint8_t> nonce,
                              absl::Span<const uint8_t> plaintext,
                              absl::Span<uint8_t> out) {
    const absl::Span<const uint8_t> parts[] = {associated_data, nonce};
    return Seal(parts, plaintext, out);
  }
  absl::StatusOr<size_t> Open(absl::Span<const uint8_t> associated_data,
                              absl::Span<const uint8_t> nonce,
                              absl::Span<const uint8_t> ciphertext,
                              absl::Span<uint8_t> out) {
    const absl::Span<const uint8_t> parts[] = {associated_data, nonce};
    return Open(parts, ciphertext, out);
  }

 private:
  struct State;
  explicit AesSivCmac256(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ntp::nts

#endif  // NTP_NTS_AEAD_H_
