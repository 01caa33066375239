#include "ntp/filter_dispersion.h"

#include <array>

#include "gtest/gtest.h"

namespace ntp {
namespace {

constexpr double kMaxDispersion = 16.0;  // RFC 5905 §7.2 MAXDISP

TEST(FilterDispersionTest, EmptyIsZero) {
  EXPECT_EQ(FilterDispersion({}), 0.0);
}

TEST(FilterDispersionTest, WeightsHalveInSortOrder) {
  const std::array<double, 3> d = {0.008, 0.004, 0.016};
  EXPECT_DOUBLE_EQ(FilterDispersion(d), 0.008 / 2 + 0.004 / 4 + 0.016 / 8);
}

// RFC 5905 §10: with k samples of negligible dispersion and 8 - k empty
// stages at MAXDISP, the sum is 16 * 2^-k (less the 2^-8 tail).
TEST(FilterDispersionTest, EmptyStagesAtMaxDispersion) {
  for (int k = 0; k <= 8; ++k) {
    std::array<double, 8> d;
    d.fill(kMaxDispersion);
    for (int i = 0; i < k; ++i) d[i] = 0;
    EXPECT_DOUBLE_EQ(FilterDispersion(d),
                     kMaxDispersion * (1.0 / (1 << k) - 1.0 / 256))
        << "k=" << k;
  }
}

TEST(FilterDispersionTest, SameBitsAsTheRunningSum) {
  const std::array<double, 8> d = {1e-6, 3.3e-3, 0.1, 16, 16, 16, 16, 16};
  double expected = 0;
  double weight = 0.5;
  for (double x : d) {
    expected += weight * x;
    weight /= 2;
  }
  EXPECT_EQ(FilterDispersion(d), expected);
}

}  // namespace
}  // namespace ntp
