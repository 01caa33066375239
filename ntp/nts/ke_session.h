// NTS Key Establishment over TLS 1.3 (RFC 8915 §4), sans I/O: TLS runs
// over OpenSSL memory BIOs, the executor moves the bytes. Feed what the TCP
// stream delivered with Receive(), send what TakeOutgoing() returns, close
// the stream when the session is finished and nothing is left to send.
//
// NtsKeClient: one exchange, ending with the session keys (exported with
// RFC 8915 §5.1's label and context) and the server's cookies.
// NtsKeServerSession: one connection on the server.
// KeServer: all server connections, bounded in number, lifetime and
// octets received, so a slow or hostile client cannot hold resources.
//
// Time is an input: certificate validity is checked at the `verify_time`
// the caller passes (UTC), deadlines use the caller's monotonic `now`.
// TLS itself draws from OpenSSL's CSPRNG (handshakes are not reproducible
// from a seed; the records they carry are).
#ifndef NTP_NTS_KE_SESSION_H_
#define NTP_NTS_KE_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/fields.h"
#include "ntp/nts/ke_records.h"
#include "ntp/nts/ke_tls.h"

typedef struct ssl_st SSL;

namespace ntp::nts {

enum class KeState : uint8_t { kInProgress, kDone, kFailed };

// One TLS connection over memory BIOs (the shared plumbing), and the state
// of the exchange it carries.
class TlsPipe {
 public:
  TlsPipe(TlsPipe&&) noexcept;
  TlsPipe& operator=(TlsPipe&&) noexcept;
  ~TlsPipe();

  // Octets to write to the stream (drains them).
  std::vector<uint8_t> TakeOutgoing();
  bool has_outgoing() const;
  KeState state() const { return state_; }
  // Why it failed (kFailed only): certificate, ALPN, an Error record ...
  const absl::Status& error() const { return error_; }

 protected:
  explicit TlsPipe(SSL* ssl);
  // Ends the exchange as failed with `status`; returns kFailed.
  KeState Fail(absl::Status status);
  void Feed(absl::Span<const uint8_t> bytes);
  // Reads decrypted application data into `in`; false on a fatal TLS
  // error or a close before `in` held a complete message.
  bool ReadAvailable(std::vector<uint8_t>* in, bool* peer_closed);
  // Reads what has arrived and parses one message from `in`. Unavailable:
  // not complete yet. InvalidArgument: malformed or oversized. Aborted:
  // the peer closed first. DataLoss: a TLS error.
  absl::StatusOr<std::vector<KeRecord>> ReadMessage(std::vector<uint8_t>* in);
  bool Write(const std::vector<uint8_t>& bytes);
  // Exports the two NTS keys (RFC 8915 §5.1).
  bool ExportKeys(uint16_t protocol, uint16_t aead, SessionKeys* keys);
  SSL* ssl() const { return ssl_.get(); }

  KeState state_ = KeState::kInProgress;
  std::vector<uint8_t> in_;  // application data not yet parsed

 private:
  struct Deleter {
    void operator()(SSL* ssl) const;
  };
  std::unique_ptr<SSL, Deleter> ssl_;
  absl::Status error_;
};

// What a client exchange produced.
struct KeOutcome {
  SessionKeys keys;
  std::vector<std::vector<uint8_t>> cookies;
  std::optional<std::string> server;  // where to send NTP, if not the KE host
  std::optional<uint16_t> port;
  std::optional<uint16_t> warning;
};

class NtsKeClient : public TlsPipe {
 public:
  // Starts the handshake with `server_name` (SNI, and the name or address
  // the certificate must carry when `context` verifies). The ClientHello is
  // ready in TakeOutgoing().
  static absl::StatusOr<NtsKeClient> Start(const KeTlsContext& context,
                                           const std::string& server_name,
                                           absl::Time verify_time);

  KeState Receive(absl::Span<const uint8_t> bytes);
  // The peer closed the stream.
  KeState ReceiveEof();
  // REQUIRES: state() == kDone.
  const KeOutcome& outcome() const { return outcome_; }

 private:
  explicit NtsKeClient(SSL* ssl) : TlsPipe(ssl) {}
  KeState Advance();

  bool request_sent_ = false;
  KeOutcome outcome_;
};

// What the server tells clients besides cookies (RFC 8915 §4.1.7, §4.1.8).
struct KeServerOptions {
  std::optional<std::string> ntp_server;
  std::optional<uint16_t> ntp_port;
  size_t cookies = kMaxCookies;
};

class NtsKeServerSession : public TlsPipe {
 public:
  static absl::StatusOr<NtsKeServerSession> Accept(const KeTlsContext& context);

  // Processes stream octets; when a whole request has arrived, answers it
  // (cookies from `keyring`) and closes the TLS session.
  KeState Receive(absl::Span<const uint8_t> bytes, CookieKeyring& keyring,
                  const KeServerOptions& options, absl::BitGenRef gen);
  // The Error record sent, if the request was refused.
  std::optional<KeErrorCode> refused() const { return refused_; }

 private:
  explicit NtsKeServerSession(SSL* ssl) : TlsPipe(ssl) {}
  bool Respond(const std::vector<KeRecord>& records, CookieKeyring& keyring,
               const KeServerOptions& options, absl::BitGenRef gen);

  std::optional<KeErrorCode> refused_;
};

struct KeServerLimits {
  size_t max_sessions = 64;
  absl::Duration session_timeout = absl::Seconds(10);
  // Octets received per connection (TLS records included): a request with
  // a full handshake needs about 2 KiB.
  size_t max_received_octets = 32 * 1024;
};

struct KeServerCounters {
  uint64_t accepted = 0;
  uint64_t refused_busy = 0;  // over max_sessions
  uint64_t completed = 0;
  uint64_t failed = 0;  // TLS or record errors
  uint64_t timed_out = 0;
  uint64_t oversized = 0;
};

// Every NTS-KE connection of a server. Connections are named by the
// executor's IDs. Not thread-safe.
class KeServer {
 public:
  // REQUIRES: `context` and `keyring` outlive the server.
  KeServer(const KeTlsContext* context, CookieKeyring* keyring,
           KeServerOptions options = {}, KeServerLimits limits = {})
      : context_(context), keyring_(keyring), options_(std::move(options)),
        limits_(limits) {}

  // A new connection. False: refused (at max_sessions); close it.
  bool Accept(uint64_t id, absl::Time now);

  struct Step {
    std::vector<uint8_t> send;
    bool close = false;  // after sending `send`; the session is forgotten
  };
  Step Receive(uint64_t id, absl::Span<const uint8_t> bytes, absl::Time now,
               absl::BitGenRef gen);
  // The peer closed or the stream failed.
  void Closed(uint64_t id);
  // Connections past their deadline; they are forgotten, close them.
  std::vector<uint64_t> Expire(absl::Time now);
  std::optional<absl::Time> NextDeadline() const;

  size_t session_count() const { return sessions_.size(); }
  const KeServerCounters& counters() const { return counters_; }

 private:
  struct Entry {
    NtsKeServerSession session;
    absl::Time deadline;
    size_t received = 0;
  };
  const KeTlsContext* context_;
  CookieKeyring* keyring_;
  KeServerOptions options_;
  KeServerLimits limits_;
  std::map<uint64_t, Entry> sessions_;
  KeServerCounters counters_;
};

}  // namespace ntp::nts

#endif  // NTP_NTS_KE_SESSION_H_
