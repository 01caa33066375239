#include "ntp/leap_seconds_list.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

std::string ReadTestFile() {
  std::ifstream in("testdata/leap/leap-seconds.list");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

TEST(LeapSecondsListTest, ParsesAndVerifiesTheIersFile) {
  const std::string text = ReadTestFile();
  ASSERT_FALSE(text.empty());
  absl::StatusOr<LeapSecondsList> list = ParseLeapSecondsList(text, "leap-seconds.list");
  ASSERT_THAT(list.status(), IsOk());
  EXPECT_TRUE(list->hash_checked);
  EXPECT_EQ(list->entries.size(), 28u);
  EXPECT_EQ(list->entries.front().tai_offset, 10);
  EXPECT_EQ(list->entries.back().tai_offset, 37);
  EXPECT_EQ(list->expires(), Utc(2026, 6, 28));
  EXPECT_FALSE(list->Expired(Utc(2026, 6, 27)));
  EXPECT_TRUE(list->Expired(Utc(2026, 6, 28)));
  EXPECT_EQ(list->TaiOffsetAt(Utc(2016, 12, 31, 23, 59, 59)), 36);
  EXPECT_EQ(list->TaiOffsetAt(Utc(2017, 1, 1)), 37);
  // The last leap second: inserted at the end of 2016-12-31.
  EXPECT_EQ(list->LeapAtEndOfDay(Utc(2016, 12, 31, 12)), Leap::kInsertSecond);
  EXPECT_EQ(list->LeapAtEndOfDay(Utc(2016, 12, 30, 12)), Leap::kNoWarning);
  EXPECT_EQ(list->LeapAtEndOfDay(Utc(2017, 1, 1, 12)), Leap::kNoWarning);
}

TEST(LeapSecondsListTest, AlteredDataFailsTheHash) {
  // One entry moved by a day: the hash no longer matches.
  const std::string text =
      absl::StrReplaceAll(ReadTestFile(), {{"3692217600      37", "3692304000      37"}});
  ASSERT_NE(text, ReadTestFile());
  EXPECT_THAT(ParseLeapSecondsList(text, "leap-seconds.list"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hash mismatch")));
  // `leapfile ... ignorehash` takes it anyway.
  absl::StatusOr<LeapSecondsList> list = ParseLeapSecondsList(text, "x", /*ignore_hash=*/true);
  ASSERT_THAT(list.status(), IsOk());
  EXPECT_FALSE(list->hash_checked);
}

TEST(LeapSecondsListTest, DeletionAndMalformedLines) {
  const std::string text = "#$ 100\n#@ 3991593600\n2272060800 10\n3692304000 9 # a negative leap\n";
  absl::StatusOr<LeapSecondsList> list = ParseLeapSecondsList(text, "t", true);
  ASSERT_THAT(list.status(), IsOk());
  EXPECT_EQ(list->LeapAtEndOfDay(Utc(2017, 1, 1, 1)), Leap::kDeleteSecond);
  EXPECT_THAT(ParseLeapSecondsList(text, "t"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                        HasSubstr("t:5: no #h")));
  EXPECT_THAT(ParseLeapSecondsList("#$ 1\n#@ 2\n2272060800 x\n", "f", true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:3: expected")));
  EXPECT_THAT(ParseLeapSecondsList("#$ 1\n#@ 2\n2 10\n1 11\n", "f", true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:4: entries must")));
  EXPECT_THAT(ParseLeapSecondsList("#@ 2\n2 10\n", "f", true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no #$")));
  EXPECT_THAT(ParseLeapSecondsList("#$ 1\n#@ 2\n#h 1 2 3\n2 10\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:3: #h")));
}

}  // namespace
}  // namespace ntp
