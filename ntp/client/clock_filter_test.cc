#include "ntp/client/clock_filter.h"

#include <cmath>

#include "gtest/gtest.h"

namespace ntp {
namespace {

// RFC 5905 §10 worked example: with k good samples of
// negligible dispersion and 8-k dummy stages at 16 s, the peer dispersion is
// 16 * (2^-k - 2^-8): 7.9375, 3.9375, 1.9375, 0.9375 s for k = 1..4, so the
// association becomes fit (distance < 1.5 s) after the fourth sample.
TEST(ClockFilterTest, DispersionAfterKGoodSamplesMatchesWorkedExample) {
  ClockFilter filter(1e-9);
  const double want[] = {7.9375, 3.9375, 1.9375, 0.9375, 0.4375, 0.1875, 0.0625, 0.0};
  for (int k = 1; k <= 8; ++k) {
    filter.AddSample(0.001, 0.010, 0.0, /*now=*/k * 1e-6);  // no aging to speak of
    EXPECT_NEAR(filter.dispersion_seconds(), want[k - 1], 1e-6) << "k=" << k;
    EXPECT_NEAR(filter.sample_dispersion_seconds(), 0.0, 1e-6);
    EXPECT_EQ(filter.valid_stages(), k);
  }
}

TEST(ClockFilterTest, EmptyFilterHasMaxDispersion) {
  ClockFilter filter;
  EXPECT_DOUBLE_EQ(filter.dispersion_seconds(), kMaxDispersion);
  EXPECT_FALSE(filter.has_sample());
  EXPECT_EQ(filter.valid_stages(), 0);
}

TEST(ClockFilterTest, PicksMinimumDelaySample) {
  ClockFilter filter(1e-9);
  // (offset, delay): the 2nd has the smallest delay.
  const double samples[][2] = {{0.010, 0.030}, {0.002, 0.005}, {0.020, 0.050}};
  double now = 0;
  for (const auto& s : samples) {
    now += 1;
    filter.AddSample(s[0], s[1], 0.0, now);
  }
  EXPECT_DOUBLE_EQ(filter.offset_seconds(), 0.002);
  EXPECT_DOUBLE_EQ(filter.delay_seconds(), 0.005);
  EXPECT_DOUBLE_EQ(filter.epoch_seconds(), 2.0);
}

TEST(ClockFilterTest, OlderBestSampleIsNotANewUpdate) {
  ClockFilter filter(1e-9);
  FilterResult r = filter.AddSample(0.001, 0.005, 0.0, 1.0);
  EXPECT_TRUE(r.new_sample);
  // A worse (longer delay) sample arrives: the best is still the first one,
  // whose epoch is not newer than the one in use (RFC 5905 §10).
  r = filter.AddSample(0.0011, 0.009, 0.0, 2.0);
  EXPECT_FALSE(r.new_sample);
  EXPECT_DOUBLE_EQ(filter.offset_seconds(), 0.001);
  // A better one is adopted.
  r = filter.AddSample(0.0009, 0.004, 0.0, 3.0);
  EXPECT_TRUE(r.new_sample);
  EXPECT_DOUBLE_EQ(filter.offset_seconds(), 0.0009);
}

// Hand-computed jitter: usable samples sorted by delay have offsets
// 1, 3, 5 ms (best 1 ms): sqrt(((3-1)^2 + (5-1)^2) / 2) ms = sqrt(10) ms.
TEST(ClockFilterTest, JitterIsRmsAroundBestWithDivisorInsideRoot) {
  ClockFilter filter(1e-9);
  filter.AddSample(0.003, 0.020, 0.0, 1.0);
  filter.AddSample(0.005, 0.030, 0.0, 2.0);
  filter.AddSample(0.001, 0.010, 0.0, 3.0);
  EXPECT_NEAR(filter.jitter_seconds(), std::sqrt(10.0) * 1e-3, 1e-12);
}

TEST(ClockFilterTest, JitterIsFlooredAtPrecision) {
  ClockFilter filter(2e-6);
  filter.AddSample(0.001, 0.010, 0.0, 1.0);
  EXPECT_DOUBLE_EQ(filter.jitter_seconds(), 2e-6);
  filter.AddSample(0.001, 0.011, 0.0, 2.0);
  EXPECT_DOUBLE_EQ(filter.jitter_seconds(), 2e-6);
}

// Stages age at PHI per second between runs (RFC 5905 §9.2).
TEST(ClockFilterTest, StagesAgeAtPhi) {
  ClockFilter filter(1e-9);
  filter.AddSample(0.0, 0.010, 0.001, 0.0);
  filter.AddSample(0.0, 0.020, 0.001, 1000.0);
  const auto stages = filter.StagesNewestFirst();
  EXPECT_DOUBLE_EQ(stages[0].dispersion_seconds, 0.001);  // new: as given
  EXPECT_NEAR(stages[1].dispersion_seconds, 0.001 + kPhi * 1000, 1e-12);
  // Sorted by delay: stage 1 (delay 10 ms) first with weight 1/2, then the
  // new one with 1/4, dummies 16 s with 1/8 ... 1/256.
  const double want = 0.5 * (0.001 + 0.015) + 0.25 * 0.001 + 16.0 * (0.25 - 1.0 / 256);
  EXPECT_NEAR(filter.dispersion_seconds(), want, 1e-12);
}

TEST(ClockFilterTest, StagesAgeAtTheConfiguredRate) {
  // `tinker dispersion 30`: twice RFC 5905's PHI.
  ClockFilter filter(1e-9, 30e-6);
  filter.AddSample(0.0, 0.010, 0.001, 0.0);
  filter.AddSample(0.0, 0.020, 0.001, 1000.0);
  EXPECT_NEAR(filter.StagesNewestFirst()[1].dispersion_seconds, 0.001 + 30e-6 * 1000, 1e-12);
}

TEST(ClockFilterTest, DummiesPushOutRealSamples) {
  ClockFilter filter(1e-9);
  for (int i = 0; i < 8; ++i) filter.AddSample(0.0, 0.01, 0.0, i);
  EXPECT_NEAR(filter.dispersion_seconds(), 0.0, 1e-3);
  for (int i = 0; i < 8; ++i) filter.AddDummy(8 + i);
  EXPECT_EQ(filter.valid_stages(), 0);
  EXPECT_NEAR(filter.dispersion_seconds(), 16.0 * (1 - 1.0 / 256), 1e-9);
  EXPECT_DOUBLE_EQ(filter.sample_dispersion_seconds(), 0.0);
}

TEST(ClockFilterTest, OldSamplesRankByDelayPlusDispersion) {
  ClockFilter filter(1e-9);
  // An old, low-delay sample and, 3000 s later (beyond the 2048 s Allan
  // intercept), a slightly higher-delay one. Aged dispersion of the old one
  // is 15e-6 * 3000 = 45 ms, so delay + disp = 55 ms > 20 ms: the new wins.
  filter.AddSample(0.005, 0.010, 0.0, 0.0);
  filter.AddSample(0.001, 0.020, 0.0, 3000.0);
  EXPECT_DOUBLE_EQ(filter.offset_seconds(), 0.001);
}

TEST(ClockFilterTest, PopcornSpikeIsSuppressedOnce) {
  ClockFilter filter(1e-9);
  double now = 0;
  // Eight calm samples, each with a slightly lower delay than the last (so
  // each becomes the peer sample), offsets within +-10 us.
  for (int i = 0; i < 8; ++i) {
    now += 64;
    filter.AddSample((i % 2 ? 1 : -1) * 1e-5, 0.010 - i * 1e-6, 0.0, now, 1.5, 64);
  }
  const double calm = filter.offset_seconds();
  // A spike with the lowest delay so far: far beyond 3 x jitter.
  now += 64;
  FilterResult r = filter.AddSample(0.050, 0.009, 0.0, now, 1.5, 64);
  EXPECT_TRUE(r.popcorn);
  EXPECT_FALSE(r.new_sample);
  EXPECT_DOUBLE_EQ(filter.offset_seconds(), calm);
}

TEST(ClockFilterTest, ResetClearsEverything) {
  ClockFilter filter(1e-9);
  filter.AddSample(0.1, 0.01, 0.0, 1.0);
  filter.Reset();
  EXPECT_FALSE(filter.has_sample());
  EXPECT_EQ(filter.valid_stages(), 0);
  EXPECT_DOUBLE_EQ(filter.dispersion_seconds(), kMaxDispersion);
}

TEST(ClockFilterTest, StagesNewestFirstOrder) {
  ClockFilter filter(1e-9);
  for (int i = 1; i <= 10; ++i) filter.AddSample(i * 1e-3, 0.01, 0.0, i);
  const auto stages = filter.StagesNewestFirst();
  for (int i = 0; i < kFilterStages; ++i) {
    EXPECT_DOUBLE_EQ(stages[i].offset_seconds, (10 - i) * 1e-3);
  }
}

}  // namespace
}  // namespace ntp
