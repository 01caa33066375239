#include "ntp/config/tokenizer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ntp {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Texts(const TokenizedLine& line) {
  std::vector<std::string> out;
  for (const Token& t : line.tokens) out.push_back(t.text);
  return out;
}

TEST(TokenizerTest, SplitsOnBlanksAndKeepsColumns) {
  std::vector<TokenizedLine> lines =
      TokenizeConfig("server    127.127.1.0\tprefer\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].line, 1);
  ASSERT_EQ(lines[0].tokens.size(), 3u);
  EXPECT_EQ(lines[0].tokens[0], (Token{"server", 1, false}));
  EXPECT_EQ(lines[0].tokens[1], (Token{"127.127.1.0", 11, false}));
  EXPECT_EQ(lines[0].tokens[2], (Token{"prefer", 23, false}));
}

TEST(TokenizerTest, DropsBlankAndCommentLinesButCountsThem) {
  std::vector<TokenizedLine> lines = TokenizeConfig(
      "# comment\n\n   \n\tdriftfile /var/lib/ntp/drift # trailing\n"
      "#server x\nkeys /etc/ntp/keys");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].line, 4);
  EXPECT_THAT(Texts(lines[0]), ElementsAre("driftfile", "/var/lib/ntp/drift"));
  EXPECT_EQ(lines[1].line, 6);  // no trailing newline
  EXPECT_THAT(Texts(lines[1]), ElementsAre("keys", "/etc/ntp/keys"));
}

TEST(TokenizerTest, HashInsideAWordStartsAComment) {
  std::vector<TokenizedLine> lines = TokenizeConfig("server a#b c\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(Texts(lines[0]), ElementsAre("server", "a"));
}

TEST(TokenizerTest, QuotedTokens) {
  std::vector<TokenizedLine> lines =
      TokenizeConfig("logfile \"/var/log/my ntp.log\" x\n"
                     "setvar a = \"# not a comment\n"
                     "driftfile \"\"\n"
                     "key ab\"cd ef\"gh\n");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(Texts(lines[0]), ElementsAre("logfile", "/var/log/my ntp.log", "x"));
  EXPECT_TRUE(lines[0].tokens[1].quoted);
  EXPECT_FALSE(lines[0].tokens[2].quoted);
  // Missing closing quote: the token runs to the end of the line.
  EXPECT_THAT(Texts(lines[1]), ElementsAre("setvar", "a", "=", "# not a comment"));
  ASSERT_EQ(lines[2].tokens.size(), 2u);
  EXPECT_EQ(lines[2].tokens[1], (Token{"", 11, true}));
  // A quote inside a word continues the token (ntpd's scanner).
  EXPECT_THAT(Texts(lines[3]), ElementsAre("key", "abcd ef", "gh"));
}

TEST(TokenizerTest, CrLfAndOtherWhitespace) {
  std::vector<TokenizedLine> lines =
      TokenizeConfig("server 10.0.0.1\r\nrestrict\vdefault\f\r\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(Texts(lines[0]), ElementsAre("server", "10.0.0.1"));
  EXPECT_THAT(Texts(lines[1]), ElementsAre("restrict", "default"));
}

TEST(TokenizerTest, NulIsWhitespaceAndHighBytesAreKept) {
  std::string text("server\0x \xE4\xB8\xAD\n", 14);
  std::vector<TokenizedLine> lines = TokenizeConfig(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(Texts(lines[0]), ElementsAre("server", "x", "\xE4\xB8\xAD"));
}

TEST(TokenizerTest, EmptyInput) {
  EXPECT_THAT(TokenizeConfig(""), IsEmpty());
  EXPECT_THAT(TokenizeConfig("\n\n#\n"), IsEmpty());
}

TEST(TokenizerTest, OverlongTokenIsFlaggedAndTruncated) {
  std::string text = "driftfile " + std::string(kMaxTokenBytes + 5, 'a');
  std::vector<TokenizedLine> lines = TokenizeConfig(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].token_too_long);
  EXPECT_EQ(lines[0].too_long_column, 11);
  EXPECT_EQ(lines[0].tokens[1].text.size(), kMaxTokenBytes);
  std::string exact = "driftfile " + std::string(kMaxTokenBytes, 'a');
  EXPECT_FALSE(TokenizeConfig(exact)[0].token_too_long);
}

TEST(TokenizerTest, PrintableToken) {
  EXPECT_EQ(PrintableToken("abc"), "abc");
  EXPECT_EQ(PrintableToken(std::string("a\0b\n\\", 5)), "a\\x00b\\x0A\\x5C");
  EXPECT_EQ(PrintableToken("\xFF"), "\\xFF");
  EXPECT_EQ(PrintableToken(std::string(100, 'x'), 4), "xxxx...");
}

}  // namespace
}  // namespace ntp
