#include "sim/runner.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "sim/builtin_hosts.h"

namespace sim {
namespace {

using ::ntp::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WriteScenario(const std::string& name, const std::string& text) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "runner_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

constexpr char kScenario[] = R"pb(
  duration_s: 200
  seed: 9
  hosts { name: "server" role: RESPONDER }
  hosts {
    name: "client"
    role: PROBER
    prober { servers: "server" discipline: SIMPLE }
    clock { offset_s: 0.02 }
  }
  checks { host: "client" converge { max_abs_offset_s: 0.001 within_s: 100 } }
)pb";

TEST(RunnerTest, ParseSeedRange) {
  EXPECT_THAT(*ParseSeedRange("5"), ElementsAre(5));
  EXPECT_THAT(*ParseSeedRange("3..6"), ElementsAre(3, 4, 5, 6));
  EXPECT_THAT(ParseSeedRange("6..3"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSeedRange("x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSeedRange("1..2..3"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSeedRange("0..100000"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RunnerTest, PassingRunWritesSeriesPlotAndSummary) {
  RunnerOptions options;
  options.scenario_path = WriteScenario("pass.textproto", kScenario);
  const std::filesystem::path out = std::filesystem::path(::testing::TempDir()) / "runner_out";
  options.out_dir = out.string();
  options.summary_json = (out / "summary.json").string();
  options.check_determinism = true;
  std::ostringstream stdout_text, stderr_text;
  EXPECT_EQ(RunScenarioCommand(options, BuiltinHostFactories(), stdout_text, stderr_text), 0)
      << stderr_text.str();
  EXPECT_THAT(stdout_text.str(), HasSubstr("ntpsim: pass seed 9:"));
  EXPECT_THAT(stdout_text.str(), HasSubstr("PASS converge/client"));
  EXPECT_THAT(stdout_text.str(), HasSubstr("determinism: rerun and reordered runs reproduce"));
  EXPECT_TRUE(std::filesystem::exists(out / "client.csv"));
  EXPECT_TRUE(std::filesystem::exists(out / "server.csv"));
  EXPECT_TRUE(std::filesystem::exists(out / "plot.svg"));
  std::ifstream summary(out / "summary.json");
  std::stringstream json;
  json << summary.rdbuf();
  EXPECT_THAT(json.str(), HasSubstr("\"seeds\": [9]"));
}

TEST(RunnerTest, FailingCheckPrintsSeedAndReplayCommand) {
  RunnerOptions options;
  options.scenario_path = WriteScenario("fail.textproto", std::string(kScenario) + R"pb(
    checks { name: "impossible" host: "client" max_offset { after_s: 0 max_s: 1e-9 } }
  )pb");
  options.seeds = {4, 5};
  std::ostringstream stdout_text, stderr_text;
  EXPECT_EQ(RunScenarioCommand(options, BuiltinHostFactories(), stdout_text, stderr_text), 1);
  EXPECT_THAT(stderr_text.str(), HasSubstr("FAILED check impossible (host client, "));
  EXPECT_THAT(stderr_text.str(), HasSubstr("seed 5: max |offset|"));
  EXPECT_THAT(stderr_text.str(),
              HasSubstr("replay: bazel run //:ntpsim -- --scenario=" + options.scenario_path +
                        " --seed=4\n"));
  EXPECT_THAT(stdout_text.str(), HasSubstr("0 of 2 seeds passed every check"));
}

TEST(RunnerTest, BadScenarioIsExitTwoWithTheLocation) {
  RunnerOptions options;
  options.scenario_path = WriteScenario("bad.textproto", "duration_s: -1\n");
  std::ostringstream stdout_text, stderr_text;
  EXPECT_EQ(RunScenarioCommand(options, BuiltinHostFactories(), stdout_text, stderr_text), 2);
  EXPECT_THAT(stderr_text.str(), HasSubstr("bad.textproto:1:1: duration_s: required"));
  options.scenario_path = "/nonexistent/x.textproto";
  EXPECT_EQ(RunScenarioCommand(options, BuiltinHostFactories(), stdout_text, stderr_text), 2);
}

TEST(RunnerTest, ProgressLineGoesToErr) {
  RunnerOptions options;
  options.scenario_path = WriteScenario("progress.textproto", kScenario);
  options.progress = true;
  std::ostringstream stdout_text, stderr_text;
  EXPECT_EQ(RunScenarioCommand(options, BuiltinHostFactories(), stdout_text, stderr_text), 0);
  EXPECT_THAT(stderr_text.str(), HasSubstr("100% of 200 s simulated"));
}

}  // namespace
}  // namespace sim
