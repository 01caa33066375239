#include "ntp/nts/fields.h"

#include <cstdint>
#include <vector>

#include "absl/random/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/wire/packet.h"

namespace ntp::nts {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::IsOkAndHolds;

std::vector<uint8_t> Header() {
  std::vector<uint8_t> h(48, 0);
  h[0] = (4 << 3) | 3;  // version 4, client
  return h;
}

// header ‖ UID ‖ Cookie ‖ Placeholder ‖ Authenticator(plaintext).
std::vector<uint8_t> Build(AesSivCmac256& aead, absl::BitGenRef gen,
                           std::vector<uint8_t> plaintext = {}) {
  std::vector<uint8_t> d(1024);
  std::vector<uint8_t> h = Header();
  std::copy(h.begin(), h.end(), d.begin());
  size_t at = 48;
  std::vector<uint8_t> uid(32, 0xab), cookie(40, 0xcd);
  at += *EncodeField(kUniqueIdentifierField, uid, absl::MakeSpan(d).subspan(at));
  at += *EncodeField(kNtsCookieField, cookie, absl::MakeSpan(d).subspan(at));
  at += *EncodePlaceholder(cookie.size(), absl::MakeSpan(d).subspan(at));
  at += *EncodeAuthenticator(aead, gen, absl::MakeSpan(d), at, plaintext);
  d.resize(at);
  return d;
}

TEST(NtsFieldsTest, RoundTrip) {
  absl::BitGen gen;
  auto aead = AesSivCmac256::Create(std::vector<uint8_t>(32, 1));
  ASSERT_THAT(aead, IsOk());
  std::vector<uint8_t> d = Build(*aead, gen);
  EXPECT_EQ(d.size(), 48 + 36 + 44 + 44 + AuthenticatorOctets(0));
  NtsFieldError error;
  auto fields = ParseNtsFields(d, &error);
  ASSERT_TRUE(fields.has_value()) << NtsFieldErrorName(error);
  EXPECT_EQ(fields->unique_identifier, std::vector<uint8_t>(32, 0xab));
  ASSERT_TRUE(fields->cookie.has_value());
  EXPECT_EQ(*fields->cookie, std::vector<uint8_t>(40, 0xcd));
  EXPECT_EQ(fields->placeholder_count, 1u);
  EXPECT_EQ(fields->placeholder_octets, 44u);
  ASSERT_TRUE(fields->authenticator.has_value());
  const NtsAuthenticator& auth = *fields->authenticator;
  EXPECT_EQ(auth.field_offset, 48u + 36 + 44 + 44);
  EXPECT_EQ(auth.nonce.size(), 16u);
  EXPECT_EQ(auth.ciphertext.size(), 16u);
  EXPECT_THAT(aead->Open(absl::MakeConstSpan(d).first(auth.field_offset),
                         auth.nonce, auth.ciphertext, absl::Span<uint8_t>()),
              IsOkAndHolds(0u));
}

TEST(NtsFieldsTest, EncryptedCookiesAreFound) {
  absl::BitGen gen;
  auto aead = AesSivCmac256::Create(std::vector<uint8_t>(32, 2));
  ASSERT_THAT(aead, IsOk());
  std::vector<uint8_t> plain(200);
  size_t n = *EncodeField(kNtsCookieField, std::vector<uint8_t>(20, 1),
                          absl::MakeSpan(plain));
  n += *EncodeField(kNtsCookieField, std::vector<uint8_t>(24, 2),
                    absl::MakeSpan(plain).subspan(n));
  plain.resize(n);
  std::vector<uint8_t> d = Build(*aead, gen, plain);
  NtsFieldError error;
  auto fields = ParseNtsFields(d, &error);
  ASSERT_TRUE(fields.has_value());
  std::vector<uint8_t> out(fields->authenticator->ciphertext.size() - 16);
  ASSERT_THAT(aead->Open(absl::MakeConstSpan(d).first(
                             fields->authenticator->field_offset),
                         fields->authenticator->nonce,
                         fields->authenticator->ciphertext, absl::MakeSpan(out)),
              IsOk());
  std::vector<size_t> sizes;
  EXPECT_TRUE(ForEachEncryptedCookie(
      out, [&](absl::Span<const uint8_t> c) { sizes.push_back(c.size()); }));
  EXPECT_EQ(sizes, (std::vector<size_t>{20, 24}));
  EXPECT_FALSE(ForEachEncryptedCookie(std::vector<uint8_t>(7),
                                      [](absl::Span<const uint8_t>) {}));
}

NtsFieldError ErrorOf(const std::vector<uint8_t>& d) {
  NtsFieldError error{};
  EXPECT_FALSE(ParseNtsFields(d, &error).has_value());
  return error;
}

TEST(NtsFieldsTest, Rejections) {
  EXPECT_EQ(ErrorOf(std::vector<uint8_t>(47)), NtsFieldError::kNotNtp);
  std::vector<uint8_t> v3 = Header();
  v3[0] = (3 << 3) | 3;
  EXPECT_EQ(ErrorOf(v3), NtsFieldError::kNotNtp);
  EXPECT_EQ(ErrorOf(Header()), NtsFieldError::kNoUniqueIdentifier);

  auto with = [](std::vector<std::pair<uint16_t, std::vector<uint8_t>>> fs) {
    std::vector<uint8_t> d = Header();
    d.resize(2048);
    size_t at = 48;
    for (auto& [type, value] : fs) {
      at += *EncodeField(type, value, absl::MakeSpan(d).subspan(at));
    }
    d.resize(at);
    return d;
  };
  std::vector<uint8_t> uid(32, 1);
  EXPECT_EQ(ErrorOf(with({{kUniqueIdentifierField, std::vector<uint8_t>(28)}})),
            NtsFieldError::kNoUniqueIdentifier);
  EXPECT_EQ(ErrorOf(with({{kUniqueIdentifierField, uid},
                          {kUniqueIdentifierField, uid}})),
            NtsFieldError::kDuplicateField);
  EXPECT_EQ(ErrorOf(with({{kUniqueIdentifierField, uid},
                          {kNtsCookieField, uid},
                          {kNtsCookieField, uid}})),
            NtsFieldError::kDuplicateField);
  // Authenticator whose lengths run past its body.
  std::vector<uint8_t> bad_auth = {0, 16, 0, 200};
  bad_auth.resize(40);
  EXPECT_EQ(ErrorOf(with({{kUniqueIdentifierField, uid},
                          {kNtsAuthenticatorField, bad_auth}})),
            NtsFieldError::kBadAuthenticator);
  // Ciphertext shorter than the synthetic IV.
  std::vector<uint8_t> short_ct = {0, 16, 0, 8};
  short_ct.resize(40);
  EXPECT_EQ(ErrorOf(with({{kUniqueIdentifierField, uid},
                          {kNtsAuthenticatorField, short_ct}})),
            NtsFieldError::kBadAuthenticator);
  std::vector<uint8_t> short_nonce = {0, 8, 0, 16};
  short_nonce.resize(28);
  EXPECT_EQ(ErrorOf(with({{kUniqueIdentifierField, uid},
                          {kNtsAuthenticatorField, short_nonce}})),
            NtsFieldError::kShortNonce);
  // A legacy MAC after the fields.
  std::vector<uint8_t> mac = with({{kUniqueIdentifierField, uid}});
  mac.resize(mac.size() + 20, 0);
  EXPECT_EQ(ErrorOf(mac), NtsFieldError::kHasMac);
}

TEST(NtsFieldsTest, FieldsAfterAuthenticatorAreCountedNotUsed) {
  absl::BitGen gen;
  auto aead = AesSivCmac256::Create(std::vector<uint8_t>(32, 1));
  ASSERT_THAT(aead, IsOk());
  std::vector<uint8_t> d = Build(*aead, gen);
  const size_t before = d.size();
  d.resize(before + 36);
  ASSERT_THAT(EncodeField(kNtsCookieField, std::vector<uint8_t>(32, 9),
                          absl::MakeSpan(d).subspan(before)),
              IsOk());
  NtsFieldError error;
  auto fields = ParseNtsFields(d, &error);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->fields_after_authenticator, 1u);
  EXPECT_EQ(*fields->cookie, std::vector<uint8_t>(40, 0xcd));
}

TEST(NtsFieldsTest, FieldOctets) {
  EXPECT_EQ(FieldOctets(0), 16u);
  EXPECT_EQ(FieldOctets(12), 16u);
  EXPECT_EQ(FieldOctets(13), 20u);
  EXPECT_EQ(FieldOctets(100), 104u);
  EXPECT_EQ(AuthenticatorOctets(0), 40u);
  EXPECT_EQ(AuthenticatorOctets(104), 144u);
}

}  // namespace
}  // namespace ntp::nts
