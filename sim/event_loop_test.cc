#include "sim/event_loop.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/domain_scheduler.h"

namespace sim {
namespace {

TEST(EventLoopTest, RunsInTimeThenInsertionOrder) {
  EventLoop loop;
  const DomainId d = loop.AddDomain("a");
  std::vector<std::string> log;
  loop.Schedule(20, d, Phase::kNormal, [&] { log.push_back("t20"); });
  loop.Schedule(10, d, Phase::kNormal, [&] { log.push_back("t10-first"); });
  loop.Schedule(10, d, Phase::kNormal, [&] { log.push_back("t10-second"); });
  EXPECT_EQ(loop.RunUntil(100), 3u);
  EXPECT_EQ(log, (std::vector<std::string>{"t10-first", "t10-second", "t20"}));
  EXPECT_EQ(loop.now_ns(), 100);
}

TEST(EventLoopTest, PhasesOrderEventsAtTheSameInstant) {
  EventLoop loop;
  const DomainId d = loop.AddDomain("a");
  std::vector<std::string> log;
  loop.Schedule(5, d, Phase::kObserve, [&] { log.push_back("observe"); });
  loop.Schedule(5, d, Phase::kNormal, [&] { log.push_back("normal"); });
  loop.Schedule(5, kWorldDomain, Phase::kFault, [&] { log.push_back("fault"); });
  loop.RunUntil(5);
  EXPECT_EQ(log, (std::vector<std::string>{"fault", "normal", "observe"}));
}

TEST(EventLoopTest, CancelAndPending) {
  EventLoop loop;
  const DomainId d = loop.AddDomain("a");
  int ran = 0;
  const EventId a = loop.Schedule(5, d, Phase::kNormal, [&] { ++ran; });
  const EventId b = loop.Schedule(6, d, Phase::kNormal, [&] { ++ran; });
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(loop.pending(), 2u);
  EXPECT_TRUE(loop.Cancel(a));
  EXPECT_FALSE(loop.Cancel(a));
  EXPECT_EQ(loop.NextEventTime(), 6);
  loop.RunUntil(10);
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(loop.Cancel(b));  // already ran
  // Slots are reused but ids never are.
  const EventId c = loop.Schedule(20, d, Phase::kNormal, [] {});
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  EXPECT_FALSE(loop.Cancel(a));
  EXPECT_TRUE(loop.IsPending(c));
}

TEST(EventLoopTest, PastTimesRunNowAndCallbacksMayScheduleAndCancel) {
  EventLoop loop;
  const DomainId d = loop.AddDomain("a");
  std::vector<int64_t> times;
  EventId later = 0;
  loop.Schedule(10, d, Phase::kNormal, [&] {
    times.push_back(loop.now_ns());
    loop.Schedule(3, d, Phase::kNormal, [&] { times.push_back(loop.now_ns()); });
    EXPECT_TRUE(loop.Cancel(later));
  });
  later = loop.Schedule(50, d, Phase::kNormal, [&] { times.push_back(-1); });
  loop.RunUntil(100);
  EXPECT_EQ(times, (std::vector<int64_t>{10, 10}));
}

TEST(EventLoopTest, RequestStopEndsAfterTheRunningEvent) {
  EventLoop loop;
  const DomainId d = loop.AddDomain("a");
  int ran = 0;
  loop.Schedule(1, d, Phase::kNormal, [&] {
    ++ran;
    loop.RequestStop();
  });
  loop.Schedule(2, d, Phase::kNormal, [&] { ++ran; });
  loop.RunUntil(10);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(loop.now_ns(), 1);
  loop.RunUntil(10);
  EXPECT_EQ(ran, 2);
}

TEST(EventLoopTest, CurrentDomainIsTheTarget) {
  EventLoop loop;
  const DomainId a = loop.AddDomain("a");
  const DomainId b = loop.AddDomain("b");
  std::vector<DomainId> seen;
  loop.Schedule(1, a, Phase::kNormal, [&] { seen.push_back(loop.current_domain()); });
  loop.Schedule(1, b, Phase::kNormal, [&] { seen.push_back(loop.current_domain()); });
  loop.RunUntil(1);
  EXPECT_EQ(seen, (std::vector<DomainId>{a, b}));
  EXPECT_EQ(loop.current_domain(), kWorldDomain);
}

// Two domains that each run a chain of simultaneous events and send
// "messages" to each other. The order across domains may change under
// perturbation, the order inside each domain must not, and so neither may
// the combined digest.
std::pair<std::string, std::vector<std::string>> RunPingPong(
    std::optional<uint64_t> perturb_seed) {
  EventLoop loop(EventLoop::Options{perturb_seed});
  std::vector<DomainId> domains;
  for (int i = 0; i < 4; ++i) domains.push_back(loop.AddDomain("d" + std::to_string(i)));
  std::vector<std::string> per_domain(domains.size());
  std::vector<std::string> global;
  for (int round = 0; round < 5; ++round) {
    for (size_t i = 0; i < domains.size(); ++i) {
      const DomainId self = domains[i];
      const DomainId peer = domains[(i + 1) % domains.size()];
      loop.Schedule(round * 10, self, kWorldDomain, Phase::kNormal,
                    [&, self, peer, i, round] {
                      per_domain[i] += "t" + std::to_string(round);
                      loop.digest(self).AddU64(round);
                      global.push_back(std::to_string(i));
                      // A message arriving at the peer at the same instant.
                      loop.Schedule(loop.now_ns(), peer, Phase::kNormal,
                                    [&, peer, i] {
                                      per_domain[(i + 1) % 4] += "m";
                                      loop.digest(peer).AddU64(99);
                                    });
                    });
    }
  }
  loop.RunUntil(100);
  std::string joined;
  for (const std::string& s : global) joined += s;
  per_domain.push_back(joined);
  return {loop.CombinedDigest().Hex(), per_domain};
}

TEST(EventLoopTest, PerturbationReordersOnlyIndependentEvents) {
  const auto canonical = RunPingPong(std::nullopt);
  bool some_global_order_changed = false;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const auto perturbed = RunPingPong(seed);
    EXPECT_EQ(perturbed.first, canonical.first) << "seed " << seed;
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(perturbed.second[i], canonical.second[i]) << "domain " << i;
    }
    if (perturbed.second[4] != canonical.second[4]) some_global_order_changed = true;
  }
  EXPECT_TRUE(some_global_order_changed);
}

TEST(DomainSchedulerTest, ImplementsTheSchedulerContract) {
  EventLoop loop;
  const DomainId d = loop.AddDomain("host");
  const absl::Time origin = absl::UnixEpoch() + absl::Hours(1);
  DomainScheduler scheduler(&loop, d, origin);
  EXPECT_EQ(scheduler.Now(), origin);
  std::vector<std::string> log;
  scheduler.RunAfter(absl::Seconds(2), [&] { log.push_back("b1"); });
  scheduler.RunAfter(absl::Seconds(1), [&] { log.push_back("a"); });
  scheduler.RunAfter(absl::Seconds(2), [&] { log.push_back("b2"); });
  const clocks::TimerId gone = scheduler.RunAfter(absl::Seconds(3), [&] { log.push_back("x"); });
  // Sub-nanosecond times round up: never early.
  scheduler.RunAt(origin + absl::Nanoseconds(1) / 4, [&] {
    EXPECT_EQ(loop.now_ns(), 1);
    log.push_back("quarter");
  });
  EXPECT_TRUE(scheduler.Cancel(gone));
  EXPECT_FALSE(scheduler.Cancel(gone));
  loop.RunUntil(10'000'000'000);
  EXPECT_EQ(log, (std::vector<std::string>{"quarter", "a", "b1", "b2"}));
  EXPECT_EQ(scheduler.Now(), origin + absl::Seconds(10));
}

TEST(DomainSchedulerTest, CancelAllDropsOnlyPendingTimers) {
  EventLoop loop;
  const DomainId d = loop.AddDomain("host");
  DomainScheduler scheduler(&loop, d, absl::UnixEpoch());
  int ran = 0;
  for (int i = 0; i < 200; ++i) {
    scheduler.RunAfter(absl::Seconds(i), [&] { ++ran; });
  }
  loop.RunUntil(absl::ToInt64Nanoseconds(absl::Seconds(99)));
  EXPECT_EQ(ran, 100);
  EXPECT_EQ(scheduler.CancelAll(), 100);
  loop.RunUntil(absl::ToInt64Nanoseconds(absl::Seconds(500)));
  EXPECT_EQ(ran, 100);
  EXPECT_EQ(loop.pending(), 0u);
}

}  // namespace
}  // namespace sim
