// ntpsim: runs a simulator scenario.
//   bazel run //:ntpsim -- --scenario=FILE [--seed=N | --seeds=A..B]
//       [--out=DIR] [--summary_json=FILE]
// Exit status 0 only if every check of every seed passed (see runner.h).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "sim/default_hosts.h"
#include "absl/strings/str_split.h"
#include "sim/runner.h"

ABSL_FLAG(std::string, scenario, "", "scenario file (text-format sim.scenario.Scenario)");
ABSL_FLAG(std::string, seed, "", "run this seed (default: the scenario's seed)");
ABSL_FLAG(std::string, seeds, "", "run seeds A..B inclusive");
ABSL_FLAG(std::string, out, "", "write per-host CSV series and plot.svg here");
ABSL_FLAG(std::string, summary_json, "", "write the summary JSON to this file");
ABSL_FLAG(std::string, perturb_seed, "",
          "reorder simultaneous independent events with this seed (determinism checks)");
ABSL_FLAG(bool, check_determinism, false,
          "also rerun each seed with events reordered and compare digests");
ABSL_FLAG(std::string, pcap, "",
          "with --out: also write HOST.pcap for these hosts (comma-separated, \"*\": all)");
ABSL_FLAG(bool, progress, true, "show a progress line when stderr is a terminal");
ABSL_FLAG(std::string, trace_host, "",
          "record this host's trace (the format of ntpd --trace) for ntpreplay; one seed");
ABSL_FLAG(std::string, trace, "", "where --trace_host's trace goes");

namespace {

// Paths on the command line are relative to where the user ran
// `bazel run`, not to the runfiles tree the binary starts in.
std::string FromUser(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  return dir != nullptr ? std::string(dir) + "/" + path : path;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "runs a simulator scenario: --scenario=FILE [--seed=N | --seeds=A..B] [--out=DIR] "
      "[--summary_json=FILE]");
  absl::ParseCommandLine(argc, argv);
  sim::RunnerOptions options;
  options.scenario_path = absl::GetFlag(FLAGS_scenario);
  if (options.scenario_path.empty()) {
    std::cerr << "ntpsim: --scenario=FILE is required\n";
    return 2;
  }
  options.open_path = FromUser(options.scenario_path);
  if (!absl::GetFlag(FLAGS_seed).empty() && !absl::GetFlag(FLAGS_seeds).empty()) {
    std::cerr << "ntpsim: give --seed or --seeds, not both\n";
    return 2;
  }
  const std::string seeds =
      absl::GetFlag(FLAGS_seeds).empty() ? absl::GetFlag(FLAGS_seed) : absl::GetFlag(FLAGS_seeds);
  if (!seeds.empty()) {
    absl::StatusOr<std::vector<uint64_t>> parsed = sim::ParseSeedRange(seeds);
    if (!parsed.ok() || (!absl::GetFlag(FLAGS_seed).empty() && parsed->size() != 1)) {
      std::cerr << "ntpsim: bad seed: " << seeds << "\n";
      return 2;
    }
    options.seeds = *parsed;
  }
  if (!absl::GetFlag(FLAGS_perturb_seed).empty()) {
    absl::StatusOr<std::vector<uint64_t>> p =
        sim::ParseSeedRange(absl::GetFlag(FLAGS_perturb_seed));
    if (!p.ok() || p->size() != 1) {
      std::cerr << "ntpsim: bad --perturb_seed\n";
      return 2;
    }
    options.perturb_seed = (*p)[0];
  }
  options.out_dir = FromUser(absl::GetFlag(FLAGS_out));
  options.summary_json = FromUser(absl::GetFlag(FLAGS_summary_json));
  options.trace_host = absl::GetFlag(FLAGS_trace_host);
  options.trace_path = FromUser(absl::GetFlag(FLAGS_trace));
  if (options.trace_host.empty() != options.trace_path.empty()) {
    std::cerr << "ntpsim: --trace_host=HOST and --trace=FILE go together\n";
    return 2;
  }
  options.check_determinism = absl::GetFlag(FLAGS_check_determinism);
  if (!absl::GetFlag(FLAGS_pcap).empty()) {
    options.pcap_hosts = absl::StrSplit(absl::GetFlag(FLAGS_pcap), ',', absl::SkipEmpty());
  }
  options.progress = absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO);
  return sim::RunScenarioCommand(options, sim::DefaultHostFactories(), std::cout, std::cerr);
}
