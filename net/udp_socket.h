// The real Network: UDP sockets with kernel receive timestamps. Uses plain
// socket() (flags set afterwards with fcntl, so it also runs under
// syscall-level simulators), recvmsg/sendmsg, SO_TIMESTAMPING software RX
// stamps with fallback to SO_TIMESTAMPNS and then a user-space clock read
// (the source is recorded per datagram), and IP_PKTINFO / IPV6_RECVPKTINFO
// for the local address a datagram arrived on.
//
// Batching (for servers under load): the poll loop's readable callback reads
// up to kBatch datagrams with one recvmmsg(2) and calls the receive handler
// for each; replies the handler sends from this same socket during that
// dispatch are queued and leave together in one sendmmsg(2) right after the
// batch. At low load a batch is one datagram, so nothing waits; under load a
// queued reply waits at most for the handlers of the rest of its batch.
#ifndef NET_UDP_SOCKET_H_
#define NET_UDP_SOCKET_H_

#include <array>
#include <memory>

#include "net/network.h"
#include "net/poll_loop.h"

namespace net {

class UdpSocket final : public DatagramSocket {
 public:
  // Largest datagram accepted; longer ones are truncated and dropped.
  static constexpr size_t kMaxDatagramBytes = 2048;
  // Datagrams read per recvmmsg / sent per sendmmsg.
  static constexpr int kBatch = 32;
  // SO_RCVBUF asked for sockets driven by a PollLoop.
  static constexpr int kReceiveBufferBytes = 1 << 20;

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

 private:
  struct Batch;  // recvmmsg / sendmmsg buffers, allocated once

  UdpSocket(int fd, SocketAddress local, PollLoop* loop,
            RxTimestampSource timestamp_source);
  void DrainToHandler();
  // Fills `d` (addresses, timestamps) from a received message header.
  void DecodeMessage(const void* msghdr_ptr, ReceivedDatagram& d);
  void FlushSendQueue();

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
};

// Network on real UDP sockets, dispatched by a PollLoop.
class UdpNetwork final : public Network {
 public:
  // REQUIRES: `loop` outlives this object and every socket it binds.
  explicit UdpNetwork(PollLoop* loop) : loop_(loop) {}
  absl::StatusOr<std::unique_ptr<DatagramSocket>> Bind(
      const SocketAddress& local) override;

 private:
  PollLoop* const loop_;
};

}  // namespace net

#endif  // NET_UDP_SOCKET_H_
