// The mode 6 control protocol server (RFC 9327) of one NTP instance: what
// ntpq, ntpstat and the exporter read. Sans I/O like the rest of the core:
// the host hands it one request and a read-only view of its state, and it
// hands back the reply datagrams through a callback.
//
// Served: READSTAT (system status word and the associations' status words),
// READVAR (system and peer variables under ntpd 4.2.8's names, all of them
// or those the request names; the server counters by name, ss_* and cs_*),
// REQ_NONCE and READ_MRU (ntpq's mrulist, with ntpd's nonce handshake).
// Replies are split into fragments of at most 468 data octets with Offset,
// Count and the More bit set as RFC 9327 §2 says, and at most
// kMaxReplyFragments fragments per request.
// Refused: unknown opcodes (BADOP), unknown associations (BADASSOC),
// unknown variables (UNKNOWNVAR), and the write/configure/trap opcodes:
// PERMISSION unless the request carries a valid MAC under `controlkey`,
// then RESTRICTED (nothing is writable over the network).
// Dropped silently and counted: unparseable datagrams, responses, requests
// over the rate limit (a token bucket, kBurst requests then kPerSecond per
// second for the whole server). `restrict ... noquery` never gets here (the
// responder drops it, ntp/server/responder.h).
#ifndef NTP_CONTROL_CONTROL_SERVER_H_
#define NTP_CONTROL_CONTROL_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "ntp/ntp_time.h"
#include "ntp/system_state.h"

namespace ntp {

class ClientEngine;    // ntp/client/client_engine.h
class ClientTable;     // ntp/server/client_table.h
class KeyStore;        // ntp/auth/key_store.h
class LocalReference;  // ntp/server/local_reference.h
class MacContext;      // ntp/auth/mac.h
struct ServerCounters;  // ntp/server/counters.h

// The association ID the LOCAL clock driver shows (it is no ClientEngine
// association; those have IDs slot + 1).
inline constexpr uint16_t kLocalClockAssociationId = 0xFFFF;

struct ControlServerSettings {
  // ntp.conf `controlkey`: requests MAC'd with it may ask for writes.
  std::optional<uint32_t> control_key;
  int burst = 64;          // token bucket size (requests)
  double per_second = 16;  // refill rate
  // Keys the nonces for the MRU handshake (from the instance's seed).
  uint64_t nonce_secret = 0;
  // The program's name and version, the `version` variable.
  std::string version = "ntpd 4.2.8p15-compatible (ntp-cc)";
};

// What the server reads; borrowed for the duration of one Handle().
struct ControlView {
  const SystemVariables* system = nullptr;  // required
  const ServerCounters* server = nullptr;   // required
  const ClientEngine* client = nullptr;     // null: no upstream servers
  const LocalReference* local = nullptr;    // null: no LOCAL clock / orphan
  const ClientTable* clients = nullptr;     // null: no MRU list
  absl::Time monotonic_now;                 // the scheduler's time
  NtpTimestamp clock_now;                   // the system clock now
  absl::Duration uptime;                    // since the instance started
  // The address the request arrived on (dstadr); unset: wildcard.
  std::optional<net::SocketAddress> local_address;
  double phi = 15e-6;  // dispersion rate, for rootdisp (ntp/host.h contract)
};

// What the server did, by outcome. Plain integers, never reset.
struct ControlCounters {
  uint64_t received = 0;       // datagrams handed to Handle()
  uint64_t answered = 0;       // requests answered with data
  uint64_t errors = 0;         // requests answered with an error code
  uint64_t fragments = 0;      // datagrams sent
  uint64_t malformed = 0;      // dropped: unparseable or not a request
  uint64_t rate_limited = 0;   // dropped: over the token bucket
  uint64_t auth_failed = 0;    // a MAC that did not verify (answered PERMISSION)
  uint64_t writes_refused = 0;  // write/configure/trap opcodes refused
};

class ControlServer {
 public:
  // Most fragments one request gets (ntpd's MRU frags ceiling).
  static constexpr int kMaxReplyFragments = 32;
  // The largest datagram it sends: header, 468 data octets, padding to 8
  // and a SHA-1 MAC.
  static constexpr size_t kMaxDatagramOctets = 12 + 468 + 24;

  // `keys` may be null; it must outlive the server. Internal if keys exist
  // and the MAC library is unusable.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Create(
      const ControlServerSettings& settings, const KeyStore* keys);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  using SendFunction = absl::FunctionRef<void(absl::Span<const uint8_t>)>;
  // Handles one mode 6 datagram from `source`: calls `send` once per reply
  // datagram (none when dropped). The span is valid during the call only.
  void Handle(absl::Span<const uint8_t> request, const net::SocketAddress& source,
              const ControlView& view, SendFunction send);

  const ControlCounters& counters() const { return counters_; }
  const ControlServerSettings& settings() const { return settings_; }

 private:
  struct Request;
  ControlServer(const ControlServerSettings& settings, const KeyStore* keys,
                std::unique_ptr<MacContext> mac);
  bool TakeToken(absl::Time now);
  void SendError(const Request& request, uint8_t code, SendFunction send);
  // Sends `text` as fragments (at most `max_fragments`).
  void SendData(const Request& request, uint16_t status, absl::Span<const uint8_t> data,
                int max_fragments, SendFunction send);
  std::string Nonce(const net::IpAddress& address, NtpTimestamp when) const;
  bool NonceValid(absl::string_view nonce, const net::IpAddress& address,
                  NtpTimestamp now) const;

  const ControlServerSettings settings_;
  const KeyStore* const keys_;
  std::unique_ptr<MacContext> mac_;
  ControlCounters counters_;
  double tokens_;
  std::optional<absl::Time> last_refill_;
};

}  // namespace ntp

#endif  // NTP_CONTROL_CONTROL_SERVER_H_
