// Checks the hot-path promise: parsing (and serializing) an NTP packet or a
// control message performs no heap allocation. Replaces the global
// operator new of this test binary with a counting one.
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/testing/allocation_counter.h"
#include "ntp/wire/control_message.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/test_corpus.h"


namespace ntp {
namespace {

TEST(NoAllocationTest, PacketParseAndSerialize) {
  std::vector<uint8_t> out(2048);
  for (const testing::Seed& seed : testing::PacketSeeds()) {
    const size_t before = ::ntp::testing::CppAllocationCount();
    WireResult<NtpPacket, PacketError> r = ParsePacket(seed.bytes);
    size_t written = 0;
    if (r.ok()) {
      absl::StatusOr<size_t> n = SerializePacket(*r, absl::MakeSpan(out));
      written = n.ok() ? *n : 0;
    }
    const size_t allocations = ::ntp::testing::CppAllocationCount() - before;
    EXPECT_EQ(allocations, 0u) << seed.name;
    if (r.ok()) {
      EXPECT_EQ(written, seed.bytes.size()) << seed.name;
    }
  }
}

TEST(NoAllocationTest, ControlParseAndSerialize) {
  std::vector<uint8_t> out(2048);
  for (const testing::Seed& seed : testing::ControlMessageSeeds()) {
    const size_t before = ::ntp::testing::CppAllocationCount();
    WireResult<ControlMessage, ControlError> r =
        ParseControlMessage(seed.bytes);
    size_t written = 0;
    if (r.ok()) {
      absl::StatusOr<size_t> n =
          SerializeControlMessage(*r, absl::MakeSpan(out));
      written = n.ok() ? *n : 0;
    }
    const size_t allocations = ::ntp::testing::CppAllocationCount() - before;
    EXPECT_EQ(allocations, 0u) << seed.name;
    EXPECT_TRUE(r.ok()) << seed.name;
    EXPECT_EQ(written, seed.bytes.size()) << seed.name;
  }
}

TEST(NoAllocationTest, CounterWorks) {
  const size_t before = ::ntp::testing::CppAllocationCount();
  auto* p = new std::vector<int>(10);
  delete p;
  EXPECT_GE(::ntp::testing::CppAllocationCount() - before, 2u);
}

}  // namespace
}  // namespace ntp
