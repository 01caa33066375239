// main() of the per-scenario tests made by scenario_test.bzl: runs one
// scenario file with a fixed seed, checks that reordering simultaneous
// independent events changes nothing, and fails (exit 1) with the seed and
// the replay command when a check fails. The series and plot go to the
// test's undeclared outputs (bazel-testlogs/.../test.outputs/).
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "sim/default_hosts.h"
#include "sim/runner.h"

int main(int argc, char** argv) {
  sim::RunnerOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--scenario=")) {
      options.scenario_path = arg.substr(11);
    } else if (absl::StartsWith(arg, "--seed=")) {
      absl::StatusOr<std::vector<uint64_t>> seeds = sim::ParseSeedRange(arg.substr(7));
      if (!seeds.ok()) {
        std::cerr << seeds.status().message() << "\n";
        return 2;
      }
      options.seeds = *seeds;
    } else {
      std::cerr << "usage: " << argv[0] << " --scenario=FILE [--seed=N]\n";
      return 2;
    }
  }
  if (options.scenario_path.empty()) {
    std::cerr << "--scenario=FILE is required\n";
    return 2;
  }
  options.check_determinism = true;
  if (const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR"); outputs != nullptr) {
    options.out_dir = outputs;
    options.summary_json = std::string(outputs) + "/summary.json";
  }
  return sim::RunScenarioCommand(options, sim::DefaultHostFactories(), std::cout, std::cerr);
}
