#include "tools/event_rate_limiter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tools {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

class Recorder final : public ntp::EventSink {
 public:
  void OnEvent(const ntp::Event& event) override { lines.push_back(event.text); }
  std::vector<std::string> lines;
};

class RateLimitedEventsTest : public ::testing::Test {
 protected:
  RateLimitedEventsTest()
      : limiter_(&out_, [this] { return now_; }, {3, absl::Minutes(1)}) {}
  void Kiss(int i) {
    limiter_.OnEvent({ntp::EventKind::kKissOfDeath, "kod " + std::to_string(i)});
  }

  absl::Time now_ = absl::UnixEpoch() + absl::Hours(1);
  Recorder out_;
  RateLimitedEvents limiter_;
};

TEST_F(RateLimitedEventsTest, PassesLinesUpToTheLimit) {
  for (int i = 0; i < 3; ++i) Kiss(i);
  EXPECT_THAT(out_.lines, ElementsAre("kod 0", "kod 1", "kod 2"));
  EXPECT_EQ(limiter_.suppressed(), 0u);
}

TEST_F(RateLimitedEventsTest, SuppressesTheRestAndSaysSoInTheNextWindow) {
  for (int i = 0; i < 50; ++i) {
    Kiss(i);
    now_ += absl::Seconds(1);  // 50 kisses in 50 s: one window
  }
  EXPECT_THAT(out_.lines, SizeIs(3));
  EXPECT_EQ(limiter_.suppressed(), 47u);
  now_ += absl::Seconds(10);  // the window has ended
  Kiss(50);
  EXPECT_THAT(out_.lines, ElementsAre("kod 0", "kod 1", "kod 2",
                                      "47 kod messages suppressed (more than 3 in 1m)",
                                      "kod 50"));
}

TEST_F(RateLimitedEventsTest, KindsHaveTheirOwnBudgetAndPanicIsNeverHeldBack) {
  for (int i = 0; i < 5; ++i) Kiss(i);
  limiter_.OnEvent({ntp::EventKind::kInfo, "10.0.0.1 reachable"});
  for (int i = 0; i < 5; ++i) limiter_.OnEvent({ntp::EventKind::kPanic, "panic"});
  EXPECT_THAT(out_.lines, SizeIs(3 + 1 + 5));
  EXPECT_EQ(limiter_.suppressed(), 2u);
}

TEST_F(RateLimitedEventsTest, FlushReportsWhatIsPending) {
  for (int i = 0; i < 4; ++i) Kiss(i);
  limiter_.Flush();
  limiter_.Flush();  // reported once
  EXPECT_THAT(out_.lines, ElementsAre("kod 0", "kod 1", "kod 2",
                                      "1 kod message suppressed (more than 3 in 1m)"));
}

}  // namespace
}  // namespace tools
