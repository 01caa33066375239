// A simulated host writes the trace format ntpd --trace writes, and the
// daemon's replayer replays it: the step-and-panic scenario's hosts replay
// identically, and a recorded reply changed by one octet is reported as
// the first divergence, at the actions for that reply.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/recorder.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/trace.pb.h"
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

TEST(SimTraceTest, AnUnknownHostIsRefused) {
  EXPECT_THAT(TraceOf("nobody"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no host is named")));
}

}  // namespace
}  // namespace sim
