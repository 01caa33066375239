#include "ntp/config/key_list.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/tokenizer.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// The argument tokens of "trustedkey <text>".
std::vector<Token> Args(const std::string& text) {
  std::vector<TokenizedLine> lines = TokenizeConfig("trustedkey " + text);
  std::vector<Token> tokens = lines.at(0).tokens;
  tokens.erase(tokens.begin());
  return tokens;
}

TEST(KeyIdSetTest, InsertMergesOverlappingAndAdjacentRanges) {
  KeyIdSet set;
  set.Insert(8);
  set.Insert(4);
  set.InsertRange(10, 20);
  set.Insert(9);  // joins 8 and 10..20
  set.InsertRange(30, 40);
  set.InsertRange(35, 50);
  set.Insert(42);
  EXPECT_THAT(set.ranges(),
              ElementsAre(Pair(4, 4), Pair(8, 20), Pair(30, 50)));
  EXPECT_EQ(set.size(), 1u + 13u + 21u);
  EXPECT_EQ(set.ToString(), "4 (8 ... 20) (30 ... 50)");
  set.InsertRange(1, 65535);
  EXPECT_THAT(set.ranges(), ElementsAre(Pair(1, 65535)));
}

TEST(KeyIdSetTest, Contains) {
  KeyIdSet set;
  EXPECT_FALSE(set.Contains(1));
  EXPECT_TRUE(set.empty());
  set.InsertRange(10, 12);
  set.Insert(65535);
  for (uint32_t id : {10u, 11u, 12u, 65535u}) EXPECT_TRUE(set.Contains(id)) << id;
  for (uint32_t id : {0u, 9u, 13u, 65534u, 65536u}) {
    EXPECT_FALSE(set.Contains(id)) << id;
  }
}

TEST(KeyIdSetTest, InsertAllAndEquality) {
  KeyIdSet a, b;
  a.Insert(1);
  b.InsertRange(2, 3);
  a.InsertAll(b);
  KeyIdSet expected;
  expected.InsertRange(1, 3);
  EXPECT_EQ(a, expected);
}

TEST(ParseKeyIdTest, AcceptsOneToMax) {
  EXPECT_THAT(ParseKeyId("1"), IsOk());
  EXPECT_EQ(*ParseKeyId("65535"), 65535u);
  EXPECT_EQ(*ParseKeyId("0042"), 42u);
}

TEST(ParseKeyIdTest, RejectsZeroLargeAndJunk) {
  for (const char* bad : {"0", "65536", "4294967296", "99999999999", "-1",
                          "+1", "1.0", "0x10", "", "eight"}) {
    EXPECT_THAT(ParseKeyId(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("must be 1..65535")))
        << bad;
  }
}

TEST(ParseTrustedKeyListTest, TheTutorialsCommentedLine) {
  int column = -1;
  absl::StatusOr<TrustedKeyList> keys = ParseTrustedKeyList(Args("4 8 42"), &column);
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->keys.ToString(), "4 8 42");
  EXPECT_TRUE(keys->notices.empty());
  EXPECT_EQ(column, -1);  // untouched on success
}

TEST(ParseTrustedKeyListTest, RangesInEverySpacing) {
  for (const char* text :
       {"(10 ... 12)", "( 10 ... 12 )", "(10 ... 12 )", "( 10 ... 12)"}) {
    absl::StatusOr<TrustedKeyList> keys = ParseTrustedKeyList(Args(text), nullptr);
    ASSERT_THAT(keys, IsOk()) << text;
    EXPECT_EQ(keys->keys.ToString(), "(10 ... 12)") << text;
  }
  absl::StatusOr<TrustedKeyList> mixed =
      ParseTrustedKeyList(Args("1 (3 ... 5) 7 (5 ... 6)"), nullptr);
  ASSERT_THAT(mixed, IsOk());
  EXPECT_EQ(mixed->keys.ToString(), "1 (3 ... 7)");
}

// ntpd 4.2.8 ignores out-of-range IDs and empty ranges with a notice
// (ntp/auth/key_id_list.h); the columns point at the ignored element.
TEST(ParseTrustedKeyListTest, IgnoredElementsBecomeNoticesAtTheirColumn) {
  absl::StatusOr<TrustedKeyList> keys =
      ParseTrustedKeyList(Args("4 0 8 (5 ... 1) 70000 (1 ... 65536)"), nullptr);
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->keys.ToString(), "4 8");
  EXPECT_THAT(
      keys->notices,
      ElementsAre(Pair(14, "Ignoring invalid trustedkey 0, min 1 max 65535."),
                  Pair(18, "Ignoring invalid trustedkey range 5 ... 1, min 1 "
                           "max 65535."),
                  Pair(28, "Ignoring invalid trustedkey 70000, min 1 max 65535."),
                  Pair(34, "Ignoring invalid trustedkey range 1 ... 65536, min "
                           "1 max 65535.")));
}

struct BadList {
  const char* text;
  int column;  // column in "trustedkey <text>"
  const char* message;
};

class ParseTrustedKeyListErrorTest : public ::testing::TestWithParam<BadList> {};

TEST_P(ParseTrustedKeyListErrorTest, PinsColumnAndMessage) {
  const BadList& bad = GetParam();
  int column = -1;
  absl::StatusOr<TrustedKeyList> keys = ParseTrustedKeyList(Args(bad.text), &column);
  EXPECT_THAT(keys, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr(bad.message)));
  EXPECT_EQ(column, bad.column);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseTrustedKeyListErrorTest,
    ::testing::Values(
        BadList{"4 eight 8", 14, "trustedkey: 'eight' is not a key id"},
        BadList{"(1...5)", 13, "but found '1...5'"},
        BadList{"(1 ... 5", 20, "but the arguments ended"},
        BadList{"(1 .. 5)", 15, "but found '..'"},
        BadList{"(", 13, "but the arguments ended"},
        BadList{"1 ) 2", 14, "trustedkey: ')' without '('"},
        BadList{"\"(1\" ... 5)", 12, "'(1' is not a key id"}));

TEST(ParseTrustedKeyListTest, EmptyListIsAnError) {
  EXPECT_THAT(ParseTrustedKeyList({}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ntp
