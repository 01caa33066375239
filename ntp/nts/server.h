// The server half of NTS-protected NTP (RFC 8915 §5): checks an NTS
// request's cookie and authenticator, and seals the reply's cookies and
// authenticator around a header the responder built. Stateless per client:
// everything it needs comes in the cookie (cookie.h). Bytes in, bytes out.
//
// The reply is never larger than the request (RFC 8915 §5.7 and §9.6,
// amplification): a request with too few placeholders gets fewer cookies.
//
// Not thread-safe (one scratch AEAD and buffer per instance).
#ifndef NTP_NTS_SERVER_H_
#define NTP_NTS_SERVER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ntp/nts/aead.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/fields.h"

namespace ntp::nts {

// Why a request was dropped (each one counted).
enum class NtsServerDrop : uint8_t {
  kNone,
  kMalformed,            // ParseNtsFields refused it
  kNoCookie,
  kNoAuthenticator,
  kBadCookie,            // wrong size, or does not open (forged)
  kBadAuthenticator,     // does not authenticate under the cookie's C2S key
  kTooLarge,             // encrypted part beyond the scratch buffer
};
inline constexpr size_t kNtsServerDropReasons = 7;
const char* NtsServerDropName(NtsServerDrop drop);

struct NtsServerCounters {
  uint64_t accepted = 0;
  uint64_t naks = 0;  // cookie under an unknown master key
  std::array<uint64_t, kNtsServerDropReasons> drops{};
};

// A request that passed: what the reply needs. `unique_identifier` views
// the request datagram, which must outlive this.
struct NtsRequest {
  SessionKeys keys;
  absl::Span<const uint8_t> unique_identifier;
  size_t cookies_wanted = 0;  // 1 + placeholders, at most kMaxCookies
  size_t request_octets = 0;
};

enum class NtsVerdict : uint8_t { kRespond, kNak, kDrop };

struct NtsCheck {
  NtsVerdict verdict = NtsVerdict::kDrop;
  NtsServerDrop drop = NtsServerDrop::kNone;
  // kRespond: everything; kNak: unique_identifier and request_octets only.
  NtsRequest request;
};

class NtsServer {
 public:
  // REQUIRES: `keyring` outlives the server (the owner rotates it).
  static absl::StatusOr<NtsServer> Create(CookieKeyring* keyring);

  // Checks one request datagram (header included).
  NtsCheck CheckRequest(absl::Span<const uint8_t> datagram);

  // Octets of a reply carrying `cookies` cookies and `uid_octets` of Unique
  // Identifier.
  static size_t ReplyOctets(size_t uid_octets, size_t cookies);

  // Writes `header` (48 octets from the responder) ‖ Unique Identifier ‖
  // Authenticator(new cookies under the S2C key) to `out`, which may not
  // overlap the request. Returns the reply size (<= request_octets).
  absl::StatusOr<size_t> SealReply(const NtsRequest& request,
                                   absl::Span<const uint8_t> header,
                                   absl::BitGenRef gen,
                                   absl::Span<uint8_t> out);

  // An NTS NAK (RFC 8915 §5.7): `header` (the responder's NTSN
  // kiss-o'-death) ‖ the request's Unique Identifier, unauthenticated.
  static absl::StatusOr<size_t> EncodeNak(
      absl::Span<const uint8_t> unique_identifier,
      absl::Span<const uint8_t> header, absl::Span<uint8_t> out);

  const NtsServerCounters& counters() const { return counters_; }

 private:
  NtsServer(CookieKeyring* keyring, AesSivCmac256 aead)
      : keyring_(keyring), aead_(std::move(aead)), scratch_(kScratchOctets) {}
  NtsCheck Drop(NtsServerDrop drop);

  // The largest encrypted part a request may carry.
  static constexpr size_t kScratchOctets = 2048;

  CookieKeyring* keyring_;
  AesSivCmac256 aead_;            // rekeyed per request
  std::vector<uint8_t> scratch_;  // decrypted request fields, reply cookies
  NtsServerCounters counters_;
};

}  // namespace ntp::nts

#endif  // NTP_NTS_SERVER_H_
