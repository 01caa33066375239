// Simulated TCP: the StreamNetwork seam (net/stream.h) for every host of a
// SimNetwork, so scenarios can run NTS-KE (RFC 8915 section 4).
//
// Model. A stream is a sequence of segments per direction: the handshake
// (SYN, SYN-ACK), one data segment per Send (no bandwidth, no splitting)
// and a FIN. Each segment crosses the directed link like a datagram
// (SimNetwork::TransmitSegment: the link's delay, jitter, loss, outages,
// partitions, down hosts). A lost segment is sent again after a
// retransmission timeout that starts at Params::initial_rto and doubles
// (RFC 6298 section 5); after Params::max_retransmits losses in a row the
// sender gives up: its closed handler gets DeadlineExceeded and it sends
// one reset (itself subject to loss) to the peer. The receiver hands
// segments over in order (a later segment that overtook a retransmitted
// one waits for it), so bytes arrive reliably and in order, delayed by
// losses and outages. A data segment counts against the sender's
// max_send_buffer_bytes until the receiver's acknowledgement (sent back
// over the reverse link, also retransmitted) arrives.
//
// A SYN to a port nobody listens on, or beyond a listener's
// max_connections, is answered by a reset: the client's closed handler gets
// Unavailable. Ports: each host has its own stream port space (separate
// from UDP); ephemeral ports count up from 40000.
//
// Determinism: every draw comes from the SimNetwork's per-link streams and
// every event runs in the domain of the host whose state it touches (a
// segment's fate is decided in the sender's domain, its arrival runs in the
// receiver's). REQUIRES: the SimNetwork and its EventLoop outlive this
// object, and no event of this object runs after it is destroyed (destroy
// it after the last RunUntil).
#ifndef SIM_SIM_STREAM_H_
#define SIM_SIM_STREAM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "net/stream.h"
#include "sim/sim_network.h"

namespace sim {

class SimStreams {
 public:
  struct Params {
    int64_t initial_rto_ns = 1'000'000'000;  // RFC 6298 section 2.1: 1 s
    int max_retransmits = 5;                 // gives up after ~63 s
  };
  struct Stats {
    uint64_t segments_sent = 0;  // first transmissions
    uint64_t retransmissions = 0;
    uint64_t streams_broken = 0;  // gave up after max_retransmits
    uint64_t resets_sent = 0;
  };

  explicit SimStreams(SimNetwork* network) : SimStreams(network, Params{}) {}
  SimStreams(SimNetwork* network, Params params);
  ~SimStreams();
  SimStreams(const SimStreams&) = delete;
  SimStreams& operator=(const SimStreams&) = delete;

  // The stream seam of one host (owned by this object, made on first use).
  net::StreamNetwork* network(HostIndex host);
  const Stats& stats() const { return stats_; }

 private:
  class HostStreams;
  class Listener;
  class Connection;
  struct Pipe;
  struct Segment;
  friend class HostStreams;
  friend class Listener;
  friend class Connection;

  // Sends `segment` from side `from_side` of `pipe` (retransmitting).
  void Transmit(const std::shared_ptr<Pipe>& pipe, int from_side, Segment segment,
                int attempt);
  void Arrive(const std::shared_ptr<Pipe>& pipe, int to_side, const Segment& segment);
  void Handle(const std::shared_ptr<Pipe>& pipe, int side, const Segment& segment);
  void OnSyn(const std::shared_ptr<Pipe>& pipe);
  // Sends the next in-sequence segment of `side` (data, FIN, ...).
  void SendInSequence(const std::shared_ptr<Pipe>& pipe, int side, Segment segment);
  void SendReset(const std::shared_ptr<Pipe>& pipe, int side);
  // Ends `side` and runs its closed handler with `status`.
  void Fail(const std::shared_ptr<Pipe>& pipe, int side, absl::Status status);
  Listener* FindListener(HostIndex host, const net::SocketAddress& address) const;

  SimNetwork* const network_;
  const Params params_;
  std::map<HostIndex, std::unique_ptr<HostStreams>> hosts_;
  Stats stats_;
};

}  // namespace sim

#endif  // SIM_SIM_STREAM_H_
