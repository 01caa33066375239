// The client plugged into a real ntp::Host: a server Host serving its LOCAL
// clock at stratum 10 (the seed topology) and a client Host configured with
// `server SERVER prefer iburst`, on a FakeNetwork and FakeClocks.
#include "ntp/client/host_client.h"

#include <cmath>
#include <string>

#include "clock/fake_clock.h"
#include "clock/manual_scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fake_network.h"
#include "ntp/client/memory_drift_store.h"
#include "ntp/config/parser.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;

// Advances the scheduler and both FakeClocks (which count true time)
// together, so that timers and clock readings stay consistent.
void RunFor(clocks::ManualScheduler& scheduler, clocks::FakeClock& a, clocks::FakeClock& b,
            double seconds) {
  const absl::Time end = scheduler.Now() + absl::Seconds(seconds);
  while (scheduler.Now() < end) {
    absl::Time next = std::min(end, scheduler.Now() + absl::Milliseconds(100));
    if (auto due = scheduler.NextDue(); due.has_value() && *due < next) next = *due;
    a.Advance(next - scheduler.Now());
    b.Advance(next - scheduler.Now());
    scheduler.AdvanceTo(next);
  }
}

NtpConfig Parse(const std::string& text) {
  ParsedConfig parsed = ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config;
}

class Sink final : public EventSink {
 public:
  void OnEvent(const Event& e) override { events.push_back(e); }
  std::vector<Event> events;
};

TEST(ClientOptionsFromConfigTest, MapsServersTinkerTosAndFlags) {
  NtpConfig config = Parse(
      "server 10.0.0.1 prefer iburst minpoll 4 maxpoll 8 version 3\n"
      "server 10.0.0.2 noselect true burst\n"
      "server ntp.example.com\n"
      "peer 10.0.0.9\n"
      "server 127.127.1.0\n"
      "tinker step 0.5 stepout 600 panic 0\n"
      "tos minsane 2 minclock 4 maxclock 7 maxdist 2\n");
  HostOptions host_options;
  host_options.allow_big_first_step = true;
  host_options.never_step = true;
  ClientConfigResult r = ClientOptionsFromConfig(config, host_options, 42);
  ASSERT_EQ(r.options.servers.size(), 2u);
  const AssociationConfig& a = r.options.servers[0];
  EXPECT_EQ(a.server.ToString(), "10.0.0.1:123");
  EXPECT_TRUE(a.prefer);
  EXPECT_TRUE(a.iburst);
  EXPECT_EQ(a.minpoll, 4);
  EXPECT_EQ(a.maxpoll, 8);
  EXPECT_EQ(a.version, 3);
  EXPECT_TRUE(r.options.servers[1].noselect);
  EXPECT_TRUE(r.options.servers[1].truechimer);
  EXPECT_TRUE(r.options.servers[1].burst);
  EXPECT_EQ(r.warnings.size(), 2u);  // the host name and the peer line
  EXPECT_DOUBLE_EQ(r.options.discipline.step_threshold_seconds, 0.5);
  EXPECT_DOUBLE_EQ(r.options.discipline.stepout_seconds, 600);
  EXPECT_DOUBLE_EQ(r.options.discipline.panic_threshold_seconds, 0);
  EXPECT_TRUE(r.options.discipline.allow_big_first_step);
  EXPECT_TRUE(r.options.discipline.never_step);
  EXPECT_EQ(r.options.minsane, 2);
  EXPECT_EQ(r.options.minclock, 4);
  EXPECT_EQ(r.options.maxclock, 7);
  EXPECT_DOUBLE_EQ(r.options.maxdist_seconds, 2.0);
  EXPECT_EQ(r.options.random_seed, 42u);
}

// FakeClock has no oscillator error; the client starts 0.3 s behind, so it
// must step once, then follow the LOCAL-clock server (which becomes
// synchronised after ntpd's 300 s orphan wait).
TEST(HostClientTest, SeedTopologyClientSynchronisesToLocalClockServer) {
  clocks::ManualScheduler scheduler(absl::FromUnixSeconds(5000));
  net::FakeNetwork network(&scheduler, absl::Microseconds(200));
  const net::IpAddress server_ip = *net::IpAddress::Parse("192.168.31.223");
  const net::IpAddress client_ip = *net::IpAddress::Parse("192.168.31.10");
  clocks::FakeClock server_clock(absl::FromUnixSeconds(1704067200));
  clocks::FakeClock client_clock(absl::FromUnixSeconds(1704067200) - absl::Milliseconds(300));
  network.SetHostClock(server_ip, &server_clock);
  network.SetHostClock(client_ip, &client_clock);
  Sink events;

  HostOptions server_options;
  server_options.listen = {net::SocketAddress(server_ip, 123)};
  HostEnvironment server_env{&server_clock, &network, &scheduler, &events, 1};
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Host> server,
      CreateHost(Parse("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"), server_options,
                 server_env));
  ASSERT_THAT(server->Start(), IsOk());

  MemoryDriftStore drift;
  HostOptions client_options;
  client_options.listen = {net::SocketAddress(client_ip, 123)};
  client_options.allow_big_first_step = true;  // RHEL's -g
  HostEnvironment client_env{&client_clock, &network, &scheduler, &events, 2, &drift};
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Host> client,
      CreateHost(Parse("server 192.168.31.223 prefer iburst\n"), client_options, client_env,
                 {client_ip}));
  ASSERT_THAT(client->Start(), IsOk());

  RunFor(scheduler, server_clock, client_clock, 1200);
  EXPECT_TRUE(server->system().synchronized());
  EXPECT_EQ(server->system().stratum, 11);
  ASSERT_TRUE(client->system().synchronized());
  EXPECT_EQ(client->system().stratum, 12);
  EXPECT_EQ(client->system().system_peer, "192.168.31.223");
  EXPECT_EQ(client_clock.step_count(), 1);
  EXPECT_LT(std::fabs(absl::ToDoubleSeconds(client_clock.Now() - server_clock.Now())), 1e-3);
  EXPECT_EQ(client->exit_state(), HostExit::kRunning);
  client->Stop();
  server->Stop();
  EXPECT_TRUE(drift.value().has_value());
}

TEST(HostClientTest, PanicShowsAsHostExit) {
  clocks::ManualScheduler scheduler(absl::FromUnixSeconds(5000));
  net::FakeNetwork network(&scheduler, absl::Microseconds(200));
  const net::IpAddress server_ip = *net::IpAddress::Parse("10.0.0.1");
  const net::IpAddress client_ip = *net::IpAddress::Parse("10.0.0.2");
  clocks::FakeClock server_clock(absl::FromUnixSeconds(1704067200));
  clocks::FakeClock client_clock(absl::FromUnixSeconds(1704067200) + absl::Seconds(2000));
  network.SetHostClock(server_ip, &server_clock);
  network.SetHostClock(client_ip, &client_clock);
  HostOptions server_options;
  server_options.listen = {net::SocketAddress(server_ip, 123)};
  HostEnvironment server_env{&server_clock, &network, &scheduler, nullptr, 1};
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Host> server,
      CreateHost(Parse("server 127.127.1.0 prefer\nfudge 127.127.1.0 stratum 1\n"),
                 server_options, server_env));
  ASSERT_THAT(server->Start(), IsOk());
  HostOptions client_options;
  client_options.listen = {net::SocketAddress(client_ip, 123)};
  Sink sink;
  HostEnvironment client_env{&client_clock, &network, &scheduler, &sink, 2};
  // The server's root dispersion stays above 1.5 s until its LOCAL clock
  // filter holds four samples (4 x 64 s): clients ignore it until then.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Host> client,
                       CreateHost(Parse("server 10.0.0.1 iburst\n"), client_options,
                                  client_env, {client_ip}));
  ASSERT_THAT(client->Start(), IsOk());
  RunFor(scheduler, server_clock, client_clock, 120);
  EXPECT_EQ(client->exit_state(), HostExit::kRunning);
  RunFor(scheduler, server_clock, client_clock, 600);
  EXPECT_TRUE(server->system().synchronized());
  EXPECT_EQ(client->exit_state(), HostExit::kPanic);
  bool panic_logged = false;
  for (const Event& e : sink.events) panic_logged |= e.kind == EventKind::kPanic;
  EXPECT_TRUE(panic_logged);
}

}  // namespace
}  // namespace ntp
