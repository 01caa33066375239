// Conversions between SocketAddress and the kernel's sockaddr, for the
// adapters that make socket calls (net/udp_socket.cc, tools/ntpq/
// udp_client.cc).
#ifndef NET_SOCKADDR_H_
#define NET_SOCKADDR_H_

#include <sys/socket.h>

#include "net/address.h"

namespace net {

// Fills `out` (zeroed first) and returns the length to pass to the call.
socklen_t ToSockaddr(const SocketAddress& address, sockaddr_storage* out);
// An AF_INET or AF_INET6 address (anything else is read as AF_INET6).
SocketAddress FromSockaddr(const sockaddr_storage& in);

}  // namespace net

#endif  // NET_SOCKADDR_H_
