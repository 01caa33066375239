// The NTP server's request handler (RFC 5905 §8-9; ntpd 4.2.8 receive() +
// fast_xmit(); ntpd-rs's Server::handle): one datagram in, either reply
// octets written into a caller-owned buffer or a typed drop reason out.
// Stateless towards clients except for the bounded client table used for
// rate limiting. No I/O: the caller passes the receive timestamp and the
// clock reading taken as late as it could for the transmit timestamp, which
// is written after every decision and just before the MAC is computed.
//
// Rules (RFC 5905 §8, §9.2; ntpd/ntp_proto.c receive() and fast_xmit();
// ntpd/ntp_monitor.c for rate limiting):
//  - never answers modes 2, 4, 5, 7 or anything unparseable; mode 6 is handed
//    to the control handler (kControl) unless `noquery`; modes 1/2/4/5 go to
//    the client side (kClientPacket) — mode 1 only from configured peers;
//  - mode 3 (and mode 0 from NTPv1) gets mode 4: version echoed, origin =
//    request transmit verbatim, receive = T2, transmit > T2 strictly, poll =
//    max(request poll, discard average), the rest from SystemVariables
//    (unsynchronised: LI 3, stratum 0, refid INIT/STEP as set by the owner);
//  - no amplification: a reply is never longer than its request (extension
//    fields are not echoed; a MAC'd reply replaces a MAC of the same length);
//  - `restrict` flags of the most specific entry apply; `limited` drops or,
//    with `kod`, answers a RATE KoD at a bounded rate;
//  - trusted key -> reply MAC'd with that key; unknown/untrusted key ->
//    crypto-NAK; wrong digest -> counted drop.
// Per request: no heap allocation (except inside OpenSSL for MD5/SHA-1
// MACs, see ntp/auth/mac.h), no strings.
#ifndef NTP_SERVER_RESPONDER_H_
#define NTP_SERVER_RESPONDER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "ntp/ntp_time.h"
#include "ntp/server/access_control.h"
#include "ntp/server/client_table.h"
#include "ntp/server/counters.h"
#include "ntp/server/request_auth.h"
#include "ntp/system_state.h"

namespace ntp {

struct ResponderSettings {
  AccessControl access;
  RateLimitSettings rate;  // `discard`
  // Client table entries (`mru maxdepth`, or `mru maxmem` / entry size).
  size_t client_table_capacity =
      ClientTable::kDefaultMaxMemoryBytes / ClientTable::BytesPerEntry();
  // `enable monitor` (default on): every time request is recorded in the
  // client table. Entries with `limited` are recorded regardless.
  bool monitor = true;
  // PHI in ppm (`tinker dispersion`, RFC 5905 §7.2 / 11.2: 15 ppm): replies
  // announce root dispersion + PHI * (T2 - reference time).
  double dispersion_rate_ppm = 15.0;
  // `leapsmearinterval` (ntpsec): > 0 smears an armed leap second over
  // this many seconds before it (time served moves linearly to the full
  // second at the leap) and announces no leap: clients never see a 61st
  // second. 0: announce the leap (LI) as usual.
  double leap_smear_seconds = 0;
  // Addresses of `peer` lines: the only sources whose mode 1 packets are
  // passed on (kClientPacket).
  std::vector<net::IpAddress> configured_peers;
  // Keying of the client table's hash (from the host's random seed).
  uint64_t hash_seed = 0;
};

// One received datagram, as the server needs it.
struct ServerRequest {
  absl::Span<const uint8_t> payload;
  net::SocketAddress source;
  NtpTimestamp receive_time;  // T2: kernel RX timestamp on the host clock
  absl::Time monotonic_now;   // scheduler time, for rate limiting
  // T3: the host clock as the executor read it for this datagram, as late
  // as it could (just before handing it to the core).
  NtpTimestamp transmit_time;
};

enum class ServerAction : uint8_t {
  kDrop,          // nothing to send (see drop_reason)
  kReply,         // send reply_buffer[0, reply_octets) to the source
  kControl,       // a mode 6 message the control handler may answer
  kClientPacket,  // a mode 1/2/4/5 packet for the client side
};

struct ServerOutcome {
  ServerAction action = ServerAction::kDrop;
  ServerDropReason drop_reason = ServerDropReason::kInternalError;  // kDrop
  ServerReplyKind reply_kind = ServerReplyKind::kPlain;             // kReply
  size_t reply_octets = 0;                                          // kReply
  RestrictMask restrictions = 0;  // flags of the matching restrict entry
};

class Responder {
 public:
  // Largest reply: header + SHA-1 MAC.
  static constexpr size_t kMaxReplyOctets = 48 + 24;

  // `authenticator` may be null (no keys: every MAC'd request gets a
  // crypto-NAK).
  Responder(ResponderSettings settings,
            std::unique_ptr<RequestAuthenticator> authenticator);
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Handles one datagram; a timed reply carries request.transmit_time (made
  // later than T2 if it is not). REQUIRES: reply_buffer.size() >=
  // kMaxReplyOctets (else kInternalError). Counts the outcome.
  ServerOutcome Handle(const ServerRequest& request, const SystemVariables& system,
                       absl::Span<uint8_t> reply_buffer);

  // New settings (a configuration change): access control, `discard`,
  // monitor, PHI and peers are replaced; the client table (its capacity,
  // hash key and the clients seen), the authenticator and the counters are
  // kept. The host re-adds its interface addresses (AddInterfaceAddress).
  void Reconfigure(ResponderSettings settings);

  // For outcomes decided by the caller (no control handler, no client side,
  // send failure).
  void CountDrop(ServerDropReason reason) {
    ++counters_.drops[static_cast<size_t>(reason)];
  }

  const ServerCounters& counters() const { return counters_; }
  AccessControl& access() { return settings_.access; }
  const AccessControl& access() const { return settings_.access; }
  const ClientTable& clients() const { return *clients_; }
  const ResponderSettings& settings() const { return settings_; }

 private:
  ServerOutcome Drop(ServerDropReason reason, RestrictMask flags);
  ServerOutcome Reply(ServerReplyKind kind, size_t octets, RestrictMask flags);
  bool IsConfiguredPeer(const net::IpAddress& address) const;

  ResponderSettings settings_;
  std::unique_ptr<RequestAuthenticator> authenticator_;
  std::unique_ptr<ClientTable> clients_;
  ServerCounters counters_;
};

}  // namespace ntp

#endif  // NTP_SERVER_RESPONDER_H_
