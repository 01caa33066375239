// The daemon's table of symmetric keys, keyed by key ID, each with the
// optional per-key address list of ntpd 4.2.8's keys file. Filled by
// ParseKeysFile (keys_file.h) or by hand; consulted per packet. Which keys
// are *trusted* is configuration (trustedkey), not part of this table.
#ifndef NTP_AUTH_KEY_STORE_H_
#define NTP_AUTH_KEY_STORE_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "ntp/auth/mac.h"

namespace ntp {

// One element of a key's access list: an address and a prefix length
// ("192.0.2.0/24"; a bare address is /32 or /128).
struct KeyAccessEntry {
  net::IpAddress network;
  int prefix_length = 0;  // 0..32 (IPv4) or 0..128 (IPv6)

  // True if `address` has the same family and the first prefix_length bits
  // match.
  bool Contains(const net::IpAddress& address) const;
  friend bool operator==(const KeyAccessEntry&,
                         const KeyAccessEntry&) = default;
};

// Ordered map key ID -> key (+ access list). Iteration is by ascending key
// ID. Thread-compatible.
class KeyStore {
 public:
  struct Entry {
    SymmetricKey key;
    // Empty: any address may use the key.
    std::vector<KeyAccessEntry> access_list;
  };

  // Adds `key`. AlreadyExists if its key ID is present (the table is
  // unchanged).
  absl::Status Insert(const SymmetricKey& key,
                      std::vector<KeyAccessEntry> access_list = {});

  // The key with this ID, or nullptr.
  const SymmetricKey* Find(uint32_t key_id) const;
  // The key's entry, or nullptr.
  const Entry* FindEntry(uint32_t key_id) const;
  // True if the key exists and its access list is empty or contains
  // `address` (ntpd's authistrustedip without the trust flag).
  bool IsUsableFrom(uint32_t key_id, const net::IpAddress& address) const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Key IDs in ascending order.
  std::vector<uint32_t> KeyIds() const;
  const std::map<uint32_t, Entry>& entries() const { return entries_; }

 private:
  std::map<uint32_t, Entry> entries_;
};

// Verifies a received MAC trailer with the key it names. Returns that key ID.
// InvalidArgument for a trailer of impossible length or one that does not
// fit the named key's algorithm; Unauthenticated for a crypto-NAK or a wrong
// digest; NotFound if the key ID is not in `keys`; Internal if OpenSSL
// fails. Trust and access lists are the caller's business.
absl::StatusOr<uint32_t> VerifyPacketMac(
    MacContext& context, const KeyStore& keys,
    absl::Span<const uint8_t> authenticated, absl::Span<const uint8_t> trailer);

}  // namespace ntp

#endif  // NTP_AUTH_KEY_STORE_H_
