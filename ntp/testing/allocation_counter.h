// Counts heap allocations made through C++ operator new, for tests that prove
// a path allocates nothing. Linking this library (alwayslink) replaces every
// replaceable global operator new/delete of the test binary with malloc/free
// based versions that count. Test-only.
//   const uint64_t before = ntp::testing::CppAllocationCount();
//   DoWork();
//   EXPECT_EQ(ntp::testing::CppAllocationCount() - before, 0u);
#ifndef NTP_TESTING_ALLOCATION_COUNTER_H_
#define NTP_TESTING_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace ntp::testing {

// Allocations (operator new and new[], all overloads) since the program began.
uint64_t CppAllocationCount();

}  // namespace ntp::testing

#endif  // NTP_TESTING_ALLOCATION_COUNTER_H_
