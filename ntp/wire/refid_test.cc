#include "ntp/wire/refid.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

static_assert(AsciiRefId("GPS") == 0x47505300);
static_assert(AsciiRefId("LOCL") == 0x4C4F434C);
static_assert(AsciiRefId("X") == 0x58000000);

TEST(RefIdTest, FromAscii) {
  struct Case {
    std::string text;
    uint32_t refid;
  };
  const Case cases[] = {
      {"LOCL", 0x4C4F434C}, {"INIT", 0x494E4954}, {"GPS", 0x47505300},
      {"PP", 0x50500000},   {"!", 0x21000000},    {"~~~~", 0x7E7E7E7E},
  };
  for (const Case& c : cases) {
    absl::StatusOr<uint32_t> r = RefIdFromAscii(c.text);
    ASSERT_THAT(r, IsOk()) << c.text;
    EXPECT_EQ(*r, c.refid) << c.text;
    EXPECT_EQ(RefIdToText(c.refid), c.text);
  }
}

TEST(RefIdTest, FromAsciiRejects) {
  for (const std::string& text :
       {std::string(""), std::string("TOOLONG"), std::string("A B"),
        std::string("\x01"), std::string("AB\x7F"), std::string("A\0B", 3),
        std::string("\xC3\xA9")}) {
    EXPECT_THAT(RefIdFromAscii(text),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << text;
  }
}

TEST(RefIdTest, ToTextReplacesNonPrintables) {
  EXPECT_EQ(RefIdToText(0), "");
  EXPECT_EQ(RefIdToText(0x41004243), "A");  // stops at the first NUL
  EXPECT_EQ(RefIdToText(0x7F000001), ".");  // 127.0.0.1: 0x7F then NUL
  EXPECT_EQ(RefIdToText(0xC0A80101), "....");
  EXPECT_EQ(RefIdToText(0x41204243), "A.BC");
}

TEST(RefIdTest, FromAddress) {
  struct Case {
    std::string address;
    uint32_t refid;
  };
  const Case cases[] = {
      {"192.0.2.1", 0xC0000201},
      {"127.127.1.0", 0x7F7F0100},
      {"0.0.0.0", 0},
      {"255.255.255.255", 0xFFFFFFFF},
      // First four octets of MD5 over the 16 address octets (computed
      // independently with Python's hashlib).
      {"::1", 0xCF404DC8},
      {"2001:db8::1", 0x39AB9B37},
      {"fe80::1", 0x89E5301F},
  };
  for (const Case& c : cases) {
    absl::StatusOr<net::IpAddress> address = net::IpAddress::Parse(c.address);
    ASSERT_THAT(address, IsOk());
    absl::StatusOr<uint32_t> refid = RefIdFromAddress(*address);
    ASSERT_THAT(refid, IsOk()) << c.address;
    EXPECT_EQ(*refid, c.refid) << c.address;
  }
}

}  // namespace
}  // namespace ntp
