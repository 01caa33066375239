// Symmetric-key authentication for client associations (`server ... key N`,
// RFC 5905 §9.2 / RFC 8573): MACs outgoing requests and checks the MAC of
// replies with the association's key. A thin adapter over ntp/auth that
// exposes only spans and integers, so the association code does not depend
// on OpenSSL-facing headers.
#ifndef NTP_CLIENT_PACKET_AUTH_H_
#define NTP_CLIENT_PACKET_AUTH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ntp {

class KeyStore;  // ntp/auth/key_store.h

enum class ReplyAuthResult : uint8_t {
  kOk,
  kMissing,    // no MAC at all
  kCryptoNak,  // the server could not authenticate our request
  kWrongKey,   // the MAC names another key
  kBadMac,     // wrong digest or length
};

class ClientAuthenticator {
 public:
  // Copies `keys` (null: no keys). Internal if keys exist but OpenSSL
  // lacks a digest.
  static absl::StatusOr<std::unique_ptr<ClientAuthenticator>> Create(const KeyStore* keys);
  ~ClientAuthenticator();

  bool HasKey(uint32_t key_id) const;
  // Appends key ID + digest of the current contents of `packet`. NotFound
  // for an unknown key; Internal if OpenSSL fails.
  absl::Status Sign(uint32_t key_id, std::vector<uint8_t>* packet);
  // Checks a reply: `authenticated` = header + extension fields, `key_id`
  // and `digest` from the MAC trailer (has_mac false: none).
  ReplyAuthResult Check(uint32_t expected_key_id, bool has_mac, uint32_t key_id,
                        absl::Span<const uint8_t> digest,
                        absl::Span<const uint8_t> authenticated);

 private:
  struct State;
  explicit ClientAuthenticator(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ntp

#endif  // NTP_CLIENT_PACKET_AUTH_H_
