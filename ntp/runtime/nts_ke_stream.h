// NTS-KE (RFC 8915 section 4) over the stream half of the Network seam
// (net/stream.h): the executor's part, moving the bytes of the sans-I/O
// exchange in ntp/nts/ke_session.h. The same code runs on real TCP
// (net/tcp_stream.h) and on simulated streams (sim/sim_stream.h).
//
// KeStreamServer: every connection a listener accepts becomes a session of
// a KeServer; its responses are sent and the stream closed when the server
// says so; a timer closes sessions past their deadline. The KeServer bounds
// sessions in count, lifetime and octets, the listener's StreamLimits
// bound the transport underneath.
//
// KeStreamClient: one exchange, connect to result, reported once.
#ifndef NTP_RUNTIME_NTS_KE_STREAM_H_
#define NTP_RUNTIME_NTS_KE_STREAM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/scheduler.h"
#include "net/stream.h"
#include "ntp/nts/ke_session.h"

namespace ntp::runtime {

class KeStreamServer {
 public:
  // Starts serving on `listener`. REQUIRES: `server`, `scheduler` and the
  // generator behind `gen` outlive this object.
  KeStreamServer(nts::KeServer* server, clocks::Scheduler* scheduler, absl::BitGenRef gen,
                 std::unique_ptr<net::StreamListener> listener);
  ~KeStreamServer();
  KeStreamServer(const KeStreamServer&) = delete;
  KeStreamServer& operator=(const KeStreamServer&) = delete;

  const net::StreamListener& listener() const { return *listener_; }
  // Streams open now (sessions in progress).
  size_t open_streams() const { return streams_.size(); }

 private:
  void OnAccept(std::unique_ptr<net::StreamConnection> stream);
  void OnData(uint64_t id, absl::Span<const uint8_t> bytes);
  void Forget(uint64_t id);
  void ArmTimer();

  nts::KeServer* const server_;
  clocks::Scheduler* const scheduler_;
  absl::BitGenRef gen_;
  std::unique_ptr<net::StreamListener> listener_;
  std::map<uint64_t, std::unique_ptr<net::StreamConnection>> streams_;
  uint64_t next_id_ = 1;
  std::optional<clocks::TimerId> timer_;
};

class KeStreamClient {
 public:
  // The keys and cookies, or why there are none.
  using DoneHandler = absl::AnyInvocable<void(absl::StatusOr<nts::KeOutcome>)>;

  struct Options {
    std::string server_name;  // SNI and the name the certificate must carry
    net::IpAddress local_ip = net::IpAddress::AnyV4();
    net::SocketAddress server;  // where NTS-KE listens (port 4460 by default)
    absl::Time verify_time;     // UTC, for certificate validity
    absl::Duration timeout = absl::Seconds(10);
    net::StreamLimits limits;
  };

  // Connects and starts the handshake. `done` runs exactly once, from the
  // loop: the outcome, or DeadlineExceeded after `timeout`, or the TLS,
  // record or stream error. Errors here only for what fails at once.
  // REQUIRES: `network`, `scheduler` and `context` outlive the client.
  static absl::StatusOr<std::unique_ptr<KeStreamClient>> Start(
      net::StreamNetwork* network, clocks::Scheduler* scheduler,
      const nts::KeTlsContext& context, const Options& options, DoneHandler done);
  ~KeStreamClient();
  KeStreamClient(const KeStreamClient&) = delete;
  KeStreamClient& operator=(const KeStreamClient&) = delete;

 private:
  KeStreamClient(clocks::Scheduler* scheduler, nts::NtsKeClient session, DoneHandler done)
      : scheduler_(scheduler), session_(std::move(session)), done_(std::move(done)) {}
  void Flush();
  void After(nts::KeState state);
  void Finish(absl::StatusOr<nts::KeOutcome> result);

  clocks::Scheduler* const scheduler_;
  nts::NtsKeClient session_;
  std::unique_ptr<net::StreamConnection> stream_;
  DoneHandler done_;
  std::optional<clocks::TimerId> timer_;
};

}  // namespace ntp::runtime

#endif  // NTP_RUNTIME_NTS_KE_STREAM_H_
