// ntpreplay --to_scenario: a client traced in a scenario with a known link
// gives back that link's delay, jitter and loss, and the scenario written
// loads and runs.
#include "sim/trace_to_scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/trace/recorder.h"
#include "sim/default_hosts.h"
#include "sim/scenario_loader.h"
#include "sim/simulation.h"

namespace sim {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

// A client of one server over a 2 ms link, with or without jitter and loss.
std::string Scenario(const std::string& link) {
  return absl::StrCat(
      "name: \"link\"\nduration_s: 3600\n"
      "hosts { name: \"server\" role: RESPONDER addresses: \"192.0.2.1\" }\n"
      "hosts { name: \"client\" role: NTPD ntp_conf: \"server 192.0.2.1 iburst minpoll 4 "
      "maxpoll 4\\n\" clock { offset_s: 0.02 } }\n"
      "default_link { ",
      link, " }\n");
}

absl::StatusOr<TraceScenario> Estimate(const std::string& text, uint64_t seed) {
  absl::StatusOr<LoadedScenario> loaded = ParseScenario(text, "link.textproto");
  if (!loaded.ok()) return loaded.status();
  ntp::trace::MemoryTraceSink sink;
  RunOptions options;
  options.seed = seed;
  options.trace_host = "client";
  options.trace_sink = &sink;
  absl::StatusOr<RunResult> run = RunScenario(*loaded, DefaultHostFactories(), options);
  if (!run.ok()) return run.status();
  return ScenarioFromTrace(sink.bytes, "estimated");
}

// Without jitter every exchange measures the link itself: over seeds 1..10
// the worst error of the delay was 2.14e-11 s (the 2^-32 s timestamps);
// the bound is 3x that.
TEST(TraceToScenarioTest, AFixedDelayIsRecovered) {
  double worst = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    absl::StatusOr<TraceScenario> s = Estimate(Scenario("delay_s: 0.002"), seed);
    ASSERT_THAT(s, IsOk());
    ASSERT_EQ(s->links.size(), 1u);
    const LinkEstimate& link = s->links[0];
    EXPECT_EQ(link.server, "192.0.2.1");
    EXPECT_EQ(link.replies, link.requests);
    EXPECT_EQ(link.loss_each_way, 0);
    worst = std::max(worst, std::fabs(link.min_delay_s - 0.002));
    EXPECT_LT(link.mean_excess_s, 1e-8);
  }
  EXPECT_LT(worst, 6.5e-11) << worst;
  std::printf("worst delay error over seeds 1..10: %.3g s\n", worst);
}

// Exponential jitter of mean 0.5 ms and 10 % loss each way (about 225
// exchanges in an hour of 16 s polls). The estimates' worst errors over
// seeds 1..10 were 0.0218 (loss), 5.76e-05 s (base delay) and
// 5.78e-05 s (mean excess); the bounds are 3x those.
TEST(TraceToScenarioTest, JitterAndLossAreEstimated) {
  const std::string text =
      Scenario("delay_s: 0.002 loss: 0.1 jitter { distribution: EXPONENTIAL scale_s: 0.0005 }");
  double worst_loss = 0, worst_min = 0, worst_excess = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    absl::StatusOr<TraceScenario> s = Estimate(text, seed);
    ASSERT_THAT(s, IsOk());
    ASSERT_EQ(s->links.size(), 1u);
    const LinkEstimate& link = s->links[0];
    EXPECT_GT(link.requests, 200);
    worst_loss = std::max(worst_loss, std::fabs(link.loss_each_way - 0.1));
    worst_min = std::max(worst_min, std::fabs(link.min_delay_s - 0.002));
    worst_excess = std::max(worst_excess, std::fabs(link.mean_excess_s - 0.0005));
  }
  std::printf("worst errors: loss %.3g, base delay %.3g s, mean excess %.3g s\n", worst_loss,
              worst_min, worst_excess);
  EXPECT_LT(worst_loss, 0.065);
  EXPECT_LT(worst_min, 1.7e-4);
  EXPECT_LT(worst_excess, 1.7e-4);
  absl::StatusOr<TraceScenario> s = Estimate(text, 1);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(s->text, HasSubstr("# Written by ntpreplay --to_scenario"));
  EXPECT_THAT(s->text, HasSubstr("distribution: EXPONENTIAL"));

  // The scenario written loads and runs.
  absl::StatusOr<LoadedScenario> loaded = ParseScenario(s->text, "estimated.textproto");
  ASSERT_TRUE(loaded.ok()) << loaded.status() << "\n" << s->text;
  RunOptions options;
  absl::StatusOr<RunResult> run = RunScenario(*loaded, DefaultHostFactories(), options);
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->hosts.size(), 2u);
}

TEST(TraceToScenarioTest, ATraceWithoutRepliesIsRefused) {
  absl::StatusOr<TraceScenario> s = Estimate(Scenario("delay_s: 0.002 loss: 1"), 1);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no answered")));
}

}  // namespace
}  // namespace sim
