#include "sim/sim_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace sim {

struct SimStreams::Segment {
  // kSynAck, kData and kFin are in sequence (seq); the others are not.
  enum class Kind : uint8_t { kSyn, kSynAck, kData, kFin, kAck, kReset };
  Kind kind = Kind::kData;
  uint64_t seq = 0;
  std::shared_ptr<const std::vector<uint8_t>> bytes;  // kData
  size_t acked = 0;                                   // kAck
};

namespace {

using Kind = uint8_t;

struct Side {
  bool exists = false;  // the server side exists once its SYN was accepted
  HostIndex host = -1;
  net::SocketAddress local;
  net::SocketAddress peer;
  net::StreamLimits limits;
  bool open = false;       // false after Close or the closed handler
  bool connected = false;  // handshake done
  bool broken = false;     // reset or given up: segments are ignored
  net::StreamConnection::DataHandler on_data;
  net::StreamConnection::ClosedHandler on_closed;
  uint64_t next_send_seq = 0;
  uint64_t next_receive_seq = 0;
  size_t unacked = 0;   // bytes Send accepted, not yet acknowledged
  size_t received = 0;  // bytes delivered (or discarded after Close)
  std::vector<std::vector<uint8_t>> queued;  // sent while connecting
  bool fin_queued = false;                   // closed while connecting
  std::shared_ptr<size_t> open_count;        // the listener's, server side
};

}  // namespace

struct SimStreams::Pipe {
  Side side[2];  // 0: the connecting client, 1: the accepting server
  std::map<uint64_t, Segment> reorder[2];  // arrived early, per receiving side
};

class SimStreams::Connection final : public net::StreamConnection {
 public:
  Connection(SimStreams* streams, std::shared_ptr<Pipe> pipe, int side)
      : streams_(streams), pipe_(std::move(pipe)), side_(side) {}
  ~Connection() override { Close(); }

  net::SocketAddress local_address() const override { return s().local; }
  net::SocketAddress peer_address() const override { return s().peer; }
  bool connected() const override { return s().open && s().connected; }
  bool open() const override { return s().open; }
  void SetHandlers(DataHandler on_data, ClosedHandler on_closed) override {
    s().on_data = std::move(on_data);
    s().on_closed = std::move(on_closed);
  }

  absl::Status Send(absl::Span<const uint8_t> bytes) override {
    Side& side = s();
    if (!side.open) return absl::FailedPreconditionError("stream is closed");
    if (side.unacked + bytes.size() > side.limits.max_send_buffer_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "send buffer of ", side.limits.max_send_buffer_bytes, " bytes is full"));
    }
    if (bytes.empty()) return absl::OkStatus();
    side.unacked += bytes.size();
    if (!side.connected) {
      side.queued.emplace_back(bytes.begin(), bytes.end());
      return absl::OkStatus();
    }
    Segment segment;
    segment.bytes = std::make_shared<const std::vector<uint8_t>>(bytes.begin(), bytes.end());
    streams_->SendInSequence(pipe_, side_, std::move(segment));
    return absl::OkStatus();
  }

  void Close() override {
    Side& side = s();
    if (!side.open) return;
    side.open = false;
    side.on_data = nullptr;
    side.on_closed = nullptr;
    if (side.open_count != nullptr) --*side.open_count;
    side.open_count = nullptr;
    if (side.broken) return;
    if (side.connected) {
      Segment fin;
      fin.kind = Segment::Kind::kFin;
      streams_->SendInSequence(pipe_, side_, std::move(fin));
    } else {
      side.fin_queued = true;  // after the queued bytes, once connected
    }
  }

 private:
  Side& s() const { return pipe_->side[side_]; }

  SimStreams* const streams_;
  const std::shared_ptr<Pipe> pipe_;
  const int side_;
};

class SimStreams::Listener final : public net::StreamListener {
 public:
  Listener(std::map<net::SocketAddress, Listener*>* registry, net::SocketAddress local,
           const net::StreamLimits& limits)
      : registry_(registry), local_(local), limits_(limits) {
    (*registry_)[local_] = this;
  }
  ~Listener() override { registry_->erase(local_); }

  net::SocketAddress local_address() const override { return local_; }
  void SetAcceptHandler(AcceptHandler handler) override { handler_ = std::move(handler); }
  uint64_t refused() const override { return refused_; }
  size_t open_connections() const override { return *open_count_; }

 private:
  friend class SimStreams;
  std::map<net::SocketAddress, Listener*>* const registry_;
  const net::SocketAddress local_;
  const net::StreamLimits limits_;
  AcceptHandler handler_;
  uint64_t refused_ = 0;
  std::shared_ptr<size_t> open_count_ = std::make_shared<size_t>(0);
};

class SimStreams::HostStreams final : public net::StreamNetwork {
 public:
  HostStreams(SimStreams* streams, HostIndex host) : streams_(streams), host_(host) {}

  absl::StatusOr<std::unique_ptr<net::StreamListener>> Listen(
      const net::SocketAddress& local, const net::StreamLimits& limits) override {
    SimNetwork& network = *streams_->network_;
    if (!local.ip().IsUnspecified() && network.HostOf(local.ip()) != host_) {
      return absl::NotFoundError(absl::StrCat("listen on ", local.ToString(), ": ",
                                              network.host_name(host_),
                                              " has no such address"));
    }
    net::SocketAddress address = local;
    if (local.port() == 0) {
      do {
        address = net::SocketAddress(local.ip(), NextEphemeralPort());
      } while (listeners_.contains(address));
    }
    if (listeners_.contains(address)) {
      return absl::AlreadyExistsError(absl::StrCat("listen on ", address.ToString(),
                                                   ": address in use"));
    }
    return std::unique_ptr<net::StreamListener>(new Listener(&listeners_, address, limits));
  }

  absl::StatusOr<std::unique_ptr<net::StreamConnection>> Connect(
      const net::IpAddress& local_ip, const net::SocketAddress& remote,
      const net::StreamLimits& limits) override {
    SimNetwork& network = *streams_->network_;
    if (remote.port() == 0 || local_ip.family() != remote.ip().family()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot connect to ", remote.ToString(), " from ", local_ip.ToString()));
    }
    net::IpAddress ip = local_ip;
    if (ip.IsUnspecified()) {
      bool found = false;
      for (const net::IpAddress& a : network.addresses(host_)) {
        if (a.family() == remote.ip().family()) {
          ip = a;
          found = true;
          break;
        }
      }
      if (!found) {
        return absl::NotFoundError(absl::StrCat(network.host_name(host_),
                                                " has no address to reach ",
                                                remote.ToString()));
      }
    } else if (network.HostOf(ip) != host_) {
      return absl::NotFoundError(absl::StrCat(network.host_name(host_), " has no address ",
                                              ip.ToString()));
    }
    auto pipe = std::make_shared<Pipe>();
    Side& client = pipe->side[0];
    client.exists = true;
    client.host = host_;
    client.local = net::SocketAddress(ip, NextEphemeralPort());
    client.peer = remote;
    client.limits = limits;
    client.open = true;
    Side& server = pipe->side[1];
    server.host = network.HostOf(remote.ip());
    server.local = remote;
    server.peer = client.local;
    Segment syn;
    syn.kind = Segment::Kind::kSyn;
    streams_->Transmit(pipe, 0, std::move(syn), 0);
    return std::unique_ptr<net::StreamConnection>(new Connection(streams_, pipe, 0));
  }

  Listener* Find(const net::SocketAddress& address) const {
    auto it = listeners_.find(address);
    if (it == listeners_.end()) {
      const net::IpAddress any = address.ip().is_v4() ? net::IpAddress::AnyV4()
                                                      : net::IpAddress::AnyV6();
      it = listeners_.find(net::SocketAddress(any, address.port()));
    }
    return it == listeners_.end() ? nullptr : it->second;
  }

 private:
  static constexpr uint16_t kFirstEphemeralPort = 40000;

  uint16_t NextEphemeralPort() {
    const uint16_t port = next_port_;
    next_port_ = next_port_ == 65535 ? kFirstEphemeralPort : next_port_ + 1;
    return port;
  }

  SimStreams* const streams_;
  const HostIndex host_;
  uint16_t next_port_ = kFirstEphemeralPort;
  std::map<net::SocketAddress, Listener*> listeners_;
};

SimStreams::SimStreams(SimNetwork* network, Params params)
    : network_(network), params_(params) {}

SimStreams::~SimStreams() = default;

net::StreamNetwork* SimStreams::network(HostIndex host) {
  std::unique_ptr<HostStreams>& h = hosts_[host];
  if (h == nullptr) h = std::make_unique<HostStreams>(this, host);
  return h.get();
}

SimStreams::Listener* SimStreams::FindListener(HostIndex host,
                                               const net::SocketAddress& address) const {
  auto it = hosts_.find(host);
  return it == hosts_.end() ? nullptr : it->second->Find(address);
}

void SimStreams::Transmit(const std::shared_ptr<Pipe>& pipe, int from_side, Segment segment,
                          int attempt) {
  const Side& from = pipe->side[from_side];
  const HostIndex to = pipe->side[1 - from_side].host;
  EventLoop& loop = *network_->loop();
  if (attempt == 0) {
    ++stats_.segments_sent;
  } else {
    ++stats_.retransmissions;
  }
  if (std::optional<int64_t> delay = network_->TransmitSegment(from.host, to)) {
    loop.Schedule(loop.now_ns() + *delay, network_->domain(to), Phase::kNormal,
                  [this, pipe, to_side = 1 - from_side, segment = std::move(segment)] {
                    Arrive(pipe, to_side, segment);
                  });
    return;
  }
  if (segment.kind == Segment::Kind::kReset) return;  // never retransmitted
  // Lost: wait for the retransmission timeout (doubling), then send again
  // or give up.
  const int64_t rto = params_.initial_rto_ns << std::min(attempt, 30);
  loop.Schedule(loop.now_ns() + rto, network_->domain(from.host), Phase::kNormal,
                [this, pipe, from_side, attempt, segment = std::move(segment)]() mutable {
                  Side& s = pipe->side[from_side];
                  if (s.broken) return;
                  if (attempt < params_.max_retransmits) {
                    Transmit(pipe, from_side, std::move(segment), attempt + 1);
                    return;
                  }
                  ++stats_.streams_broken;
                  SendReset(pipe, from_side);
                  Fail(pipe, from_side,
                       absl::DeadlineExceededError(absl::StrCat(
                           "no answer from ", s.peer.ToString(), " after ",
                           params_.max_retransmits, " retransmissions")));
                });
}

void SimStreams::SendInSequence(const std::shared_ptr<Pipe>& pipe, int side,
                                Segment segment) {
  segment.seq = pipe->side[side].next_send_seq++;
  Transmit(pipe, side, std::move(segment), 0);
}

void SimStreams::SendReset(const std::shared_ptr<Pipe>& pipe, int side) {
  pipe->side[side].broken = true;
  ++stats_.resets_sent;
  Segment reset;
  reset.kind = Segment::Kind::kReset;
  Transmit(pipe, side, std::move(reset), 0);
}

void SimStreams::Fail(const std::shared_ptr<Pipe>& pipe, int side, absl::Status status) {
  Side& s = pipe->side[side];
  if (!s.open) return;
  s.open = false;
  s.connected = false;
  if (s.open_count != nullptr) --*s.open_count;
  s.open_count = nullptr;
  net::StreamConnection::ClosedHandler handler = std::move(s.on_closed);
  s.on_closed = nullptr;
  s.on_data = nullptr;
  if (handler) handler(status);
}

void SimStreams::Arrive(const std::shared_ptr<Pipe>& pipe, int to_side,
                        const Segment& segment) {
  Side& r = pipe->side[to_side];
  Digest& digest = network_->loop()->digest(network_->domain(r.host));
  digest.AddU64(0x7374);  // "st"
  digest.AddU64(static_cast<uint64_t>(segment.kind));
  digest.AddU64(segment.seq);
  switch (segment.kind) {
    case Segment::Kind::kSyn:
      OnSyn(pipe);
      return;
    case Segment::Kind::kReset:
      if (!r.exists || r.broken) return;
      r.broken = true;
      Fail(pipe, to_side,
           absl::UnavailableError(absl::StrCat(
               r.connected ? "connection reset by " : "connection refused by ",
               r.peer.ToString())));
      return;
    case Segment::Kind::kAck:
      r.unacked -= std::min(r.unacked, segment.acked);
      return;
    default:
      break;
  }
  if (!r.exists || r.broken) return;
  std::map<uint64_t, Segment>& reorder = pipe->reorder[to_side];
  reorder.emplace(segment.seq, segment);
  // In order: a segment that overtook a lost one waits for it.
  while (!r.broken) {
    auto it = reorder.find(r.next_receive_seq);
    if (it == reorder.end()) break;
    const Segment next = std::move(it->second);
    reorder.erase(it);
    ++r.next_receive_seq;
    Handle(pipe, to_side, next);
  }
}

void SimStreams::Handle(const std::shared_ptr<Pipe>& pipe, int side, const Segment& segment) {
  Side& r = pipe->side[side];
  switch (segment.kind) {
    case Segment::Kind::kSynAck: {
      r.connected = true;
      std::vector<std::vector<uint8_t>> queued = std::move(r.queued);
      r.queued.clear();
      for (std::vector<uint8_t>& bytes : queued) {
        Segment data;
        data.bytes = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
        SendInSequence(pipe, side, std::move(data));
      }
      if (r.fin_queued) {
        Segment fin;
        fin.kind = Segment::Kind::kFin;
        SendInSequence(pipe, side, std::move(fin));
      }
      return;
    }
    case Segment::Kind::kData: {
      const size_t n = segment.bytes->size();
      Segment ack;
      ack.kind = Segment::Kind::kAck;
      ack.acked = n;
      Transmit(pipe, side, std::move(ack), 0);
      if (!r.open) return;  // closed here: discarded
      if (r.received + n > r.limits.max_receive_bytes) {
        SendReset(pipe, side);
        Fail(pipe, side,
             absl::ResourceExhaustedError(absl::StrCat(
                 r.peer.ToString(), " sent more than ", r.limits.max_receive_bytes,
                 " bytes")));
        return;
      }
      r.received += n;
      // The handler may close or destroy the connection (`pipe` stays) or
      // replace the handler: it runs from a local copy.
      if (!r.on_data) return;
      net::StreamConnection::DataHandler handler = std::move(r.on_data);
      r.on_data = nullptr;
      handler(*segment.bytes);
      if (r.open && !r.on_data) r.on_data = std::move(handler);
      return;
    }
    case Segment::Kind::kFin:
      Fail(pipe, side, absl::OkStatus());
      return;
    default:
      return;
  }
}

void SimStreams::OnSyn(const std::shared_ptr<Pipe>& pipe) {
  Side& server = pipe->side[1];
  if (server.exists) return;
  Listener* listener = FindListener(server.host, server.local);
  if (listener == nullptr || !listener->handler_ ||
      *listener->open_count_ >= listener->limits_.max_connections) {
    if (listener != nullptr) ++listener->refused_;
    server.exists = true;
    SendReset(pipe, 1);
    return;
  }
  server.exists = true;
  server.limits = listener->limits_;
  server.open = true;
  server.connected = true;
  server.open_count = listener->open_count_;
  ++*server.open_count;
  Segment syn_ack;
  syn_ack.kind = Segment::Kind::kSynAck;
  SendInSequence(pipe, 1, std::move(syn_ack));
  // The handler may destroy the listener or replace the handler: it runs
  // from a local copy, put back if the listener is still there.
  net::StreamListener::AcceptHandler handler = std::move(listener->handler_);
  listener->handler_ = nullptr;
  handler(std::make_unique<Connection>(this, pipe, 1));
  if (Listener* still = FindListener(server.host, server.local);
      still == listener && !still->handler_) {
    still->handler_ = std::move(handler);
  }
}

}  // namespace sim
