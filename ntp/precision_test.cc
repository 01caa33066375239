#include "ntp/precision.h"

#include <cmath>

#include "gtest/gtest.h"

namespace ntp {
namespace {

TEST(PrecisionLog2Test, RoundsUpToAPowerOfTwo) {
  EXPECT_EQ(PrecisionLog2(absl::Nanoseconds(1500)), -19);  // 2^-19 s = 1.9 us
  EXPECT_EQ(PrecisionLog2(absl::Microseconds(1)), -19);
  EXPECT_EQ(PrecisionLog2(absl::Nanoseconds(100)), -23);
  EXPECT_EQ(PrecisionLog2(absl::Milliseconds(10)), -6);
}

TEST(PrecisionLog2Test, ExactPowersOfTwoKeepTheirExponent) {
  EXPECT_EQ(PrecisionLog2(absl::Seconds(std::ldexp(1.0, -10))), -10);
  EXPECT_EQ(PrecisionLog2(absl::Milliseconds(500)), -1);
  EXPECT_EQ(PrecisionLog2(absl::Seconds(1)), 0);
}

TEST(PrecisionLog2Test, ClampsAtOneNanosecondAndOneSecond) {
  EXPECT_EQ(PrecisionLog2(absl::Nanoseconds(1)), kMinPrecisionLog2);
  EXPECT_EQ(kMinPrecisionLog2, -29);
  EXPECT_EQ(PrecisionLog2(absl::Nanoseconds(2)), -28);
  EXPECT_EQ(PrecisionLog2(absl::Nanoseconds(1) / 4), kMinPrecisionLog2);
  EXPECT_EQ(PrecisionLog2(absl::ZeroDuration()), kMinPrecisionLog2);
  EXPECT_EQ(PrecisionLog2(absl::Seconds(-1)), kMinPrecisionLog2);
  EXPECT_EQ(PrecisionLog2(absl::Seconds(3)), kMaxPrecisionLog2);
  EXPECT_EQ(PrecisionLog2(absl::InfiniteDuration()), kMaxPrecisionLog2);
}

}  // namespace
}  // namespace ntp
