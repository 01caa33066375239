// Golden vectors: every datagram captured between real chronyd, ntpsec ntpd
// and ntpdig peers (testdata/golden/, see its README.md) must parse with our
// codec, re-serialize to the very same octets, and carry a MAC that our MAC
// code verifies and reproduces byte for byte.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/ntp_time.h"
#include "ntp/testing/status_matchers.h"

#include "ntp/wire/packet.h"

#include "ntp/auth/key_store.h"
#include "ntp/auth/keys_file.h"
#include "ntp/auth/mac.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::ElementsAreArray;

// Relative to the test's working directory (the runfiles root of ntp_sim).
constexpr char kGoldenDir[] = "testdata/golden";

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

std::vector<uint8_t> ToBytes(absl::string_view text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// One line of manifest.txt plus the file's contents.
struct Datagram {
  std::string file;       // "ntpdig_chronyd_md5/001_request.bin"
  std::string case_name;  // "ntpdig_chronyd_md5"
  bool is_request = false;
  std::string sender;     // "chronyd-4.3", "ntpd-ntpsec-1.2.2", ...
  size_t length = 0;
  uint32_t key_id = 0;    // 0: no MAC configured
  std::string algorithm;  // "MD5", "SHA1", "AES128CMAC"; empty without MAC
  std::string answers;    // for a reply: the request's file; else empty
  std::vector<uint8_t> bytes;
};

// Parses manifest.txt (format in its header) and reads every file it names.
// Fails the calling test (and returns what it has) on a malformed line.
std::vector<Datagram> LoadManifest() {
  std::vector<Datagram> datagrams;
  std::optional<std::string> manifest =
      ReadFile(std::string(kGoldenDir) + "/manifest.txt");
  if (!manifest.has_value()) {
    ADD_FAILURE() << "cannot read " << kGoldenDir << "/manifest.txt";
    return datagrams;
  }
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*manifest, '\n')) {
    ++line_number;
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    std::vector<std::string> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() != 6) {
      ADD_FAILURE() << "manifest.txt:" << line_number << ": want 6 fields";
      continue;
    }
    Datagram d;
    d.file = fields[0];
    d.case_name = d.file.substr(0, d.file.find('/'));
    d.is_request = fields[1] == "request";
    EXPECT_TRUE(d.is_request || fields[1] == "reply") << d.file;
    d.sender = fields[2];
    EXPECT_TRUE(absl::SimpleAtoi(fields[3], &d.length)) << d.file;
    if (fields[4] != "none") {
      std::vector<std::string> mac = absl::StrSplit(fields[4], ':');
      EXPECT_EQ(mac.size(), 2u) << d.file;
      EXPECT_TRUE(absl::SimpleAtoi(mac[0], &d.key_id)) << d.file;
      d.algorithm = mac.size() == 2 ? mac[1] : "";
    }
    if (fields[5] != "-") d.answers = d.case_name + "/" + fields[5];
    std::optional<std::string> contents =
        ReadFile(std::string(kGoldenDir) + "/" + d.file);
    if (!contents.has_value()) {
      ADD_FAILURE() << "cannot read " << d.file;
      continue;
    }
    d.bytes = ToBytes(*contents);
    datagrams.push_back(std::move(d));
  }
  return datagrams;
}

// Adds every key of the keys file `name` (in kGoldenDir) to `store`.
void LoadKeys(absl::string_view name, KeyStore& store) {
  const std::string path = std::string(kGoldenDir) + "/" + std::string(name);
  std::optional<std::string> contents = ReadFile(path);
  ASSERT_TRUE(contents.has_value()) << "cannot read " << path;
  ParsedKeysFile parsed = ParseKeysFile(name, *contents);
  for (const KeysFileDiagnostic& diagnostic : parsed.diagnostics) {
    ADD_FAILURE() << diagnostic.ToString();
  }
  for (const auto& [key_id, entry] : parsed.keys.entries()) {
    EXPECT_THAT(store.Insert(entry.key, entry.access_list), IsOk());
  }
}

absl::Span<const uint8_t> Authenticated(const Datagram& d,
                                        const NtpPacket& packet) {
  return absl::MakeConstSpan(d.bytes).subspan(0, AuthenticatedOctets(packet));
}

absl::Span<const uint8_t> Trailer(const Datagram& d, const NtpPacket& packet) {
  return absl::MakeConstSpan(d.bytes).subspan(AuthenticatedOctets(packet));
}

class GoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    datagrams_ = LoadManifest();
    ASSERT_FALSE(datagrams_.empty());
    for (const Datagram& d : datagrams_) by_file_[d.file] = &d;
    ASSERT_NO_FATAL_FAILURE(LoadKeys("ntp.keys", server_keys_));
    ASSERT_NO_FATAL_FAILURE(LoadKeys("ntp.keys", all_keys_));
    ASSERT_NO_FATAL_FAILURE(LoadKeys("client-only.keys", all_keys_));
    absl::StatusOr<MacContext> context = MacContext::Create();
    ASSERT_THAT(context, IsOk());
    context_.emplace(std::move(*context));
  }

  // The parsed datagram; fails the test (nullopt) if our codec rejects it.
  std::optional<NtpPacket> Parse(const Datagram& d) {
    WireResult<NtpPacket, PacketError> parsed = ParsePacket(d.bytes);
    if (!parsed.ok()) {
      ADD_FAILURE() << d.file << ": rejected as "
                    << PacketErrorName(parsed.error());
      return std::nullopt;
    }
    return *parsed;
  }

  std::vector<Datagram> datagrams_;
  std::map<std::string, const Datagram*> by_file_;
  KeyStore server_keys_;  // ntp.keys: what chronyd and ntpd knew
  KeyStore all_keys_;     // plus client-only.keys (key 99)
  std::optional<MacContext> context_;
};

// The capture cases the README promises, each with its datagram count.
TEST_F(GoldenTest, ManifestCoversEveryCaseAndEveryFile) {
  const std::map<std::string, int> expected_counts = {
      {"ntpdig_chronyd_plain", 2},       {"ntpdig_chronyd_md5", 2},
      {"ntpdig_chronyd_sha1", 2},        {"ntpdig_chronyd_aes128cmac", 2},
      {"ntpdig_chronyd_unknownkey", 1},  {"chronyd_chronyd_plain", 8},
      {"chronyd_chronyd_md5", 8},        {"chronyd_chronyd_sha1", 8},
      {"chronyd_chronyd_aes128cmac", 8}, {"ntpdig_ntpd_plain", 2},
      {"ntpdig_ntpd_md5", 2},            {"ntpdig_ntpd_sha1", 2},
      {"ntpdig_ntpd_aes128cmac", 2},     {"ntpdig_ntpd_unknownkey", 1},
      {"chronyd_ntpd_plain", 8},         {"chronyd_ntpd_md5", 8},
      {"chronyd_ntpd_sha1", 8},          {"chronyd_ntpd_aes128cmac", 8},
      {"ntpd_chronyd_plain", 8},         {"ntpd_chronyd_md5", 8},
      {"ntpd_chronyd_sha1", 8},          {"ntpd_chronyd_aes128cmac", 8},
  };
  std::map<std::string, int> counts;
  for (const Datagram& d : datagrams_) ++counts[d.case_name];
  EXPECT_EQ(counts, expected_counts);

  // Every .bin under testdata/golden/ is in the manifest, and vice versa.
  std::set<std::string> on_disk;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(kGoldenDir)) {
    if (entry.path().extension() != ".bin") continue;
    // Lexically: runfiles are symlinks, which must not be resolved.
    on_disk.insert(
        entry.path().lexically_relative(kGoldenDir).generic_string());
  }
  std::set<std::string> listed;
  for (const Datagram& d : datagrams_) listed.insert(d.file);
  EXPECT_EQ(on_disk, listed);
}

TEST_F(GoldenTest, KeysFilesHoldTheDocumentedTestKeys) {
  struct ExpectedKey {
    uint32_t key_id;
    MacAlgorithm algorithm;
    std::vector<uint8_t> secret;
  };
  const std::vector<ExpectedKey> expected = {
      {1, MacAlgorithm::kMd5, ToBytes("goldenmd5")},
      {2, MacAlgorithm::kSha1,
       {0x16, 0xbc, 0x8f, 0xa9, 0xb4, 0x9f, 0x2f, 0x34, 0x4f, 0xc4,
        0x77, 0xfe, 0x58, 0xdf, 0xb7, 0xfb, 0x7e, 0x9a, 0xf8, 0xb4}},
      {3, MacAlgorithm::kAesCmac128,
       {0x5e, 0x10, 0xad, 0x0d, 0x9f, 0x58, 0x57, 0x79, 0xd7, 0x15, 0x02,
        0xe8, 0xc6, 0xe0, 0xf1, 0x98}},
      {99, MacAlgorithm::kMd5, ToBytes("notonserver")},
  };
  EXPECT_EQ(all_keys_.size(), expected.size());
  for (const ExpectedKey& want : expected) {
    SCOPED_TRACE(want.key_id);
    const SymmetricKey* key = all_keys_.Find(want.key_id);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(key->algorithm(), want.algorithm);
    EXPECT_THAT(key->secret(), ElementsAreArray(want.secret));
  }
  EXPECT_EQ(server_keys_.Find(99), nullptr);
}

TEST_F(GoldenTest, EveryDatagramParses) {
  for (const Datagram& d : datagrams_) {
    SCOPED_TRACE(d.file);
    EXPECT_EQ(d.bytes.size(), d.length);
    std::optional<NtpPacket> packet = Parse(d);
    if (!packet.has_value()) continue;
    EXPECT_EQ(packet->version, 4);
    EXPECT_EQ(packet->mode, d.is_request ? Mode::kClient : Mode::kServer);
    EXPECT_TRUE(packet->extension_fields.empty());
    EXPECT_EQ(AuthenticatedOctets(*packet), kNtpHeaderOctets);
    EXPECT_FALSE(packet->transmit_timestamp.IsZero());
    if (d.key_id == 0) {
      EXPECT_FALSE(packet->mac.has_value());
    } else {
      ASSERT_TRUE(packet->mac.has_value());
      EXPECT_EQ(packet->mac->key_id, d.key_id);
      EXPECT_EQ(packet->mac->digest.size(), d.algorithm == "SHA1" ? 20u : 16u);
    }
  }
}

// What each implementation puts in the header: the fields a peer does not
// measure (precision and the timestamps vary per machine and per run).
TEST_F(GoldenTest, HeaderFieldsAreWhatEachImplementationSends) {
  for (const Datagram& d : datagrams_) {
    SCOPED_TRACE(d.file);
    std::optional<NtpPacket> packet = Parse(d);
    if (!packet.has_value()) continue;
    if (d.is_request) {
      // Client requests carry nothing but the transmit timestamp (and, for
      // ntpdig, the alarm leap indicator).
      EXPECT_EQ(packet->stratum, 0);
      EXPECT_EQ(packet->root_delay.raw(), 0u);
      EXPECT_EQ(packet->root_dispersion.raw(), 0u);
      EXPECT_EQ(packet->reference_id, 0u);
      EXPECT_TRUE(packet->reference_timestamp.IsZero());
      EXPECT_TRUE(packet->origin_timestamp.IsZero());
      EXPECT_TRUE(packet->receive_timestamp.IsZero());
      if (absl::StartsWith(d.sender, "ntpdig-")) {
        EXPECT_EQ(packet->leap, LeapIndicator::kUnsynchronized);
        EXPECT_EQ(packet->poll_log2_seconds, 0);
        EXPECT_EQ(packet->precision_log2_seconds, 0);
      } else if (absl::StartsWith(d.sender, "chronyd-")) {
        EXPECT_EQ(packet->leap, LeapIndicator::kNoWarning);
        EXPECT_EQ(packet->poll_log2_seconds, 6);
        EXPECT_EQ(packet->precision_log2_seconds, 32);
      } else {
        ASSERT_TRUE(absl::StartsWith(d.sender, "ntpd-")) << d.sender;
        EXPECT_EQ(packet->leap, LeapIndicator::kNoWarning);
        EXPECT_EQ(packet->poll_log2_seconds, 0);
        EXPECT_EQ(packet->precision_log2_seconds, 32);
      }
    } else {
      EXPECT_EQ(packet->leap, LeapIndicator::kNoWarning);
      EXPECT_EQ(packet->stratum, 8);
      EXPECT_LT(packet->precision_log2_seconds, 0);
      EXPECT_FALSE(packet->receive_timestamp.IsZero());
      // chronyd's `local` reference: 127.127.1.1; ntpd in orphan mode: its
      // loopback address.
      EXPECT_EQ(packet->reference_id, absl::StartsWith(d.sender, "chronyd-")
                                          ? 0x7f7f0101u
                                          : 0x7f000001u);
    }
  }
}

// RFC 5905 §8: the reply's origin timestamp is the request's transmit
// timestamp; the version and (for both implementations) the poll are copied;
// the reply is authenticated with the request's key.
TEST_F(GoldenTest, RepliesAnswerTheirRequests) {
  int replies = 0;
  for (const Datagram& d : datagrams_) {
    if (d.is_request) continue;
    SCOPED_TRACE(d.file);
    ++replies;
    auto it = by_file_.find(d.answers);
    ASSERT_NE(it, by_file_.end()) << "no request " << d.answers;
    const Datagram& request = *it->second;
    EXPECT_TRUE(request.is_request);
    std::optional<NtpPacket> reply_packet = Parse(d);
    std::optional<NtpPacket> request_packet = Parse(request);
    if (!reply_packet.has_value() || !request_packet.has_value()) continue;
    EXPECT_EQ(reply_packet->origin_timestamp,
              request_packet->transmit_timestamp);
    EXPECT_EQ(reply_packet->version, request_packet->version);
    EXPECT_EQ(reply_packet->poll_log2_seconds,
              request_packet->poll_log2_seconds);
    EXPECT_EQ(reply_packet->mac.has_value(), request_packet->mac.has_value());
    if (reply_packet->mac.has_value() && request_packet->mac.has_value()) {
      EXPECT_EQ(reply_packet->mac->key_id, request_packet->mac->key_id);
    }
  }
  EXPECT_EQ(replies, 56);
}

TEST_F(GoldenTest, SerializeReproducesEveryOctet) {
  for (const Datagram& d : datagrams_) {
    SCOPED_TRACE(d.file);
    std::optional<NtpPacket> packet = Parse(d);
    if (!packet.has_value()) continue;
    ASSERT_EQ(SerializedSize(*packet), d.bytes.size());
    std::vector<uint8_t> out(d.bytes.size() + 16, 0xA5);
    absl::StatusOr<size_t> written = SerializePacket(*packet, absl::MakeSpan(out));
    ASSERT_THAT(written, IsOk());
    ASSERT_EQ(*written, d.bytes.size());
    out.resize(*written);
    EXPECT_EQ(out, d.bytes);
    // And parsing our output gives the same packet.
    WireResult<NtpPacket, PacketError> again = ParsePacket(out);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(*again == *packet);
  }
}

TEST_F(GoldenTest, EveryMacVerifiesWithTheCommittedKeys) {
  int verified = 0;
  for (const Datagram& d : datagrams_) {
    if (d.key_id == 0) continue;
    SCOPED_TRACE(d.file);
    std::optional<NtpPacket> packet = Parse(d);
    if (!packet.has_value()) continue;
    absl::StatusOr<uint32_t> key_id =
        VerifyPacketMac(*context_, all_keys_, Authenticated(d, *packet),
                        Trailer(d, *packet));
    ASSERT_THAT(key_id, IsOk());
    EXPECT_EQ(*key_id, d.key_id);
    const SymmetricKey* key = all_keys_.Find(d.key_id);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(MacAlgorithmName(key->algorithm()), d.algorithm);
    EXPECT_EQ(CheckMacTrailer(*context_, *key, Authenticated(d, *packet),
                              Trailer(d, *packet)),
              MacVerdict::kOk);
    ++verified;
  }
  EXPECT_EQ(verified, 86);
}

// The digest is a function of key and packet alone: our MAC code must write
// exactly what chronyd, ntpd and ntpdig wrote.
TEST_F(GoldenTest, OurMacCodeReproducesEveryDigest) {
  for (const Datagram& d : datagrams_) {
    if (d.key_id == 0) continue;
    SCOPED_TRACE(d.file);
    std::optional<NtpPacket> packet = Parse(d);
    if (!packet.has_value() || !packet->mac.has_value()) continue;
    const SymmetricKey* key = all_keys_.Find(d.key_id);
    ASSERT_NE(key, nullptr);

    std::vector<uint8_t> digest(kMaxDigestLength, 0);
    ASSERT_THAT(context_->ComputeDigest(*key, Authenticated(d, *packet),
                                        absl::MakeSpan(digest)),
                IsOk());
    digest.resize(key->digest_length());
    EXPECT_THAT(digest, ElementsAreArray(packet->mac->digest.begin(),
                                         packet->mac->digest.end()));

    std::vector<uint8_t> trailer(kKeyIdLength + kMaxDigestLength, 0);
    absl::StatusOr<size_t> trailer_length = WriteMacTrailer(
        *context_, *key, Authenticated(d, *packet), absl::MakeSpan(trailer));
    ASSERT_THAT(trailer_length, IsOk());
    trailer.resize(*trailer_length);
    EXPECT_THAT(trailer, ElementsAreArray(Trailer(d, *packet)));

    std::vector<uint8_t> rebuilt(d.bytes.begin(),
                                 d.bytes.begin() + AuthenticatedOctets(*packet));
    ASSERT_THAT(AppendMacTrailer(*context_, *key, &rebuilt), IsOk());
    EXPECT_EQ(rebuilt, d.bytes);
  }
}

// Any single flipped bit anywhere in an authenticated datagram (header, key
// ID or digest) must make it fail: either the codec rejects it or the MAC
// check does.
TEST_F(GoldenTest, EverySingleBitFlipIsRejected) {
  int flipped_datagrams = 0;
  for (const Datagram& d : datagrams_) {
    if (d.key_id == 0) continue;
    SCOPED_TRACE(d.file);
    ++flipped_datagrams;
    for (size_t bit = 0; bit < d.bytes.size() * 8; ++bit) {
      std::vector<uint8_t> bytes = d.bytes;
      bytes[bit / 8] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
      WireResult<NtpPacket, PacketError> packet = ParsePacket(bytes);
      if (!packet.ok()) continue;  // e.g. a version of 0 or 5..7
      ASSERT_TRUE(packet->mac.has_value()) << "bit " << bit;
      const size_t authenticated = AuthenticatedOctets(*packet);
      absl::StatusOr<uint32_t> verified = VerifyPacketMac(
          *context_, all_keys_,
          absl::MakeConstSpan(bytes).subspan(0, authenticated),
          absl::MakeConstSpan(bytes).subspan(authenticated));
      EXPECT_FALSE(verified.ok()) << "bit " << bit << " flipped, still valid";
      if (bit < authenticated * 8) {
        // Header changed, trailer intact: the named key's digest mismatches.
        EXPECT_THAT(verified, StatusIs(absl::StatusCode::kUnauthenticated))
            << "bit " << bit;
      }
    }
  }
  EXPECT_EQ(flipped_datagrams, 86);
}

TEST_F(GoldenTest, WrongKeysAreRejected) {
  absl::StatusOr<SymmetricKey> other_md5 =
      SymmetricKey::Create(1, MacAlgorithm::kMd5, ToBytes("notonserver"));
  ASSERT_THAT(other_md5, IsOk());
  // Key 3's secret as MD5: same digest length as AES-CMAC, wrong algorithm.
  const SymmetricKey* aes = all_keys_.Find(3);
  ASSERT_NE(aes, nullptr);
  absl::StatusOr<SymmetricKey> aes_secret_as_md5 =
      SymmetricKey::Create(3, MacAlgorithm::kMd5, aes->secret());
  ASSERT_THAT(aes_secret_as_md5, IsOk());

  int checked = 0;
  for (const Datagram& d : datagrams_) {
    SCOPED_TRACE(d.file);
    std::optional<NtpPacket> packet = Parse(d);
    if (!packet.has_value() || !packet->mac.has_value()) continue;
    if (d.key_id == 1) {
      EXPECT_EQ(CheckMacTrailer(*context_, *other_md5,
                                Authenticated(d, *packet), Trailer(d, *packet)),
                MacVerdict::kDigestMismatch);
      ++checked;
    } else if (d.key_id == 3) {
      EXPECT_EQ(CheckMacTrailer(*context_, *aes_secret_as_md5,
                                Authenticated(d, *packet), Trailer(d, *packet)),
                MacVerdict::kDigestMismatch);
      ++checked;
    } else if (d.key_id == 99) {
      // The servers did not have key 99, and neither does their key table.
      EXPECT_THAT(VerifyPacketMac(*context_, server_keys_,
                                  Authenticated(d, *packet),
                                  Trailer(d, *packet)),
                  StatusIs(absl::StatusCode::kNotFound));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 28 + 28 + 2);
}

}  // namespace
}  // namespace ntp
