// UdpSocket and UdpNetwork: the Linux implementation of the Network seam.
#include "net/udp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "clock/posix_error.h"
#include "net/sockaddr.h"

namespace net {
namespace {

// Turns on the best receive timestamping the kernel offers.
RxTimestampSource EnableRxTimestamps(int fd) {
  const int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) == 0) {
    return RxTimestampSource::kKernelTimestamping;
  }
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == 0) {
    return RxTimestampSource::kKernelTimestampNs;
  }
  return RxTimestampSource::kUserSpace;
}

absl::Time MonotonicNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::TimeFromTimespec(ts);
}

// sendmmsg / recvmmsg missing from the kernel or the simulator underneath.
bool MultiMessageUnsupported(int error) { return error == ENOSYS || error == EBADF; }

absl::Time RealtimeNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return absl::TimeFromTimespec(ts);
}

}  // namespace

struct UdpSocket::Batch {
  struct alignas(cmsghdr) Control {
    char bytes[512];
  };
  std::array<std::array<uint8_t, kMaxDatagramBytes + 1>, kBatch> rx;
  std::array<sockaddr_storage, kBatch> rx_names;
  std::array<Control, kBatch> rx_control;
  std::array<iovec, kBatch> rx_iov;
  std::array<mmsghdr, kBatch> rx_msgs;
  std::array<std::array<uint8_t, kMaxDatagramBytes>, kBatch> tx;
  std::array<sockaddr_storage, kBatch> tx_names;
  std::array<iovec, kBatch> tx_iov;
  std::array<mmsghdr, kBatch> tx_msgs;
  int tx_count = 0;
};

absl::StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Open(const SocketAddress& local,
                                                          PollLoop* loop) {
  const bool v4 = local.ip().is_v4();
  const std::string where = absl::StrCat("bind ", local.ToString());
  const int fd = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return clocks::PosixError(absl::StrCat("socket for ", where), errno);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
  const int on = 1;
  if (v4) {
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
  }
  sockaddr_storage addr;
  const socklen_t len = ToSockaddr(local, &addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    const int error = errno;
    close(fd);
    return clocks::PosixError(where, error);
  }
  sockaddr_storage bound;
  socklen_t bound_len = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    const int error = errno;
    close(fd);
    return clocks::PosixError(absl::StrCat("getsockname after ", where), error);
  }
  const RxTimestampSource source = EnableRxTimestamps(fd);
  if (loop != nullptr) {
    // A server socket: room for bursts (about 1300 queued requests instead
    // of ~270 with the 208 KiB default; the kernel caps it at rmem_max).
    // Arrival times are kernel stamps, so queueing does not skew them.
    const int bytes = kReceiveBufferBytes;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
  auto socket = std::unique_ptr<UdpSocket>(
      new UdpSocket(fd, FromSockaddr(bound), loop, source));
  if (loop != nullptr) {
    UdpSocket* raw = socket.get();
    loop->WatchReadable(fd, [raw] { raw->DrainToHandler(); });
  }
  return socket;
}

UdpSocket::UdpSocket(int fd, SocketAddress local, PollLoop* loop,
                     RxTimestampSource timestamp_source)
    : fd_(fd),
      local_(local),
      loop_(loop),
      timestamp_source_(timestamp_source),
      batch_(loop != nullptr ? std::make_unique<Batch>() : nullptr) {}

UdpSocket::~UdpSocket() {
  if (loop_ != nullptr) loop_->Unwatch(fd_);
  close(fd_);
}

absl::Status UdpSocket::SendTo(absl::Span<const uint8_t> payload,
                               const SocketAddress& to) {
  if (to.ip().family() != local_.ip().family()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot send to ", to.ToString(), " from ", local_.ToString()));
  }
  if (dispatching_ && batch_ != nullptr && payload.size() <= kMaxDatagramBytes) {
    // Inside this socket's batch dispatch: queue for one sendmmsg.
    if (batch_->tx_count == kBatch) FlushSendQueue();
    const int i = batch_->tx_count++;
    std::memcpy(batch_->tx[i].data(), payload.data(), payload.size());
    batch_->tx_iov[i] = {batch_->tx[i].data(), payload.size()};
    mmsghdr& m = batch_->tx_msgs[i];
    m = {};
    m.msg_hdr.msg_name = &batch_->tx_names[i];
    m.msg_hdr.msg_namelen = ToSockaddr(to, &batch_->tx_names[i]);
    m.msg_hdr.msg_iov = &batch_->tx_iov[i];
    m.msg_hdr.msg_iovlen = 1;
    return absl::OkStatus();
  }
  sockaddr_storage addr;
  const socklen_t len = ToSockaddr(to, &addr);
  iovec iov{const_cast<uint8_t*>(payload.data()), payload.size()};
  msghdr msg{};
  msg.msg_name = &addr;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (sendmsg(fd_, &msg, 0) < 0) {
    const int error = errno;
    OnSendFailure(addr, error);
    return clocks::PosixError(absl::StrCat("send to ", to.ToString()), error);
  }
  return absl::OkStatus();
}

bool UdpSocket::SendQueued(int i) {
  while (sendmsg(fd_, &batch_->tx_msgs[i].msg_hdr, 0) < 0) {
    if (errno == EINTR) continue;
    ++deferred_send_failures_;
    OnSendFailure(batch_->tx_names[i], errno);
    return false;
  }
  return true;
}

void UdpSocket::OnSendFailure(const sockaddr_storage& to, int error) {
  ++send_failures_;
  ++unlogged_send_failures_;
  const absl::Time now = MonotonicNow();
  if (now - last_send_failure_log_ < kSendFailureLogInterval) return;
  last_send_failure_log_ = now;
  std::string line = absl::StrCat("send from ", local_.ToString(), " to ",
                                  FromSockaddr(to).ToString(), " failed: ",
                                  std::strerror(error));
  if (unlogged_send_failures_ > 1) {
    absl::StrAppend(&line, " (", unlogged_send_failures_, " failed sends since the last report)");
  }
  unlogged_send_failures_ = 0;
  if (log_) {
    log_(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

void UdpSocket::FlushSendQueue() {
  if (batch_ == nullptr) return;
  int done = 0;
  while (done < batch_->tx_count) {
    if (!use_sendmmsg_ || batch_->tx_count - done == 1) {
      SendQueued(done++);  // a single datagram leaves with sendmsg
      continue;
    }
    const int n = sendmmsg(fd_, &batch_->tx_msgs[done], batch_->tx_count - done, 0);
    if (n > 0) {
      done += n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && MultiMessageUnsupported(errno)) {
      use_sendmmsg_ = false;  // sendmsg for this and every later batch
    } else {
      // The kernel refused the first datagram of the rest: skip it.
      ++deferred_send_failures_;
      OnSendFailure(batch_->tx_names[done], n < 0 ? errno : EIO);
      ++done;
    }
  }
  batch_->tx_count = 0;
}

void UdpSocket::DecodeMessage(const void* msghdr_ptr, ReceivedDatagram& d) {
  msghdr& msg = *static_cast<msghdr*>(const_cast<void*>(msghdr_ptr));
  d.destination = local_;
  bool stamped = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
      scm_timestamping ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      if (ts.ts[0].tv_sec != 0 || ts.ts[0].tv_nsec != 0) {
        d.rx_time = absl::TimeFromTimespec(ts.ts[0]);
        d.rx_source = RxTimestampSource::kKernelTimestamping;
        stamped = true;
      }
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      d.rx_time = absl::TimeFromTimespec(ts);
      d.rx_source = RxTimestampSource::kKernelTimestampNs;
      stamped = true;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      d.destination = SocketAddress(IpAddress::V4(ntohl(info.ipi_addr.s_addr)),
                                    local_.port());
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), &info.ipi6_addr, 16);
      d.destination = SocketAddress(IpAddress::V6(bytes), local_.port());
    }
  }
  if (!stamped) {
    d.rx_time = RealtimeNow();
    d.rx_source = RxTimestampSource::kUserSpace;
  }
}

absl::StatusOr<ReceivedDatagram> UdpSocket::TryReceive() {
  while (true) {
    sockaddr_storage from;
    alignas(cmsghdr) char control[512];
    iovec iov{buffer_.data(), buffer_.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = recvmsg(fd_, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return clocks::PosixError(absl::StrCat("receive on ", local_.ToString()), errno);
    }
    if (static_cast<size_t>(n) > kMaxDatagramBytes || (msg.msg_flags & MSG_TRUNC)) {
      ++truncated_drops_;
      continue;
    }
    ReceivedDatagram d;
    d.payload = absl::MakeConstSpan(buffer_.data(), static_cast<size_t>(n));
    d.source = FromSockaddr(from);
    DecodeMessage(&msg, d);
    return d;
  }
}

void UdpSocket::DrainToHandler() {
  // Up to two batches (2 * kBatch datagrams) per loop round, so timers and
  // other sockets get their turn.
  Batch& b = *batch_;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kBatch; ++i) {
      b.rx_iov[i] = {b.rx[i].data(), b.rx[i].size()};
      mmsghdr& m = b.rx_msgs[i];
      m = {};
      m.msg_hdr.msg_name = &b.rx_names[i];
      m.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      m.msg_hdr.msg_iov = &b.rx_iov[i];
      m.msg_hdr.msg_iovlen = 1;
      m.msg_hdr.msg_control = b.rx_control[i].bytes;
      m.msg_hdr.msg_controllen = sizeof(b.rx_control[i].bytes);
    }
    const int n = ReceiveBatch();
    if (n <= 0) return;  // nothing more waiting (or a transient error)
    dispatching_ = true;
    for (int i = 0; i < n; ++i) {
      const msghdr& msg = b.rx_msgs[i].msg_hdr;
      const size_t length = b.rx_msgs[i].msg_len;
      if (length > kMaxDatagramBytes || (msg.msg_flags & MSG_TRUNC)) {
        ++truncated_drops_;
        continue;
      }
      ReceivedDatagram d;
      d.payload = absl::MakeConstSpan(b.rx[i].data(), length);
      d.source = FromSockaddr(b.rx_names[i]);
      DecodeMessage(&msg, d);
      if (handler_) handler_(d);
    }
    dispatching_ = false;
    FlushSendQueue();
    if (n < kBatch) return;
  }
}

int UdpSocket::ReceiveBatch() {
  Batch& b = *batch_;
  if (use_recvmmsg_) {
    const int n = recvmmsg(fd_, b.rx_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n >= 0 || !MultiMessageUnsupported(errno)) return n;
    use_recvmmsg_ = false;  // recvmsg for this and every later round
  }
  int n = 0;
  while (n < kBatch) {
    const ssize_t length = recvmsg(fd_, &b.rx_msgs[n].msg_hdr, MSG_DONTWAIT);
    if (length < 0) {
      if (errno == EINTR) continue;
      break;
    }
    b.rx_msgs[n].msg_len = static_cast<unsigned int>(length);
    ++n;
  }
  return n > 0 ? n : -1;
}

absl::StatusOr<std::unique_ptr<DatagramSocket>> UdpNetwork::Bind(
    const SocketAddress& local) {
  absl::StatusOr<std::unique_ptr<UdpSocket>> socket = UdpSocket::Open(local, loop_);
  if (!socket.ok()) return socket.status();
  if (log_) (*socket)->SetLogFunction(log_);
  return std::unique_ptr<DatagramSocket>(std::move(*socket));
}

}  // namespace net
