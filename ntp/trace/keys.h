// The instance's symmetric keys in a trace header (trace.proto TraceKey).
// A trace leaves the machine it was recorded on, so by default it carries
// no secret: each key is recorded by ID, algorithm, access list and a
// fingerprint, SHA-256(salt || secret) with a salt drawn per trace; the
// replayer takes the keys file of the recorded machine (ntpreplay --keys)
// and checks every key against its fingerprint. `keys include` writes the
// secrets themselves, for a trace that replays alone.
#ifndef NTP_TRACE_KEYS_H_
#define NTP_TRACE_KEYS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ntp/auth/key_store.h"
#include "ntp/trace/trace.pb.h"

namespace ntp::trace {

// SHA-256(salt || secret), 32 octets.
std::string KeyFingerprint(absl::string_view salt, const SymmetricKey& key);

// Records `keys` in `header` (key_store, key_salt, keys). `salt` should be
// random (16 octets); the secrets only with `include_secrets`.
void RecordKeys(const KeyStore& keys, bool include_secrets, absl::string_view salt,
                Header* header);

// The key table the recorded instance had: nullopt when it had none; the
// recorded secrets; else the keys of `supplied` (ntpreplay --keys), each
// checked against the recorded fingerprint. FailedPrecondition naming the
// key IDs when the trace holds fingerprints only and `supplied` is null,
// lacks a key, or holds a different one; InvalidArgument for a recorded
// key that cannot be rebuilt.
absl::StatusOr<std::optional<KeyStore>> ReplayKeys(const Header& header,
                                                   const KeyStore* supplied);

}  // namespace ntp::trace

#endif  // NTP_TRACE_KEYS_H_
