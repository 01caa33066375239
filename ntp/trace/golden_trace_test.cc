// The committed trace of a real loopback run (testdata/traces/, recorded by
// tools/record_trace.sh with an earlier build) replays identically on this
// build. A change meant to alter the daemon's decisions fails here with
// the first changed decision; re-record after reviewing it.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/trace.pb.h"

namespace ntp::trace {
namespace {

using ::ntp::testing::IsOk;
using ::testing::HasSubstr;

constexpr char kGolden[] = "testdata/traces/loopback_client.trace";

std::string ReadGolden() {
  std::ifstream in(kGolden, std::ios::binary);
  EXPECT_TRUE(in.good()) << kGolden;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(GoldenTraceTest, ReplaysIdenticallyOnThisBuild) {
  const std::string bytes = ReadGolden();
  ASSERT_FALSE(bytes.empty());
  absl::StatusOr<ReplayResult> result = Replay(bytes);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical)
      << result->report
      << "\nIf this change is meant to alter the daemon's decisions, check that the divergence "
         "above is the intended one and re-record with tools/record_trace.sh.";
  // A real run: the start, iburst exchanges, polls and the shutdown.
  EXPECT_GT(result->inputs, 30u);
}

// The regression report names the first changed decision: a recorded
// timer of the client moved by 1 ns is found at its record.
TEST(GoldenTraceTest, AChangedDecisionIsNamedByItsRecord) {
  absl::StatusOr<std::vector<Record>> records = ParseFramed(ReadGolden());
  ASSERT_THAT(records, IsOk());
  int64_t target = -1;
  int datagrams = 0;
  for (size_t i = 1; i + 1 < records->size() && target < 0; ++i) {
    const Record& input = (*records)[i];
    if (!input.has_input() || !input.input().has_datagram()) continue;
    // The third reply from the server: past the first iburst exchanges.
    if (++datagrams < 3) continue;
    for (Action& a : *(*records)[i + 1].mutable_actions()->mutable_actions()) {
      if (a.has_set_timer()) {
        a.mutable_set_timer()->mutable_when()->set_ns(a.set_timer().when().ns() + 1);
        target = static_cast<int64_t>(i + 1);
        break;
      }
    }
  }
  ASSERT_GE(target, 0) << "no timer set after the third reply";
  std::string bytes;
  for (const Record& r : *records) AppendFramed(r, &bytes);
  absl::StatusOr<ReplayResult> result = Replay(bytes);
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->identical);
  EXPECT_EQ(result->divergent_record, target);
  EXPECT_THAT(result->report, HasSubstr(absl::StrCat("first divergence at record ", target)));
  EXPECT_THAT(result->report, HasSubstr("set_timer"));
}

}  // namespace
}  // namespace ntp::trace
