#include "ntp/nts/aead.h"

#include <openssl/evp.h>

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/nts/test_hex.h"
#include "ntp/testing/status_matchers.h"

namespace ntp::nts {
namespace {

using ::ntp::nts::testing::Hex;
using ::ntp::testing::IsOk;
using ::ntp::testing::IsOkAndHolds;
using ::ntp::testing::StatusIs;
using Span = absl::Span<const uint8_t>;

// RFC 5297 Appendix A.1: deterministic authenticated encryption.
TEST(AesSivCmac256Test, Rfc5297A1Deterministic) {
  ASSERT_OK_AND_ASSIGN(
      AesSivCmac256 aead,
      AesSivCmac256::Create(Hex("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 "
                                "f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff")));
  const std::vector<uint8_t> ad =
      Hex("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627");
  const std::vector<uint8_t> plain = Hex("11223344 55667788 99aabbcc ddee");
  const std::vector<uint8_t> expected =
      Hex("85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c");
  std::vector<uint8_t> out(expected.size());
  const Span parts[] = {ad};
  EXPECT_THAT(aead.Seal(parts, plain, absl::MakeSpan(out)),
              IsOkAndHolds(expected.size()));
  EXPECT_EQ(out, expected);
  std::vector<uint8_t> back(plain.size());
  EXPECT_THAT(aead.Open(parts, expected, absl::MakeSpan(back)),
              IsOkAndHolds(plain.size()));
  EXPECT_EQ(back, plain);
}

// RFC 5297 Appendix A.2: two associated-data components, then the nonce.
TEST(AesSivCmac256Test, Rfc5297A2NonceBased) {
  ASSERT_OK_AND_ASSIGN(
      AesSivCmac256 aead,
      AesSivCmac256::Create(Hex("7f7e7d7c 7b7a7978 77767574 73727170 "
                                "40414243 44454647 48494a4b 4c4d4e4f")));
  const std::vector<uint8_t> ad1 =
      Hex("00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc "
          "bbaa9988 77665544 33221100");
  const std::vector<uint8_t> ad2 = Hex("10203040 50607080 90a0");
  const std::vector<uint8_t> nonce = Hex("09f91102 9d74e35b d84156c5 635688c0");
  const std::vector<uint8_t> plain =
      Hex("74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e "
          "63727970 74207573 696e6720 5349562d 414553");
  const std::vector<uint8_t> expected =
      Hex("7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 "
          "c889bf17 dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c "
          "485b62a3 fd5c0d");
  std::vector<uint8_t> out(expected.size());
  const Span parts[] = {ad1, ad2, nonce};
  EXPECT_THAT(aead.Seal(parts, plain, absl::MakeSpan(out)),
              IsOkAndHolds(expected.size()));
  EXPECT_EQ(out, expected);
  std::vector<uint8_t> back(plain.size());
  EXPECT_THAT(aead.Open(parts, expected, absl::MakeSpan(back)),
              IsOkAndHolds(plain.size()));
  EXPECT_EQ(back, plain);
}

// Empty associated data and empty plaintext: the IV alone (the vector other
// SIV implementations use for the n = 0 case of RFC 5297 §2.4).
TEST(AesSivCmac256Test, EmptyEverything) {
  ASSERT_OK_AND_ASSIGN(
      AesSivCmac256 aead,
      AesSivCmac256::Create(Hex("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 "
                                "f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff")));
  std::vector<uint8_t> out(16);
  EXPECT_THAT(aead.Seal(absl::Span<const Span>(), Span(), absl::MakeSpan(out)),
              IsOkAndHolds(16u));
  EXPECT_EQ(out, Hex("f2007a5b eb2b8900 c588a7ad f599f172"));
  EXPECT_THAT(aead.Open(absl::Span<const Span>(), out, absl::Span<uint8_t>()),
              IsOkAndHolds(0u));
}

// The NTS shape with an empty plaintext (RFC 8915 §5.6 allows it): seals
// and opens, and a changed nonce or AD is refused.
TEST(AesSivCmac256Test, EmptyPlaintextWithAdAndNonce) {
  std::vector<uint8_t> key(32, 7);
  ASSERT_OK_AND_ASSIGN(AesSivCmac256 aead, AesSivCmac256::Create(key));
  const std::vector<uint8_t> ad = Hex("01020304");
  std::vector<uint8_t> nonce(16, 9);
  std::vector<uint8_t> out(16);
  ASSERT_THAT(aead.Seal(ad, nonce, Span(), absl::MakeSpan(out)),
              IsOkAndHolds(16u));
  EXPECT_THAT(aead.Open(ad, nonce, out, absl::Span<uint8_t>()),
              IsOkAndHolds(0u));
  nonce[0] ^= 1;
  EXPECT_THAT(aead.Open(ad, nonce, out, absl::Span<uint8_t>()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// Empty plaintext after associated data and a nonce, against an independent
// implementation: Python cryptography's AESSIV (whose bundled OpenSSL seals
// empty plaintexts) gave this IV for key 00..1f, AD 01020304, nonce 0^16.
TEST(AesSivCmac256Test, EmptyPlaintextMatchesIndependentImplementation) {
  std::vector<uint8_t> key(32);
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i);
  ASSERT_OK_AND_ASSIGN(AesSivCmac256 aead, AesSivCmac256::Create(key));
  std::vector<uint8_t> out(16);
  ASSERT_THAT(aead.Seal(Hex("01020304"), std::vector<uint8_t>(16), Span(),
                        absl::MakeSpan(out)),
              IsOkAndHolds(16u));
  EXPECT_EQ(out, Hex("236f1299 5f57552d 0a479f46 d2b8257d"));
}

TEST(AesSivCmac256Test, EveryFlippedBitIsRefused) {
  std::vector<uint8_t> key(32);
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i);
  ASSERT_OK_AND_ASSIGN(AesSivCmac256 aead, AesSivCmac256::Create(key));
  const std::vector<uint8_t> ad = Hex("aabbccdd");
  const std::vector<uint8_t> nonce(16, 1);
  const std::vector<uint8_t> plain = Hex("00010203 04050607 0809");
  std::vector<uint8_t> sealed(plain.size() + 16);
  ASSERT_THAT(aead.Seal(ad, nonce, plain, absl::MakeSpan(sealed)), IsOk());
  std::vector<uint8_t> back(plain.size());
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    std::vector<uint8_t> bad = sealed;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_THAT(aead.Open(ad, nonce, bad, absl::MakeSpan(back)),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << "bit " << bit;
  }
  // Still usable after failures.
  EXPECT_THAT(aead.Open(ad, nonce, sealed, absl::MakeSpan(back)),
              IsOkAndHolds(plain.size()));
  EXPECT_EQ(back, plain);
}

// Differential: OpenSSL's own "AES-128-SIV" cipher gives the same output
// for every plaintext length it accepts (1..200: both S2V cases, partial
// and whole CTR blocks), with two associated-data components.
TEST(AesSivCmac256Test, MatchesOpenSslSivCipher) {
  std::vector<uint8_t> key(32);
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(7 * i + 1);
  ASSERT_OK_AND_ASSIGN(AesSivCmac256 aead, AesSivCmac256::Create(key));
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-SIV", nullptr);
  ASSERT_NE(cipher, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  for (size_t n = 1; n <= 200; ++n) {
    std::vector<uint8_t> ad(n % 37 + 48, static_cast<uint8_t>(n));
    std::vector<uint8_t> nonce(16, static_cast<uint8_t>(n * 3));
    std::vector<uint8_t> plain(n);
    for (size_t i = 0; i < n; ++i) plain[i] = static_cast<uint8_t>(i * 13 + n);
    std::vector<uint8_t> ours(n + 16), theirs(n + 16);
    ASSERT_THAT(aead.Seal(ad, nonce, plain, absl::MakeSpan(ours)),
                IsOkAndHolds(n + 16));
    int len = 0;
    ASSERT_EQ(EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr), 1);
    ASSERT_EQ(EVP_EncryptUpdate(ctx, nullptr, &len, ad.data(), ad.size()), 1);
    ASSERT_EQ(EVP_EncryptUpdate(ctx, nullptr, &len, nonce.data(), nonce.size()), 1);
    ASSERT_EQ(EVP_EncryptUpdate(ctx, theirs.data() + 16, &len, plain.data(), n), 1);
    ASSERT_EQ(EVP_EncryptFinal_ex(ctx, theirs.data() + 16 + len, &len), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, theirs.data()), 1);
    EXPECT_EQ(ours, theirs) << n;
    std::vector<uint8_t> back(n);
    EXPECT_THAT(aead.Open(ad, nonce, theirs, absl::MakeSpan(back)),
                IsOkAndHolds(n));
    EXPECT_EQ(back, plain) << n;
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
}

TEST(AesSivCmac256Test, RekeyMatchesCreate) {
  std::vector<uint8_t> k1(32, 1), k2(32, 2), plain(40, 9), nonce(16, 3);
  ASSERT_OK_AND_ASSIGN(AesSivCmac256 a, AesSivCmac256::Create(k1));
  ASSERT_OK_AND_ASSIGN(AesSivCmac256 b, AesSivCmac256::Create(k2));
  ASSERT_THAT(a.Rekey(k2), IsOk());
  std::vector<uint8_t> x(56), y(56);
  ASSERT_THAT(a.Seal(Span(), nonce, plain, absl::MakeSpan(x)), IsOk());
  ASSERT_THAT(b.Seal(Span(), nonce, plain, absl::MakeSpan(y)), IsOk());
  EXPECT_EQ(x, y);
  EXPECT_THAT(a.Rekey(std::vector<uint8_t>(31)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A server re-keys one object per message: every message under a new key,
// interleaved with messages under an old one, still matches EVP's SIV.
TEST(AesSivCmac256Test, RekeyedPerMessageMatchesOpenSslSivCipher) {
  std::vector<uint8_t> fixed(32, 0x42);
  ASSERT_OK_AND_ASSIGN(AesSivCmac256 aead, AesSivCmac256::Create(fixed));
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-SIV", nullptr);
  ASSERT_NE(cipher, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  for (size_t n = 1; n <= 64; ++n) {
    std::vector<uint8_t> key = n % 3 == 0 ? fixed : std::vector<uint8_t>(32);
    if (n % 3 != 0) {
      for (size_t i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(n * 31 + i);
    }
    ASSERT_THAT(aead.Rekey(key), IsOk());
    std::vector<uint8_t> ad(84, static_cast<uint8_t>(n)), nonce(16, 7);
    std::vector<uint8_t> plain(n * 13, static_cast<uint8_t>(n + 1));
    std::vector<uint8_t> ours(plain.size() + 16), theirs(plain.size() + 16);
    // Twice under the same key: the second message starts where the first
    // left the cipher state.
    for (int again = 0; again < 2; ++again) {
      ASSERT_THAT(aead.Seal(ad, nonce, plain, absl::MakeSpan(ours)), IsOk());
      int len = 0;
      ASSERT_EQ(EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr), 1);
      ASSERT_EQ(EVP_EncryptUpdate(ctx, nullptr, &len, ad.data(), ad.size()), 1);
      ASSERT_EQ(EVP_EncryptUpdate(ctx, nullptr, &len, nonce.data(), nonce.size()), 1);
      ASSERT_EQ(EVP_EncryptUpdate(ctx, theirs.data() + 16, &len, plain.data(),
                                  plain.size()),
                1);
      ASSERT_EQ(EVP_EncryptFinal_ex(ctx, theirs.data() + 16 + len, &len), 1);
      ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, theirs.data()), 1);
      EXPECT_EQ(ours, theirs) << n;
    }
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
}

TEST(AesSivCmac256Test, BadSizes) {
  EXPECT_THAT(AesSivCmac256::Create(std::vector<uint8_t>(16)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(AesSivCmac256 aead,
                       AesSivCmac256::Create(std::vector<uint8_t>(32)));
  std::vector<uint8_t> small(20);
  EXPECT_THAT(aead.Seal(Span(), Span(), std::vector<uint8_t>(5),
                        absl::MakeSpan(small)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(aead.Open(Span(), Span(), std::vector<uint8_t>(15),
                        absl::MakeSpan(small)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<Span> many(127);
  EXPECT_THAT(aead.Seal(many, Span(), absl::MakeSpan(small)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ntp::nts
