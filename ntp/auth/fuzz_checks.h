// Invariants the authentication code must keep on arbitrary input, shared by
// the libFuzzer targets (keys_file_fuzz, mac_fuzz) and the deterministic
// robustness test. Each check returns the first violated invariant as an
// Internal status; crashes, hangs and sanitizer reports are caught by the
// harness around it.
#ifndef NTP_AUTH_FUZZ_CHECKS_H_
#define NTP_AUTH_FUZZ_CHECKS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ntp/auth/mac.h"

namespace ntp::fuzz {

// Parses `input` as a keys file, and each of its lines as trustedkey,
// requestkey and controlkey arguments. Checks: diagnostics name lines that
// exist and never contain key text (tokens in the type, key or access-list
// position that are not fixed vocabulary); every loaded key is well formed;
// key-ID lists are sorted, unique and in 1..65535.
absl::Status CheckKeysFileInput(absl::string_view input);

// Layout of a mac_fuzz input (all selectors are reduced modulo their range):
//   [0] algorithm (mod 3: MD5, SHA-1, AES-CMAC)
//   [1] secret length - 1 (mod 32; AES-CMAC always 16)
//   [2..3] key ID - 1, big-endian (mod 65535)
//   [4] trailer length (mod 32)
//   then the secret, then the message; the last "trailer length" octets of
//   the message are the received trailer, the rest is authenticated.
inline constexpr size_t kMacInputHeaderLength = 5;

// Checks: the verdict is kOk exactly when the trailer equals the one
// WriteMacTrailer produces; ParseMacTrailer and VerifyPacketMac agree with
// it; a MAC appended to the whole message verifies, and any single bit flip
// of the result does not; no status message contains the secret.
absl::Status CheckMacInput(MacContext& context,
                           absl::Span<const uint8_t> input);

}  // namespace ntp::fuzz

#endif  // NTP_AUTH_FUZZ_CHECKS_H_
