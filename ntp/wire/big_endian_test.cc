#include "ntp/wire/big_endian.h"

#include <array>
#include <cstdint>

#include "gtest/gtest.h"

namespace ntp {
namespace {

TEST(BigEndianTest, LoadsMostSignificantOctetFirst) {
  const std::array<uint8_t, 8> b = {0x01, 0x23, 0x45, 0x67,
                                    0x89, 0xAB, 0xCD, 0xEF};
  EXPECT_EQ(LoadBe16(b.data()), 0x0123u);
  EXPECT_EQ(LoadBe32(b.data()), 0x01234567u);
  EXPECT_EQ(LoadBe32(b.data() + 4), 0x89ABCDEFu);
  EXPECT_EQ(LoadBe64(b.data()), 0x0123456789ABCDEFull);
}

TEST(BigEndianTest, StoresMostSignificantOctetFirst) {
  std::array<uint8_t, 8> b{};
  StoreBe16(b.data(), 0xFEDC);
  EXPECT_EQ(b[0], 0xFE);
  EXPECT_EQ(b[1], 0xDC);
  StoreBe32(b.data(), 0x89ABCDEF);
  EXPECT_EQ(b, (std::array<uint8_t, 8>{0x89, 0xAB, 0xCD, 0xEF, 0, 0, 0, 0}));
  StoreBe64(b.data(), 0x0123456789ABCDEFull);
  EXPECT_EQ(b, (std::array<uint8_t, 8>{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB,
                                       0xCD, 0xEF}));
}

TEST(BigEndianTest, RoundTripsExtremes) {
  std::array<uint8_t, 8> b{};
  for (uint64_t v : {uint64_t{0}, ~uint64_t{0}, uint64_t{1} << 63, uint64_t{1}}) {
    StoreBe64(b.data(), v);
    EXPECT_EQ(LoadBe64(b.data()), v);
    StoreBe32(b.data(), static_cast<uint32_t>(v));
    EXPECT_EQ(LoadBe32(b.data()), static_cast<uint32_t>(v));
    StoreBe16(b.data(), static_cast<uint16_t>(v));
    EXPECT_EQ(LoadBe16(b.data()), static_cast<uint16_t>(v));
  }
}

}  // namespace
}  // namespace ntp
