#include "net/poll_loop.h"

#include <unistd.h>

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace net {
namespace {

using ::ntp::testing::IsOk;
using ::testing::ElementsAre;

TEST(PollLoopTest, TimersRunInOrderAndStopEndsRun) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  std::vector<int> order;
  const absl::Time start = loop->Now();
  loop->RunAfter(absl::Milliseconds(20), [&] {
    order.push_back(2);
    loop->Stop();
  });
  loop->RunAfter(absl::Milliseconds(5), [&] { order.push_back(1); });
  const clocks::TimerId cancelled = loop->RunAfter(absl::Milliseconds(10), [&] {
    order.push_back(99);
  });
  EXPECT_TRUE(loop->Cancel(cancelled));
  ASSERT_THAT(loop->Run(start + absl::Seconds(5)), IsOk());
  EXPECT_THAT(order, ElementsAre(1, 2));
  EXPECT_GE(loop->Now() - start, absl::Milliseconds(20));
  EXPECT_LT(loop->Now() - start, absl::Seconds(5));
}

TEST(PollLoopTest, RunReturnsAtTheDeadline) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  const absl::Time start = loop->Now();
  ASSERT_THAT(loop->Run(start + absl::Milliseconds(30)), IsOk());
  EXPECT_GE(loop->Now() - start, absl::Milliseconds(30));
}

TEST(PollLoopTest, StopBeforeRunIsHonoured) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  loop->Stop();
  const absl::Time start = loop->Now();
  ASSERT_THAT(loop->Run(start + absl::Seconds(5)), IsOk());
  EXPECT_LT(loop->Now() - start, absl::Seconds(1));
}

TEST(PollLoopTest, ReadableFdDispatchAndSelfUnwatch) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int calls = 0;
  loop->WatchReadable(fds[0], [&] {
    ++calls;
    char c;
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    loop->Unwatch(fds[0]);  // a callback may unwatch its own fd
  });
  ASSERT_EQ(write(fds[1], "xy", 2), 2);
  ASSERT_OK_AND_ASSIGN(int ran, loop->RunOnce(absl::Seconds(1)));
  EXPECT_EQ(ran, 1);
  ASSERT_OK_AND_ASSIGN(ran, loop->RunOnce(absl::Milliseconds(10)));
  EXPECT_EQ(ran, 0);  // still readable, but no longer watched
  EXPECT_EQ(calls, 1);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace net
