// A received datagram as a value: its bytes, both addresses and the receive
// timestamp with where that timestamp came from. Shared by the Network seam
// (net/network.h), which produces it, and the protocol core, which consumes
// it as an input without depending on the seam.
#ifndef NET_DATAGRAM_H_
#define NET_DATAGRAM_H_

#include <cstdint>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"

namespace net {

// Where a receive timestamp came from, best first.
enum class RxTimestampSource {
  kKernelTimestamping,  // SO_TIMESTAMPING software RX stamp (in the kernel, at arrival)
  kKernelTimestampNs,   // SO_TIMESTAMPNS
  kUserSpace,           // clock read after recvmsg returned (worst)
  kSimulated,           // the simulator's exact arrival time
};

const char* RxTimestampSourceName(RxTimestampSource source);

// One received datagram. `payload` points into a buffer owned by the socket
// and is valid only during the receive handler call: copy what you keep.
struct ReceivedDatagram {
  absl::Span<const uint8_t> payload;
  SocketAddress source;       // the sender
  SocketAddress destination;  // the local address and port it arrived on
  absl::Time rx_time;         // receive time on the host's system clock
  RxTimestampSource rx_source = RxTimestampSource::kUserSpace;
};

}  // namespace net

#endif  // NET_DATAGRAM_H_
