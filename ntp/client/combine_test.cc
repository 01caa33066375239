#include "ntp/client/combine.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace ntp {
namespace {

// RFC 5905 §11.2.3 by hand: offsets 1 ms and 4 ms with distances 10 ms and
// 20 ms: weights 100 and 50, THETA = (0.1 + 0.2) / 150 = 2 ms; PSI_p =
// sqrt(50 * (3 ms)^2 / 150) = sqrt(3) ms around the system peer (1 ms).
TEST(CombineTest, WeightedByReciprocalDistance) {
  const std::vector<CombineInput> s = {{0.001, 0.010, 1e-5, false},
                                       {0.004, 0.020, 1e-5, false}};
  CombineResult r = Combine(s, 0.0);
  EXPECT_NEAR(r.offset_seconds, 0.002, 1e-15);
  EXPECT_NEAR(r.peer_jitter_seconds, std::sqrt(3.0) * 1e-3, 1e-15);
  EXPECT_NEAR(r.system_jitter_seconds, std::sqrt(3.0) * 1e-3, 1e-15);
  EXPECT_FALSE(r.used_prefer);
}

TEST(CombineTest, SystemJitterAddsSelectionJitterInQuadrature) {
  const std::vector<CombineInput> s = {{0.0, 0.01, 0.0, false}};
  CombineResult r = Combine(s, 3e-3);
  EXPECT_DOUBLE_EQ(r.offset_seconds, 0.0);
  EXPECT_NEAR(r.system_jitter_seconds, 3e-3, 1e-15);
}

TEST(CombineTest, PreferPeerOffsetIsUsedAlone) {
  const std::vector<CombineInput> s = {{0.005, 0.050, 4e-4, true},
                                       {0.001, 0.001, 1e-5, false}};
  CombineResult r = Combine(s, 0.0);
  EXPECT_DOUBLE_EQ(r.offset_seconds, 0.005);
  EXPECT_DOUBLE_EQ(r.peer_jitter_seconds, 4e-4);
  EXPECT_TRUE(r.used_prefer);
}

TEST(CombineTest, EmptyIsZero) {
  CombineResult r = Combine({}, 1.0);
  EXPECT_DOUBLE_EQ(r.offset_seconds, 0.0);
}

}  // namespace
}  // namespace ntp
