#include "ntp/client/cluster.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ntp {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

ClusterCandidate C(int id, double offset, double jitter, double distance,
                   int stratum = 2, bool prefer = false) {
  ClusterCandidate c;
  c.id = id;
  c.offset_seconds = offset;
  c.jitter_seconds = jitter;
  c.root_distance_seconds = distance;
  c.stratum = stratum;
  c.prefer = prefer;
  return c;
}

TEST(SelectionJitterTest, HandComputed) {
  const std::vector<double> offsets = {0.0, 0.003, 0.004};
  // For i = 0: sqrt((0 + 9 + 16) / 2) ms.
  EXPECT_NEAR(SelectionJitter(offsets, 0), std::sqrt(12.5) * 1e-3, 1e-15);
  EXPECT_NEAR(SelectionJitter(offsets, 1), std::sqrt((9 + 1) / 2.0) * 1e-3, 1e-15);
  EXPECT_DOUBLE_EQ(SelectionJitter({0.5}, 0), 0.0);
}

TEST(ClusterTest, DropsOutlierUntilMinSurvivors) {
  // Four survivors, one 5 ms away from three that agree within 0.1 ms.
  const std::vector<ClusterCandidate> c = {
      C(0, 0.0000, 1e-5, 0.010), C(1, 0.0001, 1e-5, 0.010),
      C(2, 0.0050, 1e-5, 0.010), C(3, -0.0001, 1e-5, 0.010)};
  ClusterOptions options;
  options.min_survivors = 3;
  ClusterResult r = Cluster(c, options);
  EXPECT_THAT(r.outliers, ElementsAre(2));
  EXPECT_EQ(r.survivors.size(), 3u);
}

TEST(ClusterTest, StopsWhenSelectionJitterBelowPeerJitter) {
  // Survivors agree better than their own jitter: nothing to gain.
  const std::vector<ClusterCandidate> c = {C(0, 0.0, 1e-3, 0.01), C(1, 1e-4, 1e-3, 0.01),
                                           C(2, 2e-4, 1e-3, 0.01), C(3, 3e-4, 1e-3, 0.01)};
  ClusterOptions options;
  options.min_survivors = 1;
  ClusterResult r = Cluster(c, options);
  EXPECT_THAT(r.outliers, IsEmpty());
  EXPECT_EQ(r.survivors.size(), 4u);
}

TEST(ClusterTest, RanksByMeritStratumFirst) {
  // Same offsets; stratum 3 with tiny distance ranks after stratum 2.
  const std::vector<ClusterCandidate> c = {C(0, 0.0, 1e-3, 0.001, 3),
                                           C(1, 0.0, 1e-3, 0.100, 2)};
  ClusterResult r = Cluster(c, ClusterOptions{});
  EXPECT_THAT(r.survivors, ElementsAre(1, 0));
}

TEST(ClusterTest, PreferSurvivorIsNeverDroppedAndGoesFirst) {
  const std::vector<ClusterCandidate> c = {
      C(0, 0.0, 1e-6, 0.01), C(1, 0.0001, 1e-6, 0.01), C(2, 0.0002, 1e-6, 0.01),
      C(3, 0.0300, 1e-6, 0.05, 2, /*prefer=*/true)};
  ClusterOptions options;
  options.min_survivors = 1;
  ClusterResult r = Cluster(c, options);
  ASSERT_FALSE(r.survivors.empty());
  EXPECT_EQ(r.survivors[0], 3);
  // The prefer peer is the worst outlier, so the loop stops at once.
  EXPECT_THAT(r.outliers, IsEmpty());
}

TEST(ClusterTest, SingleSurvivorHasZeroSelectionJitter) {
  ClusterResult r = Cluster({C(5, 0.2, 1e-3, 0.01)}, ClusterOptions{});
  EXPECT_THAT(r.survivors, ElementsAre(5));
  EXPECT_DOUBLE_EQ(r.selection_jitter_seconds, 0.0);
}

}  // namespace
}  // namespace ntp
