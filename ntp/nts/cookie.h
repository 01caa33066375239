// Stateless server cookies (RFC 8915 §6) under rotating master keys.
//
// A cookie carries the session's keys, sealed under the server's current
// master key, so the server keeps no per-client state:
//   key ID (4, big-endian) ‖ nonce (16) ‖ AES-SIV(master key, AD = key ID,
//   nonce, plaintext = C2S key (32) ‖ S2C key (32))
// = 100 octets, a multiple of 4, so the Cookie field needs no padding and
// its body is exactly the cookie. The AEAD is implied: the only one this
// server negotiates is AEAD_AES_SIV_CMAC_256. An unknown key ID (rotated out, or never ours) is an NTS
// NAK case (RFC 8915 §5.7); a known ID that does not open is a forgery.
//
// Rotation: the owner calls Rotate() every rotation interval
// (kDefaultRotationInterval) with fresh key material; the keyring keeps the
// newest kKeptMasterKeys keys, so a cookie stays valid for at least
// (kKeptMasterKeys - 1) intervals.
//
// Key file (written by its owner, the daemon's tools/nts_service.h, mode
// 0600, atomically; see
// SerializeKeyFile): lines "ID HEX", oldest first, the last one current;
// '#' starts a comment. Parsed here with file:line errors.
#ifndef NTP_NTS_COOKIE_H_
#define NTP_NTS_COOKIE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ntp/nts/aead.h"

namespace ntp::nts {

// The keys one NTS-KE session exported (RFC 8915 §5.1).
struct SessionKeys {
  uint16_t aead = kAeadAesSivCmac256;
  std::array<uint8_t, kAesSivCmac256KeyOctets> c2s{};
  std::array<uint8_t, kAesSivCmac256KeyOctets> s2c{};
  friend bool operator==(const SessionKeys& a, const SessionKeys& b) {
    return a.aead == b.aead && a.c2s == b.c2s && a.s2c == b.s2c;
  }
};

inline constexpr size_t kCookieOctets = 4 + 16 + kAesSivTagOctets + 64;
inline constexpr size_t kKeptMasterKeys = 3;
inline constexpr int64_t kDefaultRotationIntervalSeconds = 86400;

class CookieKeyring {
 public:
  CookieKeyring() = default;
  CookieKeyring(CookieKeyring&&) = default;
  CookieKeyring& operator=(CookieKeyring&&) = default;

  // Adds `key` (32 octets) as the current master key with ID `id`, and
  // forgets keys beyond the newest kKeptMasterKeys.
  // InvalidArgument: wrong key size, or `id` already present.
  absl::Status AddKey(uint32_t id, absl::Span<const uint8_t> key);
  // A new current key: ID one above the current one, material from `gen`
  // (the daemon passes a generator seeded from the OS).
  absl::Status Rotate(absl::BitGenRef gen);

  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }
  // REQUIRES: !empty().
  uint32_t current_id() const { return keys_.back().id; }

  // Writes a cookie for `keys` under the current key to the front of `out`
  // (kCookieOctets). InvalidArgument: keys.aead is not 15. FailedPrecondition: no key. ResourceExhausted: small
  // `out`.
  absl::StatusOr<size_t> Seal(const SessionKeys& keys, absl::BitGenRef gen,
                              absl::Span<uint8_t> out);
  // NotFound: unknown key ID (answer with an NTS NAK). PermissionDenied:
  // does not open (forged). InvalidArgument: not kCookieOctets octets.
  absl::StatusOr<SessionKeys> Open(absl::Span<const uint8_t> cookie);

  // The key file text (see the file comment).
  std::string SerializeKeyFile() const;
  // Parses key file text; errors name `file_name`:line.
  static absl::StatusOr<CookieKeyring> ParseKeyFile(absl::string_view text,
                                                    absl::string_view file_name);

 private:
  struct MasterKey {
    uint32_t id;
    std::array<uint8_t, kAesSivCmac256KeyOctets> material;
    AesSivCmac256 aead;
  };
  MasterKey* Find(uint32_t id);
  std::deque<MasterKey> keys_;  // oldest first
};

}  // namespace ntp::nts

#endif  // NTP_NTS_COOKIE_H_
