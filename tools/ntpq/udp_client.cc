#include "tools/ntpq/udp_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "net/sockaddr.h"

namespace ntp::tools {
namespace {

using net::FromSockaddr;
using net::ToSockaddr;

absl::Status Errno(absl::string_view what, int error) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  if (error == EADDRINUSE) return absl::AlreadyExistsError(message);
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<UdpClient>> UdpClient::Open(const net::SocketAddress& server,
                                                           const net::SocketAddress* local) {
  const int fd = socket(server.ip().is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket", errno);
  if (local != nullptr) {
    sockaddr_storage storage;
    const socklen_t length = ToSockaddr(*local, &storage);
    if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
      const int error = errno;
      close(fd);
      return Errno(absl::StrCat("bind ", local->ToString()), error);
    }
  }
  return std::unique_ptr<UdpClient>(new UdpClient(fd, server));
}

UdpClient::~UdpClient() { close(fd_); }

absl::StatusOr<absl::Time> UdpClient::Send(absl::Span<const uint8_t> bytes) {
  sockaddr_storage storage;
  const socklen_t length = ToSockaddr(server_, &storage);
  const absl::Time now = absl::Now();
  if (sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&storage),
             length) < 0) {
    return Errno(absl::StrCat("sendto ", server_.ToString()), errno);
  }
  return now;
}

absl::StatusOr<UdpReply> UdpClient::Receive(absl::Time deadline) {
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("timed out");
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Errno("poll", errno);
    }
    if (ready == 0) continue;
    UdpReply reply;
    reply.bytes.resize(2048);
    sockaddr_storage from;
    socklen_t from_length = sizeof(from);
    const ssize_t n = recvfrom(fd_, reply.bytes.data(), reply.bytes.size(), MSG_TRUNC,
                               reinterpret_cast<sockaddr*>(&from), &from_length);
    reply.received = absl::Now();
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // ICMP port unreachable from an earlier send.
      if (errno == ECONNREFUSED) return absl::UnavailableError("connection refused");
      return Errno("recvfrom", errno);
    }
    reply.bytes.resize(std::min<size_t>(static_cast<size_t>(n), reply.bytes.size()));
    reply.from = FromSockaddr(from);
    return reply;
  }
}

absl::StatusOr<net::SocketAddress> ParseServerAddress(absl::string_view text,
                                                      uint16_t default_port) {
  if (text == "localhost") return net::SocketAddress(net::IpAddress::LoopbackV4(), default_port);
  if (absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(text); ip.ok()) {
    return net::SocketAddress(*ip, default_port);  // bare, IPv6 included
  }
  absl::StatusOr<net::SocketAddress> address = net::SocketAddress::Parse(text, default_port);
  if (!address.ok() || address->port() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a numeric address or address:port: ", text));
  }
  return address;
}

}  // namespace ntp::tools
