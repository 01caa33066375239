// NTS-KE (RFC 8915 section 4) between two simulated hosts over simulated
// TCP (sim/sim_stream.h), moved by the executor's KeStreamServer and
// KeStreamClient (ntp/runtime/nts_ke_stream.h) on each host's own
// scheduler: what a scenario's NTS client does before its first packet.
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/nts/test_certs.h"
#include "ntp/runtime/nts_ke_stream.h"
#include "ntp/testing/status_matchers.h"
#include "sim/domain_scheduler.h"
#include "sim/oscillator.h"
#include "sim/sim_clock.h"
#include "sim/sim_network.h"
#include "sim/sim_stream.h"
#include "sim/sim_tls.h"

namespace sim {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

constexpr int64_t kMs = 1'000'000;

struct KeWorld {
  explicit KeWorld(LinkParams link) : network(&loop, 11), streams(&network) {
    for (const char* name : {"server", "client"}) {
      oscillators.push_back(std::make_unique<Oscillator>(OscillatorParams{}, 0));
      clocks.push_back(std::make_unique<SimClock>(&loop, oscillators.back().get(),
                                                  SimClockParams{}, 0));
      const DomainId domain = loop.AddDomain(name);
      schedulers.push_back(
          std::make_unique<DomainScheduler>(&loop, domain, absl::FromUnixSeconds(1000)));
      const char* ip = hosts.empty() ? "10.0.0.2" : "10.0.0.3";
      hosts.push_back(*network.AddHost(name, domain, {*net::IpAddress::Parse(ip)},
                                       clocks.back().get()));
    }
    network.SetLinkResolver([link](HostIndex, HostIndex) { return link; });
  }

  // Runs events until `done()` or the loop time `limit_ns`.
  bool RunUntil(absl::FunctionRef<bool()> done, int64_t limit_ns) {
    while (!done()) {
      const std::optional<int64_t> next = loop.NextEventTime();
      if (!next || *next > limit_ns) break;
      loop.RunUntil(*next);
    }
    return done();
  }

  EventLoop loop;
  SimNetwork network;
  SimStreams streams;
  std::vector<std::unique_ptr<Oscillator>> oscillators;
  std::vector<std::unique_ptr<SimClock>> clocks;
  std::vector<std::unique_ptr<DomainScheduler>> schedulers;
  std::vector<HostIndex> hosts;
};

class SimStreamKeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new ntp::nts::testing::TestCa(ntp::nts::testing::MakeTestCa("sim NTS CA"));
    leaf_ = new ntp::nts::testing::TestLeaf(
        ntp::nts::testing::MakeTestLeaf(*ca_, "ntp.test", "DNS:ntp.test"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete leaf_;
  }
  void SetUp() override {
    ASSERT_THAT(keyring_.Rotate(gen_), IsOk());
    server_ctx_.emplace(*ntp::nts::KeTlsContext::ForServer(leaf_->cert_pem, leaf_->key_pem));
    client_ctx_.emplace(*ntp::nts::KeTlsContext::ForClient(ca_->cert_pem));
  }

  // Runs one exchange through `world`; returns the client's result.
  std::optional<absl::StatusOr<ntp::nts::KeOutcome>> Exchange(KeWorld& world) {
    ntp::nts::KeServer ke_server(&*server_ctx_, &keyring_);
    ntp::runtime::KeStreamServer server(
        &ke_server, world.schedulers[0].get(), gen_,
        *world.streams.network(world.hosts[0])
             ->Listen(*net::SocketAddress::Parse("10.0.0.2:4460"), {}));
    ntp::runtime::KeStreamClient::Options options;
    options.server_name = "ntp.test";
    options.server = server.listener().local_address();
    // The test CA is valid around the wall clock's now (the simulated
    // clocks never enter TLS certificate checks).
    options.verify_time = absl::Now();
    options.timeout = absl::Seconds(120);
    std::optional<absl::StatusOr<ntp::nts::KeOutcome>> result;
    auto client = ntp::runtime::KeStreamClient::Start(
        world.streams.network(world.hosts[1]), world.schedulers[1].get(), *client_ctx_,
        options, [&](absl::StatusOr<ntp::nts::KeOutcome> r) { result = std::move(r); });
    EXPECT_THAT(client.status(), IsOk());
    const int64_t limit = world.loop.now_ns() + 600'000 * kMs;
    world.RunUntil([&] { return result.has_value(); }, limit);
    EXPECT_TRUE(world.RunUntil([&] { return server.open_streams() == 0; }, limit));
    completed_ = ke_server.counters().completed;
    return result;
  }

  static ntp::nts::testing::TestCa* ca_;
  static ntp::nts::testing::TestLeaf* leaf_;
  absl::BitGen gen_;
  ntp::nts::CookieKeyring keyring_;
  std::optional<ntp::nts::KeTlsContext> server_ctx_;
  std::optional<ntp::nts::KeTlsContext> client_ctx_;
  uint64_t completed_ = 0;
};

ntp::nts::testing::TestCa* SimStreamKeTest::ca_ = nullptr;
ntp::nts::testing::TestLeaf* SimStreamKeTest::leaf_ = nullptr;

TEST_F(SimStreamKeTest, ExchangeTakesTheLinkRoundTrips) {
  KeWorld world(LinkParams{.delay_s = 0.010});
  auto result = Exchange(world);
  ASSERT_TRUE(result.has_value());
  ASSERT_THAT(result->status(), IsOk());
  EXPECT_EQ((*result)->cookies.size(), ntp::nts::kMaxCookies);
  EXPECT_EQ(completed_, 1u);
  // TCP handshake, TLS 1.3 (one round trip), request and response: at
  // least 3 round trips of 20 ms, and no losses to wait for.
  EXPECT_GE(world.loop.now_ns(), 60 * kMs);
  EXPECT_LT(world.loop.now_ns(), 200 * kMs);
  EXPECT_EQ(world.streams.stats().retransmissions, 0u);
}

TEST_F(SimStreamKeTest, ExchangesSurviveALossyLink) {
  KeWorld world(LinkParams{.delay_s = 0.010, .loss = 0.3});
  for (int i = 0; i < 5; ++i) {
    auto result = Exchange(world);
    ASSERT_TRUE(result.has_value()) << "exchange " << i;
    ASSERT_THAT(result->status(), IsOk()) << "exchange " << i;
    EXPECT_EQ((*result)->cookies.size(), ntp::nts::kMaxCookies);
  }
  // Let the last closing segments settle, then count what the losses cost.
  world.RunUntil([] { return false; }, world.loop.now_ns() + 600'000 * kMs);
  EXPECT_GT(world.network.link(world.hosts[1], world.hosts[0])->stats().lost +
                world.network.link(world.hosts[0], world.hosts[1])->stats().lost,
            0u);
  EXPECT_GT(world.streams.stats().retransmissions, 0u);
  EXPECT_EQ(world.streams.stats().streams_broken, 0u);
}

TEST_F(SimStreamKeTest, ServerDownTimesTheClientOut) {
  KeWorld world(LinkParams{.delay_s = 0.010});
  world.network.SetHostUp(world.hosts[0], false);
  auto result = Exchange(world);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(result->status())) << result->status();
  EXPECT_EQ(completed_, 0u);
}

// With seeded OpenSSL contexts (sim/sim_tls.h) for the certificates and both
// ends, and a seeded generator for the cookies, an exchange is the same
// bytes every time: what a scenario's digest needs.
absl::StatusOr<ntp::nts::KeOutcome> SeededExchange(uint64_t seed) {
  KeWorld world(LinkParams{.delay_s = 0.010, .loss = 0.2});
  const absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  auto server_tls = *SimTlsLibrary::Create(seed);
  auto client_tls = *SimTlsLibrary::Create(seed + 1);
  const SimCredentials ca = *MakeSimCa(*server_tls, "sim CA", start, start + absl::Hours(48));
  const SimCredentials leaf = *MakeSimServerCert(*server_tls, ca, "ntp.test", "DNS:ntp.test",
                                                 start, start + absl::Hours(48));
  auto server_ctx =
      *ntp::nts::KeTlsContext::ForServer(leaf.cert_pem, leaf.key_pem, server_tls->get());
  auto client_ctx = *ntp::nts::KeTlsContext::ForClient(ca.cert_pem, true, client_tls->get());
  std::mt19937_64 gen(seed);
  ntp::nts::CookieKeyring keyring;
  EXPECT_THAT(keyring.Rotate(gen), IsOk());
  ntp::nts::KeServer ke_server(&server_ctx, &keyring);
  ntp::runtime::KeStreamServer server(
      &ke_server, world.schedulers[0].get(), gen,
      *world.streams.network(world.hosts[0])
           ->Listen(*net::SocketAddress::Parse("10.0.0.2:4460"), {}));
  ntp::runtime::KeStreamClient::Options options;
  options.server_name = "ntp.test";
  options.server = server.listener().local_address();
  options.verify_time = start + absl::Hours(1);
  options.timeout = absl::Seconds(120);
  std::optional<absl::StatusOr<ntp::nts::KeOutcome>> result;
  auto client = ntp::runtime::KeStreamClient::Start(
      world.streams.network(world.hosts[1]), world.schedulers[1].get(), client_ctx, options,
      [&](absl::StatusOr<ntp::nts::KeOutcome> r) { result = std::move(r); });
  EXPECT_THAT(client.status(), IsOk());
  world.RunUntil([&] { return result.has_value(); }, 600'000 * kMs);
  if (!result.has_value()) return absl::DeadlineExceededError("no result");
  return *std::move(result);
}

TEST(SimTlsTest, SeededExchangesRepeatByteForByte) {
  absl::StatusOr<ntp::nts::KeOutcome> a = SeededExchange(7);
  absl::StatusOr<ntp::nts::KeOutcome> b = SeededExchange(7);
  absl::StatusOr<ntp::nts::KeOutcome> c = SeededExchange(8);
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(a->keys, b->keys);
  EXPECT_EQ(a->cookies, b->cookies);
  EXPECT_FALSE(a->keys == c->keys);
}

TEST(SimTlsTest, CertificatesRepeatForASeed) {
  const absl::Time t = absl::FromUnixSeconds(1'700'000'000);
  auto one = *SimTlsLibrary::Create(1);
  auto again = *SimTlsLibrary::Create(1);
  auto other = *SimTlsLibrary::Create(2);
  const SimCredentials a = *MakeSimCa(*one, "CA", t, t + absl::Hours(1));
  const SimCredentials b = *MakeSimCa(*again, "CA", t, t + absl::Hours(1));
  const SimCredentials c = *MakeSimCa(*other, "CA", t, t + absl::Hours(1));
  EXPECT_EQ(a.cert_pem, b.cert_pem);
  EXPECT_EQ(a.key_pem, b.key_pem);
  EXPECT_NE(a.key_pem, c.key_pem);
  // The server refuses a key that is not the certificate's.
  const SimCredentials leaf =
      *MakeSimServerCert(*one, a, "s", "DNS:s", t, t + absl::Hours(1));
  EXPECT_THAT(ntp::nts::KeTlsContext::ForServer(leaf.cert_pem, a.key_pem, one->get()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ntp::nts::KeTlsContext::ForServer(leaf.cert_pem, leaf.key_pem, one->get()).status(),
              IsOk());
}

}  // namespace
}  // namespace sim
