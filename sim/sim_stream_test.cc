// The StreamNetwork contract (net/stream_contract.h) on simulated TCP, and
// what the model adds: link delay, loss, outages and determinism.
#include "sim/sim_stream.h"

#include <map>
#include <string>
#include <memory>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/stream_contract.h"
#include "ntp/testing/status_matchers.h"
#include "sim/oscillator.h"
#include "sim/sim_clock.h"

namespace sim {
namespace {

constexpr int64_t kMs = 1'000'000;

// Server "s" (10.0.0.2) and client "c" (10.0.0.3); links default to 1 ms.
class World {
 public:
  explicit World(uint64_t seed = 1, LinkParams link = LinkParams{.delay_s = 0.001},
                 const char* server_ip = "10.0.0.2", const char* client_ip = "10.0.0.3")
      : network_(&loop_, seed), streams_(&network_) {
    server_ = AddHost("s", server_ip);
    client_ = AddHost("c", client_ip);
    network_.SetLinkResolver([link](HostIndex, HostIndex) { return link; });
  }

  EventLoop& loop() { return loop_; }
  SimNetwork& network() { return network_; }
  SimStreams& streams() { return streams_; }
  HostIndex server() const { return server_; }
  HostIndex client() const { return client_; }

  bool RunUntil(absl::FunctionRef<bool()> done, int64_t limit_ns) {
    const int64_t deadline = loop_.now_ns() + limit_ns;
    while (!done()) {
      const std::optional<int64_t> next = loop_.NextEventTime();
      if (!next || *next > deadline) break;
      loop_.RunUntil(*next);
    }
    return done();
  }

 private:
  HostIndex AddHost(const char* name, const char* address) {
    oscillators_.push_back(std::make_unique<Oscillator>(OscillatorParams{}, 0));
    clocks_.push_back(std::make_unique<SimClock>(&loop_, oscillators_.back().get(),
                                                 SimClockParams{}, 0));
    const DomainId domain = loop_.AddDomain(name);
    auto h = network_.AddHost(name, domain, {*net::IpAddress::Parse(address)},
                              clocks_.back().get());
    EXPECT_THAT(h.status(), ::ntp::testing::IsOk());
    return *h;
  }

  EventLoop loop_;
  std::vector<std::unique_ptr<Oscillator>> oscillators_;
  std::vector<std::unique_ptr<SimClock>> clocks_;
  SimNetwork network_;
  SimStreams streams_;
  HostIndex server_ = -1;
  HostIndex client_ = -1;
};

class SimHarness final : public net::testing::StreamHarness {
 public:
  SimHarness(const char* server_ip, const char* client_ip)
      : world_(1, LinkParams{.delay_s = 0.001}, server_ip, client_ip),
        server_ip_(*net::IpAddress::Parse(server_ip)),
        client_ip_(*net::IpAddress::Parse(client_ip)) {}
  net::StreamNetwork& server() override { return *world_.streams().network(world_.server()); }
  net::StreamNetwork& client() override { return *world_.streams().network(world_.client()); }
  net::IpAddress server_ip() const override { return server_ip_; }
  net::IpAddress client_ip() const override { return client_ip_; }
  bool RunUntil(absl::FunctionRef<bool()> done, absl::Duration limit) override {
    return world_.RunUntil(done, absl::ToInt64Nanoseconds(limit));
  }

 private:
  World world_;
  const net::IpAddress server_ip_;
  const net::IpAddress client_ip_;
};

struct SimTraits {
  static constexpr const char* kName = "Sim";
  static std::unique_ptr<net::testing::StreamHarness> Make() {
    return std::make_unique<SimHarness>("10.0.0.2", "10.0.0.3");
  }
};

struct Sim6Traits {
  static constexpr const char* kName = "Sim6";
  static std::unique_ptr<net::testing::StreamHarness> Make() {
    return std::make_unique<SimHarness>("fd00::2", "fd00::3");
  }
};

using SimStreamTypes = ::testing::Types<SimTraits, Sim6Traits>;

}  // namespace
}  // namespace sim

namespace net::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Simulated, StreamContractTest, sim::SimStreamTypes,
                               StreamTraitsName);
}  // namespace net::testing

namespace sim {
namespace {

using net::testing::Pattern;
using net::testing::StreamLog;

// A server that records what it accepted, and a connected client.
struct Session {
  explicit Session(World& w, const net::StreamLimits& limits = {}) : world(w) {
    listener = *w.streams().network(w.server())->Listen(
        *net::SocketAddress::Parse("10.0.0.2:4460"), limits);
    listener->SetAcceptHandler([this](std::unique_ptr<net::StreamConnection> c) {
      accepted_at_ns = world.loop().now_ns();
      server_log.Attach(*c);
      server = std::move(c);
    });
    client = *w.streams().network(w.client())->Connect(
        net::IpAddress::AnyV4(), listener->local_address(), limits);
    client_log.Attach(*client);
  }
  World& world;
  std::unique_ptr<net::StreamListener> listener;
  std::unique_ptr<net::StreamConnection> server;
  std::unique_ptr<net::StreamConnection> client;
  StreamLog server_log;
  StreamLog client_log;
  int64_t accepted_at_ns = -1;
};

TEST(SimStreamTest, HandshakeAndBytesTakeTheLinkDelay) {
  World w(1, LinkParams{.delay_s = 0.020});
  Session s(w);
  ASSERT_THAT(s.client->Send(Pattern(100, 1)), ::ntp::testing::IsOk());
  EXPECT_EQ(s.client->local_address().ip(), *net::IpAddress::Parse("10.0.0.3"));
  ASSERT_TRUE(w.RunUntil([&] { return s.server_log.bytes.size() == 100; }, 10'000 * kMs));
  EXPECT_EQ(s.accepted_at_ns, 20 * kMs);  // SYN
  // SYN-ACK back (40 ms), then the queued bytes (60 ms).
  EXPECT_EQ(w.loop().now_ns(), 60 * kMs);
  EXPECT_EQ(w.streams().stats().retransmissions, 0u);
}

TEST(SimStreamTest, LossDelaysBytesButKeepsThemInOrder) {
  World w(7, LinkParams{.delay_s = 0.005, .loss = 0.3});
  net::StreamLimits limits;
  limits.max_receive_bytes = 1 << 20;
  limits.max_send_buffer_bytes = 1 << 20;
  Session s(w, limits);
  std::vector<uint8_t> all;
  for (int i = 0; i < 50; ++i) {
    const std::vector<uint8_t> piece = Pattern(100 + i, static_cast<uint8_t>(i));
    ASSERT_THAT(s.client->Send(piece), ::ntp::testing::IsOk());
    all.insert(all.end(), piece.begin(), piece.end());
  }
  s.client->Close();
  ASSERT_TRUE(w.RunUntil([&] { return s.server_log.closed.has_value(); }, 600'000 * kMs));
  EXPECT_EQ(s.server_log.bytes, all);
  EXPECT_THAT(*s.server_log.closed, ::ntp::testing::IsOk());
  EXPECT_GT(w.streams().stats().retransmissions, 5u);
  EXPECT_EQ(w.streams().stats().streams_broken, 0u);
  // Losses cost whole retransmission timeouts (1 s and up).
  EXPECT_GT(w.loop().now_ns(), 1'000 * kMs);
}

TEST(SimStreamTest, ShortOutageDelaysTheStream) {
  World w;
  Session s(w);
  ASSERT_TRUE(w.RunUntil([&] { return s.client->connected(); }, 1'000 * kMs));
  w.network().SetLinkDown(w.client(), w.server(), true);
  ASSERT_THAT(s.client->Send(Pattern(10, 1)), ::ntp::testing::IsOk());
  const int64_t sent_ns = w.loop().now_ns();
  w.RunUntil([] { return false; }, 2'500 * kMs);
  EXPECT_TRUE(s.server_log.bytes.empty());
  w.network().SetLinkDown(w.client(), w.server(), false);
  ASSERT_TRUE(w.RunUntil([&] { return s.server_log.bytes.size() == 10; }, 10'000 * kMs));
  // Lost at 0, 1 s and 3 s (RTO 1 s, 2 s); the retransmission at 3 s passes.
  EXPECT_EQ(w.loop().now_ns() - sent_ns, 3'000 * kMs + 1 * kMs);
  EXPECT_FALSE(s.client_log.closed.has_value());
}

TEST(SimStreamTest, LongOutageBreaksTheStream) {
  World w;
  Session s(w);
  ASSERT_TRUE(w.RunUntil([&] { return s.client->connected(); }, 1'000 * kMs));
  w.network().SetHostUp(w.server(), false);
  ASSERT_THAT(s.client->Send(Pattern(10, 1)), ::ntp::testing::IsOk());
  const int64_t sent_ns = w.loop().now_ns();
  ASSERT_TRUE(w.RunUntil([&] { return s.client_log.closed.has_value(); }, 600'000 * kMs));
  EXPECT_THAT(*s.client_log.closed,
              ::ntp::testing::StatusIs(absl::StatusCode::kDeadlineExceeded));
  // 1 + 2 + 4 + 8 + 16 + 32 s of timeouts (RFC 6298 doubling, 5 retransmissions).
  EXPECT_EQ(w.loop().now_ns() - sent_ns, 63'000 * kMs);
  EXPECT_EQ(w.streams().stats().streams_broken, 1u);
  EXPECT_FALSE(s.client->open());
}

TEST(SimStreamTest, AddressesMustBeTheHosts) {
  World w;
  net::StreamNetwork& server = *w.streams().network(w.server());
  EXPECT_THAT(server.Listen(*net::SocketAddress::Parse("10.0.0.3:4460"), {}).status(),
              ::ntp::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(server.Connect(*net::IpAddress::Parse("10.0.0.3"),
                             *net::SocketAddress::Parse("10.0.0.2:4460"), {})
                  .status(),
              ::ntp::testing::StatusIs(absl::StatusCode::kNotFound));
  // A wildcard listener takes connections to any of the host's addresses.
  auto any = server.Listen(*net::SocketAddress::Parse("0.0.0.0:4460"), {});
  ASSERT_THAT(any.status(), ::ntp::testing::IsOk());
  std::unique_ptr<net::StreamConnection> accepted;
  (*any)->SetAcceptHandler(
      [&](std::unique_ptr<net::StreamConnection> c) { accepted = std::move(c); });
  auto c = *w.streams().network(w.client())->Connect(
      net::IpAddress::AnyV4(), *net::SocketAddress::Parse("10.0.0.2:4460"), {});
  ASSERT_TRUE(w.RunUntil([&] { return accepted != nullptr; }, 1'000 * kMs));
  EXPECT_EQ(accepted->peer_address(), c->local_address());
}

TEST(SimStreamTest, ConnectingToAnAddressNobodyOwnsTimesOut) {
  World w;
  StreamLog log;
  auto c = *w.streams().network(w.client())->Connect(
      net::IpAddress::AnyV4(), *net::SocketAddress::Parse("10.9.9.9:4460"), {});
  log.Attach(*c);
  ASSERT_TRUE(w.RunUntil([&] { return log.closed.has_value(); }, 600'000 * kMs));
  EXPECT_THAT(*log.closed, ::ntp::testing::StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// Same seed, same world: the same arrival times and the same digest.
std::pair<std::vector<int64_t>, std::string> LossyRun(uint64_t seed) {
  World w(seed, LinkParams{.delay_s = 0.005,
                           .jitter = {.kind = JitterParams::Kind::kExponential,
                                      .scale_s = 0.002},
                           .loss = 0.2});
  Session s(w);
  std::vector<int64_t> arrivals;
  s.server_log.bytes.clear();
  for (int i = 0; i < 20; ++i) EXPECT_THAT(s.client->Send(Pattern(50, i)), ::ntp::testing::IsOk());
  size_t seen = 0;
  w.RunUntil(
      [&] {
        if (s.server_log.bytes.size() != seen) {
          seen = s.server_log.bytes.size();
          arrivals.push_back(w.loop().now_ns());
        }
        return seen == 1000;
      },
      600'000 * kMs);
  EXPECT_EQ(seen, 1000u);
  return {arrivals, w.loop().CombinedDigest().Hex()};
}

TEST(SimStreamTest, DeterministicForASeed) {
  const auto a = LossyRun(3);
  const auto b = LossyRun(3);
  EXPECT_EQ(a, b);
  const auto c = LossyRun(4);
  EXPECT_NE(a.first, c.first);
}

}  // namespace
}  // namespace sim
