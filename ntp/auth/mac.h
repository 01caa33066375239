// Symmetric-key message authentication for NTP packets: the legacy key-prefix
// digests MD5 and SHA-1 (RFC 5905 §7.3: digest(key ‖ packet)) and AES-128-CMAC
// (RFC 8573, RFC 4493), and the MAC trailer (32-bit key ID + digest) that
// follows the header and extension fields. Byte-span based: it knows nothing
// of the packet layout (ntp/wire splits a datagram into "authenticated bytes"
// and "trailer"). Key files are parsed by keys_file.h, keys looked up in
// key_store.h.
//
// Secrets never appear in any string this file produces: not in
// SymmetricKey::DebugString(), not in any absl::Status message.
#ifndef NTP_AUTH_MAC_H_
#define NTP_AUTH_MAC_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ntp {

enum class MacAlgorithm : uint8_t {
  kMd5,         // MD5(key ‖ message), 16 octets (RFC 5905 §7.3)
  kSha1,        // SHA-1(key ‖ message), 20 octets (ntpd/ntpsec/chrony "SHA1")
  kAesCmac128,  // AES-128-CMAC(key, message), 16 octets (RFC 8573, RFC 4493)
  // SHA-2 (FIPS 180-4) of key ‖ message, as ntpsec computes any OpenSSL
  // digest for a keys-file type: truncated to its first 20 octets, so the
  // trailer has SHA-1's length (ntpsec ntp.keys(5): "Digests ... longer
  // than 20 bytes will be truncated").
  kSha224,
  kSha256,
  kSha384,
  kSha512,
};

// Digest octets for `algorithm`: 16 (MD5, AES-128-CMAC), 20 (SHA-1 and the
// truncated SHA-2 digests).
constexpr size_t DigestLength(MacAlgorithm algorithm) {
  return algorithm == MacAlgorithm::kMd5 || algorithm == MacAlgorithm::kAesCmac128 ? 16 : 20;
}

// The keys-file spelling: ntpd 4.2.8's "MD5", "SHA1", "AES128CMAC" and the
// OpenSSL digest names ntpsec passes through, "SHA224" ... "SHA512".
absl::string_view MacAlgorithmName(MacAlgorithm algorithm);

// Key identifiers (RFC 5905 §7.3, §9.2): 0 is the crypto-NAK, 1..65535 are
// symmetric keys, larger values belong to Autokey.
inline constexpr uint32_t kMinSymmetricKeyId = 1;
inline constexpr uint32_t kMaxSymmetricKeyId = 65535;
// The key ID field of the MAC trailer (RFC 5905 §7.3, Figure 8).
inline constexpr size_t kKeyIdLength = 4;
// Largest digest of any supported algorithm (SHA-1, truncated SHA-2).
inline constexpr size_t kMaxDigestLength = 20;

// Octets of a full MAC trailer (key ID + digest): 20, 24 or 20.
constexpr size_t MacTrailerLength(MacAlgorithm algorithm) {
  return kKeyIdLength + DigestLength(algorithm);
}

// One shared secret. A value type: cheap to copy (no heap), compares in
// constant time, wipes its secret when destroyed. Its string forms print the
// key ID and algorithm, never the secret.
class SymmetricKey {
 public:
  // ntpd keeps at most 32 octets from a keys file; the API allows one full
  // MD5/SHA-1 block so that keys from other sources fit.
  static constexpr size_t kMaxSecretLength = 64;
  // AES-128-CMAC takes exactly a 128-bit key (RFC 8573).
  static constexpr size_t kCmacSecretLength = 16;

  // Returns InvalidArgument if `key_id` is outside 1..65535, `secret` is
  // empty or longer than kMaxSecretLength, or the algorithm is AES-128-CMAC
  // and `secret` is not exactly 16 octets. The message never contains the
  // secret.
  static absl::StatusOr<SymmetricKey> Create(uint32_t key_id,
                                             MacAlgorithm algorithm,
                                             absl::Span<const uint8_t> secret);

  SymmetricKey(const SymmetricKey&) = default;
  SymmetricKey& operator=(const SymmetricKey&) = default;
  ~SymmetricKey();

  uint32_t key_id() const { return key_id_; }
  MacAlgorithm algorithm() const { return algorithm_; }
  size_t digest_length() const { return DigestLength(algorithm_); }
  // The secret octets. Sensitive: never log or format them.
  absl::Span<const uint8_t> secret() const {
    return absl::MakeConstSpan(secret_.data(), secret_length_);
  }

  // "key 5 (MD5, 16-octet secret redacted)".
  std::string DebugString() const;
  friend std::ostream& operator<<(std::ostream& os, const SymmetricKey& key) {
    return os << key.DebugString();
  }
  // Same ID, algorithm and secret; the secret is compared in constant time.
  friend bool operator==(const SymmetricKey& a, const SymmetricKey& b);

 private:
  SymmetricKey() = default;

  uint32_t key_id_ = 0;
  MacAlgorithm algorithm_ = MacAlgorithm::kMd5;
  uint8_t secret_length_ = 0;
  std::array<uint8_t, kMaxSecretLength> secret_{};
};

// Outcome of a MAC check, for the per-packet path: producing it allocates
// nothing (absl::Status with a message would). MacVerdictToStatus() turns it
// into a Status for callers that want one.
enum class MacVerdict : uint8_t {
  kOk,
  kBadLength,       // digest or trailer length does not fit the key's algorithm
  kKeyIdMismatch,   // the trailer names another key
  kCryptoNak,       // the trailer is a crypto-NAK (key ID 0, no digest)
  kDigestMismatch,  // wrong digest: tampered packet, wrong key
  kInternalError,   // OpenSSL failed
};

// OK for kOk; InvalidArgument for kBadLength; Unauthenticated for
// kKeyIdMismatch, kCryptoNak and kDigestMismatch; Internal for
// kInternalError. The message names the verdict, the key ID and the
// algorithm, never the secret.
absl::Status MacVerdictToStatus(MacVerdict verdict, const SymmetricKey& key);

// Computes and checks MACs. Holds the OpenSSL algorithm objects (fetched once
// in Create) and reusable contexts, so the per-packet calls neither look up
// algorithms nor, for AES-CMAC, allocate. With OpenSSL 3.0 each MD5/SHA-1
// computation still makes one small allocation inside EVP_DigestInit_ex (the
// provider's digest context); OpenSSL offers no EVP way around it there.
//
// AES-CMAC keeps the most recently used key scheduled, so a run of packets
// under the same key skips the AES key expansion.
//
// Thread-compatible, not thread-safe: use one MacContext per thread. Movable,
// not copyable; a moved-from MacContext may only be destroyed or assigned to.
class MacContext {
 public:
  // Fetches MD5, SHA-1, SHA-224/256/384/512 and CMAC(AES-128-CBC) from
  // OpenSSL's default provider. Internal if any of them is unavailable (e.g.
  // MD5 in a FIPS-only configuration).
  static absl::StatusOr<MacContext> Create();

  MacContext(MacContext&&) noexcept;
  MacContext& operator=(MacContext&&) noexcept;
  ~MacContext();

  // Writes the digest of `message` under `key` to the first
  // key.digest_length() octets of `digest_out`. InvalidArgument if
  // `digest_out` is shorter; Internal if OpenSSL fails.
  absl::Status ComputeDigest(const SymmetricKey& key,
                             absl::Span<const uint8_t> message,
                             absl::Span<uint8_t> digest_out);

  // Checks `digest` against the digest of `message` under `key` with a
  // constant-time comparison. kBadLength unless digest.size() ==
  // key.digest_length().
  MacVerdict CheckDigest(const SymmetricKey& key,
                         absl::Span<const uint8_t> message,
                         absl::Span<const uint8_t> digest);
  // CheckDigest as a Status (see MacVerdictToStatus).
  absl::Status VerifyDigest(const SymmetricKey& key,
                            absl::Span<const uint8_t> message,
                            absl::Span<const uint8_t> digest);

 private:
  struct State;
  explicit MacContext(std::unique_ptr<State> state);
  // REQUIRES: digest_out has room for key.digest_length() octets.
  bool ComputeInto(const SymmetricKey& key, absl::Span<const uint8_t> message,
                   uint8_t* digest_out);

  std::unique_ptr<State> state_;
};

// A MAC trailer split into its fields. `digest` points into the trailer.
struct MacTrailerView {
  uint32_t key_id = 0;
  absl::Span<const uint8_t> digest;

  // Key ID 0 with no digest: "I could not authenticate your request"
  // (RFC 5905 §9.2).
  bool is_crypto_nak() const { return key_id == 0 && digest.empty(); }
};

// Splits a trailer of 4 (crypto-NAK), 20 (MD5 or AES-CMAC) or 24 (SHA-1,
// SHA-2) octets into key ID (big-endian) and digest. InvalidArgument for any other
// length, and for a 4-octet trailer whose key ID is not 0. The algorithm is
// NOT implied by the length (MD5 and AES-CMAC are both 20): it comes from the
// key the ID names.
absl::StatusOr<MacTrailerView> ParseMacTrailer(absl::Span<const uint8_t> trailer);

// Writes key.key_id() (big-endian) and the digest of `authenticated` to the
// first MacTrailerLength(key.algorithm()) octets of `out` and returns that
// count. InvalidArgument if `out` is too small; Internal if OpenSSL fails.
absl::StatusOr<size_t> WriteMacTrailer(MacContext& context,
                                       const SymmetricKey& key,
                                       absl::Span<const uint8_t> authenticated,
                                       absl::Span<uint8_t> out);

// Appends the trailer for the current contents of `*packet` (all of it is
// authenticated). On error `*packet` is unchanged. REQUIRES: packet != nullptr.
absl::Status AppendMacTrailer(MacContext& context, const SymmetricKey& key,
                              std::vector<uint8_t>* packet);

// Appends a crypto-NAK (four zero octets, RFC 5905 §9.2).
// REQUIRES: packet != nullptr.
void AppendCryptoNak(std::vector<uint8_t>* packet);

// Checks a received trailer against `key`: the trailer must be exactly
// MacTrailerLength(key.algorithm()) octets (else kBadLength, ntpd's "MAC
// length error"; a 4-octet crypto-NAK gives kCryptoNak), name key.key_id()
// (else kKeyIdMismatch) and carry the digest of `authenticated` (else
// kDigestMismatch).
MacVerdict CheckMacTrailer(MacContext& context, const SymmetricKey& key,
                           absl::Span<const uint8_t> authenticated,
                           absl::Span<const uint8_t> trailer);
// CheckMacTrailer as a Status (see MacVerdictToStatus).
absl::Status VerifyMacTrailer(MacContext& context, const SymmetricKey& key,
                              absl::Span<const uint8_t> authenticated,
                              absl::Span<const uint8_t> trailer);

}  // namespace ntp

#endif  // NTP_AUTH_MAC_H_
