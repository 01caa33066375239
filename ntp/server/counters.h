// What the NTP server did with each datagram: the typed outcome of one
// request (reply kind or drop reason) and the plain-integer counters the
// server keeps per outcome (ntpd's sys_* counters, ntpd-rs's ServerReason).
// Counting is an array increment on the per-request path: no strings, no
// allocation. Names are for ntpq/ntpdc-style displays, logs and tests.
#ifndef NTP_SERVER_COUNTERS_H_
#define NTP_SERVER_COUNTERS_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace ntp {

// Why a datagram got no reply from the server. Checked in roughly this
// order (ntpd 4.2.8 receive(): source port, restrict, mode 6/7, noserve,
// length and version, MAC, rate limit).
enum class ServerDropReason : uint8_t {
  kBadSourcePort = 0,  // source port 0
  kEmpty,              // zero-length datagram
  kMulticastSource,    // a multicast/broadcast source address (never answered)
  kIgnored,            // restrict ... ignore
  kNoQuery,            // mode 6/7 from a noquery source
  kPrivateMode,        // mode 7 (ntpdc): not supported (4.2.8 default off)
  kControlNotServed,   // mode 6 allowed but no control handler is installed
  kNoServe,            // restrict ... noserve (time modes)
  kTooShort,           // < 48 octets (wire PacketError kTooShort)
  kBadVersion,         // version 0 or 5..7
  kBadTrailer,         // unparseable extension fields / MAC trailer
  kVersionRestricted,  // restrict ... version and VN != 4
  kUnexpectedMode,     // mode 0 (v2+), 2, 4, 5 with no client engine to take it
  kSymmetricUnknownPeer,  // mode 1 from a host that is no configured peer
  kNotTrusted,         // restrict ... notrust and the request has no valid MAC
  kRateLimited,        // restrict ... limited: over the discard limits
  kKodRateLimited,     // over the limits and a KoD was due but suppressed
  kBadMac,             // MAC present, trusted key known, digest or length wrong
  kCryptoNakRequest,   // the request itself carries a crypto-NAK
  kWouldAmplify,       // the reply would be larger than the request
  kInternalError,      // serialisation or MAC computation failed
  kSendFailed,         // the network refused the reply (counted by the Host)
  kInterfaceDrop,      // arrived on an `interface drop` address (counted by the Host)
};
inline constexpr size_t kServerDropReasonCount = 23;

// What kind of reply was sent.
enum class ServerReplyKind : uint8_t {
  kPlain = 0,       // mode 4 without MAC
  kAuthenticated,   // mode 4 MAC'd with the request's (trusted) key
  kCryptoNak,       // mode 4 + key ID 0: the request's key is unknown/untrusted
  kKissOfDeath,     // RATE kiss code
};
inline constexpr size_t kServerReplyKindCount = 4;

// Stable snake_case names ("bad_source_port", "kiss_of_death", ...) in
// static storage; "unknown" for out-of-range values.
absl::string_view ServerDropReasonName(ServerDropReason reason);
absl::string_view ServerReplyKindName(ServerReplyKind kind);

// Counters of one server instance. Plain integers, never reset by the
// server; readers take differences.
struct ServerCounters {
  uint64_t received = 0;            // datagrams handed to the server
  uint64_t time_requests = 0;       // mode 3 (and v1 mode 0) requests parsed
  // Passed on by the responder. If nobody takes them the Host also counts
  // a drop (kControlNotServed / kUnexpectedMode).
  uint64_t control_requests = 0;    // mode 6 for the control handler
  uint64_t client_packets = 0;      // modes 1/2/4/5 for the client side
  std::array<uint64_t, kServerReplyKindCount> replies{};
  std::array<uint64_t, kServerDropReasonCount> drops{};

  uint64_t reply_count(ServerReplyKind kind) const {
    return replies[static_cast<size_t>(kind)];
  }
  uint64_t drop_count(ServerDropReason reason) const {
    return drops[static_cast<size_t>(reason)];
  }
  uint64_t total_replies() const;
  uint64_t total_drops() const;
};

}  // namespace ntp

#endif  // NTP_SERVER_COUNTERS_H_
