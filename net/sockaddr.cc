#include "net/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

namespace net {

socklen_t ToSockaddr(const SocketAddress& address, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (address.ip().is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(address.port());
    sin->sin_addr.s_addr = htonl(address.ip().v4());
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(address.port());
  std::memcpy(&sin6->sin6_addr, address.ip().bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

SocketAddress FromSockaddr(const sockaddr_storage& in) {
  if (in.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(in);
    return SocketAddress(IpAddress::V4(ntohl(sin.sin_addr.s_addr)), ntohs(sin.sin_port));
  }
  const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(in);
  std::array<uint8_t, 16> bytes;
  std::memcpy(bytes.data(), &sin6.sin6_addr, 16);
  return SocketAddress(IpAddress::V6(bytes), ntohs(sin6.sin6_port));
}

}  // namespace net
