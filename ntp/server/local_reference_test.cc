#include "ntp/server/local_reference.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/actions.h"
#include "ntp/events.h"

namespace ntp {
namespace {

constexpr uint32_t kInit = 0x494E4954;
constexpr uint32_t kLocl = 0x4C4F434C;
constexpr uint32_t kLoop = 0x4C4F4F50;
constexpr TimerKey kPollKey = 1;
constexpr TimerKey kOrphanKey = 2;

// Drives a LocalReference the way ntp::Host does: every call runs inside a
// Dispatch whose readings are the virtual monotonic time and a read-only
// clock (a fixed epoch + the monotonic time, so reference timestamps taken
// in a timer are exact); the SetTimer/CancelTimer actions it returns go to a
// timer map, fired in time order; LogEvent actions are collected.
class LocalReferenceTest : public ::testing::Test {
 protected:
  static inline const absl::Time kClockEpoch = absl::FromUnixSeconds(1704067200);

  LocalReferenceTest() { system_.precision_log2 = -20; }

  void Start(const LocalReferenceSettings& settings) {
    timers_.clear();
    reference_ = std::make_unique<LocalReference>(settings, &dispatch_, kPollKey, kOrphanKey,
                                                  &system_, &sink_);
    Call([&] { reference_->Start(); });
  }
  // Fires the due timers up to `seconds` of monotonic time, in order.
  void RunTo(double seconds) {
    const absl::Time target = absl::UnixEpoch() + absl::Seconds(seconds);
    while (true) {
      auto next = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (next == timers_.end() || it->second < next->second) next = it;
      }
      if (next == timers_.end() || next->second > target) break;
      const TimerKey key = next->first;
      now_ = std::max(now_, next->second);
      timers_.erase(next);
      Call([&] { reference_->OnTimer(key); });
    }
    now_ = std::max(now_, target);
  }
  // Runs `f` inside a dispatch at the current time and carries out the
  // actions it asked for; returns them.
  template <typename F>
  std::vector<Action> Call(F f) {
    actions_.Clear();
    dispatch_.now = Readings{now_, kClockEpoch + (now_ - absl::UnixEpoch())};
    dispatch_.out = &actions_;
    f();
    dispatch_.out = nullptr;
    for (const Action& action : actions_.list()) {
      if (const auto* set = std::get_if<SetTimer>(&action)) {
        timers_[set->key] = set->when;
      } else if (const auto* cancel = std::get_if<CancelTimer>(&action)) {
        timers_.erase(cancel->key);
      } else if (const auto* log = std::get_if<LogEvent>(&action)) {
        events_.push_back(log->event);
      } else {
        ADD_FAILURE() << "LocalReference asked for an action other than a timer or a log line";
      }
    }
    return actions_.list();
  }
  NtpTimestamp WallAt(double seconds) {
    return NtpTimestamp::FromTime(kClockEpoch + absl::Seconds(seconds));
  }
  LocalReference::LocalClockStatus Status() const {
    return reference_->local_clock_status(now_);
  }

  absl::Time now_ = absl::UnixEpoch();
  Dispatch dispatch_;
  Actions actions_;
  DispatchEventSink sink_{&dispatch_};
  std::map<TimerKey, absl::Time> timers_;
  std::vector<Event> events_;
  SystemVariables system_;
  std::unique_ptr<LocalReference> reference_;
};

LocalReferenceSettings SeedLocalClock() {
  // server 127.127.1.0 / fudge 127.127.1.0 stratum 10
  LocalReferenceSettings s;
  s.local_clock = true;
  s.local_stratum = 10;
  return s;
}

TEST_F(LocalReferenceTest, StartArmsTheFirstPollOneSecondLater) {
  Start(SeedLocalClock());
  ASSERT_EQ(timers_.size(), 1u);
  EXPECT_EQ(timers_.at(kPollKey), absl::UnixEpoch() + absl::Seconds(1));
  // A second Start asks for nothing.
  EXPECT_TRUE(Call([&] { reference_->Start(); }).empty());
}

TEST_F(LocalReferenceTest, SeedLocalClockIsChosenAtTheFirstPollAfterTheOrphanWait) {
  Start(SeedLocalClock());
  // Polls at 1, 65, 129, 193, 257 s: still inside the 300 s wait.
  RunTo(320.9);
  EXPECT_FALSE(system_.synchronized());
  EXPECT_EQ(system_.leap, Leap::kUnsynchronized);
  EXPECT_EQ(system_.stratum, 16);
  EXPECT_EQ(system_.reference_id, kInit);
  EXPECT_EQ(reference_->source(), ReferenceSource::kNone);
  EXPECT_EQ(Status().reach, 0x1F);  // sampled 5 times
  EXPECT_EQ(Status().last_sample, absl::UnixEpoch() + absl::Seconds(257));
  EXPECT_TRUE(events_.empty());
  // The poll at 321 s selects it: stratum 10 + 1, refid 127.127.1.0.
  RunTo(321);
  EXPECT_TRUE(system_.synchronized());
  EXPECT_EQ(system_.leap, Leap::kNoWarning);
  EXPECT_EQ(system_.stratum, 11);
  EXPECT_EQ(system_.reference_id, 0x7F7F0100u);
  EXPECT_EQ(system_.reference_time, WallAt(321));
  EXPECT_EQ(system_.root_delay.raw(), 0u);
  EXPECT_EQ(system_.system_peer, "LOCAL(0)");
  EXPECT_EQ(system_.poll_log2, 6);
  EXPECT_EQ(reference_->source(), ReferenceSource::kLocalClock);
  // 6 samples and 2 empty stages: 10 ms + 16/128 + 16/256 s.
  EXPECT_NEAR(system_.root_dispersion.ToSeconds(), 0.01 + 0.1875, 1e-3);
  // The sync event is a LogEvent action of that poll's dispatch.
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, EventKind::kSync);
  EXPECT_EQ(events_[0].text, "synchronized to LOCAL(0), stratum 11");
  // Next poll armed 64 s later.
  EXPECT_EQ(timers_.at(kPollKey), absl::UnixEpoch() + absl::Seconds(385));
  // Two polls later the filter is full: root dispersion settles near 11 ms
  // (10 ms + the stages aged by 15 ppm: sum of 64k * 15e-6 / 2^(k+1)).
  RunTo(449);
  EXPECT_EQ(system_.reference_time, WallAt(449));
  double aged = 0;
  for (int k = 0; k < 8; ++k) aged += 64 * k * 15e-6 / (2 << k);
  EXPECT_NEAR(system_.root_dispersion.ToSeconds(), 0.01 + aged, 5e-5);
  EXPECT_EQ(Status().reach, 0xFF);
  EXPECT_TRUE(Status().selected);
  EXPECT_EQ(events_.size(), 1u);  // reported once
}

TEST_F(LocalReferenceTest, PreferredLocalClockIsUsedAtOnce) {
  LocalReferenceSettings s = SeedLocalClock();
  s.local_prefer = true;
  Start(s);
  RunTo(0.9);
  EXPECT_FALSE(system_.synchronized());
  RunTo(1);
  EXPECT_TRUE(system_.synchronized());
  EXPECT_EQ(system_.stratum, 11);
}

TEST_F(LocalReferenceTest, ShorterOrphanWaitAndPoll) {
  LocalReferenceSettings s = SeedLocalClock();
  s.orphan_wait = absl::ZeroDuration();
  s.local_poll_log2 = 4;
  Start(s);
  RunTo(0.5);
  EXPECT_FALSE(system_.synchronized());
  RunTo(1);
  EXPECT_TRUE(system_.synchronized());
  EXPECT_EQ(system_.poll_log2, 4);
  RunTo(17);
  EXPECT_EQ(system_.reference_time, WallAt(17));
}

TEST_F(LocalReferenceTest, FudgeStratumZeroAdvertisesAPrimaryWithTextRefid) {
  LocalReferenceSettings s = SeedLocalClock();
  s.local_stratum = 0;
  s.local_prefer = true;
  Start(s);
  RunTo(1);
  EXPECT_EQ(system_.stratum, 1);
  EXPECT_EQ(system_.reference_id, kLocl);
  s.local_refid = 0x47505300;  // fudge refid GPS
  Start(s);
  RunTo(2);
  EXPECT_EQ(system_.reference_id, 0x47505300u);
}

TEST_F(LocalReferenceTest, UnitAppearsInRefidAndName) {
  LocalReferenceSettings s = SeedLocalClock();
  s.local_unit = 3;
  s.local_prefer = true;
  Start(s);
  RunTo(1);
  EXPECT_EQ(system_.reference_id, 0x7F7F0103u);
  EXPECT_EQ(system_.system_peer, "LOCAL(3)");
}

TEST_F(LocalReferenceTest, OrphanModeAfterTheWait) {
  LocalReferenceSettings s;
  s.orphan_stratum = 11;  // tos orphan 11
  Start(s);
  // ntpd's once-a-second timer acts at the first second past the wait.
  ASSERT_EQ(timers_.size(), 1u);
  EXPECT_EQ(timers_.at(kOrphanKey), absl::UnixEpoch() + absl::Seconds(301));
  RunTo(300);
  EXPECT_FALSE(system_.synchronized());
  RunTo(301);
  EXPECT_TRUE(system_.synchronized());
  EXPECT_EQ(system_.stratum, 11);
  EXPECT_EQ(system_.reference_id, 0x7F000001u);
  EXPECT_EQ(system_.root_dispersion.raw(), 0u);
  EXPECT_EQ(system_.reference_time, WallAt(301));
  EXPECT_EQ(reference_->source(), ReferenceSource::kOrphan);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].text, "orphan mode, stratum 11");
  RunTo(365);  // reference time kept fresh (documented deviation)
  EXPECT_EQ(system_.reference_time, WallAt(365));
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(LocalReferenceTest, OrphanStratumOneUsesLoop) {
  LocalReferenceSettings s;
  s.orphan_stratum = 1;
  s.orphan_wait = absl::Seconds(10);
  Start(s);
  RunTo(11);
  EXPECT_EQ(system_.stratum, 1);
  EXPECT_EQ(system_.reference_id, kLoop);
}

TEST_F(LocalReferenceTest, LocalClockTakesOverFromOrphanMode) {
  LocalReferenceSettings s = SeedLocalClock();
  s.orphan_stratum = 12;
  Start(s);
  RunTo(301);
  EXPECT_EQ(reference_->source(), ReferenceSource::kOrphan);
  EXPECT_EQ(system_.stratum, 12);
  RunTo(321);
  EXPECT_EQ(reference_->source(), ReferenceSource::kLocalClock);
  EXPECT_EQ(system_.stratum, 11);
  RunTo(1000);
  EXPECT_EQ(reference_->source(), ReferenceSource::kLocalClock);
  EXPECT_EQ(system_.stratum, 11);
}

TEST_F(LocalReferenceTest, UpstreamPeerSuppressesFallbackAndLosingItRestartsTheWait) {
  LocalReferenceSettings s = SeedLocalClock();
  s.orphan_stratum = 12;
  Start(s);
  RunTo(100);
  Call([&] { reference_->SetUpstreamSystemPeer(true); });
  EXPECT_EQ(reference_->source(), ReferenceSource::kUpstream);
  EXPECT_EQ(timers_.count(kOrphanKey), 0u);  // the orphan wait is cancelled
  system_.leap = Leap::kNoWarning;  // what the client side would write
  system_.stratum = 3;
  system_.reference_id = 0xC0000201;
  RunTo(2000);
  EXPECT_EQ(system_.stratum, 3);  // untouched by the LOCAL clock
  EXPECT_EQ(system_.reference_id, 0xC0000201u);
  EXPECT_EQ(Status().reach, 0);  // not sampled
  EXPECT_TRUE(events_.empty());
  Call([&] { reference_->SetUpstreamSystemPeer(false); });
  EXPECT_EQ(reference_->orphan_wait_end(), absl::UnixEpoch() + absl::Seconds(2000 + 300));
  EXPECT_EQ(timers_.at(kOrphanKey), absl::UnixEpoch() + absl::Seconds(2301));
  RunTo(2300);
  EXPECT_EQ(system_.stratum, 3);  // still inside the new wait
  RunTo(2400);
  EXPECT_EQ(system_.stratum, 11);
  EXPECT_EQ(reference_->source(), ReferenceSource::kLocalClock);
}

TEST_F(LocalReferenceTest, StopCancelsTimers) {
  LocalReferenceSettings s = SeedLocalClock();
  s.orphan_stratum = 12;
  Start(s);
  ASSERT_EQ(timers_.size(), 2u);
  const std::vector<Action> stop = Call([&] { reference_->Stop(); });
  EXPECT_EQ(stop.size(), 2u);
  EXPECT_TRUE(timers_.empty());
  // A late expiry of a cancelled timer (already queued by an executor) is
  // ignored.
  EXPECT_TRUE(Call([&] { reference_->OnTimer(kPollKey); }).empty());
  EXPECT_TRUE(Call([&] { reference_->OnTimer(kOrphanKey); }).empty());
  RunTo(1000);
  EXPECT_FALSE(system_.synchronized());
}

TEST_F(LocalReferenceTest, NothingConfiguredStaysUnsynchronised) {
  Start(LocalReferenceSettings());
  EXPECT_TRUE(timers_.empty());
  RunTo(100000);
  EXPECT_FALSE(system_.synchronized());
  EXPECT_EQ(system_.reference_id, kInit);
}

}  // namespace
}  // namespace ntp
