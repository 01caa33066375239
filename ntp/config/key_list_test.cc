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

TEST(ParseKeyIdListTest, TheTutorialsCommentedLine) {
  int column = -1;
  absl::StatusOr<KeyIdSet> keys = ParseKeyIdList(Args("4 8 42"), &column);
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->ToString(), "4 8 42");
  EXPECT_EQ(column, -1);  // untouched on success
}

TEST(ParseKeyIdListTest, RangesInEverySpacing) {
  for (const char* text :
       {"(10 ... 12)", "( 10 ... 12 )", "(10 ... 12 )", "( 10 ... 12)"}) {
    absl::StatusOr<KeyIdSet> keys = ParseKeyIdList(Args(text), nullptr);
    ASSERT_THAT(keys, IsOk()) << text;
    EXPECT_EQ(keys->ToString(), "(10 ... 12)") << text;
  }
  absl::StatusOr<KeyIdSet> mixed =
      ParseKeyIdList(Args("1 (3 ... 5) 7 (5 ... 6)"), nullptr);
  ASSERT_THAT(mixed, IsOk());
  EXPECT_EQ(mixed->ToString(), "1 (3 ... 7)");
}

struct BadList {
  const char* text;
  int column;  // column in "trustedkey <text>"
  const char* message;
};

class ParseKeyIdListErrorTest : public ::testing::TestWithParam<BadList> {};

TEST_P(ParseKeyIdListErrorTest, PinsColumnAndMessage) {
  const BadList& bad = GetParam();
  int column = -1;
  absl::StatusOr<KeyIdSet> keys = ParseKeyIdList(Args(bad.text), &column);
  EXPECT_THAT(keys, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr(bad.message)));
  EXPECT_EQ(column, bad.column);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseKeyIdListErrorTest,
    ::testing::Values(
        BadList{"4 0 8", 14, "invalid key ID '0'"},
        BadList{"70000", 12, "invalid key ID '70000'"},
        BadList{"(1...5)", 13, "invalid key ID '1...5'"},
        BadList{"(5 ... 1)", 13, "is empty"},
        BadList{"(1 ... 5", 20, "expected ')' before the end"},
        BadList{"(1 .. 5)", 15, "expected '...' but found '..'"},
        BadList{"(", 13, "expected a key ID before the end"},
        BadList{"1 ) 2", 14, "invalid key ID ')'"},
        BadList{"(0 ... 5)", 13, "invalid key ID '0'"},
        BadList{"(1 ... 65536)", 19, "invalid key ID '65536'"}));

TEST(ParseKeyIdListTest, EmptyListIsAnError) {
  EXPECT_THAT(ParseKeyIdList({}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ntp
