// Counts heap allocations on the per-packet MAC path: none from our code, none
// from OpenSSL for AES-CMAC, at most one from OpenSSL 3.0 for MD5/SHA-1 (the
// provider digest context EVP_DigestInit_ex re-creates). A separate binary
// because it replaces operator new and OpenSSL's allocator, which OpenSSL
// only allows before its first allocation.
#include <openssl/crypto.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/auth/mac.h"
#include "ntp/testing/allocation_counter.h"

namespace {

// Test-binary instrumentation, not production state.
long g_openssl_allocations = 0;

void* CountingMalloc(size_t size, const char*, int) {
  ++g_openssl_allocations;
  return std::malloc(size);
}
void* CountingRealloc(void* p, size_t size, const char*, int) {
  ++g_openssl_allocations;
  return std::realloc(p, size);
}
void CountingFree(void* p, const char*, int) { std::free(p); }

// Runs before main(), hence before OpenSSL allocates anything.
const bool g_hooks_installed =
    CRYPTO_set_mem_functions(CountingMalloc, CountingRealloc, CountingFree) ==
    1;

}  // namespace


namespace ntp {
namespace {

struct Counts {
  long cpp = 0;
  long openssl = 0;
};

class MacAllocationTest : public ::testing::TestWithParam<MacAlgorithm> {};

TEST_P(MacAllocationTest, VerifyAllocatesLittle) {
  ASSERT_TRUE(g_hooks_installed);
  const long openssl_before_create = g_openssl_allocations;
  absl::StatusOr<MacContext> context = MacContext::Create();
  ASSERT_TRUE(context.ok());
  // The hooks see OpenSSL's allocations (creating contexts allocates).
  ASSERT_GT(g_openssl_allocations, openssl_before_create);
  const MacAlgorithm algorithm = GetParam();
  absl::StatusOr<SymmetricKey> key =
      SymmetricKey::Create(7, algorithm, std::vector<uint8_t>(16, 0x42));
  ASSERT_TRUE(key.ok());
  std::vector<uint8_t> packet(48, 0x17);
  packet.reserve(128);
  ASSERT_TRUE(AppendMacTrailer(*context, *key, &packet).ok());
  const absl::Span<const uint8_t> all(packet);

  // Warm up (first use may set up OpenSSL internals), then measure.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(CheckMacTrailer(*context, *key, all.first(48), all.subspan(48)),
              MacVerdict::kOk);
  }
  constexpr int kCalls = 100;
  const Counts before{static_cast<long>(::ntp::testing::CppAllocationCount()), g_openssl_allocations};
  int ok = 0;
  for (int i = 0; i < kCalls; ++i) {
    ok += CheckMacTrailer(*context, *key, all.first(48), all.subspan(48)) ==
          MacVerdict::kOk;
    ok += VerifyMacTrailer(*context, *key, all.first(48), all.subspan(48)).ok();
  }
  const Counts after{static_cast<long>(::ntp::testing::CppAllocationCount()), g_openssl_allocations};
  EXPECT_EQ(ok, 2 * kCalls);
  EXPECT_EQ(after.cpp - before.cpp, 0) << "C++ allocations on the MAC path";
  const long openssl_per_call = (after.openssl - before.openssl) / (2 * kCalls);
  if (algorithm == MacAlgorithm::kAesCmac128) {
    EXPECT_EQ(after.openssl - before.openssl, 0);
  } else {
    EXPECT_LE(openssl_per_call, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, MacAllocationTest,
                         ::testing::Values(MacAlgorithm::kMd5,
                                           MacAlgorithm::kSha1,
                                           MacAlgorithm::kAesCmac128));

}  // namespace
}  // namespace ntp
