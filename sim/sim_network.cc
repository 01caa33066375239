#include "sim/sim_network.h"

#include "absl/strings/str_cat.h"

namespace sim {
namespace {

// Largest UDP payload over IPv4 (65535 - 8 - 20).
constexpr size_t kMaxPayload = 65507;

void AddAddress(Digest& d, const net::SocketAddress& a) {
  d.AddBytes(absl::MakeConstSpan(a.ip().bytes().data(), a.ip().size()));
  d.AddU64(a.port());
}

}  // namespace

class SimNetwork::Socket final : public net::DatagramSocket {
 public:
  Socket(SimNetwork* network, HostIndex host, net::SocketAddress local)
      : network_(network), host_(host), local_(local) {}
  ~Socket() override { network_->hosts_[host_]->sockets.erase(local_); }

  net::SocketAddress local_address() const override { return local_; }
  absl::Status SendTo(absl::Span<const uint8_t> payload,
                      const net::SocketAddress& to) override {
    return network_->Send(host_, local_, payload, to);
  }
  void SetReceiveHandler(ReceiveHandler handler) override { handler_ = std::move(handler); }
  void Receive(const net::ReceivedDatagram& d) {
    if (handler_) handler_(d);
  }

 private:
  SimNetwork* const network_;
  const HostIndex host_;
  const net::SocketAddress local_;
  ReceiveHandler handler_;
};

class SimNetwork::HostNetwork final : public net::Network {
 public:
  HostNetwork(SimNetwork* network, HostIndex host) : network_(network), host_(host) {}

  absl::StatusOr<std::unique_ptr<net::DatagramSocket>> Bind(
      const net::SocketAddress& local) override {
    Host& h = *network_->hosts_[host_];
    if (!local.ip().IsUnspecified()) {
      bool owned = false;
      for (const net::IpAddress& a : h.addresses) owned |= a == local.ip();
      if (!owned) {
        return absl::NotFoundError(absl::StrCat("bind ", local.ToString(),
                                                ": address not configured on ", h.name));
      }
    }
    net::SocketAddress bound = local;
    if (local.port() == 0) {
      // Ephemeral ports: deterministic, in the Linux default range.
      for (int tries = 0; tries < 28232; ++tries) {
        const uint16_t port = h.next_ephemeral_port;
        h.next_ephemeral_port =
            h.next_ephemeral_port >= 60999 ? 32768 : h.next_ephemeral_port + 1;
        bound = net::SocketAddress(local.ip(), port);
        if (!h.sockets.contains(bound)) break;
      }
    }
    if (h.sockets.contains(bound)) {
      return absl::AlreadyExistsError(
          absl::StrCat("bind ", bound.ToString(), ": Address already in use"));
    }
    auto socket = std::make_unique<Socket>(network_, host_, bound);
    h.sockets[bound] = socket.get();
    return std::unique_ptr<net::DatagramSocket>(std::move(socket));
  }

 private:
  SimNetwork* const network_;
  const HostIndex host_;
};

SimNetwork::SimNetwork(EventLoop* loop, uint64_t seed) : loop_(loop), seed_(seed) {}

SimNetwork::~SimNetwork() = default;

absl::StatusOr<HostIndex> SimNetwork::AddHost(std::string name, DomainId domain,
                                              std::vector<net::IpAddress> addresses,
                                              clocks::Clock* clock) {
  for (const net::IpAddress& a : addresses) {
    if (a.IsUnspecified()) {
      return absl::InvalidArgumentError(
          absl::StrCat("host ", name, ": unspecified address ", a.ToString()));
    }
    auto it = owner_.find(a);
    if (it != owner_.end()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "address ", a.ToString(), " of host ", name, " already belongs to ",
          hosts_[it->second]->name));
    }
  }
  const HostIndex index = static_cast<HostIndex>(hosts_.size());
  for (const net::IpAddress& a : addresses) owner_[a] = index;
  auto host = std::make_unique<Host>();
  host->name = std::move(name);
  host->domain = domain;
  host->addresses = std::move(addresses);
  host->clock = clock;
  host->network = std::make_unique<HostNetwork>(this, index);
  hosts_.push_back(std::move(host));
  return index;
}

net::Network* SimNetwork::network(HostIndex host) { return hosts_[host]->network.get(); }

HostIndex SimNetwork::HostOf(const net::IpAddress& ip) const {
  auto it = owner_.find(ip);
  return it == owner_.end() ? -1 : it->second;
}

SimNetwork::PairState& SimNetwork::Pair(HostIndex from, HostIndex to) {
  PairState& p = pairs_[{from, to}];
  if (p.model == nullptr) {
    const LinkParams params = resolver_ ? resolver_(from, to) : LinkParams{};
    p.model = std::make_unique<LinkModel>(
        params, DeriveSeed(seed_, absl::StrCat("link/", hosts_[from]->name, "->",
                                               hosts_[to]->name)));
  }
  return p;
}

const LinkModel* SimNetwork::link(HostIndex from, HostIndex to) const {
  auto it = pairs_.find({from, to});
  return it == pairs_.end() ? nullptr : it->second.model.get();
}

void SimNetwork::SetLinkDown(HostIndex from, HostIndex to, bool down) {
  Pair(from, to).down = down;
}

void SimNetwork::SetPartition(std::vector<int> group_of_host) {
  partition_ = std::move(group_of_host);
}

void SimNetwork::AddRouteDelay(HostIndex from, HostIndex to, double delta_s) {
  Pair(from, to).extra_delay_s += delta_s;
}

void SimNetwork::SetHostUp(HostIndex host, bool up) { hosts_[host]->up = up; }

void SimNetwork::Drop(HostIndex from, HostIndex to, const net::SocketAddress& source,
                      const net::SocketAddress& destination, size_t bytes,
                      const char* reason) {
  ++dropped_;
  if (trace_) {
    trace_(PacketTrace{PacketTrace::Kind::kDropped, loop_->now_ns(), from, to, source,
                       destination, bytes, reason, {}});
  }
}

absl::Status SimNetwork::Send(HostIndex from, const net::SocketAddress& bound,
                              absl::Span<const uint8_t> payload,
                              const net::SocketAddress& to) {
  Host& sender = *hosts_[from];
  if (to.ip().family() != bound.ip().family()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot send to ", to.ToString(), " from ", bound.ToString()));
  }
  if (payload.size() > kMaxPayload) {
    return absl::InvalidArgumentError(
        absl::StrCat("datagram of ", payload.size(), " bytes is too large"));
  }
  if (!sender.up) return absl::UnavailableError(absl::StrCat(sender.name, " is down"));
  // A wildcard-bound socket sends from the host's first address of the family.
  net::SocketAddress source = bound;
  if (bound.ip().IsUnspecified()) {
    bool found = false;
    for (const net::IpAddress& a : sender.addresses) {
      if (a.family() == to.ip().family()) {
        source = net::SocketAddress(a, bound.port());
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::UnavailableError(absl::StrCat(
          sender.name, " has no address to reach ", to.ToString()));
    }
  }
  return Route(from, source, payload, to);
}

absl::Status SimNetwork::SendSpoofed(HostIndex from, const net::SocketAddress& source,
                                     absl::Span<const uint8_t> payload,
                                     const net::SocketAddress& to) {
  Host& sender = *hosts_[from];
  if (to.ip().family() != source.ip().family() || payload.size() > kMaxPayload) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot send ", payload.size(), " bytes to ", to.ToString(), " from ",
                     source.ToString()));
  }
  if (!sender.up) return absl::UnavailableError(absl::StrCat(sender.name, " is down"));
  return Route(from, source, payload, to);
}

void SimNetwork::SetTap(HostIndex observer, HostIndex victim, double delay_s,
                        TapHandler handler) {
  Host& h = *hosts_[observer];
  if (!handler) {
    h.tapped.clear();
    h.tap_handler = nullptr;
    return;
  }
  h.tapped.push_back(victim);
  h.tap_delay_s = delay_s;
  h.tap_handler = std::move(handler);
}

void SimNetwork::ShowTaps(HostIndex from, HostIndex receiver, const net::SocketAddress& source,
                          absl::Span<const uint8_t> payload, const net::SocketAddress& to) {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    Host& observer = *hosts_[i];
    if (!observer.tap_handler || static_cast<HostIndex>(i) == from) continue;
    bool seen = false;
    for (HostIndex v : observer.tapped) seen |= v == from || v == receiver;
    if (!seen) continue;
    TappedDatagram d{source, to, std::vector<uint8_t>(payload.begin(), payload.end())};
    const HostIndex index = static_cast<HostIndex>(i);
    loop_->Schedule(loop_->now_ns() + static_cast<int64_t>(observer.tap_delay_s * 1e9),
                    observer.domain, hosts_[from]->domain, Phase::kNormal,
                    [this, index, d = std::move(d)] {
                      Host& o = *hosts_[index];
                      if (o.up && o.tap_handler) o.tap_handler(d);
                    });
  }
}

absl::Status SimNetwork::Route(HostIndex from, const net::SocketAddress& source,
                               absl::Span<const uint8_t> payload,
                               const net::SocketAddress& to) {
  Host& sender = *hosts_[from];
  Digest& digest = loop_->digest(sender.domain);
  digest.AddU64(0x7478);  // "tx"
  AddAddress(digest, source);
  AddAddress(digest, to);
  digest.AddBytes(payload);

  const HostIndex receiver = HostOf(to.ip());
  if (trace_) {
    PacketTrace t{PacketTrace::Kind::kSent, loop_->now_ns(), from, receiver, source,
                  to, payload.size(), "", {}};
    t.payload = payload;
    trace_(t);
  }
  ShowTaps(from, receiver, source, payload, to);
  if (receiver < 0) {
    digest.AddU64(1);
    Drop(from, receiver, source, to, payload.size(), "no route");
    return absl::OkStatus();
  }
  std::vector<uint8_t> bytes(payload.begin(), payload.end());
  const DomainId target = hosts_[receiver]->domain;
  if (receiver == from) {
    const int64_t at = loop_->now_ns() + static_cast<int64_t>(loopback_delay_s_ * 1e9);
    loop_->Schedule(at, target, sender.domain, Phase::kNormal,
                    [this, receiver, source, to, bytes = std::move(bytes)] {
                      Deliver(receiver, source, to, bytes);
                    });
    return absl::OkStatus();
  }
  PairState& pair = Pair(from, receiver);
  const char* blocked = nullptr;
  if (pair.down) blocked = "link down";
  if (!partition_.empty()) {
    const int g_from = from < static_cast<int>(partition_.size()) ? partition_[from] : -1;
    const int g_to =
        receiver < static_cast<int>(partition_.size()) ? partition_[receiver] : -1;
    if (g_from >= 0 && g_to >= 0 && g_from != g_to) blocked = "partition";
  }
  if (blocked != nullptr) {
    digest.AddU64(2);
    Drop(from, receiver, source, to, payload.size(), blocked);
    return absl::OkStatus();
  }
  const LinkModel::Fate fate = pair.model->Transmit(loop_->now_ns(), pair.extra_delay_s);
  if (fate.lost) {
    digest.AddU64(3);
    Drop(from, receiver, source, to, payload.size(), "loss");
    return absl::OkStatus();
  }
  if (fate.corrupt_at.has_value() && !bytes.empty()) {
    bytes[*fate.corrupt_at % bytes.size()] ^= fate.corrupt_mask;
  }
  if (fate.truncate_at.has_value() && !bytes.empty()) {
    bytes.resize(*fate.truncate_at % bytes.size());
  }
  for (int copy = 0; copy < fate.copies; ++copy) {
    digest.AddI64(fate.delay_ns[copy]);
    std::vector<uint8_t> copy_bytes =
        copy + 1 == fate.copies ? std::move(bytes) : bytes;
    loop_->Schedule(loop_->now_ns() + fate.delay_ns[copy], target, sender.domain,
                    Phase::kNormal,
                    [this, receiver, source, to, b = std::move(copy_bytes)] {
                      Deliver(receiver, source, to, b);
                    });
  }
  return absl::OkStatus();
}

void SimNetwork::Deliver(HostIndex to, const net::SocketAddress& source,
                         const net::SocketAddress& destination,
                         const std::vector<uint8_t>& payload) {
  Host& h = *hosts_[to];
  const HostIndex from = HostOf(source.ip());
  if (!h.up) {
    Drop(from, to, source, destination, payload.size(), "host down");
    return;
  }
  auto it = h.sockets.find(destination);
  if (it == h.sockets.end()) {
    const net::IpAddress any = destination.ip().is_v4() ? net::IpAddress::AnyV4()
                                                        : net::IpAddress::AnyV6();
    it = h.sockets.find(net::SocketAddress(any, destination.port()));
  }
  if (it == h.sockets.end()) {
    Drop(from, to, source, destination, payload.size(), "port unreachable");
    return;
  }
  net::ReceivedDatagram d;
  d.payload = absl::MakeConstSpan(payload);
  d.source = source;
  d.destination = destination;
  d.rx_time = h.clock != nullptr ? h.clock->Now() : absl::UnixEpoch();
  d.rx_source = net::RxTimestampSource::kSimulated;
  ++delivered_;
  Digest& digest = loop_->digest(h.domain);
  digest.AddU64(0x7278);  // "rx"
  AddAddress(digest, source);
  AddAddress(digest, destination);
  digest.AddBytes(payload);
  digest.AddI64(absl::ToUnixNanos(d.rx_time));
  if (trace_) {
    PacketTrace t{PacketTrace::Kind::kDelivered, loop_->now_ns(), from, to, source,
                  destination, payload.size(), "", {}};
    t.payload = absl::MakeConstSpan(payload);
    trace_(t);
  }
  it->second->Receive(d);
}

std::optional<int64_t> SimNetwork::TransmitSegment(HostIndex from, HostIndex to) {
  if (to < 0 || !hosts_[from]->up || !hosts_[to]->up) return std::nullopt;
  if (to == from) return static_cast<int64_t>(loopback_delay_s_ * 1e9);
  PairState& pair = Pair(from, to);
  if (pair.down) return std::nullopt;
  if (!partition_.empty()) {
    const int g_from = from < static_cast<int>(partition_.size()) ? partition_[from] : -1;
    const int g_to = to < static_cast<int>(partition_.size()) ? partition_[to] : -1;
    if (g_from >= 0 && g_to >= 0 && g_from != g_to) return std::nullopt;
  }
  const LinkModel::Fate fate = pair.model->Transmit(loop_->now_ns(), pair.extra_delay_s);
  if (fate.lost) return std::nullopt;
  return fate.delay_ns[0];
}

}  // namespace sim
