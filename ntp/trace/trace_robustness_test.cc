// The trace reader on the seed corpus (each file's outcome pinned) and on
// seeded mutations of it: every input returns, and every refusal is a
// documented code with a message (fuzz_checks.h).
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/trace/fuzz_checks.h"
#include "ntp/trace/replayer.h"

namespace ntp::trace {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kCorpus[] = "testdata/fuzz/trace_fuzz/";

std::string Read(const std::string& name) {
  std::ifstream in(kCorpus + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TraceRobustnessTest, CorpusOutcomesArePinned) {
  for (const char* name : {"loopback_client.trace", "sim_panic.trace"}) {
    absl::StatusOr<ReplayResult> r = Replay(Read(name));
    ASSERT_THAT(r, IsOk()) << name;
    EXPECT_TRUE(r->identical) << name << ": " << r->report;
  }
  EXPECT_THAT(Replay(Read("truncated.trace")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated trace")));
  EXPECT_THAT(Replay(Read("version2.trace")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("trace format version 2 is not supported")));
  EXPECT_THAT(Replay(Read("empty.trace")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a trace")));
  EXPECT_THAT(Replay(Read("huge_length.trace")), StatusIs(absl::StatusCode::kDataLoss));
  for (const char* name : {"loopback_client.trace", "sim_panic.trace", "truncated.trace",
                           "version2.trace", "empty.trace", "huge_length.trace"}) {
    EXPECT_THAT(CheckTraceInput(Read(name)), IsOk()) << name;
  }
}

// 3000 mutations (fixed seed: a failure reruns exactly): bytes flipped,
// inserted, deleted, cut.
TEST(TraceRobustnessTest, MutationsKeepTheInvariants) {
  const std::vector<std::string> seeds = {Read("loopback_client.trace"), Read("sim_panic.trace")};
  std::mt19937_64 random(20261205);
  for (int round = 0; round < 3000; ++round) {
    std::string input = seeds[round % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 6);
    for (int e = 0; e < edits && !input.empty(); ++e) {
      const size_t at = random() % input.size();
      switch (random() % 4) {
        case 0: input[at] ^= static_cast<char>(1 + random() % 255); break;
        case 1: input.insert(at, 1, static_cast<char>(random())); break;
        case 2: input.erase(at, 1 + random() % 8); break;
        default: input.resize(at); break;
      }
    }
    const absl::Status status = CheckTraceInput(input);
    ASSERT_THAT(status, IsOk()) << "round " << round;
  }
}

}  // namespace
}  // namespace ntp::trace
