#include "ntp/nts/cookie.h"

#include <cstdint>
#include <vector>

#include "absl/random/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace ntp::nts {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::IsOkAndHolds;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

SessionKeys Keys(uint8_t seed) {
  SessionKeys keys;
  for (size_t i = 0; i < keys.c2s.size(); ++i) {
    keys.c2s[i] = static_cast<uint8_t>(seed + i);
    keys.s2c[i] = static_cast<uint8_t>(seed * 3 + i);
  }
  return keys;
}

TEST(CookieKeyringTest, SealOpenRoundTrip) {
  absl::BitGen gen;
  CookieKeyring ring;
  ASSERT_THAT(ring.Rotate(gen), IsOk());
  std::vector<uint8_t> cookie(kCookieOctets);
  ASSERT_THAT(ring.Seal(Keys(5), gen, absl::MakeSpan(cookie)),
              IsOkAndHolds(kCookieOctets));
  EXPECT_EQ(kCookieOctets % 4, 0u);
  EXPECT_THAT(ring.Open(cookie), IsOkAndHolds(Keys(5)));
  // Two cookies for the same keys differ (fresh nonce), both open.
  std::vector<uint8_t> other(kCookieOctets);
  ASSERT_THAT(ring.Seal(Keys(5), gen, absl::MakeSpan(other)), IsOk());
  EXPECT_NE(cookie, other);
  EXPECT_THAT(ring.Open(other), IsOkAndHolds(Keys(5)));
}

TEST(CookieKeyringTest, ForgedCookiesAreRefused) {
  absl::BitGen gen;
  CookieKeyring ring;
  ASSERT_THAT(ring.Rotate(gen), IsOk());
  std::vector<uint8_t> cookie(kCookieOctets);
  ASSERT_THAT(ring.Seal(Keys(1), gen, absl::MakeSpan(cookie)), IsOk());
  for (size_t bit = 32; bit < cookie.size() * 8; ++bit) {
    std::vector<uint8_t> bad = cookie;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_THAT(ring.Open(bad), StatusIs(absl::StatusCode::kPermissionDenied))
        << bit;
  }
  // Flipping the key ID names a key we do not have: a NAK case.
  std::vector<uint8_t> other_id = cookie;
  other_id[3] ^= 0x40;
  EXPECT_THAT(ring.Open(other_id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ring.Open(std::vector<uint8_t>(kCookieOctets - 4)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  CookieKeyring empty;
  EXPECT_THAT(empty.Seal(Keys(1), gen, absl::MakeSpan(cookie)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(CookieKeyringTest, RotationKeepsThreeKeys) {
  absl::BitGen gen;
  CookieKeyring ring;
  ASSERT_THAT(ring.Rotate(gen), IsOk());
  std::vector<uint8_t> old(kCookieOctets);
  ASSERT_THAT(ring.Seal(Keys(2), gen, absl::MakeSpan(old)), IsOk());
  ASSERT_THAT(ring.Rotate(gen), IsOk());
  ASSERT_THAT(ring.Rotate(gen), IsOk());
  EXPECT_EQ(ring.current_id(), 3u);
  EXPECT_THAT(ring.Open(old), IsOkAndHolds(Keys(2)));  // two rotations on
  ASSERT_THAT(ring.Rotate(gen), IsOk());
  EXPECT_EQ(ring.size(), kKeptMasterKeys);
  EXPECT_THAT(ring.Open(old), StatusIs(absl::StatusCode::kNotFound));
}

TEST(CookieKeyringTest, KeyFileRoundTrip) {
  absl::BitGen gen;
  CookieKeyring ring;
  ASSERT_THAT(ring.Rotate(gen), IsOk());
  ASSERT_THAT(ring.Rotate(gen), IsOk());
  std::vector<uint8_t> cookie(kCookieOctets);
  ASSERT_THAT(ring.Seal(Keys(7), gen, absl::MakeSpan(cookie)), IsOk());
  const std::string text = ring.SerializeKeyFile();
  ASSERT_OK_AND_ASSIGN(CookieKeyring back,
                       CookieKeyring::ParseKeyFile(text, "nts.keys"));
  EXPECT_EQ(back.current_id(), 2u);
  EXPECT_EQ(back.size(), 2u);
  EXPECT_THAT(back.Open(cookie), IsOkAndHolds(Keys(7)));
  EXPECT_EQ(back.SerializeKeyFile(), text);
}

TEST(CookieKeyringTest, KeyFileErrorsNameFileAndLine) {
  const std::string good(64, 'a');
  EXPECT_THAT(CookieKeyring::ParseKeyFile("# only a comment\n", "k"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("k: no NTS master key")));
  EXPECT_THAT(CookieKeyring::ParseKeyFile("\n1 " + good + "\nx " + good, "k"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("k:3:")));
  EXPECT_THAT(CookieKeyring::ParseKeyFile("1 abc\n", "k"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("k:1: key must be 64 hexadecimal digits")));
  EXPECT_THAT(CookieKeyring::ParseKeyFile(
                  "1 " + good + "\n1 " + good + "\n", "k"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("k:2: NTS master key 1 is already present")));
  // Key material never appears in an error.
  auto bad = CookieKeyring::ParseKeyFile("1 " + good + " extra\n", "k");
  EXPECT_THAT(bad.status().message(), ::testing::Not(HasSubstr(good)));
}

}  // namespace
}  // namespace ntp::nts
