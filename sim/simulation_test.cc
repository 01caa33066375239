// Model validation against ground truth, end to end through scenarios: the
// built-in prober's measured offsets against the clocks' true offsets, the
// discipline-free and disciplined cases, faults, checks and determinism.
#include "sim/simulation.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "sim/builtin_hosts.h"

namespace sim {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

LoadedScenario Load(const std::string& text) {
  absl::StatusOr<LoadedScenario> s = ParseScenario(text, "test.textproto");
  EXPECT_THAT(s.status(), IsOk());
  return *std::move(s);
}

struct Outcome {
  RunResult result;
  std::vector<ProbeSample> samples;  // of the first prober
};

Outcome RunWith(const LoadedScenario& s, uint64_t seed = 1,
            std::optional<uint64_t> perturb = std::nullopt, bool series = false) {
  Outcome run;
  Prober* prober = nullptr;
  RunOptions options;
  options.seed = seed;
  options.perturb_seed = perturb;
  options.record_series = series;
  options.on_hosts_created = [&](const std::vector<SimHost*>& hosts) {
    for (SimHost* h : hosts) {
      if (auto* p = dynamic_cast<Prober*>(h); p != nullptr && prober == nullptr) prober = p;
    }
  };
  // Samples are copied out before the hosts are destroyed.
  options.progress = [&](double fraction) {
    if (fraction >= 1 && prober != nullptr) run.samples = prober->samples();
  };
  absl::StatusOr<RunResult> result = RunScenario(s, BuiltinHostFactories(), options);
  EXPECT_THAT(result.status(), IsOk());
  if (result.ok()) run.result = *std::move(result);
  return run;
}

std::string TwoHosts(const std::string& client_clock, const std::string& link,
                     const std::string& extra = "") {
  return absl::StrCat(R"pb(
    duration_s: 600
    hosts { name: "server" role: RESPONDER addresses: "192.0.2.1" }
    hosts {
      name: "client"
      role: PROBER
      addresses: "192.0.2.2"
      prober { servers: "server" poll_s: 16 }
      clock { )pb", client_clock, R"pb( }
    }
    links { from: "client" to: "server" model { )pb", link, " } }\n", extra);
}

TEST(SimulationTest, SymmetricDelayMeasuresTheTrueOffset) {
  const Outcome run = RunWith(Load(TwoHosts("offset_s: 0.125", "delay_s: 0.003")));
  ASSERT_GE(run.samples.size(), 35u);
  for (const ProbeSample& s : run.samples) {
    // theta = server - client = -(clock offset); NTP timestamps resolve 2^-32 s.
    EXPECT_NEAR(s.offset_s, -0.125, 1e-9);
    EXPECT_NEAR(s.delay_s, 0.006, 1e-9);
  }
}

TEST(SimulationTest, SymmetricJitterAveragesOutWithinItsSpread) {
  const Outcome run = RunWith(Load(TwoHosts(
      "offset_s: -0.04", "delay_s: 0.002 jitter { distribution: EXPONENTIAL scale_s: 0.0005 }")));
  ASSERT_GE(run.samples.size(), 35u);
  double sum = 0;
  for (const ProbeSample& s : run.samples) {
    // |error| <= (d1 - d2) / 2 <= half the largest jitter: with exponential
    // jitter of mean 0.5 ms, 6 ms is beyond any realistic draw.
    EXPECT_NEAR(s.offset_s, 0.04, 0.003);
    EXPECT_GE(s.delay_s, 0.004 - 1e-9);
    sum += s.offset_s - 0.04;
  }
  // Mean error 0; sd of each error = sqrt(2) * 0.5 ms / 2.
  const double sd = std::sqrt(2.0) * 0.0005 / 2;
  EXPECT_NEAR(sum / run.samples.size(), 0.0, 4 * sd / std::sqrt(run.samples.size()));
}

TEST(SimulationTest, AsymmetryAGivesAnOffsetErrorOfAHalf) {
  // client->server 6 ms, server->client 4 ms: theta = -x + (d1 - d2) / 2.
  const Outcome run = RunWith(Load(TwoHosts("offset_s: 0.01", "delay_s: 0.005 asymmetry_s: 0.002")));
  ASSERT_GE(run.samples.size(), 35u);
  for (const ProbeSample& s : run.samples) {
    EXPECT_NEAR(s.offset_s, -0.01 + 0.001, 1e-9);
    EXPECT_NEAR(s.delay_s, 0.010, 1e-9);
  }
}

TEST(SimulationTest, FrequencyErrorShowsAsAGrowingOffset) {
  const Outcome run = RunWith(Load(TwoHosts("freq_ppm: 50", "delay_s: 0.001")));
  ASSERT_GE(run.samples.size(), 35u);
  // Each sample measures -(50e-6 * t) at its own instant: successive
  // samples 16 s apart differ by 800 us.
  for (size_t i = 1; i < run.samples.size(); ++i) {
    EXPECT_NEAR(run.samples[i].offset_s - run.samples[i - 1].offset_s, -50e-6 * 16, 2e-9);
  }
  // The sampled true frequency error is 50 ppm throughout.
  EXPECT_NEAR(run.result.hosts[1].rms_freq_ppm, 50, 1e-6);
}

TEST(SimulationTest, SimpleDisciplineConvergesAndChecksPass) {
  const LoadedScenario s = Load(TwoHosts(
      "offset_s: 0.05 freq_ppm: 20 wander_ppm_per_sqrt_s: 0.001",
      "delay_s: 0.002 jitter { distribution: EXPONENTIAL scale_s: 0.0001 }",
      R"pb(
        checks { host: "client" converge { max_abs_offset_s: 0.001 within_s: 400 } }
        checks { host: "client" rms_offset { after_s: 400 max_s: 0.0005 } }
        checks { host: "client" freq_error { after_s: 400 max_ppm: 6 } }
        checks { host: "client" max_steps: 0 }
        checks { host: "client" exits { state: RUNNING } }
      )pb"));
  LoadedScenario disciplined = s;
  disciplined.hosts[1].spec.mutable_prober()->set_discipline(scenario::ProberOptions::SIMPLE);
  const Outcome run = RunWith(disciplined, 7, std::nullopt, /*series=*/true);
  for (const CheckResult& c : run.result.checks) {
    EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;
  }
  const HostSummary& h = run.result.hosts[1];
  ASSERT_TRUE(h.converge_s.has_value());
  EXPECT_LT(*h.converge_s, 400);
  EXPECT_EQ(h.exit, HostExit::kRunning);
  // The series was recorded and its estimate tracks the truth.
  ASSERT_EQ(run.result.series.size(), 2u);
  const HostSeries& series = run.result.series[1];
  EXPECT_EQ(series.points.size(), 601u);
  // The toy loop's frequency noise is gain * theta noise / poll ~ 1.3 ppm.
  EXPECT_NEAR(series.points.back().est_freq_ppm, -20, 5);
  EXPECT_EQ(series.peers, (std::vector<std::string>{"192.0.2.1"}));
  // Without the discipline the same checks fail.
  const Outcome undisciplined = RunWith(s, 7);
  EXPECT_FALSE(undisciplined.result.passed());
}

TEST(SimulationTest, BigOffsetPanicsUnlessDashG) {
  const std::string text = TwoHosts("offset_s: -5000", "delay_s: 0.001",
                                    R"pb(checks { host: "client" exits { state: PANIC within_s: 60 } })pb");
  LoadedScenario s = Load(text);
  s.hosts[1].spec.mutable_prober()->set_discipline(scenario::ProberOptions::SIMPLE);
  const Outcome panic = RunWith(s);
  EXPECT_TRUE(panic.result.passed()) << panic.result.checks[0].detail;
  EXPECT_EQ(panic.result.hosts[1].exit, HostExit::kPanic);
  EXPECT_EQ(panic.result.hosts[1].steps, 0);
  s.hosts[1].spec.add_flags("-g");
  const Outcome g = RunWith(s);
  EXPECT_FALSE(g.result.passed());
  EXPECT_EQ(g.result.hosts[1].exit, HostExit::kRunning);
  EXPECT_EQ(g.result.hosts[1].steps, 1);
  ASSERT_TRUE(g.result.hosts[1].converge_s.has_value());
  EXPECT_LT(*g.result.hosts[1].converge_s, 60);
}

TEST(SimulationTest, SetOnceAndExit) {
  LoadedScenario s = Load(TwoHosts("offset_s: 0.5", "delay_s: 0.001",
                                   R"pb(checks { host: "client" exits { state: DONE within_s: 40 } }
                                        checks { host: "client" max_steps: 1 })pb"));
  s.hosts[1].spec.mutable_prober()->set_discipline(scenario::ProberOptions::SIMPLE);
  s.hosts[1].spec.add_flags("-q");
  const Outcome run = RunWith(s);
  for (const CheckResult& c : run.result.checks) EXPECT_TRUE(c.passed) << c.name << c.detail;
  ASSERT_TRUE(run.result.hosts[1].converge_s.has_value());  // stepped at once
  EXPECT_LT(*run.result.hosts[1].converge_s, 3);
}

TEST(SimulationTest, ServerOutageStopsSamplesUntilItComesBack) {
  const LoadedScenario s = Load(TwoHosts("", "delay_s: 0.001", R"pb(
    faults { at_s: 100 host_down: "server" }
    faults { at_s: 300 host_up: "server" }
  )pb"));
  const Outcome run = RunWith(s, 1, std::nullopt, /*series=*/true);
  int during = 0, after = 0;
  // Sample times on the client's clock equal true time here (no error).
  const absl::Time start = absl::FromUnixSeconds(1704067200);
  for (const ProbeSample& p : run.samples) {
    const double t = absl::ToDoubleSeconds(p.local_rx_time - start);
    if (t > 100.01 && t < 300) ++during;
    if (t > 300) ++after;
  }
  EXPECT_EQ(during, 0);
  EXPECT_GE(after, 17);
  bool down = false, up = false;
  for (const HostEvent& e : run.result.series[0].events) {
    down |= e.kind == "fault:host_down";
    up |= e.kind == "fault:host_up";
  }
  EXPECT_TRUE(down && up);
  ASSERT_EQ(run.result.faults.size(), 2u);
}

TEST(SimulationTest, MedianOfThreeNeverSelectsTheFalseticker) {
  constexpr char kText[] = R"pb(
    duration_s: 1200
    hosts { name: "s" role: RESPONDER count: 3 }
    hosts {
      name: "client"
      role: PROBER
      prober { servers: "s" poll_s: 16 discipline: SIMPLE }
      clock { offset_s: 0.02 freq_ppm: -10 }
    }
    default_link { delay_s: 0.001 jitter { distribution: UNIFORM scale_s: 0.0002 } }
    faults { at_s: 0 falseticker { host: "s2" offset_s: 0.5 freq_ppm: 30 } }
    checks { host: "client" never_selects: "s2" }
    checks { host: "client" max_offset { after_s: 600 max_s: 0.001 } }
    checks { host: "client" no_step_after_s: 0 }
  )pb";
  const Outcome run = RunWith(Load(kText));
  for (const CheckResult& c : run.result.checks) {
    EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;
  }
  // The falseticker's own clock drifts away: it ignores its host from then on.
  EXPECT_GT(run.result.hosts[2].max_abs_offset_s, 0.5);
}

TEST(SimulationTest, NeverSelectsFailsWhenNothingIsSelectedAtAll) {
  // The only server is unreachable: avoiding s2 proves nothing.
  const Outcome run = RunWith(Load(R"pb(
    duration_s: 300
    hosts { name: "s" role: RESPONDER count: 2 }
    hosts { name: "client" role: PROBER prober { servers: "s0" poll_s: 16 discipline: SIMPLE } }
    faults { at_s: 0 host_down: "s0" }
    checks { host: "client" never_selects: "s1" }
  )pb"));
  ASSERT_EQ(run.result.checks.size(), 1u);
  EXPECT_FALSE(run.result.checks[0].passed);
  EXPECT_EQ(run.result.checks[0].detail, "never selected any server");
}

TEST(SimulationTest, PollCheckBoundsTheIntervalAndTheRequests) {
  // A prober polls every 16 s = 2^4 s: 19 rounds in 300 s.
  const std::string text = R"pb(
    duration_s: 300
    hosts { name: "s" role: RESPONDER }
    hosts { name: "client" role: PROBER prober { servers: "s" poll_s: 16 } }
    checks { name: "fits" host: "client" poll { after_s: 10 min_poll_log2: 4 max_poll_log2: 4 min_requests: 18 max_requests: 20 } }
    checks { name: "too_slow" host: "client" poll { after_s: 10 min_poll_log2: 5 } }
    checks { name: "too_many" host: "client" poll { after_s: 0 max_requests: 10 } }
  )pb";
  const Outcome run = RunWith(Load(text), 1, std::nullopt, /*series=*/true);
  ASSERT_EQ(run.result.checks.size(), 3u);
  EXPECT_TRUE(run.result.checks[0].passed) << run.result.checks[0].detail;
  EXPECT_FALSE(run.result.checks[1].passed);
  EXPECT_THAT(run.result.checks[1].detail, HasSubstr("poll 2^4..2^4 s"));
  EXPECT_FALSE(run.result.checks[2].passed);
  EXPECT_EQ(run.result.hosts[1].requests_sent, 19u);
  EXPECT_EQ(run.result.hosts[1].polls_log2, std::vector<int>{4});
  ASSERT_FALSE(run.result.series[1].points.empty());
  EXPECT_EQ(run.result.series[1].points.back().association_polls, "4");
  EXPECT_EQ(run.result.series[1].points.back().requests_sent, 19u);
}

TEST(SimulationTest, RelativeToMeasuresAgainstAnotherHostsClock) {
  // The server runs 50 ms ahead; the client follows it.
  const std::string text = R"pb(
    duration_s: 600
    hosts { name: "server" role: RESPONDER clock { offset_s: 0.05 } }
    hosts { name: "client" role: PROBER prober { servers: "server" poll_s: 16 discipline: SIMPLE } }
    checks { name: "true_time" host: "client" max_offset { after_s: 300 max_s: 0.001 } }
    checks { name: "server_time" host: "client" relative_to: "server" max_offset { after_s: 300 max_s: 0.001 } }
  )pb";
  const Outcome run = RunWith(Load(text));
  ASSERT_EQ(run.result.checks.size(), 2u);
  EXPECT_FALSE(run.result.checks[0].passed);
  EXPECT_TRUE(run.result.checks[1].passed) << run.result.checks[1].detail;
}

TEST(SimulationTest, FailedChecksSayWhy) {
  const Outcome run = RunWith(Load(TwoHosts("offset_s: 0.01", "delay_s: 0.001", R"pb(
    checks { name: "tight" host: "client" max_offset { after_s: 0 max_s: 0.001 } }
  )pb")));
  ASSERT_EQ(run.result.checks.size(), 1u);
  EXPECT_FALSE(run.result.checks[0].passed);
  EXPECT_EQ(run.result.checks[0].name, "tight");
  EXPECT_THAT(run.result.checks[0].detail, HasSubstr("max |offset| 0.01s"));
  EXPECT_EQ(run.result.checks[0].location, "test.textproto:13");
}

TEST(SimulationTest, SameSeedSameDigestPerturbationInvariantOtherSeedDiffers) {
  const LoadedScenario s = Load(R"pb(
    duration_s: 300
    hosts { name: "s" role: RESPONDER count: 2 }
    hosts {
      name: "c"
      role: PROBER
      count: 4
      prober { servers: "s" poll_s: 8 discipline: SIMPLE }
      clock { offset_spread_s: 0.05 freq_spread_ppm: 30 read_jitter_s: 1e-7 }
    }
    default_link { delay_s: 0.001 jitter { distribution: PARETO scale_s: 0.0001 shape: 2.5 } loss: 0.05 duplicate: 0.02 }
    faults { at_s: 100 clock_step { host: "c1" offset_s: 0.2 } }
  )pb");
  const Outcome a = RunWith(s, 42);
  const Outcome b = RunWith(s, 42);
  EXPECT_EQ(a.result.digest, b.result.digest);
  EXPECT_EQ(a.result.events, b.result.events);
  EXPECT_GT(a.result.events, 1000u);
  for (uint64_t p : {1, 2, 3}) {
    const Outcome perturbed = RunWith(s, 42, p);
    EXPECT_EQ(perturbed.result.digest, a.result.digest) << "perturbation " << p;
    for (size_t i = 0; i < a.result.hosts.size(); ++i) {
      EXPECT_EQ(perturbed.result.hosts[i].rms_offset_s, a.result.hosts[i].rms_offset_s);
    }
  }
  EXPECT_NE(RunWith(s, 43).result.digest, a.result.digest);
}

TEST(SimulationTest, RoleWithoutFactoryIsUnimplemented) {
  const LoadedScenario s = Load("duration_s: 1 hosts { name: \"d\" role: NTPD }");
  EXPECT_THAT(RunScenario(s, BuiltinHostFactories(), RunOptions{}).status(),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("role NTPD")));
}

TEST(SimulationTest, StartFailureIsAnErrorExit) {
  // A prober whose server is not an address refuses to start.
  LoadedScenario s = Load(R"pb(
    duration_s: 10
    hosts { name: "p" role: PROBER prober { servers: "192.0.2.9" } }
    checks { host: "p" exits { state: ERROR } }
  )pb");
  s.hosts[0].spec.mutable_prober()->set_servers(0, "not-an-address");
  const Outcome run = RunWith(s);
  EXPECT_TRUE(run.result.passed());
  EXPECT_EQ(run.result.hosts[0].exit, HostExit::kError);
}

}  // namespace

TEST(SimulationTest, PcapKeepsTheNamedHostsDatagrams) {
  const LoadedScenario s = Load(R"pb(
    duration_s: 100
    hosts { name: "server" role: RESPONDER addresses: "192.0.2.1" }
    hosts { name: "client" role: PROBER prober { servers: "server" poll_s: 16 } }
  )pb");
  RunOptions options;
  options.pcap_hosts = {"server"};
  ASSERT_OK_AND_ASSIGN(RunResult r, RunScenario(s, BuiltinHostFactories(), options));
  ASSERT_EQ(r.pcap.count("server"), 1u);
  EXPECT_EQ(r.pcap.count("client"), 0u);
  // Header, then 7 requests received and 7 replies sent (polls at ~0..96 s),
  // each 16 + 20 + 8 + 48 octets.
  EXPECT_EQ(r.pcap["server"].size(), 24u + 14 * (16 + 20 + 8 + 48));
  ASSERT_EQ(r.associations.size(), 2u);
  EXPECT_TRUE(r.associations[1].empty());  // the prober keeps no associations
}

TEST(SimulationTest, OnPathAttackerAnswersFirst) {
  // The attacker answers the prober's requests first, with a 3 s lie and
  // the right origin, from t = 200 s: the (naive) prober takes the forgery.
  const LoadedScenario s = Load(R"pb(
    duration_s: 300
    hosts { name: "server" role: RESPONDER addresses: "192.0.2.1" }
    hosts { name: "client" role: PROBER addresses: "192.0.2.2" prober { servers: "server" poll_s: 16 } }
    hosts { name: "m" role: ATTACKER attacker { victim: "client" impersonate: "server" mode: ON_PATH offset_s: 3 start_s: 200 } }
  )pb");
  const Outcome run = RunWith(s);
  ASSERT_FALSE(run.samples.empty());
  double before = 0, after = 0;
  for (const ProbeSample& p : run.samples) {
    const double t = absl::ToDoubleSeconds(p.local_rx_time - s.start);
    if (t < 190) before = std::max(before, std::fabs(p.offset_s));
    if (t > 210) after = std::max(after, std::fabs(p.offset_s));
  }
  EXPECT_LT(before, 0.01);
  EXPECT_NEAR(after, 3, 0.01);
}
}  // namespace sim
