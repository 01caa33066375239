#include "ntp/client/selection.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ntp {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

SelectionCandidate C(int id, double offset, double distance, bool always_true = false) {
  return SelectionCandidate{id, offset, distance, always_true};
}

TEST(SelectionTest, EmptyHasNoMajority) {
  IntersectionResult r = FindIntersection({});
  EXPECT_FALSE(r.majority);
  EXPECT_THAT(r.truechimers, IsEmpty());
}

TEST(SelectionTest, SingleCandidateIsItsOwnMajority) {
  const std::vector<SelectionCandidate> c = {C(7, 0.010, 0.005)};
  IntersectionResult r = FindIntersection(c);
  EXPECT_TRUE(r.majority);
  EXPECT_DOUBLE_EQ(r.low_seconds, 0.005);
  EXPECT_DOUBLE_EQ(r.high_seconds, 0.015);
  EXPECT_THAT(r.truechimers, ElementsAre(7));
}

// Hand-worked Marzullo example: intervals [8,12], [11,13], [10,12] (ms):
// all three intersect in [11,12] with f = 0.
TEST(SelectionTest, ThreeAgreeingIntervals) {
  const std::vector<SelectionCandidate> c = {C(1, 0.010, 0.002), C(2, 0.012, 0.001),
                                             C(3, 0.011, 0.001)};
  IntersectionResult r = FindIntersection(c);
  ASSERT_TRUE(r.majority);
  EXPECT_EQ(r.falsetickers_assumed, 0);
  EXPECT_NEAR(r.low_seconds, 0.011, 1e-12);
  EXPECT_NEAR(r.high_seconds, 0.012, 1e-12);
  EXPECT_THAT(r.truechimers, ElementsAre(1, 2, 3));
  EXPECT_THAT(r.falsetickers, IsEmpty());
}

// Four servers, one a falseticker 1 s off (testdata/scenarios/client/client_falseticker.textproto).
TEST(SelectionTest, OneFalsetickerOfFourIsRejected) {
  const std::vector<SelectionCandidate> c = {C(0, 0.0001, 0.010), C(1, -0.0002, 0.012),
                                             C(2, 1.0, 0.010), C(3, 0.0003, 0.011)};
  IntersectionResult r = FindIntersection(c);
  ASSERT_TRUE(r.majority);
  EXPECT_EQ(r.falsetickers_assumed, 1);
  EXPECT_THAT(r.truechimers, ElementsAre(0, 1, 3));
  EXPECT_THAT(r.falsetickers, ElementsAre(2));
}

// Three of five lie, each by a different amount: no clique of three agrees,
// so there is no majority and nobody is a truechimer.
TEST(SelectionTest, ThreeOfFiveLyingDifferentlyGivesNoMajority) {
  const std::vector<SelectionCandidate> c = {C(0, 0.0, 0.01), C(1, 0.001, 0.01),
                                             C(2, 0.5, 0.01), C(3, -0.7, 0.01),
                                             C(4, 2.0, 0.01)};
  IntersectionResult r = FindIntersection(c);
  EXPECT_FALSE(r.majority);
  EXPECT_THAT(r.truechimers, IsEmpty());
  EXPECT_THAT(r.falsetickers, ElementsAre(0, 1, 2, 3, 4));
}

TEST(SelectionTest, TwoDisagreeingServersHaveNoMajority) {
  const std::vector<SelectionCandidate> c = {C(0, 0.0, 0.01), C(1, 0.1, 0.01)};
  EXPECT_FALSE(FindIntersection(c).majority);
}

TEST(SelectionTest, TrueFlagSurvivesWithoutMajority) {
  const std::vector<SelectionCandidate> c = {C(0, 0.0, 0.01), C(1, 0.1, 0.01, true)};
  IntersectionResult r = FindIntersection(c);
  EXPECT_FALSE(r.majority);
  EXPECT_THAT(r.truechimers, ElementsAre(1));
}

TEST(SelectionTest, TouchingIntervalsIntersect) {
  // [0,2] and [2,4] ms touch at 2 ms; a third [1,3] covers it. All agree on
  // the point 2 ms only: high > low fails with f = 0, f = 1 finds [1,3]∩...
  const std::vector<SelectionCandidate> c = {C(0, 0.001, 0.001), C(1, 0.003, 0.001),
                                             C(2, 0.002, 0.001)};
  IntersectionResult r = FindIntersection(c);
  ASSERT_TRUE(r.majority);
  EXPECT_EQ(r.falsetickers_assumed, 1);
  // With one falseticker allowed the clique region is [1,3] ms; every
  // interval overlaps it, so all three are truechimers (ntpd 4.2.8 rule).
  EXPECT_THAT(r.truechimers, ElementsAre(0, 1, 2));
}

TEST(SelectionTest, IdsComeBackInInputOrder) {
  const std::vector<SelectionCandidate> c = {C(42, 0.0, 0.01), C(7, 0.0, 0.01),
                                             C(99, 5.0, 0.01)};
  IntersectionResult r = FindIntersection(c);
  EXPECT_THAT(r.truechimers, ElementsAre(42, 7));
  EXPECT_THAT(r.falsetickers, ElementsAre(99));
}

}  // namespace
}  // namespace ntp
