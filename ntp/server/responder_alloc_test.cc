// Proves the per-request path allocates nothing in steady state: this test
// binary replaces the global operator new with a counting one.
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "clock/fake_clock.h"
#include "gtest/gtest.h"
#include "ntp/server/responder.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// Every replaceable allocation function is replaced (malloc/free based), so
// that sanitizers never see new/delete from different families.
void* CountedAlloc(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* CountedAlignedAlloc(size_t n, std::align_val_t a) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const size_t align = static_cast<size_t>(a);
  return std::aligned_alloc(align, ((n == 0 ? 1 : n) + align - 1) / align * align);
}
void* operator new(size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new(size_t n, std::align_val_t a) {
  if (void* p = CountedAlignedAlloc(n, a)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) {
  if (void* p = CountedAlignedAlloc(n, a)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

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
      responder.Handle(r, system, clock, absl::MakeSpan(reply));
      clock.Advance(absl::Microseconds(3));
    }
  };
  run(5000);  // warm-up
  const uint64_t before = g_allocations.load();
  run(20000);
  EXPECT_EQ(g_allocations.load() - before, 0u);
  const ServerCounters& c = responder.counters();
  EXPECT_GT(c.reply_count(ServerReplyKind::kPlain), 0u);
  EXPECT_GT(c.reply_count(ServerReplyKind::kKissOfDeath), 0u);
  EXPECT_GT(c.drop_count(ServerDropReason::kRateLimited) +
                c.drop_count(ServerDropReason::kKodRateLimited),
            0u);
}

}  // namespace
}  // namespace ntp
