// pcap capture files (the classic libpcap format with nanosecond
// timestamps, magic 0xa1b23c4d; link type 101, raw IP) of simulated UDP
// datagrams, so that a failing scenario can be opened in Wireshark. Each
// datagram gets a synthesised IPv4 or IPv6 header and a UDP header with
// correct checksums.
#ifndef SIM_PCAP_H_
#define SIM_PCAP_H_

#include <string>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"

namespace sim {

// The 24-octet file header.
std::string PcapFileHeader();

// Appends one record: the datagram from `source` to `destination` seen at
// `when`. Payloads beyond 65507 octets are cut to that length.
void AppendPcapRecord(absl::Time when, const net::SocketAddress& source,
                      const net::SocketAddress& destination, absl::Span<const uint8_t> payload,
                      std::string& file);

}  // namespace sim

#endif  // SIM_PCAP_H_
