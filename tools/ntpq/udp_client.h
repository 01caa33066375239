// A blocking UDP client socket for the operator tools (ntpq, ntpstat,
// ntpdate, the exporter): one server, send, receive with a deadline. It
// returns every datagram with its source; checking that the source is the
// server (address and port) is the caller's business, so that it can count
// strays.
#ifndef TOOLS_NTPQ_UDP_CLIENT_H_
#define TOOLS_NTPQ_UDP_CLIENT_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"

namespace ntp::tools {

struct UdpReply {
  net::SocketAddress from;
  std::vector<uint8_t> bytes;
  absl::Time received;  // the system clock right after it arrived
};

class UdpClient {
 public:
  // A socket of `server`'s family bound to `local` (port 0 / unset address:
  // any). Unavailable/PermissionDenied/AlreadyExists from socket()/bind().
  static absl::StatusOr<std::unique_ptr<UdpClient>> Open(
      const net::SocketAddress& server,
      const net::SocketAddress* local = nullptr);
  ~UdpClient();
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  // Sends to the server; returns the system clock just before the send.
  absl::StatusOr<absl::Time> Send(absl::Span<const uint8_t> bytes);
  // The next datagram from anyone, or DeadlineExceeded at `deadline`
  // (absl::Now() time). Datagrams are read up to 2048 octets.
  absl::StatusOr<UdpReply> Receive(absl::Time deadline);

  const net::SocketAddress& server() const { return server_; }

 private:
  UdpClient(int fd, const net::SocketAddress& server) : fd_(fd), server_(server) {}
  int fd_;
  net::SocketAddress server_;
};

// "HOST" or "HOST:PORT" or "[V6]:PORT" with a numeric address; "localhost"
// is 127.0.0.1. InvalidArgument otherwise.
absl::StatusOr<net::SocketAddress> ParseServerAddress(absl::string_view text,
                                                      uint16_t default_port);

}  // namespace ntp::tools

#endif  // TOOLS_NTPQ_UDP_CLIENT_H_
