#include "net/poll_loop.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

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

// Writable watching: one poll entry per descriptor watched both ways,
// writable before readable in a round, and each direction unwatched alone.
TEST(PollLoopTest, WritableFdDispatchSharesTheDescriptorsEntry) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  const size_t idle = loop->poll_set_size();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::vector<char> order;
  loop->WatchReadable(sv[0], [&] {
    order.push_back('r');
    char c;
    ASSERT_EQ(read(sv[0], &c, 1), 1);
  });
  loop->WatchWritable(sv[0], [&] {
    order.push_back('w');
    loop->UnwatchWritable(sv[0]);  // a callback may unwatch its own direction
  });
  EXPECT_EQ(loop->poll_set_size(), idle + 1);
  ASSERT_EQ(write(sv[1], "x", 1), 1);
  ASSERT_OK_AND_ASSIGN(int ran, loop->RunOnce(absl::Seconds(1)));
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(order, (std::vector<char>{'w', 'r'}));
  // Writable but no longer watched that way; nothing to read.
  ASSERT_OK_AND_ASSIGN(ran, loop->RunOnce(absl::Milliseconds(10)));
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(loop->poll_set_size(), idle + 1);
  loop->WatchWritable(sv[1], [] {});
  EXPECT_EQ(loop->poll_set_size(), idle + 2);
  loop->Unwatch(sv[1]);
  loop->Unwatch(sv[0]);
  EXPECT_EQ(loop->poll_set_size(), idle);
  close(sv[0]);
  close(sv[1]);
}

// The loop a test's SIGUSR1 handler stops.
PollLoop* g_stop_on_signal = nullptr;
void StopOnSignal(int) {
  if (g_stop_on_signal != nullptr) g_stop_on_signal->Stop();
}

class PollLoopWakeTest : public ::testing::TestWithParam<PollLoop::WakeMode> {};

TEST_P(PollLoopWakeTest, PollSetHoldsOnlyWatchedFdsAndTheWakeFd) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create(GetParam()));
  const size_t extra = loop->wake_mode() == PollLoop::WakeMode::kEventFd ? 1 : 0;
  if (GetParam() == PollLoop::WakeMode::kInterrupt) {
    EXPECT_EQ(extra, 0u);
  }
  EXPECT_EQ(loop->poll_set_size(), extra);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  loop->WatchReadable(fds[0], [] {});
  EXPECT_EQ(loop->poll_set_size(), extra + 1);
  loop->Unwatch(fds[0]);
  close(fds[0]);
  close(fds[1]);
}

// A signal handler's Stop() ends a Run that waits in poll with no timer due:
// by the eventfd, or by EINTR alone (well before kInterruptModeMaxWait).
TEST_P(PollLoopWakeTest, StopFromASignalHandlerWakesPoll) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create(GetParam()));
  struct sigaction action {}, previous {};
  action.sa_handler = StopOnSignal;
  sigemptyset(&action.sa_mask);  // no SA_RESTART (poll is never restarted)
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);
  g_stop_on_signal = loop.get();
  const pthread_t loop_thread = pthread_self();
  std::atomic<bool> done{false};
  std::thread killer([&] {
    // Signal until Run has returned: the first one may land before poll.
    for (int i = 0; i < 50 && !done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!done) pthread_kill(loop_thread, SIGUSR1);
    }
  });
  const absl::Time start = loop->Now();
  ASSERT_THAT(loop->Run(start + absl::Seconds(20)), IsOk());
  done = true;
  killer.join();
  g_stop_on_signal = nullptr;
  sigaction(SIGUSR1, &previous, nullptr);
  EXPECT_LT(loop->Now() - start, absl::Milliseconds(900));
}

INSTANTIATE_TEST_SUITE_P(Modes, PollLoopWakeTest,
                         ::testing::Values(PollLoop::WakeMode::kEventFd,
                                           PollLoop::WakeMode::kInterrupt),
                         [](const auto& info) {
                           return info.param == PollLoop::WakeMode::kEventFd
                                      ? std::string("EventFd")
                                      : std::string("Interrupt");
                         });

TEST(PollLoopTest, InterruptModeBoundsEachWait) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop,
                       PollLoop::Create(PollLoop::WakeMode::kInterrupt));
  const absl::Time start = loop->Now();
  ASSERT_OK_AND_ASSIGN(int ran, loop->RunOnce(absl::Seconds(30)));
  EXPECT_EQ(ran, 0);
  EXPECT_LT(loop->Now() - start, PollLoop::kInterruptModeMaxWait + absl::Milliseconds(500));
}

}  // namespace
}  // namespace net
