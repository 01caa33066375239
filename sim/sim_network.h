// The simulated network: the Network seam for every simulated host, on one
// event loop. Hosts own real IPv4/IPv6 addresses; a datagram from host A to
// host B crosses the directed link A->B (its LinkModel decides loss, delay,
// duplication) and is delivered to B's socket at the simulated arrival time,
// stamped with B's own clock (rx_source kSimulated). Faults change link,
// partition and host state at scheduled instants (sim/simulation.cc).
//
// Determinism: every directed link draws from its own stream, derived from
// (seed, "link/A->B"); a datagram's fate is decided when it is sent (in the
// sender's domain) and its delivery runs in the receiver's domain. Every
// send and delivery is added to the respective domain's digest.
#ifndef SIM_SIM_NETWORK_H_
#define SIM_SIM_NETWORK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "clock/clock.h"
#include "net/address.h"
#include "net/network.h"
#include "sim/event_loop.h"
#include "sim/link_model.h"

namespace sim {

using HostIndex = int;

// One datagram event, for tests and traces.
struct PacketTrace {
  enum class Kind { kSent, kDelivered, kDropped };
  Kind kind = Kind::kSent;
  int64_t t_ns = 0;
  HostIndex from = -1;
  HostIndex to = -1;  // -1: no host owns the destination address
  net::SocketAddress source;
  net::SocketAddress destination;
  size_t bytes = 0;
  std::string drop_reason;  // kDropped: "loss", "link down", "partition", ...
  // The bytes (kSent: as sent; kDelivered: as delivered, after any link
  // damage). Valid during the callback only.
  absl::Span<const uint8_t> payload;
};

// A datagram an on-path observer sees (AddTap).
struct TappedDatagram {
  net::SocketAddress source;
  net::SocketAddress destination;
  std::vector<uint8_t> payload;
};
using TapHandler = std::function<void(const TappedDatagram&)>;

class SimNetwork {
 public:
  // Gives the model of the directed link from -> to; asked once per pair,
  // at its first datagram.
  using LinkResolver = std::function<LinkParams(HostIndex from, HostIndex to)>;

  // REQUIRES: `loop` outlives the network.
  SimNetwork(EventLoop* loop, uint64_t seed);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // Registers a host. `clock` stamps its received datagrams (REQUIRES: it
  // outlives the network). AlreadyExists if an address is owned by another
  // host; InvalidArgument for an unspecified address.
  absl::StatusOr<HostIndex> AddHost(std::string name, DomainId domain,
                                    std::vector<net::IpAddress> addresses,
                                    clocks::Clock* clock);
  // The Network seam of one host (owned by the SimNetwork).
  net::Network* network(HostIndex host);
  const std::string& host_name(HostIndex host) const { return hosts_[host]->name; }
  const std::vector<net::IpAddress>& addresses(HostIndex host) const {
    return hosts_[host]->addresses;
  }
  // The host owning `ip`, or -1.
  HostIndex HostOf(const net::IpAddress& ip) const;
  int host_count() const { return static_cast<int>(hosts_.size()); }

  // Without a resolver every link uses default LinkParams.
  void SetLinkResolver(LinkResolver resolver) { resolver_ = std::move(resolver); }
  // Delay of datagrams a host sends to itself (any of its addresses).
  void set_loopback_delay_s(double seconds) { loopback_delay_s_ = seconds; }

  // Faults.
  void SetLinkDown(HostIndex from, HostIndex to, bool down);
  // Hosts in different groups cannot reach each other; group -1 (or a host
  // beyond the vector) reaches everyone. An empty vector heals.
  void SetPartition(std::vector<int> group_of_host);
  void AddRouteDelay(HostIndex from, HostIndex to, double delta_s);
  // A down host neither sends nor receives (its sockets stay bound).
  void SetHostUp(HostIndex host, bool up);
  bool host_up(HostIndex host) const { return hosts_[host]->up; }

  // On-path observation: every datagram `victim` sends, and every one sent
  // to it, is also handed to `handler` in `observer`'s domain `delay_s`
  // after it was sent (before the link decides its fate). Datagrams the
  // observer sends itself are not shown to it. A null handler removes the
  // observer's taps.
  void SetTap(HostIndex observer, HostIndex victim, double delay_s, TapHandler handler);
  // Sends from host `from` a datagram whose source address is `source`
  // (any address: spoofing). It crosses the link from -> the owner of
  // `to`, like any datagram of `from`.
  absl::Status SendSpoofed(HostIndex from, const net::SocketAddress& source,
                           absl::Span<const uint8_t> payload, const net::SocketAddress& to);

  // Statistics of the directed link, if it carried anything.
  const LinkModel* link(HostIndex from, HostIndex to) const;
  uint64_t datagrams_delivered() const { return delivered_; }
  uint64_t datagrams_dropped() const { return dropped_; }

  // For reliable streams layered on this network (sim/sim_stream.h): the
  // fate of one segment sent now from `from` to `to` (-1: nobody), under the
  // same link models, outages, partitions and host states as datagrams. The
  // one-way delay in ns, or nullopt if the segment is lost. Not traced.
  std::optional<int64_t> TransmitSegment(HostIndex from, HostIndex to);
  DomainId domain(HostIndex host) const { return hosts_[host]->domain; }
  EventLoop* loop() const { return loop_; }

  // Called for every send, delivery and drop (tests, packet traces).
  void SetTraceCallback(std::function<void(const PacketTrace&)> callback) {
    trace_ = std::move(callback);
  }

 private:
  class HostNetwork;
  class Socket;
  struct Host {
    std::string name;
    DomainId domain = 0;
    std::vector<net::IpAddress> addresses;
    clocks::Clock* clock = nullptr;
    bool up = true;
    uint16_t next_ephemeral_port = 32768;
    std::map<net::SocketAddress, Socket*> sockets;
    std::unique_ptr<HostNetwork> network;
    // Taps this host (as an observer) holds: victims and the handler.
    std::vector<HostIndex> tapped;
    double tap_delay_s = 0;
    TapHandler tap_handler;
  };
  struct PairState {
    std::unique_ptr<LinkModel> model;
    bool down = false;
    double extra_delay_s = 0;
  };

  absl::Status Send(HostIndex from, const net::SocketAddress& source,
                    absl::Span<const uint8_t> payload, const net::SocketAddress& to);
  // Everything after the source address is known (shared by Send and
  // SendSpoofed).
  absl::Status Route(HostIndex from, const net::SocketAddress& source,
                     absl::Span<const uint8_t> payload, const net::SocketAddress& to);
  void ShowTaps(HostIndex from, HostIndex receiver, const net::SocketAddress& source,
                absl::Span<const uint8_t> payload, const net::SocketAddress& to);
  void Deliver(HostIndex to, const net::SocketAddress& source,
               const net::SocketAddress& destination,
               const std::vector<uint8_t>& payload);
  PairState& Pair(HostIndex from, HostIndex to);
  void Drop(HostIndex from, HostIndex to, const net::SocketAddress& source,
            const net::SocketAddress& destination, size_t bytes, const char* reason);

  EventLoop* const loop_;
  const uint64_t seed_;
  std::vector<std::unique_ptr<Host>> hosts_;
  // Lookup only (never iterated, so hash order cannot leak into results).
  absl::flat_hash_map<net::IpAddress, HostIndex> owner_;
  absl::flat_hash_map<std::pair<HostIndex, HostIndex>, PairState> pairs_;
  std::vector<int> partition_;
  LinkResolver resolver_;
  double loopback_delay_s_ = 10e-6;
  uint64_t delivered_ = 0;
  uint64_t dropped_ = 0;
  std::function<void(const PacketTrace&)> trace_;
};

}  // namespace sim

#endif  // SIM_SIM_NETWORK_H_
