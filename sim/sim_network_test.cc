#include "sim/sim_network.h"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "sim/oscillator.h"
#include "sim/sim_clock.h"

namespace sim {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

constexpr int64_t kMs = 1'000'000;

net::IpAddress Ip(const char* text) { return *net::IpAddress::Parse(text); }

struct Arrival {
  int64_t t_ns;
  absl::Time rx_time;
  net::SocketAddress source;
  std::vector<uint8_t> payload;
};

// Hosts "a" (10.0.0.1, fd00::1), "b" (10.0.0.2, fd00::2) and "c" (10.0.0.3).
struct World {
  explicit World(uint64_t seed = 1) : network(&loop, seed) {
    AddHost("a", {"10.0.0.1", "fd00::1"}, 0);
    AddHost("b", {"10.0.0.2", "fd00::2"}, 0.25);  // b's clock is 250 ms ahead
    AddHost("c", {"10.0.0.3"}, 0);
    network.SetLinkResolver([this](HostIndex from, HostIndex to) {
      auto it = links.find({from, to});
      return it == links.end() ? LinkParams{.delay_s = 0.001} : it->second;
    });
  }

  void AddHost(const char* name, std::vector<const char*> addresses, double offset_s) {
    oscillators.push_back(std::make_unique<Oscillator>(OscillatorParams{}, 0));
    clocks.push_back(std::make_unique<SimClock>(
        &loop, oscillators.back().get(), SimClockParams{.initial_offset_s = offset_s}, 0));
    std::vector<net::IpAddress> ips;
    for (const char* a : addresses) ips.push_back(Ip(a));
    const DomainId domain = loop.AddDomain(name);
    auto h = network.AddHost(name, domain, ips, clocks.back().get());
    EXPECT_THAT(h.status(), IsOk());
  }

  std::unique_ptr<net::DatagramSocket> Bind(HostIndex host, const char* address) {
    auto socket = network.network(host)->Bind(*net::SocketAddress::Parse(address));
    EXPECT_THAT(socket.status(), IsOk());
    return *std::move(socket);
  }

  void Listen(net::DatagramSocket* socket, std::vector<Arrival>* out) {
    socket->SetReceiveHandler([this, out](const net::ReceivedDatagram& d) {
      EXPECT_EQ(d.rx_source, net::RxTimestampSource::kSimulated);
      out->push_back(Arrival{loop.now_ns(), d.rx_time, d.source,
                             std::vector<uint8_t>(d.payload.begin(), d.payload.end())});
    });
  }

  // Sends `n` datagrams 1 s apart from a:5000 to b:123 (payload: the index,
  // 4 bytes) and returns the one-way delays seen (ns), in arrival order.
  std::vector<int64_t> Delays(const LinkParams& params, int n, int* received = nullptr) {
    links[{0, 1}] = params;
    auto tx = Bind(0, "10.0.0.1:5000");
    auto rx = Bind(1, "10.0.0.2:123");
    std::vector<Arrival> arrivals;
    Listen(rx.get(), &arrivals);
    for (int i = 0; i < n; ++i) {
      loop.Schedule(int64_t{i} * 1'000'000'000, 1, Phase::kNormal, [&tx, i] {
        uint8_t bytes[4];
        std::memcpy(bytes, &i, 4);
        EXPECT_THAT(tx->SendTo(bytes, *net::SocketAddress::Parse("10.0.0.2:123")), IsOk());
      });
    }
    loop.RunUntil(int64_t{n + 100} * 1'000'000'000);
    std::vector<int64_t> delays;
    for (const Arrival& a : arrivals) {
      int i;
      std::memcpy(&i, a.payload.data(), 4);
      delays.push_back(a.t_ns - int64_t{i} * 1'000'000'000);
    }
    if (received != nullptr) *received = static_cast<int>(arrivals.size());
    return delays;
  }

  EventLoop loop;
  SimNetwork network;
  std::vector<std::unique_ptr<Oscillator>> oscillators;
  std::vector<std::unique_ptr<SimClock>> clocks;
  std::map<std::pair<HostIndex, HostIndex>, LinkParams> links;
};

class NetworkTest : public ::testing::Test {
 protected:
  std::unique_ptr<net::DatagramSocket> Bind(HostIndex host, const char* address) {
    return w_.Bind(host, address);
  }
  void Listen(net::DatagramSocket* socket, std::vector<Arrival>* out) { w_.Listen(socket, out); }
  std::vector<int64_t> Delays(const LinkParams& params, int n, int* received = nullptr) {
    return w_.Delays(params, n, received);
  }

  World w_;
  EventLoop& loop_ = w_.loop;
  SimNetwork& network_ = w_.network;
};

TEST_F(NetworkTest, DeliversAfterTheDelayStampedByTheReceiversClock) {
  auto a = Bind(0, "10.0.0.1:0");
  auto b = Bind(1, "10.0.0.2:123");
  std::vector<Arrival> arrivals;
  Listen(b.get(), &arrivals);
  loop_.Schedule(5 * kMs, 1, Phase::kNormal, [&] {
    const std::vector<uint8_t> payload = {1, 2, 3};
    EXPECT_THAT(a->SendTo(payload, *net::SocketAddress::Parse("10.0.0.2:123")), IsOk());
  });
  loop_.RunUntil(100 * kMs);
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0].t_ns, 6 * kMs);
  EXPECT_EQ(arrivals[0].rx_time, absl::FromUnixSeconds(1704067200) +
                                     absl::Milliseconds(6) + absl::Milliseconds(250));
  EXPECT_EQ(arrivals[0].source, a->local_address());
  EXPECT_EQ(arrivals[0].payload, (std::vector<uint8_t>{1, 2, 3}));
}

TEST_F(NetworkTest, BindRules) {
  auto a = Bind(0, "10.0.0.1:123");
  EXPECT_THAT(network_.network(0)->Bind(*net::SocketAddress::Parse("10.0.0.1:123")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(network_.network(0)->Bind(*net::SocketAddress::Parse("10.0.0.2:123")),
              StatusIs(absl::StatusCode::kNotFound));
  auto e1 = Bind(0, "10.0.0.1:0");
  auto e2 = Bind(0, "10.0.0.1:0");
  EXPECT_NE(e1->local_address().port(), 0);
  EXPECT_NE(e1->local_address().port(), e2->local_address().port());
  // Closing frees the port.
  const net::SocketAddress freed = a->local_address();
  a.reset();
  EXPECT_THAT(network_.network(0)->Bind(freed), IsOk());
}

TEST_F(NetworkTest, WildcardSocketsAndIpv6) {
  auto listener = Bind(1, "[::]:123");
  std::vector<Arrival> arrivals;
  Listen(listener.get(), &arrivals);
  auto sender = Bind(0, "[::]:0");
  loop_.Schedule(0, 1, Phase::kNormal, [&] {
    const std::vector<uint8_t> payload = {9};
    EXPECT_THAT(sender->SendTo(payload, *net::SocketAddress::Parse("[fd00::2]:123")), IsOk());
    EXPECT_THAT(sender->SendTo(payload, *net::SocketAddress::Parse("10.0.0.2:123")),
                StatusIs(absl::StatusCode::kInvalidArgument));
  });
  loop_.RunUntil(10 * kMs);
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0].source.ip(), Ip("fd00::1"));  // the host's v6 address
}

TEST_F(NetworkTest, UnknownDestinationsAndClosedPortsAreDropped) {
  auto a = Bind(0, "10.0.0.1:0");
  std::vector<PacketTrace> drops;
  network_.SetTraceCallback([&](const PacketTrace& t) {
    if (t.kind == PacketTrace::Kind::kDropped) drops.push_back(t);
  });
  loop_.Schedule(0, 1, Phase::kNormal, [&] {
    const std::vector<uint8_t> payload = {1};
    EXPECT_THAT(a->SendTo(payload, *net::SocketAddress::Parse("10.9.9.9:123")), IsOk());
    EXPECT_THAT(a->SendTo(payload, *net::SocketAddress::Parse("10.0.0.2:999")), IsOk());
  });
  loop_.RunUntil(10 * kMs);
  ASSERT_EQ(drops.size(), 2u);
  EXPECT_EQ(drops[0].drop_reason, "no route");
  EXPECT_EQ(drops[1].drop_reason, "port unreachable");
}

TEST_F(NetworkTest, ExponentialJitterHasItsMean) {
  const auto delays = Delays({.delay_s = 0.002,
                              .jitter = {.kind = JitterParams::Kind::kExponential,
                                         .scale_s = 0.0005}},
                             4000);
  ASSERT_EQ(delays.size(), 4000u);
  double sum = 0;
  for (int64_t d : delays) {
    EXPECT_GE(d, 2 * kMs);
    sum += (d - 2 * kMs) * 1e-9;
  }
  EXPECT_NEAR(sum / delays.size(), 0.0005, 4 * 0.0005 / std::sqrt(4000.0));
}

TEST_F(NetworkTest, UniformJitterStaysInItsRange) {
  const auto delays = Delays(
      {.delay_s = 0.001, .jitter = {.kind = JitterParams::Kind::kUniform, .scale_s = 0.001}},
      3000);
  double sum = 0;
  for (int64_t d : delays) {
    EXPECT_GE(d, 1 * kMs);
    EXPECT_LE(d, 2 * kMs);
    sum += d * 1e-9;
  }
  EXPECT_NEAR(sum / delays.size(), 0.0015, 4 * 0.001 / std::sqrt(12.0 * 3000));
}

TEST_F(NetworkTest, NormalJitterHasItsStandardDeviation) {
  const auto delays = Delays(
      {.delay_s = 0.01, .jitter = {.kind = JitterParams::Kind::kNormal, .scale_s = 0.001}},
      4000);
  double sum = 0, sum_sq = 0;
  for (int64_t d : delays) {
    sum += d * 1e-9;
    sum_sq += d * 1e-9 * d * 1e-9;
  }
  const double mean = sum / delays.size();
  const double sd = std::sqrt(sum_sq / delays.size() - mean * mean);
  EXPECT_NEAR(mean, 0.01, 4 * 0.001 / std::sqrt(4000.0));
  EXPECT_NEAR(sd / 0.001, 1.0, 0.06);
}

TEST_F(NetworkTest, ParetoJitterIsHeavyTailed) {
  const auto delays = Delays({.delay_s = 0.001,
                              .jitter = {.kind = JitterParams::Kind::kPareto,
                                         .scale_s = 0.001,
                                         .shape = 3}},
                             5000);
  // P(X > x) = (1 + x/scale)^-shape: P(X > 1 ms) = 1/8, P(X > 3 ms) = 1/64.
  int above_1 = 0, above_3 = 0;
  for (int64_t d : delays) {
    above_1 += d - kMs > kMs ? 1 : 0;
    above_3 += d - kMs > 3 * kMs ? 1 : 0;
  }
  EXPECT_NEAR(above_1 / 5000.0, 1.0 / 8, 4 * std::sqrt(0.125 * 0.875 / 5000));
  EXPECT_NEAR(above_3 / 5000.0, 1.0 / 64, 4 * std::sqrt(1.0 / 64 / 5000));
}

TEST_F(NetworkTest, LossRateMatches) {
  int received = 0;
  Delays({.delay_s = 0.001, .loss = 0.2}, 5000, &received);
  EXPECT_NEAR(received / 5000.0, 0.8, 4 * std::sqrt(0.16 / 5000));
  EXPECT_EQ(network_.link(0, 1)->stats().sent, 5000u);
  EXPECT_EQ(network_.link(0, 1)->stats().lost, 5000u - received);
}

TEST_F(NetworkTest, DuplicationAndReordering) {
  int received = 0;
  const auto delays = Delays({.delay_s = 0.001,
                              .duplicate = 0.1,
                              .reorder = 0.05,
                              .reorder_delay_s = 1.5},
                             4000, &received);
  EXPECT_NEAR(received / 4000.0, 1.1, 4 * std::sqrt(0.09 / 4000));
  int held = 0;
  for (int64_t d : delays) held += d > 1'000'000'000 ? 1 : 0;
  EXPECT_NEAR(held / 4000.0, 0.05, 4 * std::sqrt(0.05 * 0.95 / 4000));
}

TEST_F(NetworkTest, QueueingSpikesRaiseTheDelayForTheirFraction) {
  // Rate 0.01/s, 10 s episodes: busy fraction 10 / (100 + 10) ~ 9.1%.
  const auto delays = Delays({.delay_s = 0.001,
                              .spike_rate_per_s = 0.01,
                              .spike_duration_s = 10,
                              .spike_delay_s = 0.1},
                             20000);
  int raised = 0;
  double max_delay = 0;
  for (int64_t d : delays) {
    raised += d > kMs ? 1 : 0;
    max_delay = std::max(max_delay, d * 1e-9);
  }
  EXPECT_NEAR(raised / 20000.0, 10.0 / 110, 0.03);
  EXPECT_LE(max_delay, 0.101);
  EXPECT_GT(max_delay, 0.08);
}

TEST_F(NetworkTest, FaultsBlockAndDelay) {
  auto a = Bind(0, "10.0.0.1:0");
  auto b = Bind(1, "10.0.0.2:123");
  std::vector<Arrival> arrivals;
  Listen(b.get(), &arrivals);
  auto send_at = [&](int64_t t) {
    loop_.Schedule(t, 1, Phase::kNormal, [&] {
      const std::vector<uint8_t> payload = {1};
      EXPECT_THAT(a->SendTo(payload, *net::SocketAddress::Parse("10.0.0.2:123")), IsOk());
    });
  };
  send_at(0);
  loop_.RunUntil(10 * kMs);
  network_.SetLinkDown(0, 1, true);
  send_at(20 * kMs);
  loop_.RunUntil(30 * kMs);
  network_.SetLinkDown(0, 1, false);
  network_.SetPartition({0, 1, 1});
  send_at(40 * kMs);
  loop_.RunUntil(50 * kMs);
  network_.SetPartition({});
  network_.AddRouteDelay(0, 1, 0.005);
  send_at(60 * kMs);
  loop_.RunUntil(70 * kMs);
  network_.SetHostUp(1, false);
  send_at(80 * kMs);
  loop_.RunUntil(90 * kMs);
  network_.SetHostUp(1, true);
  ASSERT_EQ(arrivals.size(), 2u);
  EXPECT_EQ(arrivals[0].t_ns, 1 * kMs);
  EXPECT_EQ(arrivals[1].t_ns, 66 * kMs);  // 1 ms + 5 ms route change
}

TEST_F(NetworkTest, SelfAddressedTrafficUsesTheLoopbackDelay) {
  auto a = Bind(0, "10.0.0.1:123");
  auto a2 = Bind(0, "10.0.0.1:0");
  std::vector<Arrival> arrivals;
  Listen(a.get(), &arrivals);
  loop_.Schedule(0, 1, Phase::kNormal, [&] {
    const std::vector<uint8_t> payload = {1};
    EXPECT_THAT(a2->SendTo(payload, a->local_address()), IsOk());
  });
  loop_.RunUntil(kMs);
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0].t_ns, 10'000);
}

TEST_F(NetworkTest, LinkStreamsAreIndependentOfOtherLinks) {
  // Delays a->b are the same whether or not c also talks to b.
  const LinkParams jittery{.delay_s = 0.001,
                           .jitter = {.kind = JitterParams::Kind::kExponential,
                                      .scale_s = 0.001}};
  const auto alone = Delays(jittery, 50);
  World other;  // a fresh world where c also sends to b first
  other.links[{2, 1}] = jittery;
  auto c = other.Bind(2, "10.0.0.3:0");
  for (int i = 0; i < 30; ++i) {
    other.loop.Schedule(int64_t{i} * 1000, 3, Phase::kNormal, [&] {
      const std::vector<uint8_t> payload = {1};
      EXPECT_THAT(c->SendTo(payload, *net::SocketAddress::Parse("10.0.0.2:7")), IsOk());
    });
  }
  const auto with_other = other.Delays(jittery, 50);
  EXPECT_EQ(alone, with_other);
}

TEST(NetworkStatisticsTest, LossAndDelayMatchTheirParametersAcrossSeeds) {
  // 40 seeds x 250 datagrams: per-seed loss rates and mean exponential
  // jitter scatter around the parameters as sampling theory says.
  constexpr int kSeeds = 40, kPackets = 250;
  const LinkParams params{.delay_s = 0.001,
                          .jitter = {.kind = JitterParams::Kind::kExponential,
                                     .scale_s = 0.002},
                          .loss = 0.3};
  double loss_sum = 0, jitter_sum = 0;
  int delivered = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    World w(static_cast<uint64_t>(seed) * 7919 + 1);
    int received = 0;
    for (int64_t d : w.Delays(params, kPackets, &received)) jitter_sum += (d - kMs) * 1e-9;
    loss_sum += 1.0 - received / double{kPackets};
    delivered += received;
  }
  const double n = kSeeds * kPackets;
  EXPECT_NEAR(loss_sum / kSeeds, 0.3, 4 * std::sqrt(0.3 * 0.7 / n));
  EXPECT_NEAR(jitter_sum / delivered, 0.002, 4 * 0.002 / std::sqrt(delivered));
}

TEST_F(NetworkTest, AddressesAreUnique) {
  const DomainId d = loop_.AddDomain("dup");
  EXPECT_THAT(network_.AddHost("dup", d, {Ip("10.0.0.1")}, nullptr),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(network_.AddHost("dup", d, {Ip("0.0.0.0")}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace

TEST_F(NetworkTest, SpoofedSourceCrossesTheAttackersLink) {
  auto b = Bind(1, "10.0.0.2:123");
  std::vector<Arrival> arrivals;
  Listen(b.get(), &arrivals);
  w_.links[{2, 1}] = LinkParams{.delay_s = 0.003};
  loop_.Schedule(0, 2, Phase::kNormal, [&] {
    const std::vector<uint8_t> payload = {9};
    // c claims to be a:123.
    EXPECT_THAT(network_.SendSpoofed(2, *net::SocketAddress::Parse("10.0.0.1:123"), payload,
                                     *net::SocketAddress::Parse("10.0.0.2:123")),
                IsOk());
  });
  loop_.RunUntil(100 * kMs);
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_EQ(arrivals[0].t_ns, 3 * kMs);  // c's link, not a's
  EXPECT_EQ(arrivals[0].source, *net::SocketAddress::Parse("10.0.0.1:123"));
}

TEST_F(NetworkTest, TapSeesTheVictimsTrafficBothWaysButNotItsOwn) {
  auto a = Bind(0, "10.0.0.1:5000");
  auto b = Bind(1, "10.0.0.2:123");
  std::vector<TappedDatagram> seen;
  network_.SetTap(2, 0, 0.0005, [&](const TappedDatagram& d) { seen.push_back(d); });
  loop_.Schedule(0, 0, Phase::kNormal, [&] {
    EXPECT_THAT(a->SendTo(std::vector<uint8_t>{1}, *net::SocketAddress::Parse("10.0.0.2:123")),
                IsOk());
  });
  loop_.Schedule(10 * kMs, 1, Phase::kNormal, [&] {
    EXPECT_THAT(b->SendTo(std::vector<uint8_t>{2}, *net::SocketAddress::Parse("10.0.0.1:5000")),
                IsOk());
  });
  loop_.Schedule(20 * kMs, 2, Phase::kNormal, [&] {
    EXPECT_THAT(network_.SendSpoofed(2, *net::SocketAddress::Parse("10.0.0.2:123"),
                                     std::vector<uint8_t>{3},
                                     *net::SocketAddress::Parse("10.0.0.1:5000")),
                IsOk());
  });
  loop_.RunUntil(100 * kMs);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].payload, std::vector<uint8_t>{1});
  EXPECT_EQ(seen[1].payload, std::vector<uint8_t>{2});
  network_.SetTap(2, -1, 0, nullptr);
  loop_.Schedule(200 * kMs, 0, Phase::kNormal, [&] {
    EXPECT_THAT(a->SendTo(std::vector<uint8_t>{4}, *net::SocketAddress::Parse("10.0.0.2:123")),
                IsOk());
  });
  loop_.RunUntil(300 * kMs);
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(NetworkTest, CorruptAndTruncateDamageEveryDatagram) {
  std::vector<uint8_t> sent(48);
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<uint8_t>(i);
  w_.links[{0, 1}] = LinkParams{.delay_s = 0.001, .corrupt = 1};
  auto a = Bind(0, "10.0.0.1:5000");
  auto b = Bind(1, "10.0.0.2:123");
  std::vector<Arrival> arrivals;
  Listen(b.get(), &arrivals);
  for (int i = 0; i < 20; ++i) {
    loop_.Schedule(i * kMs, 0, Phase::kNormal, [&] {
      EXPECT_THAT(a->SendTo(sent, *net::SocketAddress::Parse("10.0.0.2:123")), IsOk());
    });
  }
  loop_.RunUntil(100 * kMs);
  ASSERT_EQ(arrivals.size(), 20u);
  for (const Arrival& r : arrivals) {
    ASSERT_EQ(r.payload.size(), sent.size());
    int bits = 0;
    for (size_t i = 0; i < sent.size(); ++i) bits += __builtin_popcount(r.payload[i] ^ sent[i]);
    EXPECT_EQ(bits, 1);  // exactly one bit flipped
  }
  EXPECT_EQ(network_.link(0, 1)->stats().corrupted, 20u);

  w_.links[{0, 2}] = LinkParams{.delay_s = 0.001, .truncate = 1};
  auto c = Bind(2, "10.0.0.3:123");
  std::vector<Arrival> cut;
  Listen(c.get(), &cut);
  for (int i = 0; i < 20; ++i) {
    loop_.Schedule(200 * kMs + i * kMs, 0, Phase::kNormal, [&] {
      EXPECT_THAT(a->SendTo(sent, *net::SocketAddress::Parse("10.0.0.3:123")), IsOk());
    });
  }
  loop_.RunUntil(300 * kMs);
  ASSERT_EQ(cut.size(), 20u);
  for (const Arrival& r : cut) {
    EXPECT_LT(r.payload.size(), sent.size());
    EXPECT_TRUE(std::equal(r.payload.begin(), r.payload.end(), sent.begin()));
  }
}

}  // namespace sim
