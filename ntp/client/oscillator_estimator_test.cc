#include "ntp/client/oscillator_estimator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>

#include "gtest/gtest.h"
#include "ntp/random.h"

namespace ntp {
namespace {

// Deterministic test noise.
class Noise {
 public:
  explicit Noise(uint64_t seed) : rng_(seed) {}
  double Uniform() { return rng_.Uniform(); }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }

 private:
  SplitMix64 rng_;
};

TrackerSample S(double t, double u, double delay = 0.0002) {
  TrackerSample s;
  s.time_seconds = t;
  s.raw_offset_seconds = u;
  s.delay_seconds = delay;
  return s;
}

TEST(OscillatorEstimatorTest, SurpriseStaysSmallOnNoiseAndGrowsOnAFrequencyStep) {
  // M1-like noise at a 64 s poll; then the oscillator gains 5 ppm.
  OscillatorEstimator tracker;
  Noise noise(3);
  double u = 0;
  double max_quiet = 0;
  for (int i = 0; i < 200; ++i) {
    const double q1 = noise.Exponential(1e-5), q2 = noise.Exponential(1e-5);
    u += 10e-6 * 64;
    tracker.Add(S(64.0 * i, u + (q1 - q2) / 2, 0.0002 + q1 + q2));
    if (i >= 20) max_quiet = std::max(max_quiet, std::fabs(tracker.surprise()));
  }
  EXPECT_LT(max_quiet, 1.5);
  double max_after_step = 0;
  for (int i = 200; i < 206; ++i) {
    u += 15e-6 * 64;
    tracker.Add(S(64.0 * i, u, 0.0002));
    max_after_step = std::max(max_after_step, std::fabs(tracker.surprise()));
  }
  EXPECT_GT(max_after_step, 1.5);
}

TEST(OscillatorEstimatorTest, RouteChangeForgetsTheOldDelayFloorButQueueingDoesNot) {
  OscillatorEstimator tracker;
  Noise noise(5);
  // Exp(100 us) queueing both ways on 200 us (M2): the floor is always
  // the minimum of the remembered delays and this one, none forgotten.
  std::deque<double> last;
  for (int i = 0; i < 400; ++i) {
    const double delay = 0.0002 + noise.Exponential(1e-4) + noise.Exponential(1e-4);
    tracker.Add(S(64.0 * i, 0, delay));
    last.push_back(delay);
    if (last.size() > 33) last.pop_front();  // 32 remembered + this one
    ASSERT_EQ(tracker.min_delay_seconds(), *std::min_element(last.begin(), last.end())) << i;
  }
  // The route gets 1 ms longer (beyond 3x the median queueing): after four
  // samples that is the floor. A smaller rise looks like queueing here.
  for (int i = 400; i < 404; ++i) {
    tracker.Add(S(64.0 * i, 0, 0.0012 + noise.Exponential(1e-4) + noise.Exponential(1e-4)));
  }
  EXPECT_GT(tracker.min_delay_seconds(), 0.0012);
}

TEST(OscillatorEstimatorTest, FirstSampleUsesRatePrior) {
  OscillatorEstimatorOptions options;
  options.initial_rate = -12e-6;
  options.initial_rate_sigma = 1e-7;
  OscillatorEstimator tracker(options);
  EXPECT_FALSE(tracker.has_estimate());
  EXPECT_EQ(tracker.Add(S(10, 0.5)), TrackerVerdict::kAccepted);
  EXPECT_TRUE(tracker.has_estimate());
  EXPECT_DOUBLE_EQ(tracker.rate(), -12e-6);
  EXPECT_NEAR(tracker.RawOffsetAt(110), 0.5 - 12e-4, 1e-12);
}

TEST(OscillatorEstimatorTest, NoiselessLineIsRecoveredExactly) {
  OscillatorEstimator tracker;
  const double a = -0.1, b = 10e-6;  // client 0.1 s ahead, 10 ppm slow
  for (int i = 0; i < 20; ++i) {
    const double t = 64.0 * i;
    tracker.Add(S(t, a + b * t));
  }
  EXPECT_NEAR(tracker.rate(), b, 1e-10);
  EXPECT_NEAR(tracker.RawOffsetAt(2000), a + b * 2000, 1e-7);
}

TEST(OscillatorEstimatorTest, NoisySamplesAverageDown) {
  // M1-like: 10 ppm, delays 200 us + Exp(10 us) + Exp(10 us).
  OscillatorEstimator tracker;
  Noise noise(7);
  const double b = 10e-6;
  for (int i = 0; i < 60; ++i) {
    const double t = 64.0 * i;
    const double e1 = noise.Exponential(10e-6), e2 = noise.Exponential(10e-6);
    tracker.Add(S(t, b * t + (e1 - e2) / 2, 200e-6 + e1 + e2));
  }
  const double t_end = 64.0 * 59;
  EXPECT_NEAR(tracker.rate(), b, 0.05e-6);  // within 0.05 ppm
  EXPECT_NEAR(tracker.RawOffsetAt(t_end), b * t_end, 3e-6);
  EXPECT_LT(tracker.OffsetSigmaAt(t_end), 3e-6);
}

TEST(OscillatorEstimatorTest, HighDelaySampleWeighsLittle) {
  OscillatorEstimator tracker;
  for (int i = 0; i < 10; ++i) tracker.Add(S(16.0 * i, 0.0, 0.0002));
  // 10 ms of extra delay, all of it one way: offset off by 5 ms.
  EXPECT_EQ(tracker.Add(S(160, 0.005, 0.0102)), TrackerVerdict::kAccepted);
  EXPECT_LT(std::fabs(tracker.RawOffsetAt(160)), 2e-5);
}

TEST(OscillatorEstimatorTest, OutlierRejectedThenResetAfterThreeInARow) {
  OscillatorEstimator tracker;
  for (int i = 0; i < 10; ++i) tracker.Add(S(16.0 * i, 0.0));
  EXPECT_EQ(tracker.Add(S(160, 0.05)), TrackerVerdict::kOutlier);
  EXPECT_NEAR(tracker.RawOffsetAt(160), 0.0, 1e-6);
  EXPECT_EQ(tracker.Add(S(176, 0.0)), TrackerVerdict::kAccepted);  // streak broken
  EXPECT_EQ(tracker.Add(S(192, 0.05)), TrackerVerdict::kOutlier);
  EXPECT_EQ(tracker.Add(S(208, 0.05)), TrackerVerdict::kOutlier);
  EXPECT_EQ(tracker.pending_outliers(), 2);
  EXPECT_EQ(tracker.Add(S(224, 0.05)), TrackerVerdict::kReset);
  EXPECT_NEAR(tracker.RawOffsetAt(224), 0.05, 1e-6);
  EXPECT_EQ(tracker.samples(), 1);
}

TEST(OscillatorEstimatorTest, SteadyStateErrorGrowsWithPoll) {
  OscillatorEstimatorOptions options;
  options.wander = 1e-9;
  OscillatorEstimator tracker(options);
  const double r = 7e-6 * 7e-6;
  const double e64 = tracker.SteadyStateMeanSquareError(64, r);
  const double e1024 = tracker.SteadyStateMeanSquareError(1024, r);
  EXPECT_LT(e64, e1024);
  // Wander alone over 1024 s is about 1e-9 * sqrt(1024^3 / 12) = 9.5 us.
  EXPECT_GT(std::sqrt(e1024), 5e-6);
  EXPECT_LT(std::sqrt(e64), 7e-6);
}

TEST(OscillatorEstimatorTest, ResetForgets) {
  OscillatorEstimator tracker;
  tracker.Add(S(0, 1.0));
  tracker.Reset();
  EXPECT_FALSE(tracker.has_estimate());
  EXPECT_EQ(tracker.samples(), 0);
}

// The wander estimate converges to the oscillator's from either side of a
// wrong prior: a frequency random walk of 3e-8/sqrt(s) and of 1e-9/sqrt(s),
// sampled every 64 s with 2 us noise for 12 hours.
TEST(OscillatorEstimatorTest, WanderEstimateFindsTheOscillatorsWander) {
  for (const double truth : {3e-8, 1e-9}) {
    OscillatorEstimatorOptions options;
    options.wander = truth > 1e-8 ? 1e-9 : 3e-8;  // the wrong prior
    OscillatorEstimator tracker(options);
    Noise noise(3);
    double rate = 0, u = 0;
    for (int i = 0; i < 12 * 3600 / 64; ++i) {
      for (int k = 0; k < 64; ++k) {
        rate += truth * (noise.Uniform() - 0.5) * std::sqrt(12.0);
        u += rate;
      }
      const double e = 2e-6 * (noise.Uniform() - 0.5) * std::sqrt(12.0);
      TrackerSample s = S(64.0 * (i + 1), u + e, 0.0002);
      s.extra_variance = 4e-12;
      tracker.Add(s);
    }
    EXPECT_GT(tracker.wander(), truth / 2) << truth;
    EXPECT_LT(tracker.wander(), truth * 2) << truth;
    EXPECT_GE(tracker.wander_triples(), 3);
  }
}

}  // namespace
}  // namespace ntp
