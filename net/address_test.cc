#include "net/address.h"

#include "absl/hash/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace net {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

TEST(IpAddressTest, ParsesAndFormatsV4) {
  ASSERT_OK_AND_ASSIGN(IpAddress a, IpAddress::Parse("127.0.0.2"));
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.v4(), 0x7F000002u);
  EXPECT_EQ(a.ToString(), "127.0.0.2");
  EXPECT_TRUE(a.IsLoopback());
  EXPECT_EQ(a, IpAddress::V4(0x7F000002));
}

TEST(IpAddressTest, ParsesAndFormatsV6) {
  ASSERT_OK_AND_ASSIGN(IpAddress a, IpAddress::Parse("::1"));
  EXPECT_TRUE(a.is_v6());
  EXPECT_TRUE(a.IsLoopback());
  EXPECT_EQ(a, IpAddress::LoopbackV6());
  ASSERT_OK_AND_ASSIGN(IpAddress b, IpAddress::Parse("2001:DB8:0:0:0:0:0:1"));
  EXPECT_EQ(b.ToString(), "2001:db8::1");
  EXPECT_FALSE(b.IsLoopback());
}

TEST(IpAddressTest, RejectsGarbage) {
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "localhost", "::g", "1.2.3.4 ",
                          "[::1]"}) {
    EXPECT_THAT(IpAddress::Parse(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad)))
        << bad;
  }
}

TEST(IpAddressTest, MasksAndPrefixes) {
  const IpAddress mask = IpAddress::PrefixMask(IpAddress::Family::kV4, 24);
  EXPECT_EQ(mask.ToString(), "255.255.255.0");
  EXPECT_EQ(mask.PrefixLength(), 24);
  EXPECT_EQ(IpAddress::V4(0xC0A80117).Masked(mask).ToString(), "192.168.1.0");
  EXPECT_EQ(IpAddress::V4(0xFF00FF00).PrefixLength(), -1);
  EXPECT_EQ(IpAddress::PrefixMask(IpAddress::Family::kV6, 128).PrefixLength(), 128);
  EXPECT_EQ(IpAddress::PrefixMask(IpAddress::Family::kV6, 0).PrefixLength(), 0);
  EXPECT_TRUE(IpAddress::AnyV4().IsUnspecified());
  EXPECT_TRUE(IpAddress::AnyV6().IsUnspecified());
}

TEST(IpAddressTest, OrderAndHashAreConsistent) {
  const IpAddress v4 = IpAddress::V4(0xFFFFFFFF);
  const IpAddress v6 = IpAddress::AnyV6();
  EXPECT_LT(v4, v6);  // every IPv4 before every IPv6
  EXPECT_LT(IpAddress::V4(1), IpAddress::V4(2));
  EXPECT_EQ(absl::Hash<IpAddress>()(IpAddress::V4(7)),
            absl::Hash<IpAddress>()(IpAddress::V4(7)));
}

TEST(SocketAddressTest, ParsesBothFamiliesWithAndWithoutPort) {
  ASSERT_OK_AND_ASSIGN(SocketAddress a, SocketAddress::Parse("127.0.0.3:11123"));
  EXPECT_EQ(a.ip(), IpAddress::V4(0x7F000003));
  EXPECT_EQ(a.port(), 11123);
  EXPECT_EQ(a.ToString(), "127.0.0.3:11123");
  ASSERT_OK_AND_ASSIGN(SocketAddress b, SocketAddress::Parse("[::1]:123"));
  EXPECT_EQ(b.ip(), IpAddress::LoopbackV6());
  EXPECT_EQ(b.ToString(), "[::1]:123");
  ASSERT_OK_AND_ASSIGN(SocketAddress c, SocketAddress::Parse("::1", 123));
  EXPECT_EQ(c.port(), 123);
  ASSERT_OK_AND_ASSIGN(SocketAddress d, SocketAddress::Parse("10.0.0.1", 5));
  EXPECT_EQ(d.port(), 5);
  ASSERT_OK_AND_ASSIGN(SocketAddress e, SocketAddress::Parse("[::1]", 7));
  EXPECT_EQ(e.port(), 7);
}

TEST(SocketAddressTest, RejectsBadPorts) {
  for (const char* bad : {"127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:x",
                          "[::1]:", "[::1", "[::1]x", "[::1]:-1"}) {
    EXPECT_THAT(SocketAddress::Parse(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace net
