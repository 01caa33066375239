#include "ntp/server/client_table.h"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace ntp {
namespace {

net::IpAddress V4(uint32_t a) { return net::IpAddress::V4(a); }
const absl::Time kT0 = absl::FromUnixSeconds(1000000);

TEST(ClientTableTest, FirstPacketIsAlwaysAccepted) {
  ClientTable table(16, RateLimitSettings{}, 1);
  EXPECT_EQ(table.Record(V4(1), 123, 3, 4, kT0), RateVerdict::kAccept);
  EXPECT_EQ(table.size(), 1u);
}

TEST(ClientTableTest, PollingEvery64SecondsIsNeverLimited) {
  ClientTable table(16, RateLimitSettings{}, 1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(table.Record(V4(1), 123, 3, 4, kT0 + absl::Seconds(64 * i)),
              RateVerdict::kAccept)
        << i;
  }
}

TEST(ClientTableTest, BackToBackPacketsHitTheMinimumGuard) {
  // discard minimum 2: interval + 1 >= 2 fails for a packet in the same
  // second -> one KoD allowed, then silent drops.
  ClientTable table(16, RateLimitSettings{}, 1);
  EXPECT_EQ(table.Record(V4(1), 123, 3, 4, kT0), RateVerdict::kAccept);
  EXPECT_EQ(table.Record(V4(1), 123, 3, 4, kT0 + absl::Milliseconds(100)),
            RateVerdict::kLimitedKod);
  EXPECT_EQ(table.Record(V4(1), 123, 3, 4, kT0 + absl::Milliseconds(200)),
            RateVerdict::kLimitedDrop);
  EXPECT_EQ(table.Record(V4(1), 123, 3, 4, kT0 + absl::Milliseconds(300)),
            RateVerdict::kLimitedDrop);
}

TEST(ClientTableTest, LeakyBucketSequenceMatchesNtpd) {
  // One packet every 2 s with average 3 (head 8, limit 64): the leak grows
  // by head - 2 - interval = 4 per packet; accepted while leak + 8 < 64.
  ClientTable table(16, RateLimitSettings{}, 1);
  std::vector<RateVerdict> got;
  for (int i = 0; i < 20; ++i) {
    got.push_back(table.Record(V4(7), 123, 3, 4, kT0 + absl::Seconds(2 * i)));
  }
  // Expected verdicts from ntpd's rules, computed step by step:
  int64_t leak = 0;
  for (int i = 0; i < 20; ++i) {
    RateVerdict want;
    if (i == 0) {
      want = RateVerdict::kAccept;
    } else {
      leak = std::max<int64_t>(0, leak - 2);
      if (2 + 1 >= 2 && leak + 8 < 64) {
        leak += 8 - 2;
        want = RateVerdict::kAccept;
      } else if (leak < 64) {
        leak = 72;
        want = RateVerdict::kLimitedKod;
      } else {
        want = RateVerdict::kLimitedDrop;
      }
    }
    EXPECT_EQ(got[i], want) << "packet " << i;
  }
  EXPECT_EQ(got[1], RateVerdict::kAccept);
  EXPECT_NE(std::count(got.begin(), got.end(), RateVerdict::kLimitedKod), 0);
}

TEST(ClientTableTest, AtMostOneKodPerVictimEveryFewSeconds) {
  // A flood spoofing one victim: KoDs to that victim stay rare.
  ClientTable table(16, RateLimitSettings{}, 1);
  int kods = 0;
  for (int i = 0; i < 100000; ++i) {
    const absl::Time t = kT0 + absl::Microseconds(600 * i);  // 60 s of flood
    if (table.Record(V4(42), 123, 3, 4, t) == RateVerdict::kLimitedKod) ++kods;
  }
  EXPECT_GE(kods, 1);
  EXPECT_LE(kods, 60 / 8 + 1);
}

TEST(ClientTableTest, GlobalKodBucketBoundsTheRate) {
  RateLimitSettings s;
  s.max_kod_per_second = 10;
  s.kod_burst = 5;
  ClientTable table(16, s, 1);
  int granted = 0;
  for (int i = 0; i < 100; ++i) granted += table.TakeKodToken(kT0);
  EXPECT_EQ(granted, 5);
  EXPECT_FALSE(table.TakeKodToken(kT0 + absl::Milliseconds(50)));
  EXPECT_TRUE(table.TakeKodToken(kT0 + absl::Milliseconds(150)));
  granted = 0;
  for (int i = 0; i < 1000; ++i) {
    granted += table.TakeKodToken(kT0 + absl::Seconds(1) + absl::Milliseconds(i));
  }
  EXPECT_LE(granted, 5 + 10 + 1);
}

TEST(ClientTableTest, LruEvictionKeepsMemoryBounded) {
  ClientTable table(1000, RateLimitSettings{}, 99);
  const size_t bytes = table.memory_bytes();
  for (uint32_t a = 0; a < 200000; ++a) {
    table.Record(V4(0x0A000000 + a), 123, 3, 4, kT0 + absl::Microseconds(a));
  }
  EXPECT_EQ(table.size(), 1000u);
  EXPECT_EQ(table.evictions(), 199000u);
  EXPECT_EQ(table.memory_bytes(), bytes);
  // The survivors are the 1000 most recent, most recent first.
  const auto recent = table.MostRecent(1000);
  ASSERT_EQ(recent.size(), 1000u);
  EXPECT_EQ(recent.front().address, V4(0x0A000000 + 199999));
  EXPECT_EQ(recent.back().address, V4(0x0A000000 + 199000));
  std::set<net::IpAddress> unique;
  for (const auto& c : recent) unique.insert(c.address);
  EXPECT_EQ(unique.size(), 1000u);
}

TEST(ClientTableTest, RecentlySeenClientSurvivesEviction) {
  ClientTable table(3, RateLimitSettings{}, 5);
  table.Record(V4(1), 1, 3, 4, kT0);
  table.Record(V4(2), 1, 3, 4, kT0 + absl::Seconds(1));
  table.Record(V4(3), 1, 3, 4, kT0 + absl::Seconds(2));
  table.Record(V4(1), 1, 3, 4, kT0 + absl::Seconds(64));  // refresh 1
  table.Record(V4(4), 1, 3, 4, kT0 + absl::Seconds(65));  // evicts 2
  const auto recent = table.MostRecent(10);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0].address, V4(4));
  EXPECT_EQ(recent[1].address, V4(1));
  EXPECT_EQ(recent[1].count, 2u);
  EXPECT_EQ(recent[2].address, V4(3));
}

TEST(ClientTableTest, Ipv4AndIpv6AreDistinctClients) {
  ClientTable table(8, RateLimitSettings{}, 5);
  std::array<uint8_t, 16> b{};  // :: has the same leading bytes as 0.0.0.0
  table.Record(net::IpAddress::V4(0), 1, 3, 4, kT0);
  table.Record(net::IpAddress::V6(b), 1, 3, 4, kT0);
  EXPECT_EQ(table.size(), 2u);
}

}  // namespace
}  // namespace ntp
