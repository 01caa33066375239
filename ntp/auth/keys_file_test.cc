#include "ntp/auth/keys_file.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/auth/mac.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string ReadTestFile(absl::string_view relative_path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::string path = absl::StrCat(srcdir ? srcdir : ".", "/",
                                        workspace ? workspace : "ntp_sim",
                                        "/testdata/keys/", relative_path);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> DiagnosticStrings(const ParsedKeysFile& parsed) {
  std::vector<std::string> lines;
  for (const KeysFileDiagnostic& d : parsed.diagnostics) {
    lines.push_back(d.ToString());
  }
  return lines;
}

std::string Secret(const SymmetricKey& key) {
  return std::string(key.secret().begin(), key.secret().end());
}

std::string SecretHex(const SymmetricKey& key) {
  return absl::BytesToHexString(Secret(key));
}

// Every diagnostic of `parsed` for line `line` avoids `key_text`.
void ExpectNoKeyText(const ParsedKeysFile& parsed, absl::string_view key_text) {
  if (key_text.empty()) return;
  for (const KeysFileDiagnostic& d : parsed.diagnostics) {
    EXPECT_THAT(d.ToString(), Not(HasSubstr(std::string(key_text))))
        << "diagnostic leaks the key";
  }
}

TEST(KeysFileTest, GoodFileHasNoDiagnostics) {
  const ParsedKeysFile parsed =
      ParseKeysFile("good.keys", ReadTestFile("good.keys"));
  EXPECT_THAT(DiagnosticStrings(parsed), IsEmpty());
  EXPECT_FALSE(parsed.HasErrors());
  EXPECT_THAT(parsed.keys.KeyIds(),
              ElementsAre(1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 20, 30, 65535));

  struct Expected {
    uint32_t id;
    MacAlgorithm algorithm;
    std::string secret_hex;
  };
  const Expected expected[] = {
      {1, MacAlgorithm::kMd5, absl::BytesToHexString("abcdefghij")},
      {2, MacAlgorithm::kMd5, absl::BytesToHexString("ntp-md5-test-key")},
      {3, MacAlgorithm::kMd5, absl::BytesToHexString("!$%&()*+,-./:;<=>?@[")},
      {7, MacAlgorithm::kMd5, absl::BytesToHexString("\\]^_{|}~'\"`")},
      {4, MacAlgorithm::kSha1, "0102030405060708090a0b0c0d0e0f1011121314"},
      {5, MacAlgorithm::kSha1, absl::BytesToHexString("sha1-ascii-key")},
      {6, MacAlgorithm::kSha1,
       "0123456789abcdefabcdef0123456789abcdefabcdef0123456789abcdefabcd"},
      {10, MacAlgorithm::kAesCmac128, "2b7e151628aed2a6abf7158809cf4f3c"},
      {11, MacAlgorithm::kAesCmac128, "000102030405060708090a0b0c0d0e0f"},
      {12, MacAlgorithm::kAesCmac128, "5e10ad0d9f585779d71502e8c6e0f198"},
      {20, MacAlgorithm::kMd5, absl::BytesToHexString("p4ssw0rd")},
      {30, MacAlgorithm::kMd5, absl::BytesToHexString("glued")},
      {65535, MacAlgorithm::kSha1, absl::BytesToHexString("highest-key-id")},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.id);
    const SymmetricKey* key = parsed.keys.Find(e.id);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(key->algorithm(), e.algorithm);
    EXPECT_EQ(SecretHex(*key), e.secret_hex);
  }
  const KeyStore::Entry* listed = parsed.keys.FindEntry(20);
  ASSERT_NE(listed, nullptr);
  ASSERT_EQ(listed->access_list.size(), 3u);
  EXPECT_EQ(listed->access_list[0].network.ToString(), "127.0.0.1");
  EXPECT_EQ(listed->access_list[0].prefix_length, 32);
  EXPECT_EQ(listed->access_list[1].network.ToString(), "192.0.2.0");
  EXPECT_EQ(listed->access_list[1].prefix_length, 24);
  EXPECT_EQ(listed->access_list[2].network.ToString(), "2001:db8::");
  EXPECT_EQ(listed->access_list[2].prefix_length, 32);
  EXPECT_TRUE(parsed.keys.FindEntry(1)->access_list.empty());
}

TEST(KeysFileTest, ParsedKeysProduceTheKnownAnswers) {
  // Same vectors as mac_test.cc (openssl dgst / openssl mac on the 48
  // octets 0x00..0x2f).
  const ParsedKeysFile parsed =
      ParseKeysFile("good.keys", ReadTestFile("good.keys"));
  absl::StatusOr<MacContext> context = MacContext::Create();
  ASSERT_THAT(context, IsOk());
  std::vector<uint8_t> packet(48);
  for (size_t i = 0; i < packet.size(); ++i)
    packet[i] = static_cast<uint8_t>(i);
  auto digest_hex = [&](uint32_t id) {
    const SymmetricKey* key = parsed.keys.Find(id);
    EXPECT_NE(key, nullptr);
    if (key == nullptr) return std::string();
    std::string digest(key->digest_length(), '\0');
    EXPECT_THAT(context->ComputeDigest(
                    *key, packet,
                    absl::MakeSpan(reinterpret_cast<uint8_t*>(digest.data()),
                                   digest.size())),
                IsOk());
    return absl::BytesToHexString(digest);
  };
  EXPECT_EQ(digest_hex(2), "aeb5b8ce70111aed77383fb0c175332b");
  EXPECT_EQ(digest_hex(4), "bfbecea5722912a32cb6dfdf44ae730d3b5f23da");
  EXPECT_EQ(digest_hex(5), "55f70267537729d9446c834ea2b9b98c7c6db7bb");
  EXPECT_EQ(digest_hex(10), "b46dd8856c4fee713a9243e917f1fdb7");
}

TEST(KeysFileTest, CrLfLineEndings) {
  const ParsedKeysFile parsed =
      ParseKeysFile("crlf.keys", ReadTestFile("crlf.keys"));
  EXPECT_THAT(DiagnosticStrings(parsed), IsEmpty());
  ASSERT_THAT(parsed.keys.KeyIds(), ElementsAre(7, 8));
  EXPECT_EQ(Secret(*parsed.keys.Find(7)), "crlf-line-key");
  EXPECT_EQ(Secret(*parsed.keys.Find(8)), "second-crlf-key");
}

// Each broken/NAME.keys comes with broken/NAME.expected: the exact
// diagnostics, one per line, then "keys:" and the IDs still loaded.
class BrokenKeysFileTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BrokenKeysFileTest, MatchesExpectedDiagnostics) {
  const std::string name = GetParam();
  const std::string file = absl::StrCat("broken/", name, ".keys");
  const std::string contents = ReadTestFile(file);
  const ParsedKeysFile parsed = ParseKeysFile(file, contents);

  std::vector<std::string> actual = DiagnosticStrings(parsed);
  actual.push_back(
      absl::StrCat("keys: ", absl::StrJoin(parsed.keys.KeyIds(), " ")));
  std::vector<std::string> expected =
      absl::StrSplit(ReadTestFile(absl::StrCat("broken/", name, ".expected")),
                     '\n', absl::SkipEmpty());
  EXPECT_EQ(absl::StrJoin(actual, "\n"), absl::StrJoin(expected, "\n"));
  EXPECT_TRUE(parsed.HasErrors() ||
              std::none_of(parsed.diagnostics.begin(), parsed.diagnostics.end(),
                           [](const KeysFileDiagnostic& d) {
                             return d.severity == DiagnosticSeverity::kError;
                           }));

  // No diagnostic contains any key text of the file.
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    std::vector<absl::string_view> tokens =
        absl::StrSplit(line, absl::ByAnyChar(" \t#"), absl::SkipEmpty());
    if (line.empty() || line[0] == '#' || tokens.size() < 3) continue;
    ExpectNoKeyText(parsed, tokens[2]);
  }
}

INSTANTIATE_TEST_SUITE_P(AllBrokenFiles, BrokenKeysFileTest,
                         ::testing::Values("key_ids", "types", "key_text",
                                           "access_lists"));

// One line at a time: the exact diagnostic, whether the key was loaded, and
// that the key text never shows up.
struct LineCase {
  const char* line;
  const char* key_text;    // must not appear in any diagnostic
  const char* diagnostic;  // "" for none; else the exact ToString()
  bool loaded;
};

class KeysLineTest : public ::testing::TestWithParam<LineCase> {};

TEST_P(KeysLineTest, Diagnoses) {
  const LineCase& c = GetParam();
  const ParsedKeysFile parsed =
      ParseKeysFile("/etc/ntp/keys", absl::StrCat("# header\n", c.line, "\n"));
  const std::vector<std::string> diagnostics = DiagnosticStrings(parsed);
  if (std::string(c.diagnostic).empty()) {
    EXPECT_THAT(diagnostics, IsEmpty());
  } else {
    EXPECT_THAT(diagnostics, ElementsAre(c.diagnostic));
  }
  EXPECT_EQ(parsed.keys.size(), c.loaded ? 1u : 0u);
  ExpectNoKeyText(parsed, c.key_text);
}

INSTANTIATE_TEST_SUITE_P(
    Lines, KeysLineTest,
    ::testing::Values(
        LineCase{"1 M secret1", "secret1", "", true},
        LineCase{"  1\tMD5\tsecret1\t", "secret1", "", true},
        LineCase{"1 md5 secret1 # trailing comment", "secret1", "", true},
        LineCase{"# 1 MD5 commented-out", "commented-out", "", false},
        LineCase{"", "", "", false}, LineCase{"   \t  ", "", "", false},
        LineCase{"0 MD5 zerozero", "zerozero",
                 "/etc/ntp/keys:2: error: cannot change key 0 (reserved for "
                 "the crypto-NAK); key ids are 1..65535",
                 false},
        LineCase{"65536 MD5 toolarge", "toolarge",
                 "/etc/ntp/keys:2: error: key 65536 > 65535 reserved for "
                 "Autokey",
                 false},
        LineCase{"k1 MD5 notnumber", "notnumber",
                 "/etc/ntp/keys:2: error: invalid key id: expected a decimal "
                 "number 1..65535 or hexadecimal 0x1..0xffff",
                 false},
        LineCase{"12", "", "/etc/ntp/keys:2: error: no key type for key 12",
                 false},
        LineCase{"12 MD5", "", "/etc/ntp/keys:2: error: no key for key 12",
                 false},
        LineCase{"12 SHA384 sha384secret", "sha384secret", "", true},
        LineCase{"12 sha-256 sha256secret", "sha256secret", "", true},
        LineCase{"12 SHA2-512 sha512secret", "sha512secret", "", true},
        LineCase{"0x10 SHA224 hexid", "hexid", "", true},
        LineCase{"0XfFfF MD5 hexid", "hexid", "", true},
        LineCase{"0x10000 MD5 hexid", "hexid",
                 "/etc/ntp/keys:2: error: key 65536 > 65535 reserved for "
                 "Autokey",
                 false},
        LineCase{"0x0 MD5 hexid", "hexid",
                 "/etc/ntp/keys:2: error: cannot change key 0 (reserved for "
                 "the crypto-NAK); key ids are 1..65535",
                 false},
        LineCase{"0xg1 MD5 hexid", "hexid",
                 "/etc/ntp/keys:2: error: invalid key id: expected a decimal "
                 "number 1..65535 or hexadecimal 0x1..0xffff",
                 false},
        LineCase{"12 SHA3-256 sha3secret", "sha3secret",
                 "/etc/ntp/keys:2: error: unsupported key type SHA3-256 for key "
                 "12 (supported: MD5, SHA1, SHA224, SHA256, SHA384, SHA512, "
                 "AES128CMAC)",
                 false},
        // The key sits where the type belongs: it must not be echoed.
        LineCase{"12 Pa55word", "Pa55word",
                 "/etc/ntp/keys:2: error: unknown key type for key 12 "
                 "(expected M, MD5, SHA1, SHA-1, SHA224, SHA256, SHA384, SHA512, "
                 "AES128CMAC, AES or AES-128)",
                 false},
        LineCase{"13 MD5 tab\x7f"
                 "del",
                 "tab\x7f"
                 "del",
                 "/etc/ntp/keys:2: error: key 13 contains a non-printable or "
                 "non-ASCII character",
                 false},
        LineCase{"13 MD5 123456789012345678901", "123456789012345678901",
                 "/etc/ntp/keys:2: error: hex key for key 13 has an odd number "
                 "of digits",
                 false},
        LineCase{"13 MD5 abcdefghijklmnopqrstuvwxyz",
                 "abcdefghijklmnopqrstuvwxyz",
                 "/etc/ntp/keys:2: error: invalid hex digit for key 13 (keys "
                 "longer than 20 characters are hex)",
                 false},
        LineCase{"13 MD5 "
                 "0000000000000000000000000000000000000000000000000000000000000"
                 "00000",
                 "",
                 "/etc/ntp/keys:2: error: hex key for key 13 is longer than 64 "
                 "digits (32 octets)",
                 false},
        LineCase{"14 AES128CMAC abc", "abc",
                 "/etc/ntp/keys:2: warning: AES128CMAC keys are 128 bits, "
                 "zero-extending key 14 by 104 bits",
                 true},
        LineCase{"14 AES 000102030405060708090a0b0c0d0e0f1011", "",
                 "/etc/ntp/keys:2: warning: AES128CMAC key 14 truncated from "
                 "18 to 16 octets",
                 true},
        LineCase{"15 MD5 key15key 10.0.0.0/8", "key15key", "", true},
        LineCase{"15 MD5 key15key 10.0.0.0/8,nonsense", "key15key",
                 "/etc/ntp/keys:2: error: invalid IP address in element 2 of "
                 "the access list of key 15",
                 false},
        LineCase{"15 MD5 my secret with spaces", "secret",
                 "/etc/ntp/keys:2: error: invalid IP address in element 1 of "
                 "the access list of key 15",
                 false}));

TEST(KeysFileTest, Sha2TypesAndHexKeyIds) {
  const ParsedKeysFile parsed = ParseKeysFile(
      "/etc/ntp/keys", "0x10 SHA256 abc\n17 sha224 abc\n0x12 SHA-384 abc\n19 SHA512 abc\n");
  EXPECT_THAT(DiagnosticStrings(parsed), IsEmpty());
  ASSERT_EQ(parsed.keys.KeyIds(), (std::vector<uint32_t>{16, 17, 18, 19}));
  EXPECT_EQ(parsed.keys.Find(16)->algorithm(), MacAlgorithm::kSha256);
  EXPECT_EQ(parsed.keys.Find(17)->algorithm(), MacAlgorithm::kSha224);
  EXPECT_EQ(parsed.keys.Find(18)->algorithm(), MacAlgorithm::kSha384);
  EXPECT_EQ(parsed.keys.Find(19)->algorithm(), MacAlgorithm::kSha512);
  EXPECT_EQ(parsed.keys.Find(16)->digest_length(), 20u);
}

TEST(KeysFileTest, MypasswordLineAlsoReportsMissingKey) {
  const ParsedKeysFile parsed = ParseKeysFile("k", "12 Mypassword\n");
  EXPECT_THAT(
      DiagnosticStrings(parsed),
      ElementsAre(HasSubstr("taken as MD5"), "k:1: error: no key for key 12"));
}

TEST(KeysFileTest, CmacKeysArePaddedAndTruncatedLikeNtpd) {
  const ParsedKeysFile parsed = ParseKeysFile(
      "k", "1 AES128CMAC abc\n2 AES 000102030405060708090a0b0c0d0e0f1011\n");
  ASSERT_THAT(parsed.keys.KeyIds(), ElementsAre(1, 2));
  EXPECT_EQ(SecretHex(*parsed.keys.Find(1)),
            "61626300000000000000000000000000");
  EXPECT_EQ(SecretHex(*parsed.keys.Find(2)),
            "000102030405060708090a0b0c0d0e0f");
}

TEST(KeysFileTest, EmptyAndCommentOnlyFiles) {
  for (absl::string_view contents :
       {"", "\n", "# nothing\n", "#65535 M akey\n", "\n\n# x\n\n"}) {
    const ParsedKeysFile parsed = ParseKeysFile("keys", contents);
    EXPECT_TRUE(parsed.keys.empty());
    EXPECT_THAT(parsed.diagnostics, IsEmpty());
  }
}

TEST(KeysFileTest, LastLineWithoutNewlineAndLineNumbers) {
  const ParsedKeysFile parsed =
      ParseKeysFile("keys", "\n\n1 MD5 a\n\n0 MD5 b\n3 MD5 c");
  EXPECT_THAT(parsed.keys.KeyIds(), ElementsAre(1, 3));
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_EQ(parsed.diagnostics[0].line, 5);
}

TEST(KeysFileTest, DiagnosticToString) {
  EXPECT_EQ(
      (KeysFileDiagnostic{"f", 3, DiagnosticSeverity::kError, "m"}).ToString(),
      "f:3: error: m");
  EXPECT_EQ((KeysFileDiagnostic{"f", 0, DiagnosticSeverity::kWarning, "m"})
                .ToString(),
            "f: warning: m");
}

// ---------------------------------------------------------------------------
// File-level checks.

TEST(CheckKeysFileStatTest, MissingFile) {
  EXPECT_THAT(CheckKeysFileStat("/etc/ntp/keys", {}),
              ElementsAre(KeysFileDiagnostic{
                  "/etc/ntp/keys", 0, DiagnosticSeverity::kError,
                  "authreadkeys: file '/etc/ntp/keys': No such file or "
                  "directory"}));
}

TEST(CheckKeysFileStatTest, NotARegularFile) {
  EXPECT_THAT(CheckKeysFileStat("/etc/ntp", {true, false, 0755}),
              ElementsAre(KeysFileDiagnostic{
                  "/etc/ntp", 0, DiagnosticSeverity::kError,
                  "authreadkeys: file '/etc/ntp': not a regular file"}));
}

TEST(CheckKeysFileStatTest, Permissions) {
  EXPECT_THAT(CheckKeysFileStat("/etc/ntp/keys", {true, true, 0600}),
              IsEmpty());
  EXPECT_THAT(CheckKeysFileStat("/etc/ntp/keys", {true, true, 0640}),
              IsEmpty());
  EXPECT_THAT(CheckKeysFileStat("/etc/ntp/keys", {true, true, 0644}),
              ElementsAre(KeysFileDiagnostic{
                  "/etc/ntp/keys", 0, DiagnosticSeverity::kWarning,
                  "World-readable permissions on /etc/ntp/keys"}));
  EXPECT_THAT(
      CheckKeysFileStat("k", {true, true, 0666}),
      ElementsAre(KeysFileDiagnostic{"k", 0, DiagnosticSeverity::kWarning,
                                     "World-readable permissions on k"},
                  KeysFileDiagnostic{"k", 0, DiagnosticSeverity::kWarning,
                                     "World-writable permissions on k"}));
  EXPECT_THAT(
      CheckKeysFileStat("k", {true, true, 0602}),
      ElementsAre(KeysFileDiagnostic{"k", 0, DiagnosticSeverity::kWarning,
                                     "World-writable permissions on k"}));
}

}  // namespace
}  // namespace ntp
