#include "ntp/auth/mac.h"

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<uint8_t> Hex(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::vector<uint8_t> Ascii(absl::string_view text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::string ToHex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// The 48-octet "packet" used by the known-answer tests: octets 0x00..0x2f.
std::vector<uint8_t> Packet48() {
  std::vector<uint8_t> packet(48);
  for (size_t i = 0; i < packet.size(); ++i)
    packet[i] = static_cast<uint8_t>(i);
  return packet;
}

constexpr absl::string_view kPacketHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f";

// RFC 4493 §4: the AES-128 key of all four examples.
constexpr absl::string_view kRfc4493KeyHex = "2b7e151628aed2a6abf7158809cf4f3c";

SymmetricKey MakeKey(uint32_t id, MacAlgorithm algorithm,
                     const std::vector<uint8_t>& secret) {
  absl::StatusOr<SymmetricKey> key =
      SymmetricKey::Create(id, algorithm, secret);
  EXPECT_THAT(key, IsOk());
  return *key;
}

class MacTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<MacContext> context = MacContext::Create();
    ASSERT_THAT(context, IsOk());
    context_.emplace(std::move(*context));
  }

  std::string Digest(const SymmetricKey& key,
                     const std::vector<uint8_t>& message) {
    std::vector<uint8_t> digest(key.digest_length());
    EXPECT_THAT(context_->ComputeDigest(key, message, absl::MakeSpan(digest)),
                IsOk());
    return ToHex(digest);
  }

  std::optional<MacContext> context_;
};

TEST(MacAlgorithmTest, LengthsAndNames) {
  EXPECT_EQ(DigestLength(MacAlgorithm::kMd5), 16u);
  EXPECT_EQ(DigestLength(MacAlgorithm::kSha1), 20u);
  EXPECT_EQ(DigestLength(MacAlgorithm::kAesCmac128), 16u);
  EXPECT_EQ(MacTrailerLength(MacAlgorithm::kMd5), 20u);
  EXPECT_EQ(MacTrailerLength(MacAlgorithm::kSha1), 24u);
  EXPECT_EQ(MacTrailerLength(MacAlgorithm::kAesCmac128), 20u);
  EXPECT_EQ(MacAlgorithmName(MacAlgorithm::kMd5), "MD5");
  EXPECT_EQ(MacAlgorithmName(MacAlgorithm::kSha1), "SHA1");
  EXPECT_EQ(MacAlgorithmName(MacAlgorithm::kAesCmac128), "AES128CMAC");
}

TEST(SymmetricKeyTest, RejectsBadIdsAndLengths) {
  const std::vector<uint8_t> secret = Ascii("secret");
  EXPECT_THAT(SymmetricKey::Create(0, MacAlgorithm::kMd5, secret),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SymmetricKey::Create(65536, MacAlgorithm::kMd5, secret),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SymmetricKey::Create(1, MacAlgorithm::kMd5, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SymmetricKey::Create(1, MacAlgorithm::kSha1,
                                   std::vector<uint8_t>(65, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SymmetricKey::Create(1, MacAlgorithm::kAesCmac128, secret),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SymmetricKey::Create(1, MacAlgorithm::kAesCmac128,
                                   std::vector<uint8_t>(17, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SymmetricKey::Create(1, MacAlgorithm::kSha1,
                                   std::vector<uint8_t>(64, 'x')),
              IsOk());
  EXPECT_THAT(SymmetricKey::Create(65535, MacAlgorithm::kAesCmac128,
                                   std::vector<uint8_t>(16, 'x')),
              IsOk());
}

TEST(SymmetricKeyTest, ErrorMessagesNeverContainTheSecret) {
  const std::vector<uint8_t> secret = Ascii("TopSecretPassword");
  for (uint32_t id : {0u, 70000u}) {
    absl::StatusOr<SymmetricKey> key =
        SymmetricKey::Create(id, MacAlgorithm::kAesCmac128, secret);
    ASSERT_FALSE(key.ok());
    EXPECT_THAT(std::string(key.status().message()),
                Not(HasSubstr("TopSecret")));
  }
}

TEST(SymmetricKeyTest, StringFormsRedactTheSecret) {
  const SymmetricKey key =
      MakeKey(42, MacAlgorithm::kSha1, Ascii("hunter2hunter2"));
  EXPECT_EQ(key.DebugString(), "key 42 (SHA1, 14-octet secret redacted)");
  std::ostringstream out;
  out << key;
  EXPECT_EQ(out.str(), key.DebugString());
  EXPECT_THAT(::testing::PrintToString(key), Not(HasSubstr("hunter2")));
}

TEST(SymmetricKeyTest, AccessorsAndEquality) {
  const SymmetricKey a = MakeKey(7, MacAlgorithm::kMd5, Ascii("abc"));
  EXPECT_EQ(a.key_id(), 7u);
  EXPECT_EQ(a.algorithm(), MacAlgorithm::kMd5);
  EXPECT_EQ(a.digest_length(), 16u);
  EXPECT_EQ(std::vector<uint8_t>(a.secret().begin(), a.secret().end()),
            Ascii("abc"));
  const SymmetricKey copy = a;
  EXPECT_EQ(copy, a);
  EXPECT_FALSE(a == MakeKey(8, MacAlgorithm::kMd5, Ascii("abc")));
  EXPECT_FALSE(a == MakeKey(7, MacAlgorithm::kSha1, Ascii("abc")));
  EXPECT_FALSE(a == MakeKey(7, MacAlgorithm::kMd5, Ascii("abd")));
  EXPECT_FALSE(a == MakeKey(7, MacAlgorithm::kMd5, {'a', 'b', 'c', 0}));
}

// RFC 4493 §4, Examples 1-4 (AES-128 key 2b7e1516...).
struct CmacVector {
  const char* name;
  absl::string_view message_hex;
  absl::string_view tag_hex;
};

class Rfc4493Test : public MacTest,
                    public ::testing::WithParamInterface<CmacVector> {};

TEST_P(Rfc4493Test, MatchesTheRfc) {
  const SymmetricKey key =
      MakeKey(1, MacAlgorithm::kAesCmac128, Hex(kRfc4493KeyHex));
  const std::vector<uint8_t> message = Hex(GetParam().message_hex);
  EXPECT_EQ(Digest(key, message), GetParam().tag_hex);
  // Again with the key already scheduled (the cached-key path).
  EXPECT_EQ(Digest(key, message), GetParam().tag_hex);
  EXPECT_THAT(context_->VerifyDigest(key, message, Hex(GetParam().tag_hex)),
              IsOk());
}

INSTANTIATE_TEST_SUITE_P(
    AllExamples, Rfc4493Test,
    ::testing::Values(
        CmacVector{"Example1_Empty", "", "bb1d6929e95937287fa37d129b756746"},
        CmacVector{"Example2_16", "6bc1bee22e409f96e93d7e117393172a",
                   "070a16b46b4d4144f79bdd9dd04a287c"},
        CmacVector{
            "Example3_40",
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af"
            "8e5130c81c46a35ce411",
            "dfa66747de9ae63030ca32611497c827"},
        CmacVector{
            "Example4_64",
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af"
            "8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417b"
            "e66c3710",
            "51f0bebf7e3b9d92fc49741779363cfe"}),
    [](const ::testing::TestParamInfo<CmacVector>& info) {
      return std::string(info.param.name);
    });

// Known answers computed independently with the OpenSSL command line, where
// P=000102...2f (the 48 octets 0x00..0x2f):
//   (printf 'ntp-md5-test-key'; echo $P | xxd -r -p) | openssl dgst -md5
//   (echo 0102030405060708090a0b0c0d0e0f1011121314 | xxd -r -p;
//    echo $P | xxd -r -p) | openssl dgst -sha1
//   (printf 'sha1-ascii-key'; echo $P | xxd -r -p) | openssl dgst -sha1
//   echo $P | xxd -r -p |
//       openssl mac -cipher AES-128-CBC -macopt hexkey:2b7e1516...4f3c CMAC
//       (the full key is kRfc4493KeyHex)
//   printf 'k' | openssl dgst -md5          (empty message)
TEST_F(MacTest, KnownAnswers) {
  const std::vector<uint8_t> packet = Packet48();
  ASSERT_EQ(ToHex(packet), kPacketHex);
  EXPECT_EQ(
      Digest(MakeKey(1, MacAlgorithm::kMd5, Ascii("ntp-md5-test-key")), packet),
      "aeb5b8ce70111aed77383fb0c175332b");
  EXPECT_EQ(Digest(MakeKey(2, MacAlgorithm::kSha1,
                           Hex("0102030405060708090a0b0c0d0e0f1011121314")),
                   packet),
            "bfbecea5722912a32cb6dfdf44ae730d3b5f23da");
  EXPECT_EQ(
      Digest(MakeKey(3, MacAlgorithm::kSha1, Ascii("sha1-ascii-key")), packet),
      "55f70267537729d9446c834ea2b9b98c7c6db7bb");
  EXPECT_EQ(Digest(MakeKey(4, MacAlgorithm::kAesCmac128, Hex(kRfc4493KeyHex)),
                   packet),
            "b46dd8856c4fee713a9243e917f1fdb7");
  EXPECT_EQ(Digest(MakeKey(5, MacAlgorithm::kMd5, Ascii("k")), {}),
            "8ce4b16b22b58894aa86c421e8759df3");
}

// SHA-2 (ntpsec's OpenSSL digest types): digest(key ‖ message) truncated to
// 20 octets. Vectors: FIPS 180-2 Appendices B.1, C.1, D.1 and the SHA-224
// example of FIPS 180-4 ("abc"), with the key "a" and the message "bc", so
// the digest covers exactly "abc"; the truncation keeps the first 20 octets.
//   printf abc | openssl dgst -sha256   (and -sha224, -sha384, -sha512)
TEST_F(MacTest, Sha2KnownAnswersTruncatedToTwentyOctets) {
  struct Case {
    MacAlgorithm algorithm;
    const char* first_20_octets;
  } cases[] = {
      {MacAlgorithm::kSha224, "23097d223405d8228642a477bda255b32aadbce4"},
      {MacAlgorithm::kSha256, "ba7816bf8f01cfea414140de5dae2223b00361a3"},
      {MacAlgorithm::kSha384, "cb00753f45a35e8bb5a03d699ac65007272c32ab"},
      {MacAlgorithm::kSha512, "ddaf35a193617abacc417349ae20413112e6fa4e"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(MacAlgorithmName(c.algorithm));
    const SymmetricKey key = MakeKey(7, c.algorithm, Ascii("a"));
    EXPECT_EQ(key.digest_length(), 20u);
    EXPECT_EQ(MacTrailerLength(c.algorithm), 24u);
    EXPECT_EQ(Digest(key, Ascii("bc")), c.first_20_octets);
    // Signing and verifying a packet: a 24-octet trailer that checks, and
    // fails for another key of the same type.
    std::vector<uint8_t> packet = Packet48();
    ASSERT_THAT(AppendMacTrailer(*context_, key, &packet), IsOk());
    ASSERT_EQ(packet.size(), 48u + 24u);
    const auto authenticated = absl::MakeConstSpan(packet).first(48);
    const auto trailer = absl::MakeConstSpan(packet).subspan(48);
    EXPECT_EQ(CheckMacTrailer(*context_, key, authenticated, trailer), MacVerdict::kOk);
    EXPECT_EQ(CheckMacTrailer(*context_, MakeKey(7, c.algorithm, Ascii("b")), authenticated,
                              trailer),
              MacVerdict::kDigestMismatch);
    absl::StatusOr<MacTrailerView> view = ParseMacTrailer(trailer);
    ASSERT_THAT(view, IsOk());
    EXPECT_EQ(view->key_id, 7u);
  }
  EXPECT_EQ(MacAlgorithmName(MacAlgorithm::kSha256), "SHA256");
}

TEST_F(MacTest, CmacKeyCacheFollowsKeyChanges) {
  const std::vector<uint8_t> packet = Packet48();
  const SymmetricKey rfc =
      MakeKey(1, MacAlgorithm::kAesCmac128, Hex(kRfc4493KeyHex));
  const SymmetricKey other =
      MakeKey(2, MacAlgorithm::kAesCmac128, std::vector<uint8_t>(16, 0x55));
  const SymmetricKey md5 = MakeKey(3, MacAlgorithm::kMd5, Ascii("m"));
  const std::string other_tag = Digest(other, packet);
  EXPECT_NE(other_tag, "b46dd8856c4fee713a9243e917f1fdb7");
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Digest(rfc, packet), "b46dd8856c4fee713a9243e917f1fdb7");
    EXPECT_EQ(Digest(other, packet), other_tag);
    Digest(md5, packet);
    EXPECT_EQ(Digest(other, packet), other_tag);
  }
}

TEST_F(MacTest, ComputeDigestNeedsRoom) {
  const SymmetricKey key = MakeKey(1, MacAlgorithm::kSha1, Ascii("k"));
  std::vector<uint8_t> small(19);
  EXPECT_THAT(context_->ComputeDigest(key, Packet48(), absl::MakeSpan(small)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MacTest, VerifyDigestRejectsTamperingAndWrongLength) {
  for (MacAlgorithm algorithm :
       {MacAlgorithm::kMd5, MacAlgorithm::kSha1, MacAlgorithm::kAesCmac128,
        MacAlgorithm::kSha224, MacAlgorithm::kSha256, MacAlgorithm::kSha384,
        MacAlgorithm::kSha512}) {
    SCOPED_TRACE(MacAlgorithmName(algorithm));
    const SymmetricKey key =
        MakeKey(9, algorithm, std::vector<uint8_t>(16, 0xa5));
    const std::vector<uint8_t> packet = Packet48();
    std::vector<uint8_t> digest(key.digest_length());
    ASSERT_THAT(context_->ComputeDigest(key, packet, absl::MakeSpan(digest)),
                IsOk());
    EXPECT_EQ(context_->CheckDigest(key, packet, digest), MacVerdict::kOk);

    std::vector<uint8_t> bad_packet = packet;
    bad_packet[17] ^= 0x01;
    EXPECT_THAT(context_->VerifyDigest(key, bad_packet, digest),
                StatusIs(absl::StatusCode::kUnauthenticated));

    std::vector<uint8_t> bad_digest = digest;
    bad_digest.back() ^= 0x80;
    EXPECT_EQ(context_->CheckDigest(key, packet, bad_digest),
              MacVerdict::kDigestMismatch);

    const SymmetricKey other_key =
        MakeKey(9, algorithm, std::vector<uint8_t>(16, 0xa4));
    EXPECT_EQ(context_->CheckDigest(other_key, packet, digest),
              MacVerdict::kDigestMismatch);

    std::vector<uint8_t> short_digest(digest.begin(), digest.end() - 1);
    EXPECT_THAT(context_->VerifyDigest(key, packet, short_digest),
                StatusIs(absl::StatusCode::kInvalidArgument));
    std::vector<uint8_t> long_digest = digest;
    long_digest.push_back(0);
    EXPECT_EQ(context_->CheckDigest(key, packet, long_digest),
              MacVerdict::kBadLength);
  }
}

TEST_F(MacTest, AppendMacTrailerWritesKeyIdAndDigest) {
  const SymmetricKey key =
      MakeKey(0x1234, MacAlgorithm::kMd5, Ascii("ntp-md5-test-key"));
  std::vector<uint8_t> packet = Packet48();
  ASSERT_THAT(AppendMacTrailer(*context_, key, &packet), IsOk());
  ASSERT_EQ(packet.size(), 48u + 20u);
  EXPECT_EQ(ToHex(absl::MakeConstSpan(packet).subspan(48)),
            "00001234aeb5b8ce70111aed77383fb0c175332b");

  std::vector<uint8_t> sha1_packet = Packet48();
  const SymmetricKey sha1 =
      MakeKey(65535, MacAlgorithm::kSha1,
              Hex("0102030405060708090a0b0c0d0e0f1011121314"));
  ASSERT_THAT(AppendMacTrailer(*context_, sha1, &sha1_packet), IsOk());
  EXPECT_EQ(ToHex(absl::MakeConstSpan(sha1_packet).subspan(48)),
            "0000ffffbfbecea5722912a32cb6dfdf44ae730d3b5f23da");
}

TEST_F(MacTest, WriteMacTrailerNeedsRoom) {
  const SymmetricKey key =
      MakeKey(1, MacAlgorithm::kAesCmac128, Hex(kRfc4493KeyHex));
  std::vector<uint8_t> out(19);
  EXPECT_THAT(WriteMacTrailer(*context_, key, Packet48(), absl::MakeSpan(out)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  out.resize(32);
  absl::StatusOr<size_t> written =
      WriteMacTrailer(*context_, key, Packet48(), absl::MakeSpan(out));
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(*written, 20u);
  EXPECT_EQ(ToHex(absl::MakeConstSpan(out).first(20)),
            "00000001b46dd8856c4fee713a9243e917f1fdb7");
}

TEST(ParseMacTrailerTest, SplitsValidLengths) {
  const std::vector<uint8_t> nak = Hex("00000000");
  absl::StatusOr<MacTrailerView> parsed = ParseMacTrailer(nak);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(parsed->is_crypto_nak());

  const std::vector<uint8_t> md5 =
      Hex("0000002a00112233445566778899aabbccddeeff");
  parsed = ParseMacTrailer(md5);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->key_id, 42u);
  EXPECT_EQ(parsed->digest.size(), 16u);
  EXPECT_FALSE(parsed->is_crypto_nak());

  const std::vector<uint8_t> sha1(24, 0xff);
  parsed = ParseMacTrailer(sha1);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->key_id, 0xffffffffu);
  EXPECT_EQ(parsed->digest.size(), 20u);
}

TEST(ParseMacTrailerTest, RejectsOtherLengthsAndNonZeroNak) {
  for (size_t length : {0, 1, 3, 5, 8, 12, 16, 19, 21, 23, 25, 28, 68}) {
    EXPECT_THAT(ParseMacTrailer(std::vector<uint8_t>(length)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << length;
  }
  EXPECT_THAT(ParseMacTrailer(Hex("00000001")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MacTest, VerifyMacTrailerAcceptsOnlyTheExactTrailer) {
  for (MacAlgorithm algorithm :
       {MacAlgorithm::kMd5, MacAlgorithm::kSha1, MacAlgorithm::kAesCmac128}) {
    SCOPED_TRACE(MacAlgorithmName(algorithm));
    const SymmetricKey key =
        MakeKey(300, algorithm, std::vector<uint8_t>(16, 0x3c));
    std::vector<uint8_t> packet = Packet48();
    ASSERT_THAT(AppendMacTrailer(*context_, key, &packet), IsOk());
    const absl::Span<const uint8_t> all(packet);
    const absl::Span<const uint8_t> authenticated = all.first(48);
    const absl::Span<const uint8_t> trailer = all.subspan(48);
    EXPECT_THAT(VerifyMacTrailer(*context_, key, authenticated, trailer),
                IsOk());

    // Every single-bit flip anywhere is rejected.
    for (size_t i = 0; i < packet.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::vector<uint8_t> tampered = packet;
        tampered[i] ^= static_cast<uint8_t>(1 << bit);
        const absl::Span<const uint8_t> t(tampered);
        const MacVerdict verdict =
            CheckMacTrailer(*context_, key, t.first(48), t.subspan(48));
        if (i < 48) {
          EXPECT_EQ(verdict, MacVerdict::kDigestMismatch) << i << "/" << bit;
        } else if (i < 52) {
          EXPECT_EQ(verdict, MacVerdict::kKeyIdMismatch) << i << "/" << bit;
        } else {
          EXPECT_EQ(verdict, MacVerdict::kDigestMismatch) << i << "/" << bit;
        }
      }
    }
    // Wrong trailer lengths.
    EXPECT_THAT(VerifyMacTrailer(*context_, key, authenticated,
                                 trailer.first(trailer.size() - 4)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("MAC length error")));
    std::vector<uint8_t> longer(trailer.begin(), trailer.end());
    longer.insert(longer.end(), 4, 0);
    EXPECT_EQ(CheckMacTrailer(*context_, key, authenticated, longer),
              MacVerdict::kBadLength);
    // A crypto-NAK is not a MAC.
    EXPECT_THAT(
        VerifyMacTrailer(*context_, key, authenticated, Hex("00000000")),
        StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("crypto-NAK")));
    // Moving the boundary (one octet of header counted as trailer) fails.
    EXPECT_NE(CheckMacTrailer(*context_, key, all.first(47), all.subspan(47)),
              MacVerdict::kOk);
  }
}

TEST_F(MacTest, Md5AndCmacTrailersAreNotInterchangeable) {
  // Same length (20), so only the key's algorithm tells them apart.
  const std::vector<uint8_t> secret = Hex(kRfc4493KeyHex);
  const SymmetricKey md5 = MakeKey(5, MacAlgorithm::kMd5, secret);
  const SymmetricKey cmac = MakeKey(5, MacAlgorithm::kAesCmac128, secret);
  std::vector<uint8_t> packet = Packet48();
  ASSERT_THAT(AppendMacTrailer(*context_, md5, &packet), IsOk());
  const absl::Span<const uint8_t> all(packet);
  EXPECT_EQ(CheckMacTrailer(*context_, md5, all.first(48), all.subspan(48)),
            MacVerdict::kOk);
  EXPECT_EQ(CheckMacTrailer(*context_, cmac, all.first(48), all.subspan(48)),
            MacVerdict::kDigestMismatch);
}

TEST_F(MacTest, StatusMessagesNeverContainTheSecret) {
  const std::string secret_text = "SuperSecretKey99";
  const std::vector<uint8_t> secret = Ascii(secret_text);
  for (MacAlgorithm algorithm :
       {MacAlgorithm::kMd5, MacAlgorithm::kSha1, MacAlgorithm::kAesCmac128}) {
    const SymmetricKey key = MakeKey(77, algorithm, secret);
    const std::string hex_secret = ToHex(secret);
    for (MacVerdict verdict :
         {MacVerdict::kBadLength, MacVerdict::kKeyIdMismatch,
          MacVerdict::kCryptoNak, MacVerdict::kDigestMismatch,
          MacVerdict::kInternalError}) {
      const absl::Status status = MacVerdictToStatus(verdict, key);
      EXPECT_FALSE(status.ok());
      EXPECT_THAT(std::string(status.message()), Not(HasSubstr("SuperSecret")));
      EXPECT_THAT(std::string(status.message()), Not(HasSubstr(hex_secret)));
      EXPECT_THAT(std::string(status.message()), HasSubstr("77"));
    }
  }
  EXPECT_THAT(MacVerdictToStatus(MacVerdict::kOk,
                                 MakeKey(1, MacAlgorithm::kMd5, secret)),
              IsOk());
}

TEST_F(MacTest, CryptoNakAppendsFourZeroOctets) {
  std::vector<uint8_t> packet = Packet48();
  AppendCryptoNak(&packet);
  ASSERT_EQ(packet.size(), 52u);
  EXPECT_EQ(ToHex(absl::MakeConstSpan(packet).subspan(48)), "00000000");
}

TEST_F(MacTest, ContextIsMovable) {
  MacContext moved = std::move(*context_);
  const SymmetricKey key =
      MakeKey(1, MacAlgorithm::kAesCmac128, Hex(kRfc4493KeyHex));
  std::vector<uint8_t> digest(16);
  ASSERT_THAT(moved.ComputeDigest(key, {}, absl::MakeSpan(digest)), IsOk());
  EXPECT_EQ(ToHex(digest), "bb1d6929e95937287fa37d129b756746");
}

}  // namespace
}  // namespace ntp
