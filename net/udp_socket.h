// The real Network: UDP sockets with kernel receive timestamps. SO_TIMESTAMPING
// software RX stamps with fallback to SO_TIMESTAMPNS and then a user-space
// clock read (the source is recorded per datagram), and IP_PKTINFO /
// IPV6_RECVPKTINFO for the local address a datagram arrived on.
//
// Contract with the kernel (so the daemon also runs under a syscall-level
// time simulator; net/poll_loop.h states the loop half): one thread; sockets
// are made with plain socket(2), their flags set afterwards with fcntl(2)
// (no SOCK_NONBLOCK / SOCK_CLOEXEC); datagrams are read with recvmsg(2) or
// recvmmsg(2) and sent with sendmsg(2) or sendmmsg(2); time is read with
// clock_gettime(2) only. A single datagram always leaves with sendmsg; when
// sendmmsg or recvmmsg fails with ENOSYS or EBADF (a kernel or simulator
// without it) the socket falls back to sendmsg / recvmsg for good.
//
// Batching (for servers under load): the poll loop's readable callback reads
// up to kBatch datagrams with one recvmmsg(2) and calls the receive handler
// for each; replies the handler sends from this same socket during that
// dispatch are queued and leave together in one sendmmsg(2) right after the
// batch. At low load a batch is one datagram, so nothing waits; under load a
// queued reply waits at most for the handlers of the rest of its batch.
//
// Failed sends are counted (send_failures()) and logged through the
// network's log function, at most one line per kSendFailureLogInterval per
// socket (the line says how many failures it stands for).
#ifndef NET_UDP_SOCKET_H_
#define NET_UDP_SOCKET_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"

#include "net/network.h"
#include "net/poll_loop.h"

struct sockaddr_storage;

namespace net {

// Receives one log line (no trailing newline). Called from the loop's thread.
using NetLogFunction = std::function<void(const std::string& line)>;

class UdpSocket final : public DatagramSocket {
 public:
  // Largest datagram accepted; longer ones are truncated and dropped.
  static constexpr size_t kMaxDatagramBytes = 2048;
  // Datagrams read per recvmmsg / sent per sendmmsg.
  static constexpr int kBatch = 32;
  // SO_RCVBUF asked for sockets driven by a PollLoop.
  static constexpr int kReceiveBufferBytes = 1 << 20;
  // At most one send-failure log line per socket per interval.
  static constexpr absl::Duration kSendFailureLogInterval = absl::Seconds(60);

  // Opens and binds a socket. With a non-null `loop`, readable events are
  // dispatched to the receive handler from that loop (up to 64 datagrams per
  // round); `loop` must outlive the socket. Errors as Network::Bind.
  static absl::StatusOr<std::unique_ptr<UdpSocket>> Open(const SocketAddress& local,
                                                         PollLoop* loop);
  ~UdpSocket() override;

  SocketAddress local_address() const override { return local_; }
  // Sends at once, except from inside this socket's own receive handler
  // while the loop dispatches a batch: then the datagram is copied to the
  // send queue (OK) and sent with the batch; a failure at that point is
  // counted in deferred_send_failures().
  absl::Status SendTo(absl::Span<const uint8_t> payload,
                      const SocketAddress& to) override;
  void SetReceiveHandler(ReceiveHandler handler) override {
    handler_ = std::move(handler);
  }

  // Reads one waiting datagram without blocking. Unavailable if none is
  // waiting. The payload is valid until the next call.
  absl::StatusOr<ReceivedDatagram> TryReceive();
  // The best timestamp source the socket was able to enable.
  RxTimestampSource timestamp_source() const { return timestamp_source_; }
  int fd() const { return fd_; }
  // Datagrams dropped because they were longer than kMaxDatagramBytes.
  uint64_t truncated_drops() const { return truncated_drops_; }
  // Queued datagrams (see SendTo) the kernel refused.
  uint64_t deferred_send_failures() const { return deferred_send_failures_; }
  // Every datagram the kernel refused (immediate and queued sends).
  uint64_t send_failures() const { return send_failures_; }
  // False once sendmmsg failed with ENOSYS or EBADF (sendmsg from then on).
  bool uses_sendmmsg() const { return use_sendmmsg_; }
  // False once recvmmsg failed with ENOSYS or EBADF (recvmsg from then on).
  bool uses_recvmmsg() const { return use_recvmmsg_; }
  // Where send failures are logged; without one they go to stderr.
  void SetLogFunction(NetLogFunction log) { log_ = std::move(log); }

 private:
  struct Batch;  // recvmmsg / sendmmsg buffers, allocated once

  UdpSocket(int fd, SocketAddress local, PollLoop* loop,
            RxTimestampSource timestamp_source);
  void DrainToHandler();
  // Fills `d` (addresses, timestamps) from a received message header.
  void DecodeMessage(const void* msghdr_ptr, ReceivedDatagram& d);
  void FlushSendQueue();
  // Sends batch entry `i` with sendmsg; false (counted, logged) on failure.
  bool SendQueued(int i);
  // Reads up to kBatch datagrams into the batch; returns how many (<= 0:
  // none waiting or an error).
  int ReceiveBatch();
  // Counts a refused datagram and logs it, rate limited.
  void OnSendFailure(const struct sockaddr_storage& to, int error);

  const int fd_;
  const SocketAddress local_;
  PollLoop* const loop_;
  const RxTimestampSource timestamp_source_;
  ReceiveHandler handler_;
  std::array<uint8_t, kMaxDatagramBytes + 1> buffer_;
  std::unique_ptr<Batch> batch_;
  bool dispatching_ = false;  // inside DrainToHandler's handler calls
  uint64_t truncated_drops_ = 0;
  uint64_t deferred_send_failures_ = 0;
  uint64_t send_failures_ = 0;
  uint64_t unlogged_send_failures_ = 0;
  absl::Time last_send_failure_log_ = absl::InfinitePast();  // monotonic
  bool use_sendmmsg_ = true;
  bool use_recvmmsg_ = true;
  NetLogFunction log_;
};

// Network on real UDP sockets, dispatched by a PollLoop.
class UdpNetwork final : public Network {
 public:
  // REQUIRES: `loop` outlives this object and every socket it binds.
  explicit UdpNetwork(PollLoop* loop) : loop_(loop) {}
  absl::StatusOr<std::unique_ptr<DatagramSocket>> Bind(
      const SocketAddress& local) override;
  // Copied to every socket bound afterwards (see UdpSocket::SetLogFunction).
  void SetLogFunction(NetLogFunction log) { log_ = std::move(log); }

 private:
  PollLoop* const loop_;
  NetLogFunction log_;
};

}  // namespace net

#endif  // NET_UDP_SOCKET_H_
