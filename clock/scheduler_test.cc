#include <string>
#include <vector>

#include "clock/manual_scheduler.h"
#include "clock/timer_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace clocks {
namespace {

using ::testing::ElementsAre;

const absl::Time kT0 = absl::UnixEpoch();

TEST(TimerQueueTest, OrdersByTimeThenInsertion) {
  TimerQueue q;
  std::vector<int> order;
  q.Add(kT0 + absl::Seconds(2), [&] { order.push_back(3); });
  q.Add(kT0 + absl::Seconds(1), [&] { order.push_back(1); });
  q.Add(kT0 + absl::Seconds(1), [&] { order.push_back(2); });
  EXPECT_EQ(q.NextDue(), kT0 + absl::Seconds(1));
  EXPECT_FALSE(q.PopDue(kT0).has_value());
  while (auto e = q.PopDue(kT0 + absl::Seconds(5))) e->callback();
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.NextDue().has_value());
}

TEST(TimerQueueTest, CancelRemovesOnlyPending) {
  TimerQueue q;
  const TimerId a = q.Add(kT0, [] {});
  const TimerId b = q.Add(kT0, [] {});
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(q.Cancel(a));
  EXPECT_FALSE(q.Cancel(a));
  EXPECT_FALSE(q.Cancel(12345));
  auto e = q.PopDue(kT0);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->id, b);
  EXPECT_FALSE(q.Cancel(b));  // already popped
}

TEST(ManualSchedulerTest, RunsTimersInOrderWithTheirDueTimeAsNow) {
  ManualScheduler s(kT0);
  std::vector<std::string> log;
  s.RunAfter(absl::Seconds(3), [&] {
    log.push_back("c@" + std::to_string(absl::ToUnixSeconds(s.Now())));
  });
  s.RunAfter(absl::Seconds(1), [&] {
    log.push_back("a@" + std::to_string(absl::ToUnixSeconds(s.Now())));
    // A callback may schedule more work, which runs in the same advance.
    s.RunAfter(absl::Seconds(1), [&] {
      log.push_back("b@" + std::to_string(absl::ToUnixSeconds(s.Now())));
    });
  });
  EXPECT_EQ(s.AdvanceBy(absl::Seconds(10)), 3);
  EXPECT_THAT(log, ElementsAre("a@1", "b@2", "c@3"));
  EXPECT_EQ(s.Now(), kT0 + absl::Seconds(10));
}

TEST(ManualSchedulerTest, CancelAndPastDeadlines) {
  ManualScheduler s(kT0 + absl::Seconds(100));
  int ran = 0;
  const TimerId id = s.RunAfter(absl::Seconds(1), [&] { ++ran; });
  EXPECT_TRUE(s.Cancel(id));
  s.RunAt(kT0, [&] { ++ran; });  // in the past: runs at once, time unchanged
  EXPECT_EQ(s.RunDue(), 1);
  EXPECT_EQ(s.Now(), kT0 + absl::Seconds(100));
  EXPECT_EQ(s.AdvanceBy(absl::Seconds(5)), 0);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(s.pending(), 0u);
}

TEST(ManualSchedulerTest, CallbackMayCancelALaterTimer) {
  ManualScheduler s(kT0);
  int later_ran = 0;
  const TimerId later = s.RunAfter(absl::Seconds(2), [&] { ++later_ran; });
  s.RunAfter(absl::Seconds(1), [&] { EXPECT_TRUE(s.Cancel(later)); });
  s.AdvanceBy(absl::Seconds(5));
  EXPECT_EQ(later_ran, 0);
}

}  // namespace
}  // namespace clocks
