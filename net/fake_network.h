// FakeNetwork: an in-memory Network for unit tests. Datagrams between sockets
// bound on the same FakeNetwork are delivered through a Scheduler after a
// fixed delay, stamped by the receiving host's Clock (or the scheduler's time
// if none was set). Every send is recorded; ports are never reused. The
// simulator's network model (sim/) is the full-fidelity version.
#ifndef NET_FAKE_NETWORK_H_
#define NET_FAKE_NETWORK_H_

#include <map>
#include <vector>

#include "clock/clock.h"
#include "clock/scheduler.h"
#include "net/network.h"

namespace net {

class FakeNetwork final : public Network {
 public:
  struct Sent {
    SocketAddress from;
    SocketAddress to;
    std::vector<uint8_t> payload;
    absl::Time sent_at;  // scheduler time
  };

  // REQUIRES: `scheduler` outlives this network and its sockets.
  explicit FakeNetwork(clocks::Scheduler* scheduler,
                       absl::Duration delay = absl::Milliseconds(1))
      : scheduler_(scheduler), delay_(delay) {}
  ~FakeNetwork() override;

  absl::StatusOr<std::unique_ptr<DatagramSocket>> Bind(
      const SocketAddress& local) override;

  // Stamps datagrams received at `host` with `clock->Now()`. REQUIRES:
  // `clock` outlives the network.
  void SetHostClock(const IpAddress& host, clocks::Clock* clock) {
    host_clocks_[host] = clock;
  }
  // While true, every datagram sent is recorded but dropped.
  void set_drop_all(bool drop) { drop_all_ = drop; }
  const std::vector<Sent>& sent() const { return sent_; }

 private:
  class FakeSocket;
  friend class FakeSocket;
  absl::Status Send(FakeSocket* from, absl::Span<const uint8_t> payload,
                    const SocketAddress& to);
  void Deliver(const SocketAddress& from, const SocketAddress& to,
               const std::vector<uint8_t>& payload);

  clocks::Scheduler* const scheduler_;
  const absl::Duration delay_;
  std::map<SocketAddress, FakeSocket*> sockets_;
  std::map<IpAddress, clocks::Clock*> host_clocks_;
  std::vector<Sent> sent_;
  std::map<uint64_t, clocks::TimerId> in_flight_;  // by send sequence
  uint64_t next_send_sequence_ = 0;
  uint16_t next_ephemeral_port_ = 40000;
  bool drop_all_ = false;
};

}  // namespace net

#endif  // NET_FAKE_NETWORK_H_
