#include "net/tcp_stream.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clock/posix_error.h"
#include "net/sockaddr.h"

namespace net {
namespace {

void SetNonBlockingCloexec(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

absl::StatusOr<SocketAddress> LocalName(int fd) {
  sockaddr_storage bound;
  socklen_t len = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    return clocks::PosixError("getsockname", errno);
  }
  return FromSockaddr(bound);
}

// A reset, refused or broken stream is Unavailable whatever the errno.
absl::Status StreamError(absl::string_view context, int error) {
  absl::Status s = clocks::PosixError(context, error);
  if (s.code() == absl::StatusCode::kInternal) {
    return absl::UnavailableError(s.message());
  }
  return s;
}

class TcpConnection final : public StreamConnection {
 public:
  // `open_count`: the listener's count of open accepted connections (null
  // for an outgoing one), decremented when this connection ends.
  TcpConnection(PollLoop* loop, int fd, SocketAddress local, SocketAddress peer,
                bool connected, const StreamLimits& limits,
                std::shared_ptr<size_t> open_count)
      : loop_(loop),
        fd_(fd),
        local_(local),
        peer_(peer),
        limits_(limits),
        open_count_(std::move(open_count)),
        connected_(connected) {
    if (open_count_ != nullptr) ++*open_count_;
    loop_->WatchReadable(fd_, [this] { OnReadable(); });
    if (!connected_) loop_->WatchWritable(fd_, [this] { OnWritable(); });
  }
  ~TcpConnection() override { Close(); }

  // A connect(2) that failed at once, reported from the loop.
  void set_connect_error(int error) { connect_error_ = error; }

  SocketAddress local_address() const override { return local_; }
  SocketAddress peer_address() const override { return peer_; }
  bool connected() const override { return connected_ && fd_ >= 0; }
  bool open() const override { return fd_ >= 0; }

  void SetHandlers(DataHandler on_data, ClosedHandler on_closed) override {
    on_data_ = std::move(on_data);
    on_closed_ = std::move(on_closed);
  }

  absl::Status Send(absl::Span<const uint8_t> bytes) override {
    if (fd_ < 0) return absl::FailedPreconditionError("stream is closed");
    if (pending_.size() - sent_ + bytes.size() > limits_.max_send_buffer_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "send buffer of ", limits_.max_send_buffer_bytes, " bytes is full"));
    }
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    if (connected_) Flush();
    return absl::OkStatus();
  }

  void Close() override {
    if (fd_ < 0) return;
    if (connected_ && !Flush()) return;  // what the kernel takes now still leaves
    if (sent_ < pending_.size()) {
      // Bytes the kernel did not take are lost: reset (SO_LINGER 0) so the
      // peer sees an error, never an orderly end of a truncated stream.
      const linger reset{1, 0};
      setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    }
    End();
  }

 private:
  // Stops watching and closes; no handler runs afterwards.
  void End() {
    loop_->Unwatch(fd_);
    close(fd_);
    fd_ = -1;
    if (open_count_ != nullptr) --*open_count_;
    open_count_ = nullptr;
  }

  // Ends the stream and tells the owner why (the last thing it does: the
  // handler may destroy this object).
  void Fail(absl::Status status) {
    End();
    ClosedHandler handler = std::move(on_closed_);
    on_data_ = nullptr;
    if (handler) handler(status);
  }

  // Sends queued bytes until the kernel refuses more; watches for
  // writability while some remain. False if the stream failed.
  bool Flush() {
    while (sent_ < pending_.size()) {
      const ssize_t n = send(fd_, pending_.data() + sent_, pending_.size() - sent_,
                             MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        Fail(StreamError(absl::StrCat("send to ", peer_.ToString()), errno));
        return false;
      }
      sent_ += static_cast<size_t>(n);
    }
    if (sent_ == pending_.size()) {
      pending_.clear();
      sent_ = 0;
      loop_->UnwatchWritable(fd_);
    } else {
      loop_->WatchWritable(fd_, [this] { OnWritable(); });
    }
    return true;
  }

  void OnWritable() {
    if (!connected_) {
      int error = connect_error_;
      socklen_t len = sizeof(error);
      if (error == 0) getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error == EINPROGRESS || error == EALREADY) return;
      if (error != 0) {
        Fail(StreamError(absl::StrCat("connect to ", peer_.ToString()), error));
        return;
      }
      connected_ = true;
      if (auto name = LocalName(fd_); name.ok()) local_ = *name;
    }
    Flush();
  }

  void OnReadable() {
    if (!connected_) return;  // the writable callback decides first
    uint8_t buffer[TcpStreamNetwork::kReadChunk];
    // Bounded per round so one busy peer cannot hold the loop.
    for (int round = 0; round < 4 && fd_ >= 0; ++round) {
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        Fail(StreamError(absl::StrCat("receive from ", peer_.ToString()), errno));
        return;
      }
      if (n == 0) {
        Fail(absl::OkStatus());
        return;
      }
      if (received_ + static_cast<size_t>(n) > limits_.max_receive_bytes) {
        Fail(absl::ResourceExhaustedError(
            absl::StrCat(peer_.ToString(), " sent more than ",
                         limits_.max_receive_bytes, " bytes")));
        return;
      }
      received_ += static_cast<size_t>(n);
      if (!on_data_) continue;
      // The handler may Close or destroy this connection, or replace the
      // handler: it runs from a local copy.
      std::weak_ptr<int> alive = alive_;
      DataHandler handler = std::move(on_data_);
      handler(absl::MakeConstSpan(buffer, static_cast<size_t>(n)));
      if (alive.expired()) return;
      if (!on_data_ && fd_ >= 0) on_data_ = std::move(handler);
    }
  }

  PollLoop* const loop_;
  int fd_;
  SocketAddress local_;
  const SocketAddress peer_;
  const StreamLimits limits_;
  std::shared_ptr<size_t> open_count_;
  bool connected_;
  int connect_error_ = 0;
  std::vector<uint8_t> pending_;  // [sent_, size) not yet taken by the kernel
  size_t sent_ = 0;
  size_t received_ = 0;
  DataHandler on_data_;
  ClosedHandler on_closed_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

class TcpListener final : public StreamListener {
 public:
  TcpListener(PollLoop* loop, int fd, SocketAddress local, const StreamLimits& limits)
      : loop_(loop), fd_(fd), local_(local), limits_(limits) {
    loop_->WatchReadable(fd_, [this] { OnReadable(); });
  }
  ~TcpListener() override {
    loop_->Unwatch(fd_);
    close(fd_);
  }

  SocketAddress local_address() const override { return local_; }
  void SetAcceptHandler(AcceptHandler handler) override { handler_ = std::move(handler); }
  uint64_t refused() const override { return refused_; }
  size_t open_connections() const override { return *open_count_; }

 private:
  void OnReadable() {
    // Bounded per round, like reads.
    for (int i = 0; i < TcpStreamNetwork::kListenBacklog; ++i) {
      sockaddr_storage peer;
      socklen_t len = sizeof(peer);
      const int fd = accept(fd_, reinterpret_cast<sockaddr*>(&peer), &len);
      if (fd < 0) return;  // EAGAIN, or an aborted connection: nothing to do
      if (!handler_ || *open_count_ >= limits_.max_connections) {
        close(fd);
        ++refused_;
        continue;
      }
      SetNonBlockingCloexec(fd);
      const int on = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
      absl::StatusOr<SocketAddress> local = LocalName(fd);
      auto connection = std::make_unique<TcpConnection>(
          loop_, fd, local.ok() ? *local : local_, FromSockaddr(peer), true, limits_,
          open_count_);
      // The handler may destroy this listener or replace the handler: it
      // runs from a local copy.
      std::weak_ptr<int> alive = alive_;
      AcceptHandler handler = std::move(handler_);
      handler(std::move(connection));
      if (alive.expired()) return;
      if (!handler_) handler_ = std::move(handler);
    }
  }

  PollLoop* const loop_;
  const int fd_;
  const SocketAddress local_;
  const StreamLimits limits_;
  AcceptHandler handler_;
  uint64_t refused_ = 0;
  std::shared_ptr<size_t> open_count_ = std::make_shared<size_t>(0);
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

absl::StatusOr<int> OpenStreamSocket(const IpAddress& ip, absl::string_view where) {
  const int fd = socket(ip.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return clocks::PosixError(absl::StrCat("socket for ", where), errno);
  SetNonBlockingCloexec(fd);
  const int on = 1;
  if (ip.is_v6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  return fd;
}

absl::Status BindTo(int fd, const SocketAddress& local, absl::string_view where) {
  sockaddr_storage addr;
  const socklen_t len = ToSockaddr(local, &addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return clocks::PosixError(where, errno);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamListener>> TcpStreamNetwork::Listen(
    const SocketAddress& local, const StreamLimits& limits) {
  const std::string where = absl::StrCat("listen on ", local.ToString());
  absl::StatusOr<int> fd = OpenStreamSocket(local.ip(), where);
  if (!fd.ok()) return fd.status();
  // A restarted server may listen again while old connections linger in
  // TIME_WAIT; a second live listener still gets EADDRINUSE.
  const int on = 1;
  setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  absl::Status status = BindTo(*fd, local, where);
  if (status.ok() && listen(*fd, kListenBacklog) != 0) {
    status = clocks::PosixError(where, errno);
  }
  absl::StatusOr<SocketAddress> bound = LocalName(*fd);
  if (status.ok() && !bound.ok()) status = bound.status();
  if (!status.ok()) {
    close(*fd);
    return status;
  }
  return std::unique_ptr<StreamListener>(new TcpListener(loop_, *fd, *bound, limits));
}

absl::StatusOr<std::unique_ptr<StreamConnection>> TcpStreamNetwork::Connect(
    const IpAddress& local_ip, const SocketAddress& remote, const StreamLimits& limits) {
  const std::string where = absl::StrCat("connect to ", remote.ToString());
  if (remote.port() == 0 || local_ip.family() != remote.ip().family()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot ", where, " from ", local_ip.ToString()));
  }
  absl::StatusOr<int> fd = OpenStreamSocket(local_ip, where);
  if (!fd.ok()) return fd.status();
  const SocketAddress local(local_ip, 0);
  if (absl::Status s = BindTo(*fd, local, where); !s.ok()) {
    close(*fd);
    return s;
  }
  const int on = 1;
  setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  sockaddr_storage addr;
  const socklen_t len = ToSockaddr(remote, &addr);
  // Completes (or fails) in the loop: a refusal reaches the closed handler.
  int error = 0;
  if (connect(*fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS &&
      errno != EINTR) {
    // Reported like a late failure, from the loop (never from Connect): a
    // socket whose connect failed polls as hung up, which wakes OnWritable.
    error = errno;
  }
  absl::StatusOr<SocketAddress> bound = LocalName(*fd);
  auto connection = std::make_unique<TcpConnection>(
      loop_, *fd, bound.ok() ? *bound : local, remote, false, limits, nullptr);
  connection->set_connect_error(error);
  return connection;
}

}  // namespace net
