// Proves the per-request path allocates nothing in steady state: this test
// binary replaces the global operator new with a counting one.
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "clock/fake_clock.h"
#include "gtest/gtest.h"
#include "ntp/testing/allocation_counter.h"
#include "ntp/server/responder.h"


namespace ntp {
namespace {

TEST(ResponderAllocationTest, SteadyStateRequestsDoNotAllocate) {
  ResponderSettings settings;
  settings.access.AddDefault(net::IpAddress::Family::kV4,
                             kRestrictLimited | kRestrictKod | kRestrictNoQuery);
  settings.client_table_capacity = 256;
  auto auth = RequestAuthenticator::Create(nullptr, {});
  ASSERT_TRUE(auth.ok());
  Responder responder(std::move(settings), std::move(*auth));
  clocks::FakeClock clock(absl::FromUnixSeconds(1704067200));
  SystemVariables system;
  system.leap = Leap::kNoWarning;
  system.stratum = 11;
  system.reference_time = NtpTimestamp::FromTime(absl::FromUnixSeconds(1704067100));

  std::vector<uint8_t> request(48, 0);
  request[0] = 0xE3;
  std::vector<uint8_t> with_field(48 + 28, 0);
  with_field[0] = 0x23;
  with_field[50] = 0;
  with_field[51] = 28;
  std::array<uint8_t, Responder::kMaxReplyOctets> reply{};

  auto run = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      ServerRequest r;
      r.payload = (i % 3 == 0) ? absl::MakeConstSpan(with_field) : absl::MakeConstSpan(request);
      // 1000 distinct clients (more than the table holds: eviction path),
      // each also sending back-to-back (KoD and rate-limit paths).
      r.source = net::SocketAddress(net::IpAddress::V4(0x0A000000 + (i / 2) % 1000), 40000);
      r.receive_time = NtpTimestamp::FromTime(clock.Now());
      r.monotonic_now = absl::FromUnixSeconds(100) + absl::Milliseconds(i);
      r.transmit_time = NtpTimestamp::FromTime(clock.Now());
      responder.Handle(r, system, absl::MakeSpan(reply));
      clock.Advance(absl::Microseconds(3));
    }
  };
  run(5000);  // warm-up
  const uint64_t before = ::ntp::testing::CppAllocationCount();
  run(20000);
  EXPECT_EQ(::ntp::testing::CppAllocationCount() - before, 0u);
  const ServerCounters& c = responder.counters();
  EXPECT_GT(c.reply_count(ServerReplyKind::kPlain), 0u);
  EXPECT_GT(c.reply_count(ServerReplyKind::kKissOfDeath), 0u);
  EXPECT_GT(c.drop_count(ServerDropReason::kRateLimited) +
                c.drop_count(ServerDropReason::kKodRateLimited),
            0u);
}

}  // namespace
}  // namespace ntp
