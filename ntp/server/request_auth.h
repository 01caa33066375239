// Symmetric-key authentication of client requests and of the server's
// replies (RFC 5905 §9.2, ntpd 4.2.8 receive()/fast_xmit()): decides whether
// a request's MAC names a trusted key and is correct, and MACs a reply with
// the same key. A thin adapter over ntp/auth kept in its own translation
// unit; this header exposes only spans and integers.
#ifndef NTP_SERVER_REQUEST_AUTH_H_
#define NTP_SERVER_REQUEST_AUTH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "net/address.h"

namespace ntp {

class KeyStore;  // ntp/auth/key_store.h

enum class RequestAuthResult : uint8_t {
  kOk,            // trusted key, correct digest
  kUntrustedKey,  // key ID unknown, not trusted, or not usable from the
                  // source address: answer with a crypto-NAK
  kBadMac,        // trusted key but wrong digest or wrong length: drop
};

class RequestAuthenticator {
 public:
  // Copies `keys` (may be null: no keys). `trusted_ranges` are closed key-ID
  // ranges ([first, last]) from `trustedkey`; IDs outside 1..65535 are
  // ignored. Internal if keys exist but OpenSSL lacks a digest.
  static absl::StatusOr<std::unique_ptr<RequestAuthenticator>> Create(
      const KeyStore* keys,
      const std::vector<std::pair<uint32_t, uint32_t>>& trusted_ranges);
  ~RequestAuthenticator();

  // Checks a request's MAC. `authenticated` = header + extension fields.
  RequestAuthResult Check(uint32_t key_id, absl::Span<const uint8_t> digest,
                          absl::Span<const uint8_t> authenticated,
                          const net::IpAddress& source);

  // Octets Sign() writes for `key_id` (4 + digest), 0 if the key is unknown.
  size_t MacOctets(uint32_t key_id) const;
  // Writes key ID and the digest of `authenticated` under `key_id` to the
  // front of `out`; returns the octets written, 0 on failure (unknown key,
  // `out` too small, OpenSSL error). Allocation: see ntp/auth/mac.h.
  size_t Sign(uint32_t key_id, absl::Span<const uint8_t> authenticated,
              absl::Span<uint8_t> out);

  bool IsTrusted(uint32_t key_id) const;

 private:
  struct State;
  explicit RequestAuthenticator(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ntp

#endif  // NTP_SERVER_REQUEST_AUTH_H_
