// A simulated host writes the trace format ntpd --trace writes, and the
// daemon's replayer replays it: the step-and-panic scenario's hosts replay
// identically, and a recorded reply changed by one octet is reported as
// the first divergence, at the actions for that reply.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/recorder.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/trace.pb.h"
#include "ntp/trace/what_if.h"
#include "sim/default_hosts.h"
#include "sim/scenario_loader.h"
#include "sim/simulation.h"

namespace sim {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<std::string> TraceOf(const std::string& host) {
  absl::StatusOr<LoadedScenario> loaded =
      LoadScenarioFile("testdata/scenarios/ntpd_panic.textproto");
  if (!loaded.ok()) return loaded.status();
  ntp::trace::MemoryTraceSink sink;
  RunOptions options;
  options.seed = loaded->default_seed;
  options.trace_host = host;
  options.trace_sink = &sink;
  absl::StatusOr<RunResult> run = RunScenario(*loaded, DefaultHostFactories(), options);
  if (!run.ok()) return run.status();
  EXPECT_TRUE(run->passed());
  return sink.bytes;
}

bool HasClockStep(const std::vector<ntp::trace::Record>& records) {
  for (const ntp::trace::Record& r : records) {
    if (!r.has_actions()) continue;
    for (const ntp::trace::Action& a : r.actions().actions()) {
      if (a.has_clock_operation() && a.clock_operation().offset().ns() != 0 &&
          a.clock_operation().offset().ns() < -1000000000LL) {
        return true;
      }
    }
  }
  return false;
}

TEST(SimTraceTest, StepAndPanicHostsReplayIdentically) {
  for (const std::string host : {"dash_g", "strict", "server"}) {
    absl::StatusOr<std::string> trace = TraceOf(host);
    ASSERT_THAT(trace, IsOk());
    absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(*trace);
    ASSERT_THAT(result, IsOk()) << host;
    EXPECT_TRUE(result->identical) << host << ": " << result->report;
    EXPECT_GT(result->inputs, 10u) << host;
    absl::StatusOr<std::vector<ntp::trace::Record>> records = ntp::trace::ParseFramed(*trace);
    ASSERT_THAT(records, IsOk());
    EXPECT_EQ((*records)[0].header().sim_host(), host);
    // dash_g steps the hour back once (-g); strict panics instead.
    EXPECT_EQ(HasClockStep(*records), host == "dash_g") << host;
  }
  absl::StatusOr<std::string> dump = ntp::trace::Dump(*TraceOf("strict"));
  ASSERT_THAT(dump, IsOk());
  EXPECT_THAT(*dump, HasSubstr("exceeds sanity limit"));
}

TEST(SimTraceTest, AModifiedRecordedReplyIsTheFirstDivergence) {
  absl::StatusOr<std::string> trace = TraceOf("dash_g");
  ASSERT_THAT(trace, IsOk());
  absl::StatusOr<std::vector<ntp::trace::Record>> records = ntp::trace::ParseFramed(*trace);
  ASSERT_THAT(records, IsOk());
  // The first reply the client takes a sample from (its actions hold the
  // peerstats line): its transmit timestamp 1 s later.
  int64_t target = -1;
  for (size_t i = 1; i + 1 < records->size() && target < 0; ++i) {
    if (!(*records)[i].has_input() || !(*records)[i].input().has_datagram()) continue;
    bool sampled = false;
    for (const ntp::trace::Action& a : (*records)[i + 1].actions().actions()) {
      sampled = sampled || a.has_peer_stats();
    }
    if (!sampled) continue;
    std::string* payload = (*records)[i].mutable_input()->mutable_datagram()->mutable_payload();
    ASSERT_GE(payload->size(), 48u);
    (*payload)[43] = static_cast<char>((*payload)[43] + 1);  // transmit seconds, low octet
    target = static_cast<int64_t>(i + 1);
  }
  ASSERT_GE(target, 0);
  std::string modified;
  for (const ntp::trace::Record& r : *records) ntp::trace::AppendFramed(r, &modified);
  absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(modified);
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->identical);
  EXPECT_EQ(result->divergent_record, target) << result->report;
  EXPECT_THAT(result->report, HasSubstr(absl::StrCat("first divergence at record ", target)));
}

// Without a setting the what-if run is the recorded run again: the same
// requests and the same peer offsets (replies matched with no shift).
TEST(SimTraceTest, WhatIfWithoutChangesRepeatsTheRecordedRun) {
  absl::StatusOr<std::string> trace = TraceOf("dash_g");
  ASSERT_THAT(trace, IsOk());
  absl::StatusOr<ntp::trace::WhatIfResult> r = ntp::trace::WhatIf(*trace, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->what_if.requests.size(), r->original.requests.size()) << r->report;
  ASSERT_EQ(r->what_if.peer_offsets.size(), r->original.peer_offsets.size()) << r->report;
  ASSERT_FALSE(r->original.peer_offsets.empty());
  for (size_t i = 0; i < r->original.peer_offsets.size(); ++i) {
    EXPECT_NEAR(r->what_if.peer_offsets[i].value, r->original.peer_offsets[i].value, 1e-9) << i;
  }
  EXPECT_EQ(r->what_if.clock_ops.size(), r->original.clock_ops.size());
}

// The panicking host with the panic check off steps the hour instead (the
// trace ends where the original exited: nothing is known of the network
// beyond); the stepping host without -g panics instead.
TEST(SimTraceTest, WhatIfPanicOffStepsInsteadOfExiting) {
  absl::StatusOr<std::string> trace = TraceOf("strict");
  ASSERT_THAT(trace, IsOk());
  ntp::trace::WhatIfOptions options;
  options.settings = {"tinker.panic=0"};
  absl::StatusOr<ntp::trace::WhatIfResult> r = ntp::trace::WhatIf(*trace, options);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->original.panicked) << r->report;
  EXPECT_FALSE(r->what_if.panicked) << r->report;
  int steps = 0;
  for (const ntp::trace::WhatIfClockOp& op : r->what_if.clock_ops) {
    if (op.kind != "step") continue;
    ++steps;
    EXPECT_TRUE(op.applied);
    EXPECT_NEAR(op.offset_s, -3600, 1);
  }
  EXPECT_EQ(steps, 1) << r->report;
  EXPECT_THAT(r->report, HasSubstr("tinker.panic=0"));
  EXPECT_THAT(r->report, HasSubstr("panic exit"));

  trace = TraceOf("dash_g");
  ASSERT_THAT(trace, IsOk());
  options.settings = {"option.g=0"};
  r = ntp::trace::WhatIf(*trace, options);
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->original.panicked);
  EXPECT_TRUE(r->what_if.panicked) << r->report;
}

TEST(SimTraceTest, WhatIfMaxpollCapsThePoll) {
  absl::StatusOr<std::string> trace = TraceOf("dash_g");
  ASSERT_THAT(trace, IsOk());
  ntp::trace::WhatIfOptions options;
  options.settings = {"server.192.0.2.1.maxpoll=4", "server.192.0.2.1.minpoll=4"};
  absl::StatusOr<ntp::trace::WhatIfResult> r = ntp::trace::WhatIf(*trace, options);
  ASSERT_THAT(r, IsOk());
  // 16 s polls instead of 64 s and more.
  EXPECT_GT(r->what_if.requests.size(), 2 * r->original.requests.size()) << r->report;
  ASSERT_FALSE(r->what_if.poll_log2.empty());
  EXPECT_LE(r->what_if.poll_log2.back().value, 4);
}

TEST(SimTraceTest, BadSettingsAreNamed) {
  absl::StatusOr<std::string> trace = TraceOf("dash_g");
  ASSERT_THAT(trace, IsOk());
  for (const auto& [setting, message] : std::vector<std::pair<std::string, std::string>>{
           {"tinker.nothing=1", "unknown tinker field"},
           {"tinker.step", "expected KEY=VALUE"},
           {"tinker.step=fast", "not a number"},
           {"server.10.9.9.9.maxpoll=6", "no server line names 10.9.9.9"},
           {"server.192.0.2.1.maxpoll=99", "refused"},
           {"option.g=2", "expected 0 or 1"},
           {"clock.rate=1", "unknown key"}}) {
    ntp::trace::WhatIfOptions options;
    options.settings = {setting};
    EXPECT_THAT(ntp::trace::WhatIf(*trace, options),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << setting;
  }
}

TEST(SimTraceTest, AnUnknownHostIsRefused) {
  EXPECT_THAT(TraceOf("nobody"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no host is named")));
}

}  // namespace
}  // namespace sim
