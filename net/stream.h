// The stream half of the Network seam: reliable, in-order byte streams (TCP),
// for NTS-KE (RFC 8915 section 4 runs over TLS over TCP). Implementations:
// TcpStreamNetwork (net/tcp_stream.h: non-blocking sockets on the daemon's
// PollLoop) and the simulator's SimStreamNetwork (sim/sim_stream.h). One
// typed test suite (net/stream_contract.h) runs against both.
//
// Contract common to every method:
//  - one thread: call from the loop's thread only; handlers run from the
//    loop, never from inside a call to this interface (Send, Close,
//    SetHandlers, Listen, Connect never call a handler);
//  - errors are absl::Status: Unavailable for a refused, reset or broken
//    connection; DeadlineExceeded for one the network gave up on;
//    ResourceExhausted for a limit of StreamLimits; FailedPrecondition for
//    a call on a closed connection;
//  - bounded: every buffer is bounded by StreamLimits, so a slow or hostile
//    peer costs at most those bytes and connections.
#ifndef NET_STREAM_H_
#define NET_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "net/address.h"

namespace net {

struct StreamLimits {
  // A listener keeps at most this many accepted connections open; one more
  // is accepted and closed at once (the peer sees its connection closed)
  // and counted in StreamListener::refused().
  size_t max_connections = 16;
  // Total bytes one connection may receive over its life. The piece of
  // bytes that would exceed it (one read or one simulated segment) is not
  // delivered: the connection is closed and its closed handler gets
  // ResourceExhausted.
  size_t max_receive_bytes = 64 * 1024;
  // Bytes Send accepted that the peer has not yet been handed (real:
  // not yet taken by the kernel; simulated: not yet arrived). A Send that
  // would exceed it is refused whole with ResourceExhausted.
  size_t max_send_buffer_bytes = 64 * 1024;
};

// One end of an established or connecting stream. Destroying it is Close().
class StreamConnection {
 public:
  // Bytes in arrival order; the span is valid during the call only.
  using DataHandler = absl::AnyInvocable<void(absl::Span<const uint8_t>)>;
  // Called at most once, after the last DataHandler call: OK when the peer
  // closed in order (every byte it sent was delivered), else why the stream
  // ended (Unavailable, DeadlineExceeded, ResourceExhausted).
  using ClosedHandler = absl::AnyInvocable<void(const absl::Status&)>;

  StreamConnection() = default;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;
  virtual ~StreamConnection() = default;

  // This end's address once connected (before: the address asked for).
  virtual SocketAddress local_address() const = 0;
  virtual SocketAddress peer_address() const = 0;
  // True once the handshake finished, until the stream ends or Close().
  virtual bool connected() const = 0;
  // False after the closed handler ran or Close() was called.
  virtual bool open() const = 0;

  // Sets both handlers (replacing earlier ones). Set them before control
  // returns to the loop (inside the accept handler, right after Connect):
  // bytes that arrive while no data handler is set are discarded.
  virtual void SetHandlers(DataHandler on_data, ClosedHandler on_closed) = 0;

  // Queues `bytes` for the peer, in order after earlier ones; allowed while
  // connecting (sent once connected). OK means accepted, not delivered.
  // FailedPrecondition when !open(); ResourceExhausted past
  // max_send_buffer_bytes (nothing queued).
  virtual absl::Status Send(absl::Span<const uint8_t> bytes) = 0;

  // Ends this end: no handler of this connection runs afterwards. Bytes
  // already accepted are still sent and the peer then sees an orderly close
  // (OK) when the transport can take them at once (real: they fit the
  // kernel's socket buffer, some hundred kilobytes; simulated: always);
  // otherwise the peer sees an error. Idempotent.
  virtual void Close() = 0;
};

class StreamListener {
 public:
  using AcceptHandler = absl::AnyInvocable<void(std::unique_ptr<StreamConnection>)>;

  StreamListener() = default;
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;
  // Stops listening; connections already accepted stay open.
  virtual ~StreamListener() = default;

  // The address and port actually bound (the chosen port if 0 was asked).
  virtual SocketAddress local_address() const = 0;
  // Receives each accepted (connected) stream. Connections that complete
  // with no handler set are closed at once and counted in refused().
  virtual void SetAcceptHandler(AcceptHandler handler) = 0;
  // Connections closed at accept (limit reached or no handler).
  virtual uint64_t refused() const = 0;
  // Accepted connections not yet closed.
  virtual size_t open_connections() const = 0;
};

class StreamNetwork {
 public:
  StreamNetwork() = default;
  StreamNetwork(const StreamNetwork&) = delete;
  StreamNetwork& operator=(const StreamNetwork&) = delete;
  virtual ~StreamNetwork() = default;

  // Listens on `local` (port 0: an ephemeral port). Errors as
  // Network::Bind: AlreadyExists if something listens there already;
  // NotFound if the address is not this host's; PermissionDenied for a
  // privileged port without the right; InvalidArgument for an unusable one.
  virtual absl::StatusOr<std::unique_ptr<StreamListener>> Listen(
      const SocketAddress& local, const StreamLimits& limits) = 0;

  // Starts connecting from `local_ip` (unspecified: the host picks) to
  // `remote`. Returns at once with a connection that is not yet
  // connected(); a failure to connect (nobody listening: Unavailable; no
  // answer: DeadlineExceeded) reaches its closed handler. Errors here only
  // for what fails before anything is sent (InvalidArgument: address
  // families differ or `remote` has port 0; NotFound: `local_ip` is not
  // this host's).
  virtual absl::StatusOr<std::unique_ptr<StreamConnection>> Connect(
      const IpAddress& local_ip, const SocketAddress& remote,
      const StreamLimits& limits) = 0;
};

}  // namespace net

#endif  // NET_STREAM_H_
