#include "ntp/ntp_time.h"

#include <cstdint>
#include <random>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ntp {
namespace {

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}
absl::Duration Quarters(int64_t n) { return absl::Nanoseconds(1) / 4 * n; }

TEST(NtpTimestampTest, UnixEpochIsNtpSeconds2208988800) {
  NtpTimestamp ts = NtpTimestamp::FromTime(absl::UnixEpoch());
  EXPECT_EQ(ts.seconds(), 2208988800u);
  EXPECT_EQ(ts.fraction(), 0u);
  EXPECT_EQ(ts.ToTime(absl::UnixEpoch()), absl::UnixEpoch());
}

TEST(NtpTimestampTest, Era0EndsAt2036_02_07_06_28_16) {
  const absl::Time era1_start = Utc(2036, 2, 7, 6, 28, 16);
  EXPECT_EQ(NtpTimestamp::FromTime(era1_start).raw(), 0u);
  EXPECT_EQ(NtpTimestamp::FromTime(era1_start - absl::Seconds(1)).seconds(),
            0xFFFFFFFFu);
  EXPECT_EQ(NtpEraOf(era1_start - absl::Nanoseconds(1)), 0);
  EXPECT_EQ(NtpEraOf(era1_start), 1);
  EXPECT_EQ(NtpEraOf(Utc(1900, 1, 1)), 0);
  EXPECT_EQ(NtpEraOf(Utc(1900, 1, 1) - absl::Nanoseconds(1)), -1);
  EXPECT_EQ(NtpEraOf(Utc(2200, 1, 1)), 2);
}

TEST(NtpTimestampTest, EraChosenNearestPivot) {
  const NtpTimestamp zero = NtpTimestamp::FromParts(0, 0);
  EXPECT_EQ(zero.ToTime(Utc(2030, 1, 1)), Utc(2036, 2, 7, 6, 28, 16));
  EXPECT_EQ(zero.ToTime(Utc(2100, 1, 1)), Utc(2036, 2, 7, 6, 28, 16));
  EXPECT_EQ(zero.ToTime(Utc(1960, 1, 1)), Utc(1900, 1, 1));
  const NtpTimestamp last = NtpTimestamp::FromParts(0xFFFFFFFF, 0);
  EXPECT_EQ(last.ToTime(Utc(2040, 1, 1)), Utc(2036, 2, 7, 6, 28, 15));
  EXPECT_EQ(last.ToTime(Utc(1890, 1, 1)), Utc(1900, 1, 1) - absl::Seconds(1));
  // The window is [pivot - 2^31 s, pivot + 2^31 s): exactly half an era
  // before the pivot is inside, exactly half an era after is not.
  const absl::Time t = Utc(2020, 6, 1);
  const absl::Duration half_era = absl::Seconds(int64_t{1} << 31);
  const NtpTimestamp ts = NtpTimestamp::FromTime(t);
  EXPECT_EQ(ts.ToTime(t + half_era), t);
  EXPECT_EQ(ts.ToTime(t - half_era + absl::Seconds(1)), t);
  EXPECT_EQ(ts.ToTime(t - half_era), t - 2 * half_era);
  // Infinite pivots fall back to era 0.
  EXPECT_EQ(zero.ToTime(absl::InfiniteFuture()), Utc(1900, 1, 1));
}

TEST(NtpTimestampTest, DifferenceAcrossTheEraWrap) {
  const NtpTimestamp after = NtpTimestamp::FromParts(0, 0);
  const NtpTimestamp before = NtpTimestamp::FromParts(0xFFFFFFFF, 0x80000000);
  EXPECT_EQ((after - before).raw(), int64_t{1} << 31);  // +0.5 s
  EXPECT_EQ((before - after).raw(), -(int64_t{1} << 31));
  EXPECT_DOUBLE_EQ((before - after).ToSeconds(), -0.5);
  EXPECT_TRUE(before.IsBefore(after));
  EXPECT_FALSE(after.IsBefore(before));
  EXPECT_EQ(before + (after - before), after);
  EXPECT_EQ(after - (after - before), before);
}

TEST(NtpTimestampTest, NegativeDifference) {
  const NtpTimestamp a = NtpTimestamp::FromParts(100, 0);
  const NtpTimestamp b = NtpTimestamp::FromParts(101, 0x40000000);
  EXPECT_EQ((a - b).raw(), -(int64_t{5} << 30));  // -1.25 s exactly
  EXPECT_EQ((a - b).ToAbsl(), absl::Milliseconds(-1250));
  EXPECT_DOUBLE_EQ((a - b).ToSeconds(), -1.25);
}

TEST(NtpTimestampTest, FieldExtremes) {
  const NtpTimestamp max = NtpTimestamp::FromParts(0xFFFFFFFF, 0xFFFFFFFF);
  EXPECT_EQ(max.raw(), UINT64_MAX);
  EXPECT_EQ(max.seconds(), 0xFFFFFFFFu);
  EXPECT_EQ(max.fraction(), 0xFFFFFFFFu);
  EXPECT_TRUE(NtpTimestamp().IsZero());
  EXPECT_FALSE(NtpTimestamp::FromParts(0, 1).IsZero());
  // The largest fraction rounds down to the last quarter ns of the second.
  EXPECT_EQ(max.ToTime(Utc(2030, 1, 1)),
            Utc(2036, 2, 7, 6, 28, 15) + Quarters(3999999999));
  EXPECT_EQ(NtpTimestamp::FromTime(max.ToTime(Utc(2030, 1, 1))), max);
  EXPECT_EQ(NtpTimestamp::FromParts(0, 0) - max, NtpDuration::FromRaw(1));
  EXPECT_EQ(NtpTimestamp::FromTime(absl::InfinitePast()).raw(), 0u);
  EXPECT_EQ(NtpTimestamp::FromTime(absl::InfiniteFuture()).raw(), UINT64_MAX);
}

TEST(NtpTimestampTest, FractionRoundingCarriesIntoSeconds) {
  // 0.99999999995 s is closer to the next second than to 2^32-1 units.
  const absl::Time t = Utc(2024, 1, 1) + absl::Seconds(1) - Quarters(1) / 4;
  const NtpTimestamp ts = NtpTimestamp::FromTime(Utc(2024, 1, 1) +
                                                 absl::Nanoseconds(999999999) +
                                                 Quarters(3));
  EXPECT_EQ(ts.fraction(), 0xFFFFFFFFu);  // 0.99999999975 s: no carry
  const NtpTimestamp second = NtpTimestamp::FromTime(Utc(2024, 1, 1, 0, 0, 1));
  EXPECT_EQ(second.fraction(), 0u);
  EXPECT_EQ(NtpTimestamp::FromTime(t).raw(), second.raw());
}

TEST(NtpDurationTest, ConversionRoundsToNearestTiesUp) {
  EXPECT_EQ(NtpDuration::FromAbsl(absl::Nanoseconds(1)).raw(), 4);  // 4.29
  EXPECT_EQ(NtpDuration::FromRaw(1).ToAbsl(), Quarters(1));         // 0.233 ns
  EXPECT_EQ(NtpDuration::FromRaw(2).ToAbsl(), Quarters(2));         // 0.466 ns
  // 2^-12 s = 244140.625 ns is exactly half-way between quarter ns steps.
  EXPECT_EQ(NtpDuration::FromRaw(1 << 20).ToAbsl(),
            absl::Nanoseconds(244140) + Quarters(3));
  EXPECT_EQ(NtpDuration::FromRaw(-(1 << 20)).ToAbsl(),
            -absl::Nanoseconds(244140) - Quarters(2));
  EXPECT_EQ(NtpDuration::FromSeconds(0.5).raw(), int64_t{1} << 31);
  EXPECT_EQ(NtpDuration::FromSeconds(-0.5).raw(), -(int64_t{1} << 31));
  // 1.5 units rounds away from zero (llround).
  EXPECT_EQ(NtpDuration::FromSeconds(std::ldexp(1.5, -32)).raw(), 2);
  EXPECT_EQ(NtpDuration::FromSeconds(std::ldexp(-1.5, -32)).raw(), -2);
  EXPECT_EQ(NtpDuration::FromAbsl(absl::Milliseconds(-1)).ToAbsl(),
            absl::Milliseconds(-1));
}

TEST(NtpDurationTest, SaturatesAndHandlesNan) {
  EXPECT_EQ(NtpDuration::FromSeconds(1e10), NtpDuration::Max());
  EXPECT_EQ(NtpDuration::FromSeconds(-1e10), NtpDuration::Min());
  EXPECT_EQ(NtpDuration::FromSeconds(std::nan("")), NtpDuration::Zero());
  EXPECT_EQ(NtpDuration::FromSeconds(INFINITY), NtpDuration::Max());
  EXPECT_EQ(NtpDuration::FromAbsl(absl::InfiniteDuration()), NtpDuration::Max());
  EXPECT_EQ(NtpDuration::FromAbsl(-absl::InfiniteDuration()), NtpDuration::Min());
  EXPECT_EQ(NtpDuration::FromAbsl(absl::Seconds(int64_t{1} << 31)),
            NtpDuration::Max());
  EXPECT_EQ(NtpDuration::FromAbsl(absl::Seconds(-(int64_t{1} << 31))).raw(),
            NtpDuration::Min().raw());
  EXPECT_EQ(NtpDuration::Min().ToAbsl(), absl::Seconds(-(int64_t{1} << 31)));
  EXPECT_EQ(NtpDuration::Max().ToAbsl(),
            absl::Seconds((int64_t{1} << 31) - 1) + Quarters(3999999999));
  EXPECT_DOUBLE_EQ(NtpDuration::Min().ToSeconds(), -2147483648.0);
  // Arithmetic wraps (two's complement) rather than being undefined.
  EXPECT_EQ(NtpDuration::Max() + NtpDuration::FromRaw(1), NtpDuration::Min());
  EXPECT_EQ(-NtpDuration::Min(), NtpDuration::Min());
}

TEST(NtpShortTest, ConversionsAndExtremes) {
  EXPECT_EQ(NtpShort::FromSeconds(1.5).raw(), 0x18000u);
  EXPECT_EQ(NtpShort::FromSeconds(-1).raw(), 0u);
  EXPECT_EQ(NtpShort::FromSeconds(std::nan("")).raw(), 0u);
  EXPECT_EQ(NtpShort::FromSeconds(70000), NtpShort::Max());
  EXPECT_EQ(NtpShort::FromSeconds(INFINITY), NtpShort::Max());
  EXPECT_EQ(NtpShort::FromSeconds(65535.99999), NtpShort::Max());
  EXPECT_DOUBLE_EQ(NtpShort::Max().ToSeconds(), 65535.0 + 65535.0 / 65536.0);
  EXPECT_EQ(NtpShort::FromAbsl(absl::Microseconds(15)).raw(), 1u);  // 0.98
  EXPECT_EQ(NtpShort::FromAbsl(absl::Microseconds(7)).raw(), 0u);   // 0.46
  EXPECT_EQ(NtpShort::FromAbsl(-absl::Seconds(1)).raw(), 0u);
  EXPECT_EQ(NtpShort::FromAbsl(absl::Seconds(65536)), NtpShort::Max());
  EXPECT_EQ(NtpShort::FromAbsl(absl::InfiniteDuration()), NtpShort::Max());
  // 2^-16 s = 15258.7890625 ns -> 61035.156 quarters -> 61035.
  EXPECT_EQ(NtpShort::FromRaw(1).ToAbsl(), Quarters(61035));
  EXPECT_EQ(NtpShort::FromRaw(0x18000).ToAbsl(), absl::Milliseconds(1500));
  EXPECT_EQ(NtpShort::FromRaw(0x18000).ToNtpDuration().raw(),
            int64_t{3} << 31);
  EXPECT_EQ(NtpShort::Max().ToNtpDuration().raw(), int64_t{0xFFFFFFFF} << 16);
}

TEST(NtpTimeRoundTripTest, RandomValuesRoundTripWithinOneUnit) {
  std::mt19937_64 rng(20261129);
  const absl::Time pivot = Utc(2026, 11, 29);
  for (int i = 0; i < 100000; ++i) {
    const NtpTimestamp ts = NtpTimestamp::FromRaw(rng());
    const absl::Time t = ts.ToTime(pivot);
    const NtpDuration err = NtpTimestamp::FromTime(t) - ts;
    ASSERT_LE(std::abs(err.raw()), 1) << ts.raw();
    ASSERT_LT(absl::AbsDuration(t - pivot), absl::Seconds(int64_t{1} << 31) +
                                                absl::Seconds(1));
    const NtpDuration d = NtpDuration::FromRaw(static_cast<int64_t>(rng()));
    ASSERT_LE(std::abs((NtpDuration::FromAbsl(d.ToAbsl()) - d).raw()), 1)
        << d.raw();
    const absl::Duration ad = Quarters(static_cast<int64_t>(rng() >> 2));
    ASSERT_LE(absl::AbsDuration(NtpDuration::FromAbsl(ad).ToAbsl() - ad),
              Quarters(1));
    const absl::Time at = pivot + Quarters(static_cast<int64_t>(rng() >> 3)) -
                          Quarters(int64_t{1} << 60);
    ASSERT_LE(absl::AbsDuration(NtpTimestamp::FromTime(at).ToTime(at) - at),
              Quarters(1));
  }
}

}  // namespace
}  // namespace ntp
