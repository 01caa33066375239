#include "net/fake_network.h"

#include "absl/strings/str_cat.h"

namespace net {

class FakeNetwork::FakeSocket final : public DatagramSocket {
 public:
  FakeSocket(FakeNetwork* network, SocketAddress local)
      : network_(network), local_(local) {}
  ~FakeSocket() override { network_->sockets_.erase(local_); }

  SocketAddress local_address() const override { return local_; }
  absl::Status SendTo(absl::Span<const uint8_t> payload,
                      const SocketAddress& to) override {
    return network_->Send(this, payload, to);
  }
  void SetReceiveHandler(ReceiveHandler handler) override {
    handler_ = std::move(handler);
  }
  void Receive(const ReceivedDatagram& d) {
    if (handler_) handler_(d);
  }

 private:
  FakeNetwork* const network_;
  const SocketAddress local_;
  ReceiveHandler handler_;
};

FakeNetwork::~FakeNetwork() {
  for (const auto& [unused, id] : in_flight_) scheduler_->Cancel(id);
}

absl::StatusOr<std::unique_ptr<DatagramSocket>> FakeNetwork::Bind(
    const SocketAddress& local) {
  SocketAddress bound = local;
  if (bound.port() == 0) bound = SocketAddress(local.ip(), next_ephemeral_port_++);
  if (sockets_.contains(bound)) {
    return absl::AlreadyExistsError(
        absl::StrCat("bind ", bound.ToString(), ": Address already in use"));
  }
  auto socket = std::make_unique<FakeSocket>(this, bound);
  sockets_[bound] = socket.get();
  return std::unique_ptr<DatagramSocket>(std::move(socket));
}

absl::Status FakeNetwork::Send(FakeSocket* from, absl::Span<const uint8_t> payload,
                               const SocketAddress& to) {
  const SocketAddress source = from->local_address();
  if (to.ip().family() != source.ip().family()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot send to ", to.ToString(), " from ", source.ToString()));
  }
  std::vector<uint8_t> bytes(payload.begin(), payload.end());
  sent_.push_back(Sent{source, to, bytes, scheduler_->Now()});
  if (drop_all_) return absl::OkStatus();
  const uint64_t sequence = next_send_sequence_++;
  in_flight_[sequence] = scheduler_->RunAfter(
      delay_, [this, sequence, source, to, bytes = std::move(bytes)] {
        in_flight_.erase(sequence);
        Deliver(source, to, bytes);
      });
  return absl::OkStatus();
}

void FakeNetwork::Deliver(const SocketAddress& from, const SocketAddress& to,
                          const std::vector<uint8_t>& payload) {
  auto it = sockets_.find(to);
  if (it == sockets_.end()) {
    // Also accept a socket bound to the wildcard address on that port.
    const IpAddress any = to.ip().is_v4() ? IpAddress::AnyV4() : IpAddress::AnyV6();
    it = sockets_.find(SocketAddress(any, to.port()));
    if (it == sockets_.end()) return;  // nobody listening: dropped
  }
  ReceivedDatagram d;
  d.payload = absl::MakeConstSpan(payload);
  d.source = from;
  d.destination = to;
  auto clock = host_clocks_.find(to.ip());
  d.rx_time = clock != host_clocks_.end() ? clock->second->Now() : scheduler_->Now();
  d.rx_source = RxTimestampSource::kSimulated;
  it->second->Receive(d);
}

}  // namespace net
