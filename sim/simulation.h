// Runs one expanded scenario (scenario_loader.h) with one seed: builds the
// event loop, one oscillator + kernel clock + scheduler + network endpoint +
// SimHost per host, the fault timeline and the metric sampler; runs to the
// end; evaluates the checks. Everything is derived from the seed (and the
// optional perturbation seed, which reorders simultaneous independent events
// only and must not change any result).
#ifndef SIM_SIMULATION_H_
#define SIM_SIMULATION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/scenario_loader.h"
#include "sim/sim_host.h"

namespace sim {

struct RunOptions {
  uint64_t seed = 1;
  // See EventLoop::Options::perturb_seed.
  std::optional<uint64_t> perturb_seed;
  // Keep per-host time series and events (CSV and plots need them) for at
  // most this many hosts (the first ones).
  bool record_series = false;
  int max_series_hosts = 100;
  // Called after each of `progress_steps` equal slices of simulated time
  // with the fraction done (0..1]. No wall clock is read here.
  std::function<void(double fraction)> progress;
  int progress_steps = 100;
  // Hosts whose datagrams (sent and delivered) are kept as pcap files in
  // RunResult::pcap ("*": every host).
  std::vector<std::string> pcap_hosts;
  // Record the trace of the host named `trace_host` (its first start; a
  // restart is a new instance) to `trace_sink` (SimHostEnvironment).
  // RunScenario refuses a name no host has.
  std::string trace_host;
  ntp::trace::TraceSink* trace_sink = nullptr;
  // Test hook: called once all hosts exist, before anything runs.
  std::function<void(const std::vector<SimHost*>&)> on_hosts_created;
};

// One metrics sample of one host.
struct SeriesPoint {
  double t_s = 0;
  double true_offset_s = 0;     // clock minus true time
  double est_offset_s = 0;      // the host's own estimate of the same (-theta)
  double true_freq_ppm = 0;     // rate error of the clock (oscillator + correction)
  double osc_freq_ppm = 0;      // the oscillator's own error
  double freq_corr_ppm = 0;     // kernel frequency correction in force
  double est_freq_ppm = 0;      // the host's frequency estimate (SystemVariables)
  int poll_log2 = 0;
  int stratum = 16;
  int selected = -1;            // index into HostSeries::peers, -1: none
  // Every association's poll exponent, space separated, and the client
  // requests the host sent so far (all associations, all restarts).
  std::string association_polls;
  uint64_t requests_sent = 0;
  int events_end = 0;  // this point covers events [previous events_end, events_end)
};

struct HostEvent {
  double t_s = 0;
  std::string kind;  // EventKindName, clock operation name, "fault:..."
  std::string text;
};

struct HostSeries {
  std::string name;
  std::vector<SeriesPoint> points;
  std::vector<HostEvent> events;
  std::vector<std::string> peers;  // selected-source names by index
};

struct HostSummary {
  std::string name;
  std::optional<double> converge_s;  // none: never stayed under the threshold
  double rms_offset_s = 0;       // over samples at or after settle_s
  double max_abs_offset_s = 0;
  double rms_freq_ppm = 0;
  int steps = 0;                 // clock steps the host made
  uint64_t requests_sent = 0;    // client requests, all associations and restarts
  NtsCounters nts;               // all restarts
  std::vector<int> polls_log2;   // each association's poll at the end
  HostExit exit = HostExit::kRunning;
  std::optional<double> exit_s;
};

struct CheckResult {
  std::string name;
  std::string host;
  bool passed = false;
  std::string detail;    // the measured value / first violation
  std::string location;  // FILE:LINE of the check
};

struct RunResult {
  uint64_t seed = 0;
  std::string digest;       // hex, over every event of the run
  uint64_t events = 0;      // events the loop ran
  double simulated_s = 0;
  uint64_t datagrams_delivered = 0;
  std::vector<HostSummary> hosts;
  std::vector<CheckResult> checks;
  std::vector<HostSeries> series;                     // if recorded
  std::vector<std::pair<double, std::string>> faults;  // (time, description)
  // Per host (same order as `hosts`): its client associations at the end.
  std::vector<std::vector<AssociationRow>> associations;
  // Host name -> pcap file contents (RunOptions::pcap_hosts).
  std::map<std::string, std::string> pcap;
  bool passed() const {
    for (const CheckResult& c : checks) {
      if (!c.passed) return false;
    }
    return true;
  }
};

// Runs the scenario. Setup errors (a role without a factory: Unimplemented;
// a host the factory refuses: its status; addresses clashing) are returned;
// a host whose Start() fails runs on with exit "error".
absl::StatusOr<RunResult> RunScenario(const LoadedScenario& scenario,
                                      const SimHostFactories& factories,
                                      const RunOptions& options);

}  // namespace sim

#endif  // SIM_SIMULATION_H_
