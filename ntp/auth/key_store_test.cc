#include "ntp/auth/key_store.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/address.h"
#include "ntp/auth/mac.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::ElementsAre;

SymmetricKey Key(uint32_t id, MacAlgorithm algorithm = MacAlgorithm::kMd5) {
  const size_t length =
      algorithm == MacAlgorithm::kAesCmac128 ? 16 : 8 + id % 8;
  absl::StatusOr<SymmetricKey> key = SymmetricKey::Create(
      id, algorithm, std::vector<uint8_t>(length, static_cast<uint8_t>(id)));
  EXPECT_THAT(key, IsOk());
  return *key;
}

net::IpAddress Ip(absl::string_view text) {
  absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(text);
  EXPECT_THAT(ip, IsOk());
  return *ip;
}

TEST(KeyStoreTest, InsertFindAndOrder) {
  KeyStore store;
  EXPECT_TRUE(store.empty());
  ASSERT_THAT(store.Insert(Key(30)), IsOk());
  ASSERT_THAT(store.Insert(Key(2)), IsOk());
  ASSERT_THAT(store.Insert(Key(65535, MacAlgorithm::kAesCmac128)), IsOk());
  EXPECT_THAT(store.Insert(Key(2, MacAlgorithm::kSha1)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_THAT(store.KeyIds(), ElementsAre(2, 30, 65535));
  ASSERT_NE(store.Find(2), nullptr);
  EXPECT_EQ(*store.Find(2), Key(2));  // the first insertion stayed
  EXPECT_EQ(store.Find(3), nullptr);
  EXPECT_EQ(store.Find(0), nullptr);
}

TEST(KeyAccessEntryTest, PrefixMatching) {
  const KeyAccessEntry net24{Ip("192.0.2.0"), 24};
  EXPECT_TRUE(net24.Contains(Ip("192.0.2.77")));
  EXPECT_FALSE(net24.Contains(Ip("192.0.3.1")));
  EXPECT_FALSE(net24.Contains(Ip("::ffff:192.0.2.77")));
  const KeyAccessEntry host{Ip("2001:db8::1"), 128};
  EXPECT_TRUE(host.Contains(Ip("2001:db8::1")));
  EXPECT_FALSE(host.Contains(Ip("2001:db8::2")));
  const KeyAccessEntry v6_32{Ip("2001:db8::"), 32};
  EXPECT_TRUE(v6_32.Contains(Ip("2001:db8:ffff::9")));
  const KeyAccessEntry any{Ip("0.0.0.0"), 0};
  EXPECT_TRUE(any.Contains(Ip("203.0.113.9")));
}

TEST(KeyStoreTest, AccessLists) {
  KeyStore store;
  ASSERT_THAT(store.Insert(Key(1)), IsOk());
  ASSERT_THAT(
      store.Insert(Key(2), {{Ip("127.0.0.1"), 32}, {Ip("10.0.0.0"), 8}}),
      IsOk());
  EXPECT_TRUE(store.IsUsableFrom(1, Ip("198.51.100.1")));
  EXPECT_TRUE(store.IsUsableFrom(2, Ip("127.0.0.1")));
  EXPECT_TRUE(store.IsUsableFrom(2, Ip("10.200.0.1")));
  EXPECT_FALSE(store.IsUsableFrom(2, Ip("127.0.0.2")));
  EXPECT_FALSE(store.IsUsableFrom(3, Ip("127.0.0.1")));
  ASSERT_NE(store.FindEntry(2), nullptr);
  EXPECT_EQ(store.FindEntry(2)->access_list.size(), 2u);
}

TEST(VerifyPacketMacTest, LooksUpTheNamedKey) {
  absl::StatusOr<MacContext> context = MacContext::Create();
  ASSERT_THAT(context, IsOk());
  KeyStore store;
  ASSERT_THAT(store.Insert(Key(1)), IsOk());
  ASSERT_THAT(store.Insert(Key(2, MacAlgorithm::kSha1)), IsOk());
  ASSERT_THAT(store.Insert(Key(3, MacAlgorithm::kAesCmac128)), IsOk());
  const std::vector<uint8_t> header(48, 0x24);

  for (uint32_t id : {1u, 2u, 3u}) {
    std::vector<uint8_t> packet = header;
    ASSERT_THAT(AppendMacTrailer(*context, *store.Find(id), &packet), IsOk());
    const absl::Span<const uint8_t> all(packet);
    absl::StatusOr<uint32_t> verified =
        VerifyPacketMac(*context, store, all.first(48), all.subspan(48));
    ASSERT_THAT(verified, IsOk());
    EXPECT_EQ(*verified, id);
    std::vector<uint8_t> tampered = packet;
    tampered[5] ^= 4;
    const absl::Span<const uint8_t> t(tampered);
    EXPECT_THAT(VerifyPacketMac(*context, store, t.first(48), t.subspan(48)),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }

  // Unknown key, crypto-NAK, impossible length, length of another algorithm.
  const SymmetricKey stranger = Key(9);
  std::vector<uint8_t> packet = header;
  ASSERT_THAT(AppendMacTrailer(*context, stranger, &packet), IsOk());
  const absl::Span<const uint8_t> all(packet);
  EXPECT_THAT(VerifyPacketMac(*context, store, all.first(48), all.subspan(48)),
              StatusIs(absl::StatusCode::kNotFound));
  const std::vector<uint8_t> nak(4, 0);
  EXPECT_THAT(VerifyPacketMac(*context, store, header, nak),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      VerifyPacketMac(*context, store, header, std::vector<uint8_t>(12)),
      StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<uint8_t> sha1_sized(24, 0);
  sha1_sized[3] = 1;  // key 1 is MD5: a 24-octet trailer cannot be its MAC
  EXPECT_THAT(VerifyPacketMac(*context, store, header, sha1_sized),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ntp
