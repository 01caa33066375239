// The Network seam: UDP datagram endpoints. Protocol code sends and receives
// NTP packets only through these interfaces. Implementations: UdpNetwork
// (net/udp_socket.h: real sockets driven by net/poll_loop.h), the simulator's
// network model (sim/), and FakeNetwork (net/fake_network.h) for unit tests.
// Byte streams (TCP, for NTS-KE) are the seam's other half: net/stream.h.
#ifndef NET_NETWORK_H_
#define NET_NETWORK_H_

#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/datagram.h"

namespace net {

// A bound UDP endpoint. Not thread-safe: use from the loop's thread only.
class DatagramSocket {
 public:
  using ReceiveHandler = absl::AnyInvocable<void(const ReceivedDatagram&)>;

  DatagramSocket() = default;
  DatagramSocket(const DatagramSocket&) = delete;
  DatagramSocket& operator=(const DatagramSocket&) = delete;
  virtual ~DatagramSocket() = default;

  // The address and port actually bound (the chosen port if 0 was asked).
  virtual SocketAddress local_address() const = 0;

  // Sends one datagram to `to`. OK means handed to the network, not
  // delivered. InvalidArgument if `to` is of the other address family or the
  // payload is too large; Unavailable for a transient failure (buffer full):
  // the caller drops the packet, NTP retransmits by design.
  virtual absl::Status SendTo(absl::Span<const uint8_t> payload,
                              const SocketAddress& to) = 0;

  // Sets the function called once per received datagram, from the event loop
  // (never from inside SendTo). Replaces any previous handler; datagrams that
  // arrive with no handler set are read and dropped.
  virtual void SetReceiveHandler(ReceiveHandler handler) = 0;
};

class Network {
 public:
  Network() = default;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;
  virtual ~Network() = default;

  // Binds a UDP socket to `local` (port 0: an ephemeral port). Errors:
  // AlreadyExists if the address and port are in use; NotFound if the address
  // is not configured on this host; PermissionDenied for a privileged port
  // without the right; InvalidArgument for an unusable address.
  virtual absl::StatusOr<std::unique_ptr<DatagramSocket>> Bind(
      const SocketAddress& local) = 0;
};

}  // namespace net

#endif  // NET_NETWORK_H_
