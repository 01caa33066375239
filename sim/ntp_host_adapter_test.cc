#include "sim/ntp_host_adapter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "sim/default_hosts.h"
#include "sim/domain_scheduler.h"
#include "sim/oscillator.h"
#include "sim/sim_clock.h"
#include "sim/sim_network.h"
#include "sim/simulation.h"
#include "sim/sim_tls.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace sim {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

struct Events : ntp::EventSink {
  void OnEvent(const ntp::Event& e) override { events.push_back(e); }
  std::vector<ntp::Event> events;
};

class AdapterTest : public ::testing::Test {
 protected:
  SimHostEnvironment Env() {
    SimHostEnvironment env;
    env.name = "h";
    env.clock = clock_.get();
    env.network = network_.network(0);
    env.scheduler = &scheduler_;
    env.events = &events_;
    env.random_seed = 1;
    env.addresses = {*net::IpAddress::Parse("192.0.2.5")};
    return env;
  }
  void SetUp() override {
    ASSERT_THAT(network_.AddHost("h", domain_, {*net::IpAddress::Parse("192.0.2.5")},
                                 clock_.get())
                    .status(),
                IsOk());
  }

  EventLoop loop_;
  DomainId domain_ = loop_.AddDomain("h");
  Oscillator oscillator_{OscillatorParams{}, 1};
  std::unique_ptr<SimClock> clock_ =
      std::make_unique<SimClock>(&loop_, &oscillator_, SimClockParams{}, 2);
  DomainScheduler scheduler_{&loop_, domain_, absl::UnixEpoch()};
  SimNetwork network_{&loop_, 3};
  Events events_;
};

TEST_F(AdapterTest, ConfigurationErrorsRefuseTheHost) {
  scenario::Host spec;
  spec.set_ntp_conf("server\n");
  EXPECT_THAT(NtpHostAdapter::Create(spec, Env()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/etc/ntp.conf:1")));
}

TEST_F(AdapterTest, WarningsBecomeEventsAndTheServerAnswers) {
  scenario::Host spec;
  spec.set_ntp_conf(
      "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\nfrobnicate 3\nkeys /etc/ntp/keys\n");
  (*spec.mutable_files())["/etc/ntp/keys"] = "1 M secret\n";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SimHost> host, NtpHostAdapter::Create(spec, Env()));
  bool warned = false;
  for (const ntp::Event& e : events_.events) {
    warned |= e.kind == ntp::EventKind::kWarning && e.text.find("frobnicate") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  ASSERT_THAT(host->Start(), IsOk());
  EXPECT_EQ(host->exit_state(), HostExit::kRunning);
  // The LOCAL clock makes the server synchronised after a few minutes.
  loop_.RunUntil(int64_t{900} * 1'000'000'000);
  EXPECT_TRUE(host->system().synchronized());
  EXPECT_EQ(host->system().stratum, 11);
  host->Stop();
}

TEST_F(AdapterTest, UnknownFlagsAreRefused) {
  scenario::Host spec;
  spec.add_flags("-n");
  EXPECT_THAT(NtpHostAdapter::Create(spec, Env()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("-n")));
}

TEST(NtpdRoleTest, DefaultFactoriesRunTheDaemonAndKeepTheDriftFile) {
  absl::StatusOr<LoadedScenario> s = ParseScenario(R"pb(
    duration_s: 2400
    hosts {
      name: "server"
      role: NTPD
      ntp_conf: "server 127.127.1.0\nfudge 127.127.1.0 stratum 1\n"
    }
    hosts {
      name: "client"
      role: NTPD
      drift_file_ppm: -20
      ntp_conf: "server ${host:server} iburst\ndriftfile /var/lib/ntp/drift\n"
      clock { freq_ppm: 20 offset_s: 0.01 }
    }
    faults { at_s: 1200 host_down: "client" }
    faults { at_s: 1300 host_up: "client" }
    checks { host: "client" max_offset { after_s: 2000 max_s: 0.001 } }
    checks { host: "client" max_steps: 0 }
  )pb",
                                                   "adapter.textproto");
  ASSERT_THAT(s.status(), IsOk());
  RunOptions options;
  options.record_series = true;
  ASSERT_OK_AND_ASSIGN(RunResult run, RunScenario(*s, DefaultHostFactories(), options));
  for (const CheckResult& c : run.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;
  bool read_drift = false, restarted = false;
  for (const HostEvent& e : run.series[1].events) {
    read_drift |= e.kind == "driftfile" && e.text.find("-20") != std::string::npos;
    restarted |= e.kind == "fault:host_up";
  }
  EXPECT_TRUE(read_drift);
  EXPECT_TRUE(restarted);
}

// NTS between two daemons: the client trusts the run's CA (kNtsCaPath),
// or a CA of its own that did not issue the server's certificate; the
// server restarts mid-run with new master keys. Counters carry over the
// restart, and the run repeats byte for byte.
absl::StatusOr<RunResult> RunNts(const std::string& client_ca_path, const std::string& ca_pem) {
  absl::StatusOr<LoadedScenario> s = ParseScenario(absl::StrCat(R"pb(
    duration_s: 1800
    hosts {
      name: "ts"
      role: NTPD
      ntp_conf: "server 127.127.1.0\nfudge 127.127.1.0 stratum 1\n"
      nts_server {}
    }
    hosts {
      name: "client"
      role: NTPD
      ntp_conf: "server ${host:ts} nts iburst ca )pb",
                                                                client_ca_path, R"pb(\n"
      files { key: "/etc/other-ca.pem" value: ")pb",
                                                                absl::CEscape(ca_pem), R"pb(" }
    }
    faults { at_s: 600 host_down: "ts" }
    faults { at_s: 610 host_up: "ts" }
  )pb"),
                                                   "nts.textproto");
  if (!s.ok()) return s.status();
  return RunScenario(*s, DefaultHostFactories(), RunOptions{});
}

TEST(NtpdRoleTest, NtsClientTrustsTheRunsCaOnly) {
  auto other_tls = *SimTlsLibrary::Create(99);
  const absl::Time t = absl::FromUnixSeconds(1704067200);
  const SimCredentials other =
      *MakeSimCa(*other_tls, "other CA", t - absl::Hours(24), t + absl::Hours(24));

  ASSERT_OK_AND_ASSIGN(RunResult good, RunNts(kNtsCaPath, other.cert_pem));
  ASSERT_OK_AND_ASSIGN(RunResult again, RunNts(kNtsCaPath, other.cert_pem));
  EXPECT_EQ(good.digest, again.digest);
  const NtsCounters& client = good.hosts[1].nts;
  const NtsCounters& server = good.hosts[0].nts;
  // Once at the start, once after the restarted server NAKed the cookies
  // under its forgotten keys.
  EXPECT_EQ(client.ke_completed, 2u);
  EXPECT_EQ(client.ke_failed, 0u);
  EXPECT_GE(client.naks, 1u);
  EXPECT_GT(client.authenticated, 0u);
  EXPECT_EQ(server.ke_served, 2u);  // over both lives of the server
  EXPECT_EQ(server.rotations, 2u);  // each life's first key
  EXPECT_GE(server.naks_sent, 1u);
  EXPECT_GT(server.requests_served, client.authenticated);

  ASSERT_OK_AND_ASSIGN(RunResult bad, RunNts("/etc/other-ca.pem", other.cert_pem));
  EXPECT_EQ(bad.hosts[1].nts.ke_completed, 0u);
  EXPECT_GT(bad.hosts[1].nts.ke_failed, 0u);
  EXPECT_EQ(bad.hosts[1].nts.authenticated, 0u);
  EXPECT_EQ(bad.hosts[0].nts.requests_served, 0u);
}

TEST(NtpdRoleTest, NoStepAfterFirstUpdateFailsOnALaterStepOnly) {
  // The first update slews (10 ms); another process then steps the clock
  // by 1 s, which the daemon steps back: a step after the first update.
  constexpr char kScenario[] = R"pb(
    duration_s: 1200
    hosts { name: "server" role: RESPONDER }
    hosts {
      name: "client"
      role: NTPD
      ntp_conf: "server ${host:server} iburst\n"
      clock { offset_s: 0.01 }
    }
    checks { host: "client" no_step_after_first_update: true }
  )pb";
  for (bool stepped : {false, true}) {
    absl::StatusOr<LoadedScenario> s = ParseScenario(
        std::string(kScenario) +
            (stepped ? "faults { at_s: 600 clock_step { host: \"client\" offset_s: 1 } }" : ""),
        "first_update.textproto");
    ASSERT_THAT(s.status(), IsOk());
    ASSERT_OK_AND_ASSIGN(RunResult run, RunScenario(*s, DefaultHostFactories(), RunOptions{}));
    ASSERT_EQ(run.checks.size(), 1u);
    EXPECT_EQ(run.checks[0].name, "no_step_after_first_update/client");
    EXPECT_EQ(run.checks[0].passed, !stepped) << run.checks[0].detail;
    EXPECT_THAT(run.checks[0].detail,
                HasSubstr(stepped ? "stepped at t=" : "no step after the first update"));
  }
}

}  // namespace
}  // namespace sim
