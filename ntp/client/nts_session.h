// NTS for one client association (RFC 8915): the state of its key
// exchange and the NtsClient (ntp/nts/client.h) the exchange produced.
//
// The association asks for a key exchange (a RunKeyExchange action) when
// it has no keys, has run out of cookies, or got an NTS NAK (§5.7); the
// executor runs NTS-KE (§4) and hands back a KeyExchangeResultInput. A
// failed exchange is retried after a back-off that starts at 16 s and
// doubles up to 4096 s; a successful one resets it. Requests are wrapped
// and replies checked by the NtsClient: an NTS association never accepts
// a reply that does not authenticate.
//
// Sans I/O; not thread-safe.
#ifndef NTP_CLIENT_NTS_SESSION_H_
#define NTP_CLIENT_NTS_SESSION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "ntp/actions.h"
#include "ntp/nts/client.h"

namespace ntp {

// `server HOST nts [ca FILE] [noval]` (ntpsec's spelling).
struct NtsAssociationConfig {
  uint16_t ke_port = 4460;  // RFC 8915 §4: the NTS-KE port
  std::string ca_file;      // empty: the system's trust store
  bool verify = true;       // false: `noval`, tests only

  friend bool operator==(const NtsAssociationConfig&, const NtsAssociationConfig&) = default;
};

struct NtsSessionCounters {
  uint64_t key_exchanges = 0;  // started
  uint64_t key_exchange_failures = 0;
  uint64_t naks = 0;
  uint64_t dropped = 0;  // replies the NtsClient refused, all reasons
};

class NtsSession {
 public:
  static constexpr absl::Duration kFirstBackoff = absl::Seconds(16);
  static constexpr absl::Duration kMaxBackoff = absl::Seconds(4096);

  // `ke_name`: the name the server's certificate must carry (the `server`
  // line's host); `ke_ip`: its address; `ntp_port`: where NTP goes unless
  // the exchange names another port.
  NtsSession(const NtsAssociationConfig& config, std::string ke_name, net::IpAddress ke_ip,
             uint16_t ntp_port);

  // Keys and cookies in hand, and no NAK since: requests can go out.
  bool ready() const { return client_.has_value() && !client_->needs_key_exchange(); }
  bool exchange_running() const { return running_id_.has_value(); }
  // When a key exchange may start (after a failure: the back-off).
  absl::Time not_before() const { return not_before_; }

  // The action for a new exchange with id `id`. REQUIRES: !exchange_running().
  RunKeyExchange StartKeyExchange(uint64_t id, const net::IpAddress& local);
  // Forgets the exchange in progress (its result will be ignored).
  void AbandonKeyExchange() { running_id_.reset(); }
  // Whether `id` is the exchange in progress.
  bool Expects(uint64_t id) const { return running_id_ == id; }
  // Takes the result of the exchange in progress. On failure the back-off
  // is set (not_before() = now + back-off, then doubled) and the error is
  // returned with the server's name; on success the back-off resets.
  absl::Status OnKeyExchangeResult(const KeyExchangeResultInput& result, absl::Time now);
  // The back-off the next failure will use.
  absl::Duration backoff() const { return backoff_; }

  // Where NTP requests go: the negotiated server and port, else the KE
  // server's address and `ntp_port`.
  const net::SocketAddress& ntp_server() const { return ntp_server_; }

  // Octets BuildRequest writes now. REQUIRES: ready().
  size_t RequestOctets() const { return client_->RequestOctets(); }
  // Wraps a 48-octet request header (NtsClient::BuildRequest).
  // REQUIRES: ready().
  absl::StatusOr<size_t> BuildRequest(absl::Span<const uint8_t> header, absl::BitGenRef gen,
                                      absl::Span<uint8_t> out);
  // Checks a reply (NtsClient::ProcessReply); counts drops and NAKs.
  nts::NtsReplyCheck ProcessReply(absl::Span<const uint8_t> datagram);

  size_t cookie_count() const { return client_.has_value() ? client_->cookie_count() : 0; }
  const NtsSessionCounters& counters() const { return counters_; }
  // The NtsClient's own counters (drops by reason); null before keys.
  const nts::NtsClientCounters* client_counters() const {
    return client_.has_value() ? &client_->counters() : nullptr;
  }

 private:
  absl::Status Fail(absl::Status status, absl::Time now);

  const NtsAssociationConfig config_;
  const std::string ke_name_;
  const net::IpAddress ke_ip_;
  const uint16_t ntp_port_;
  std::optional<nts::NtsClient> client_;
  std::optional<uint64_t> running_id_;
  absl::Time not_before_ = absl::InfinitePast();
  absl::Duration backoff_ = kFirstBackoff;
  net::SocketAddress ntp_server_;
  NtsSessionCounters counters_;
};

}  // namespace ntp

#endif  // NTP_CLIENT_NTS_SESSION_H_
