#include "ntp/client/peer_fitness.h"

#include "gtest/gtest.h"

namespace ntp {
namespace {

TEST(RootDistanceTest, SumsTheTerms) {
  DistanceInput in;
  in.delay_seconds = 0.010;
  in.root_delay_seconds = 0.030;
  in.dispersion_seconds = 0.002;
  in.root_dispersion_seconds = 0.015;
  in.jitter_seconds = 0.001;
  in.age_seconds = 100;
  // 0.020 + 0.002 + 0.0015 + 0.015 + 0.001
  EXPECT_NEAR(RootDistance(in), 0.0395, 1e-15);
}

TEST(RootDistanceTest, FlooredAtMinDistance) {
  EXPECT_DOUBLE_EQ(RootDistance(DistanceInput{}, 0.001), 0.001);
  EXPECT_DOUBLE_EQ(RootDistance(DistanceInput{}, 0.005), 0.005);
}

FitnessInput Fit() {
  FitnessInput in;
  in.stratum = 2;
  in.root_distance_seconds = 0.05;
  in.reach = 1;
  return in;
}

TEST(PeerFitnessTest, HealthyPeerIsFit) { EXPECT_EQ(PeerFitness(Fit()), 0); }

TEST(PeerFitnessTest, EachTest) {
  struct Case {
    const char* name;
    void (*mutate)(FitnessInput&);
    uint16_t want;
  } cases[] = {
      {"leap3", [](FitnessInput& f) { f.leap_unsynchronized = true; }, kFitStratum},
      {"stratum16", [](FitnessInput& f) { f.stratum = 16; }, kFitStratum},
      {"at ceiling", [](FitnessInput& f) { f.stratum = 15; }, kFitStratum},
      {"below floor", [](FitnessInput& f) { f.stratum_floor = 3; }, kFitStratum},
      {"distance", [](FitnessInput& f) { f.root_distance_seconds = 1.6; }, kFitDistance},
      {"loop", [](FitnessInput& f) { f.refid_is_ours = true; }, kFitLoop},
      {"unreachable", [](FitnessInput& f) { f.reach = 0; }, kFitUnreachable},
      {"noselect", [](FitnessInput& f) { f.noselect = true; }, kFitUnreachable},
  };
  for (const Case& c : cases) {
    FitnessInput in = Fit();
    c.mutate(in);
    EXPECT_EQ(PeerFitness(in), c.want) << c.name;
  }
}

TEST(PeerFitnessTest, DistanceLimitGrowsWithPoll) {
  FitnessInput in = Fit();
  in.root_distance_seconds = 1.51;  // < 1.5 + 15e-6 * 1024
  in.poll_seconds = 1024;
  EXPECT_EQ(PeerFitness(in), 0);
  in.poll_seconds = 64;  // limit 1.50096
  EXPECT_EQ(PeerFitness(in), kFitDistance);
}

TEST(PeerFitnessTest, LoopOnlyAboveStratumOne) {
  FitnessInput in = Fit();
  in.stratum = 1;
  in.refid_is_ours = true;  // a primary's refid is text, never our address
  EXPECT_EQ(PeerFitness(in), 0);
}

}  // namespace
}  // namespace ntp
