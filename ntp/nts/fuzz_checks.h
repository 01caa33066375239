// Invariants the NTS code must keep on arbitrary input, shared by the
// libFuzzer targets (ke_records_fuzz, nts_fields_fuzz) and the
// deterministic nts_robustness_test. Each check returns the first violated
// invariant as an Internal status; crashes and sanitizer reports are
// caught by the harness around it.
#ifndef NTP_NTS_FUZZ_CHECKS_H_
#define NTP_NTS_FUZZ_CHECKS_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/server.h"

namespace ntp::nts::fuzz {

// The fixed keys the seeds were made with (testdata/fuzz/nts_fields_fuzz/
// make_seeds.py): master key 1 = 0x11 * 32, C2S = 0x22 * 32,
// S2C = 0x33 * 32. Random draws are all zeros.
inline constexpr uint8_t kMasterKeyByte = 0x11;
inline constexpr uint8_t kC2sByte = 0x22;
inline constexpr uint8_t kS2cByte = 0x33;

// An NTS-KE message: parse; if complete, the records re-encode to exactly
// the consumed octets, and decoded requests and responses survive an
// encode-decode round trip unchanged.
absl::Status CheckKeRecordsInput(absl::Span<const uint8_t> input);

// The server and keys for CheckNtsFieldsInput, made once per run.
class NtsFuzzState {
 public:
  static absl::StatusOr<std::unique_ptr<NtsFuzzState>> Create();
  CookieKeyring& keyring() { return keyring_; }
  NtsServer& server() { return *server_; }
  const SessionKeys& keys() const { return keys_; }
  const std::vector<uint8_t>& cookie() const { return cookie_; }

 private:
  NtsFuzzState() = default;
  CookieKeyring keyring_;
  std::optional<NtsServer> server_;
  SessionKeys keys_;
  std::vector<uint8_t> cookie_;
};

// A datagram, seen both as a request by the server and as a reply by a
// client whose request is outstanding. Checks: parsed views lie inside the
// input; an accepted request gets a reply no larger than itself; a reply
// the client drops changes none of its state; it never holds over 8
// cookies.
absl::Status CheckNtsFieldsInput(NtsFuzzState& state,
                                 absl::Span<const uint8_t> input);

}  // namespace ntp::nts::fuzz

#endif  // NTP_NTS_FUZZ_CHECKS_H_
