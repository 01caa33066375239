// The client half of NTS-protected NTP (RFC 8915 §5): wraps a request
// header in a Unique Identifier, one cookie, placeholders and an
// authenticator; checks a reply's Unique Identifier and authenticator, and
// keeps the fresh cookies it carries (at most kMaxCookies). Bytes in, bytes
// out; the association owns the header and its timestamps.
//
// One request is outstanding at a time: a new request replaces the
// expected Unique Identifier, so a reply to an older request, a replayed
// reply, a forged or truncated one are dropped, counted, and change
// nothing. An NTS NAK (RFC 8915 §5.7) that echoes the outstanding Unique
// Identifier ends the request and asks for a new key exchange.
//
// Not thread-safe.
#ifndef NTP_NTS_CLIENT_H_
#define NTP_NTS_CLIENT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ntp/nts/aead.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/fields.h"

namespace ntp::nts {

enum class NtsClientDrop : uint8_t {
  kNone,
  kMalformed,         // ParseNtsFields refused it
  kNotPending,        // no request outstanding, or another Unique Identifier
  kNoAuthenticator,   // and not an NTS NAK
  kBadAuthenticator,  // does not authenticate under the S2C key
  kBadEncryptedFields,
};
inline constexpr size_t kNtsClientDropReasons = 6;
const char* NtsClientDropName(NtsClientDrop drop);

struct NtsClientCounters {
  uint64_t requests = 0;
  uint64_t accepted = 0;
  uint64_t naks = 0;
  uint64_t cookies_received = 0;
  std::array<uint64_t, kNtsClientDropReasons> drops{};
};

enum class NtsReplyVerdict : uint8_t { kAccepted, kNak, kDropped };

struct NtsReplyCheck {
  NtsReplyVerdict verdict = NtsReplyVerdict::kDropped;
  NtsClientDrop drop = NtsClientDrop::kNone;
  size_t new_cookies = 0;  // kept (beyond kMaxCookies they are discarded)
};

class NtsClient {
 public:
  // The keys and cookies an NTS-KE exchange produced. InvalidArgument: an
  // AEAD other than AES-SIV-CMAC-256, an empty or oversized cookie.
  static absl::StatusOr<NtsClient> Create(
      const SessionKeys& keys,
      absl::Span<const std::vector<uint8_t>> cookies);

  size_t cookie_count() const { return cookies_.size(); }
  // No cookie left, or the server sent an NTS NAK: run NTS-KE again.
  bool needs_key_exchange() const { return cookies_.empty() || nak_; }

  // Octets BuildRequest will write with the current cookies.
  size_t RequestOctets() const;

  // Writes `header` (48 octets) ‖ Unique Identifier ‖ Cookie ‖
  // placeholders (enough to get back to kMaxCookies) ‖ Authenticator to
  // `out` and makes it the outstanding request. Uses up one cookie
  // (RFC 8915 §5.7: each cookie is sent once).
  // FailedPrecondition: no cookie. ResourceExhausted: small `out`.
  absl::StatusOr<size_t> BuildRequest(absl::Span<const uint8_t> header,
                                      absl::BitGenRef gen,
                                      absl::Span<uint8_t> out);

  // Checks a reply datagram. Only kAccepted and kNak change state.
  NtsReplyCheck ProcessReply(absl::Span<const uint8_t> datagram);

  const NtsClientCounters& counters() const { return counters_; }

 private:
  NtsClient(AesSivCmac256 c2s, AesSivCmac256 s2c)
      : c2s_(std::move(c2s)), s2c_(std::move(s2c)) {}
  NtsReplyCheck Drop(NtsClientDrop drop);
  size_t PlaceholdersWanted() const;

  AesSivCmac256 c2s_;
  AesSivCmac256 s2c_;
  std::deque<std::vector<uint8_t>> cookies_;  // oldest first
  std::array<uint8_t, kUniqueIdentifierOctets> pending_uid_{};
  bool pending_ = false;
  bool nak_ = false;
  std::vector<uint8_t> scratch_;  // a reply's decrypted fields
  NtsClientCounters counters_;
};

}  // namespace ntp::nts

#endif  // NTP_NTS_CLIENT_H_
