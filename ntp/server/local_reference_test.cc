#include "ntp/server/local_reference.h"

#include <vector>

#include "clock/manual_scheduler.h"
#include "gtest/gtest.h"

namespace ntp {
namespace {

constexpr uint32_t kInit = 0x494E4954;
constexpr uint32_t kLocl = 0x4C4F434C;
constexpr uint32_t kLoop = 0x4C4F4F50;

// A read-only clock that follows the scheduler (wall time = monotonic time
// + a fixed epoch), so timestamps taken inside timer callbacks are exact.
class SchedulerClock final : public clocks::Clock {
 public:
  explicit SchedulerClock(clocks::Scheduler* s) : s_(s) {}
  absl::Time Now() override { return s_->Now() - absl::UnixEpoch() + kEpoch; }
  absl::Duration Precision() const override { return absl::Nanoseconds(100); }
  absl::StatusOr<absl::Duration> StepBy(absl::Duration) override { return Refuse(); }
  absl::StatusOr<absl::Duration> SlewBy(absl::Duration) override { return Refuse(); }
  absl::StatusOr<double> SetFrequencyPpm(double) override { return Refuse(); }
  absl::Status SetSyncStatus(const clocks::ClockSyncStatus&) override { return Refuse(); }
  absl::StatusOr<clocks::ClockStatus> ReadStatus() override { return clocks::ClockStatus(); }
  static inline const absl::Time kEpoch = absl::FromUnixSeconds(1704067200);

 private:
  static absl::Status Refuse() { return absl::FailedPreconditionError("read-only"); }
  clocks::Scheduler* s_;
};

class RecordingSink final : public EventSink {
 public:
  void OnEvent(const Event& e) override { events.push_back(e); }
  std::vector<Event> events;
};

class LocalReferenceTest : public ::testing::Test {
 protected:
  LocalReferenceTest() : clock_(&scheduler_) { system_.precision_log2 = -20; }

  void Start(const LocalReferenceSettings& settings) {
    reference_ = std::make_unique<LocalReference>(settings, &clock_, &scheduler_,
                                                  &system_, &sink_);
    reference_->Start();
  }
  void RunTo(double seconds) {
    scheduler_.AdvanceTo(absl::UnixEpoch() + absl::Seconds(seconds));
  }
  NtpTimestamp WallAt(double seconds) {
    return NtpTimestamp::FromTime(SchedulerClock::kEpoch + absl::Seconds(seconds));
  }

  clocks::ManualScheduler scheduler_;
  SchedulerClock clock_;
  SystemVariables system_;
  RecordingSink sink_;
  std::unique_ptr<LocalReference> reference_;
};

LocalReferenceSettings SeedLocalClock() {
  // server 127.127.1.0 / fudge 127.127.1.0 stratum 10
  LocalReferenceSettings s;
  s.local_clock = true;
  s.local_stratum = 10;
  return s;
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
  EXPECT_EQ(reference_->local_clock_status().reach, 0x1F);  // sampled 5 times
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
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].kind, EventKind::kSync);
  EXPECT_EQ(sink_.events[0].text, "synchronized to LOCAL(0), stratum 11");
  // Two polls later the filter is full: root dispersion settles near 11 ms
  // (10 ms + the stages aged by 15 ppm: sum of 64k * 15e-6 / 2^(k+1)).
  RunTo(449);
  EXPECT_EQ(system_.reference_time, WallAt(449));
  double aged = 0;
  for (int k = 0; k < 8; ++k) aged += 64 * k * 15e-6 / (2 << k);
  EXPECT_NEAR(system_.root_dispersion.ToSeconds(), 0.01 + aged, 5e-5);
  EXPECT_EQ(reference_->local_clock_status().reach, 0xFF);
  EXPECT_TRUE(reference_->local_clock_status().selected);
}

TEST_F(LocalReferenceTest, PreferredLocalClockIsUsedAtOnce) {
  LocalReferenceSettings s = SeedLocalClock();
  s.local_prefer = true;
  Start(s);
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
  reference_ = nullptr;
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
  RunTo(300);
  EXPECT_FALSE(system_.synchronized());
  RunTo(301);
  EXPECT_TRUE(system_.synchronized());
  EXPECT_EQ(system_.stratum, 11);
  EXPECT_EQ(system_.reference_id, 0x7F000001u);
  EXPECT_EQ(system_.root_dispersion.raw(), 0u);
  EXPECT_EQ(system_.reference_time, WallAt(301));
  EXPECT_EQ(reference_->source(), ReferenceSource::kOrphan);
  RunTo(365);  // reference time kept fresh (documented deviation)
  EXPECT_EQ(system_.reference_time, WallAt(365));
}

TEST_F(LocalReferenceTest, OrphanStratumOneUsesLoop) {
  LocalReferenceSettings s;
  s.orphan_stratum = 1;
  s.orphan_wait = absl::Seconds(10);
  Start(s);
  RunTo(11);
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
}

TEST_F(LocalReferenceTest, UpstreamPeerSuppressesFallbackAndLosingItRestartsTheWait) {
  Start(SeedLocalClock());
  RunTo(100);
  reference_->SetUpstreamSystemPeer(true);
  system_.leap = Leap::kNoWarning;  // what the client side would write
  system_.stratum = 3;
  system_.reference_id = 0xC0000201;
  RunTo(2000);
  EXPECT_EQ(system_.stratum, 3);  // untouched by the LOCAL clock
  EXPECT_EQ(reference_->local_clock_status().reach, 0);  // not sampled
  reference_->SetUpstreamSystemPeer(false);
  EXPECT_EQ(reference_->orphan_wait_end(),
            absl::UnixEpoch() + absl::Seconds(2000 + 300));
  RunTo(2300);
  EXPECT_EQ(system_.stratum, 3);  // still inside the new wait
  RunTo(2400);
  EXPECT_EQ(system_.stratum, 11);
  EXPECT_EQ(reference_->source(), ReferenceSource::kLocalClock);
}

TEST_F(LocalReferenceTest, StopCancelsTimers) {
  Start(SeedLocalClock());
  reference_->Stop();
  EXPECT_EQ(scheduler_.pending(), 0u);
  RunTo(1000);
  EXPECT_FALSE(system_.synchronized());
}

TEST_F(LocalReferenceTest, NothingConfiguredStaysUnsynchronised) {
  Start(LocalReferenceSettings());
  RunTo(100000);
  EXPECT_FALSE(system_.synchronized());
  EXPECT_EQ(system_.reference_id, kInit);
}

}  // namespace
}  // namespace ntp
