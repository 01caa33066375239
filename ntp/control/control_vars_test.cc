#include "ntp/control/control_vars.h"

#include "gtest/gtest.h"

namespace ntp {
namespace {

TEST(ControlVarsTest, WriterAndParserRoundTrip) {
  ControlVarWriter w;
  w.AddQuoted("version", "ntpd \"x\"\n");
  w.AddInt("stratum", 2);
  w.AddHex("reach", 0xff);
  w.AddDouble("offset", -0.0123456, 6);
  w.AddTimestamp("reftime", NtpTimestamp::FromParts(0xe3a1b2c3, 0xff));
  const double d[] = {1, 2.5};
  w.AddDoubles("filtdelay", d, 2, 2);
  EXPECT_EQ(w.text(),
            "version=\"ntpd .x..\", stratum=2, reach=0xff, offset=-0.012346, "
            "reftime=0xe3a1b2c3.000000ff, filtdelay=1.00 2.50");
  const std::vector<ControlVariable> vars = ParseControlVariables(w.text());
  ASSERT_EQ(vars.size(), 6u);
  EXPECT_EQ(vars[0].value, "ntpd .x..");
  EXPECT_TRUE(vars[0].quoted);
  EXPECT_EQ(vars[5].value, "1.00 2.50");
  EXPECT_EQ(ParseControlTimestamp(vars[4].value),
            NtpTimestamp::FromParts(0xe3a1b2c3, 0xff));
}

TEST(ControlVarsTest, TokensCannotChangeTheListStructure) {
  ControlVarWriter w;
  w.Add("refid", "a,b\"c d\x01");
  EXPECT_EQ(w.text(), "refid=a.b.c.d.");
}

TEST(ControlVarsTest, ParserSurvivesOddInput) {
  EXPECT_TRUE(ParseControlVariables("").empty());
  EXPECT_TRUE(ParseControlVariables(",,, ,\r\n").empty());
  const auto vars = ParseControlVariables("a=\"unterminated, b=2");
  ASSERT_EQ(vars.size(), 1u);
  EXPECT_EQ(vars[0].value, "unterminated, b=2");
  const auto bare = ParseControlVariables("stratum, offset");
  ASSERT_EQ(bare.size(), 2u);
  EXPECT_EQ(bare[1].name, "offset");
  EXPECT_EQ(ParseControlTimestamp("0x1.2.3"), std::nullopt);
  EXPECT_EQ(ParseControlTimestamp("12.34"), std::nullopt);
  EXPECT_EQ(ParseControlTimestamp("0x123456789.0"), std::nullopt);
}

TEST(ControlVarsTest, EscapesForTheTerminal) {
  EXPECT_EQ(EscapeForDisplay(std::string("a\x1b[2J\0b\\", 8)), "a\\x1b[2J\\x00b\\\\");
}

TEST(ControlVarsTest, RefIds) {
  EXPECT_EQ(FormatControlRefId(0xC0A81FDF, 2), "192.168.31.223");
  EXPECT_EQ(FormatControlRefId(0x494E4954, 16), "INIT");
  EXPECT_EQ(FormatControlRefId(0x4C4F434C, 1), "LOCL");
  EXPECT_EQ(FormatControlRefId(0x47505300, 1), "GPS");
  EXPECT_EQ(FormatControlRefId(0x1B5B0000, 0), ".[");
}

}  // namespace
}  // namespace ntp
