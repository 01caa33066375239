// The ntpsim command as a library: runs a scenario file for one or more
// seeds, prints per-run results, writes the per-host CSV series, the SVG
// plot and the summary JSON, and prints for every failed check the seed and
// the one command that replays exactly that run. Used by tools/ntpsim_main.cc
// and by the per-scenario tests (scenario_test_main.cc).
#ifndef SIM_RUNNER_H_
#define SIM_RUNNER_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sim/sim_host.h"

namespace sim {

struct RunnerOptions {
  std::string scenario_path;  // as the user wrote it (messages, replay command)
  std::string open_path;      // where to read it (default: scenario_path)
  std::vector<uint64_t> seeds;  // empty: the scenario's seed
  std::optional<uint64_t> perturb_seed;
  std::string out_dir;       // CSV + SVG here (DIR, or DIR/seed-N for several seeds)
  std::string summary_json;  // write the summary JSON to this file
  bool progress = false;     // a progress line on `err` (for terminals)
  // Also rerun each seed, once as is and once with simultaneous
  // independent events reordered, and fail unless the digests and results
  // are identical.
  bool check_determinism = false;
  std::string replay_command = "bazel run //:ntpsim --";
  // With out_dir: also write HOST.pcap for these hosts ("*": all).
  std::vector<std::string> pcap_hosts;
  // Write the trace of this host (one seed only) to `trace_path`, for
  // ntpreplay (RunOptions::trace_host).
  std::string trace_host;
  std::string trace_path;
};

// Exit status: 0 every check of every seed passed; 1 a check failed or the
// determinism check found a difference; 2 the scenario could not be
// loaded or run, or an output could not be written.
int RunScenarioCommand(const RunnerOptions& options, const SimHostFactories& factories,
                       std::ostream& out, std::ostream& err);

// "A..B" (inclusive, A <= B, at most 100000 seeds) or a single "N".
absl::StatusOr<std::vector<uint64_t>> ParseSeedRange(absl::string_view text);

}  // namespace sim

#endif  // SIM_RUNNER_H_
