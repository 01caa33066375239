#include "ntp/auth/key_id_list.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// ---------------------------------------------------------------------------
// ParseKeyIdList: trustedkey / requestkey / controlkey as text.

struct KeyIdCase {
  KeyIdDirective directive;
  const char* arguments;
  std::vector<uint32_t> key_ids;
  std::vector<std::string> notices;
  const char* error;  // nullptr: success; else a substring of the message
};

class KeyIdListTest : public ::testing::TestWithParam<KeyIdCase> {};

TEST_P(KeyIdListTest, Parses) {
  const KeyIdCase& c = GetParam();
  absl::StatusOr<KeyIdList> parsed = ParseKeyIdList(c.directive, c.arguments);
  if (c.error != nullptr) {
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr(c.error)));
    return;
  }
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->key_ids, c.key_ids);
  EXPECT_EQ(parsed->notices, c.notices);
}

constexpr KeyIdDirective kTrusted = KeyIdDirective::kTrustedKey;
constexpr KeyIdDirective kRequest = KeyIdDirective::kRequestKey;
constexpr KeyIdDirective kControl = KeyIdDirective::kControlKey;

INSTANTIATE_TEST_SUITE_P(
    Cases, KeyIdListTest,
    ::testing::Values(
        // The seed ntp.conf's (commented-out) examples.
        KeyIdCase{kTrusted, "4 8 42", {4, 8, 42}, {}, nullptr},
        KeyIdCase{kRequest, "8", {8}, {}, nullptr},
        KeyIdCase{kControl, "8", {8}, {}, nullptr},
        // Ranges (ntpd 4.2.8 and ntpsec: '(' first '...' last ')').
        KeyIdCase{kTrusted, "(1 ... 5)", {1, 2, 3, 4, 5}, {}, nullptr},
        KeyIdCase{kTrusted, "( 7 ... 7 )", {7}, {}, nullptr},
        KeyIdCase{kTrusted,
                  "42 (1 ... 3)(10 ... 11) 2",
                  {1, 2, 3, 10, 11, 42},
                  {},
                  nullptr},
        KeyIdCase{kTrusted,
                  "\t65535  1 # comment (2 ... 9)",
                  {1, 65535},
                  {},
                  nullptr},
        KeyIdCase{kTrusted, "007", {7}, {}, nullptr},
        // Elements ntpd ignores with a notice.
        KeyIdCase{kTrusted,
                  "0 5 65536 -1",
                  {5},
                  {"Ignoring invalid trustedkey 0, min 1 max 65535.",
                   "Ignoring invalid trustedkey 65536, min 1 max 65535.",
                   "Ignoring invalid trustedkey -1, min 1 max 65535."},
                  nullptr},
        KeyIdCase{kTrusted,
                  "(5 ... 1) (0 ... 3) (65535 ... 65536) 9",
                  {9},
                  {"Ignoring invalid trustedkey range 5 ... 1, min 1 max "
                   "65535.",
                   "Ignoring invalid trustedkey range 0 ... 3, min 1 max "
                   "65535.",
                   "Ignoring invalid trustedkey range 65535 ... 65536, min 1 "
                   "max 65535."},
                  nullptr},
        KeyIdCase{kTrusted,
                  "99999999999999999999",
                  {},
                  {"Ignoring invalid trustedkey 99999999999999999999, min 1 "
                   "max 65535."},
                  nullptr},
        // Syntax errors.
        KeyIdCase{kTrusted, "", {}, {}, "trustedkey: missing key id"},
        KeyIdCase{
            kTrusted, "# only a comment", {}, {}, "trustedkey: missing key id"},
        KeyIdCase{kTrusted,
                  "4 eight",
                  {},
                  {},
                  "trustedkey: 'eight' is not a key id or a range"},
        KeyIdCase{kTrusted,
                  "(1...5)",
                  {},
                  {},
                  "malformed range, expected '(first ... last)' but found "
                  "'1...5'"},
        KeyIdCase{kTrusted, "(1 ...5)", {}, {}, "but found '...5'"},
        KeyIdCase{kTrusted, "(1 .. 5)", {}, {}, "but found '..'"},
        KeyIdCase{kTrusted, "(1 ... 5", {}, {}, "but the arguments ended"},
        KeyIdCase{kTrusted, "(1 ... 5 6)", {}, {}, "but found '6'"},
        KeyIdCase{kTrusted, "(", {}, {}, "but the arguments ended"},
        KeyIdCase{kTrusted, "3 )", {}, {}, "')' without '('"},
        KeyIdCase{kTrusted, "1.5", {}, {}, "'1.5' is not a key id"},
        KeyIdCase{kRequest, "", {}, {}, "requestkey: missing key id"},
        KeyIdCase{kRequest,
                  "8 9",
                  {},
                  {},
                  "requestkey: unexpected '9' after the key id"},
        KeyIdCase{
            kRequest, "key8", {}, {}, "requestkey: 'key8' is not a key id"},
        KeyIdCase{
            kControl, "0", {}, {}, "controlkey: key id 0 is outside 1..65535"},
        KeyIdCase{kControl,
                  "65536",
                  {},
                  {},
                  "controlkey: key id 65536 is outside 1..65535"},
        KeyIdCase{kControl, "65535 # comment", {65535}, {}, nullptr},
        KeyIdCase{
            kControl, "(1 ... 2)", {}, {}, "controlkey: '(' is not a key id"}));


// ---------------------------------------------------------------------------
// ParseTrustedKeyWords: the word-level entry ntp/config's parser uses.

std::vector<absl::string_view> Words(std::initializer_list<const char*> words) {
  return std::vector<absl::string_view>(words.begin(), words.end());
}

TEST(ParseTrustedKeyWordsTest, RangesInGivenOrderAndNoticesWithTheirWord) {
  size_t error_word = 99;
  absl::StatusOr<TrustedKeyRanges> parsed = ParseTrustedKeyWords(
      Words({"42", "(", "1", "...", "3", ")", "0", "(", "9", "...", "5", ")"}),
      &error_word);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(parsed->ranges, ElementsAre(Pair(42, 42), Pair(1, 3)));
  ASSERT_EQ(parsed->notices.size(), 2u);
  EXPECT_EQ(parsed->notices[0].word, 6u);
  EXPECT_EQ(parsed->notices[0].text,
            "Ignoring invalid trustedkey 0, min 1 max 65535.");
  EXPECT_EQ(parsed->notices[1].word, 7u);
  EXPECT_EQ(parsed->notices[1].text,
            "Ignoring invalid trustedkey range 9 ... 5, min 1 max 65535.");
  EXPECT_EQ(error_word, 99u);  // untouched on success
}

struct BadWords {
  std::vector<absl::string_view> words;
  size_t error_word;
  const char* message;
};

class ParseTrustedKeyWordsErrorTest
    : public ::testing::TestWithParam<BadWords> {};

TEST_P(ParseTrustedKeyWordsErrorTest, NamesTheOffendingWord) {
  const BadWords& bad = GetParam();
  size_t error_word = 99;
  EXPECT_THAT(ParseTrustedKeyWords(bad.words, &error_word),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(bad.message)));
  EXPECT_EQ(error_word, bad.error_word);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseTrustedKeyWordsErrorTest,
    ::testing::Values(
        BadWords{{}, 0, "trustedkey: missing key id"},
        BadWords{Words({"4", "eight"}), 1, "'eight' is not a key id"},
        BadWords{Words({"(", "1...5", ")"}), 1, "but found '1...5'"},
        BadWords{Words({"(", "1", "..", "5", ")"}), 2, "but found '..'"},
        BadWords{Words({"(", "1", "...", "5"}), 4, "but the arguments ended"},
        BadWords{Words({"("}), 1, "but the arguments ended"},
        BadWords{Words({"1", ")", "2"}), 1, "')' without '('"}));

}  // namespace
}  // namespace ntp
