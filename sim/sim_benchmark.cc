// Simulator speed: events per second and real-time factor (simulated
// seconds per wall-clock second, the "rt_factor" counter) for
//   (a) 2 hosts, the client polling every 16 s, 24 simulated hours;
//   (b) 1 server + 1000 clients polling every 16 s, 24 simulated hours;
// with the built-in prober/responder and, when linked, the daemon's
// ntp::Host (NTPD role). Metrics are sampled every 60 s. Rates are per
// wall-clock second (UseRealTime), so a loaded machine reads slower.
//   bazel run -c opt //sim:sim_benchmark
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "sim/default_hosts.h"
#include "sim/scenario_loader.h"
#include "sim/simulation.h"

namespace sim {
namespace {

std::string ProberScenario(int clients, double poll_s) {
  return absl::StrCat(R"pb(
    duration_s: 86400
    sample_interval_s: 60
    hosts { name: "server" role: RESPONDER }
    hosts {
      name: "client"
      role: PROBER
      count: )pb", clients, R"pb(
      prober { servers: "server" discipline: SIMPLE poll_s: )pb", poll_s, R"pb( }
      clock { offset_spread_s: 0.05 freq_spread_ppm: 50 wander_ppm_per_sqrt_s: 0.001 wander_step_s: 16 }
    }
    default_link { delay_s: 0.001 jitter { distribution: EXPONENTIAL scale_s: 0.0001 } }
  )pb");
}

std::string NtpdScenario(int clients) {
  return absl::StrCat(R"pb(
    duration_s: 86400
    sample_interval_s: 60
    hosts {
      name: "server"
      role: NTPD
      addresses: "10.1.0.1"
      ntp_conf: "server 127.127.1.0\nfudge 127.127.1.0 stratum 1\n"
    }
    hosts {
      name: "client"
      role: NTPD
      count: )pb", clients, R"pb(
      ntp_conf: "server 10.1.0.1 minpoll 4 maxpoll 4\n"
      clock { offset_spread_s: 0.05 freq_spread_ppm: 50 wander_ppm_per_sqrt_s: 0.001 wander_step_s: 16 }
    }
    default_link { delay_s: 0.001 jitter { distribution: EXPONENTIAL scale_s: 0.0001 } }
  )pb");
}

void RunBenchmark(benchmark::State& state, const std::string& text) {
  absl::StatusOr<LoadedScenario> scenario = ParseScenario(text, "benchmark.textproto");
  if (!scenario.ok()) {
    state.SkipWithError(std::string(scenario.status().message()).c_str());
    return;
  }
  const SimHostFactories factories = DefaultHostFactories();
  if (!factories.contains(scenario->hosts[0].spec.role())) {
    state.SkipWithError("role not available in this build");
    return;
  }
  uint64_t events = 0;
  double simulated = 0;
  uint64_t seed = 1;
  for (auto _ : state) {
    RunOptions options;
    options.seed = seed++;
    options.progress_steps = 1;
    absl::StatusOr<RunResult> run = RunScenario(*scenario, factories, options);
    if (!run.ok()) {
      state.SkipWithError(std::string(run.status().message()).c_str());
      return;
    }
    events += run->events;
    simulated += run->simulated_s;
    benchmark::DoNotOptimize(run->digest);
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events),
                                                      benchmark::Counter::kIsRate);
  state.counters["rt_factor"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
  state.counters["events_per_run"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kAvgIterations);
}

void BM_TwoHosts24h_Prober(benchmark::State& state) {
  RunBenchmark(state, ProberScenario(1, 16));
}
BENCHMARK(BM_TwoHosts24h_Prober)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Server1000Clients24h_Prober(benchmark::State& state) {
  RunBenchmark(state, ProberScenario(1000, 16));
}
BENCHMARK(BM_Server1000Clients24h_Prober)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

void BM_TwoHosts24h_Ntpd(benchmark::State& state) { RunBenchmark(state, NtpdScenario(1)); }
BENCHMARK(BM_TwoHosts24h_Ntpd)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Server1000Clients24h_Ntpd(benchmark::State& state) {
  RunBenchmark(state, NtpdScenario(1000));
}
BENCHMARK(BM_Server1000Clients24h_Ntpd)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace sim
