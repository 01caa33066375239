// The real StreamNetwork (net/stream.h): non-blocking TCP sockets driven by
// the daemon's PollLoop.
//
// Contract with the kernel, as net/udp_socket.h: one thread; sockets are
// made with plain socket(2) and accept(2), their flags set afterwards with
// fcntl(2); connect(2) is non-blocking and completes when the loop reports
// the socket writable (SO_ERROR tells the outcome); bytes move with recv(2)
// and send(2, MSG_NOSIGNAL), so a reset peer is an error, never SIGPIPE.
#ifndef NET_TCP_STREAM_H_
#define NET_TCP_STREAM_H_

#include <memory>

#include "net/poll_loop.h"
#include "net/stream.h"

namespace net {

class TcpStreamNetwork final : public StreamNetwork {
 public:
  // Pending connections the kernel queues per listener before accept.
  static constexpr int kListenBacklog = 16;
  // Bytes read per recv(2).
  static constexpr size_t kReadChunk = 16 * 1024;

  // REQUIRES: `loop` outlives this object and every listener and
  // connection it makes.
  explicit TcpStreamNetwork(PollLoop* loop) : loop_(loop) {}

  absl::StatusOr<std::unique_ptr<StreamListener>> Listen(
      const SocketAddress& local, const StreamLimits& limits) override;
  absl::StatusOr<std::unique_ptr<StreamConnection>> Connect(
      const IpAddress& local_ip, const SocketAddress& remote,
      const StreamLimits& limits) override;

 private:
  PollLoop* const loop_;
};

}  // namespace net

#endif  // NET_TCP_STREAM_H_
