// General parser behaviour: diagnostics, unknown and unsupported
// directives, limits, path helpers. Directive-specific tests live in
// parser_*_test.cc.
#include "ntp/config/parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser_test_util.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::ErrorAt;
using ::ntp::testing::ExpectClean;
using ::ntp::testing::ExpectSingleError;
using ::ntp::testing::IsOk;
using ::ntp::testing::Parse;
using ::ntp::testing::StatusIs;
using ::ntp::testing::WarningAt;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(FormatDiagnosticTest, Format) {
  EXPECT_EQ(FormatDiagnostic({"/etc/ntp.conf", 12, 3, Severity::kError,
                              "minpoll: value '2' is out of range 3..17"}),
            "/etc/ntp.conf:12: error: minpoll: value '2' is out of range 3..17");
  EXPECT_EQ(FormatDiagnostic({"a.conf", 0, 0, Severity::kWarning, "x"}),
            "a.conf: warning: x");
}

TEST(ParserTest, EmptyAndCommentOnlyInputsAreClean) {
  ParsedConfig parsed = ExpectClean("");
  EXPECT_EQ(parsed.config, NtpConfig());
  ExpectClean("# nothing\n\n   # here\n");
}

TEST(ParserTest, UnknownDirectiveIsAWarningAndParsingGoesOn) {
  ParsedConfig parsed = Parse("frobnicate 1 2\nserver 10.0.0.1\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "unknown directive 'frobnicate'")));
  EXPECT_EQ(parsed.diagnostics[0].column, 1);
  ASSERT_EQ(parsed.config.servers.size(), 1u);
}

TEST(ParserTest, DirectivesAreCaseSensitiveWithAHint) {
  ParsedConfig parsed = Parse("Server 10.0.0.1\nINCLUDEFILE x\n");
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "did you mean 'server'?"),
                          WarningAt(2, "did you mean 'includefile'?")));
  EXPECT_THAT(parsed.config.servers, IsEmpty());
}

TEST(ParserTest, QuotedKeywordIsUnknown) {
  ParsedConfig parsed = Parse("\"server\" 10.0.0.1\n");
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "unknown directive 'server' (quoted)")));
  EXPECT_THAT(parsed.config.servers, IsEmpty());
}

TEST(ParserTest, UnsupportedDirectivesWarnAndAreListed) {
  ParsedConfig parsed = Parse(
      "crypto pw secret\n"
      "broadcast 192.168.1.255 autokey\n"
      "broadcastclient\n"
      "multicastclient 224.0.1.1\n"
      "manycastserver 239.255.254.254\n"
      "manycastclient 239.255.254.254 autokey\n");
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(
      parsed.diagnostics,
      ElementsAre(WarningAt(1, "'crypto': Autokey (public key cryptography) "
                               "is not supported; line ignored"),
                  WarningAt(2, "'broadcast': broadcast mode is not supported"),
                  WarningAt(3, "'broadcastclient'"),
                  WarningAt(4, "'multicastclient'"),
                  WarningAt(5, "'manycastserver'"),
                  WarningAt(6, "'manycastclient'")));
  ASSERT_EQ(parsed.config.ignored.size(), 6u);
  EXPECT_EQ(parsed.config.ignored[0].keyword, "crypto");
  EXPECT_EQ(parsed.config.ignored[0].location.line, 1);
  EXPECT_EQ(parsed.config.ignored[5].keyword, "manycastclient");
}

TEST(ParserTest, OverlongTokenIsAnError) {
  ExpectSingleError("driftfile /" + std::string(2000, 'a') + "\n", 1,
                    "configuration item longer than limit of 1024 bytes");
}

TEST(ParserTest, ErrorsDoNotStopParsingAndLeaveTheModelUntouched) {
  ParsedConfig parsed = Parse(
      "server 10.0.0.1 minpoll 2\n"
      "server 10.0.0.2\n"
      "restrict 10.0.0.0 mask 255.0.255.0\n"
      "restrict default nomodify\n");
  EXPECT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error_count, 2);
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(ErrorAt(1, "minpoll: value '2' is out of range 3..17"),
                          ErrorAt(3, "not a contiguous netmask")));
  ASSERT_EQ(parsed.config.servers.size(), 1u);
  EXPECT_EQ(parsed.config.servers[0].host, "10.0.0.2");
  ASSERT_EQ(parsed.config.restricts.size(), 1u);
  EXPECT_TRUE(parsed.config.restricts[0].is_default);
}

TEST(ParserTest, StatusListsTheErrors) {
  ParsedConfig parsed = Parse("server 10.0.0.1 version 5\nfoo\n");
  EXPECT_THAT(parsed.status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "test.conf:1: error: version: value '5' is out of "
                       "range 1..4"));
  EXPECT_THAT(Parse("foo\n").status(), IsOk());
  EXPECT_EQ(parsed.FormatAll(),
            "test.conf:1: error: version: value '5' is out of range 1..4\n"
            "test.conf:2: warning: unknown directive 'foo'; line ignored\n");
}

TEST(ParserTest, DiagnosticsAreCappedButCounted) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "server 10.0.0.1 minpoll 99\n";
  ParseOptions options;
  options.max_diagnostics = 10;
  ParsedConfig parsed = Parse(text, options);
  EXPECT_EQ(parsed.diagnostics.size(), 10u);
  EXPECT_EQ(parsed.error_count, 50);
  EXPECT_THAT(parsed.status().message(), HasSubstr("(40 more errors not shown)"));
  EXPECT_THAT(parsed.FormatAll(), HasSubstr("(40 more diagnostics not shown)"));
}

TEST(ParserTest, UnprintableBytesAreEscapedInMessages) {
  ParsedConfig parsed = Parse("server 10.0.0.1 \x01\xFF\n");
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_EQ(parsed.diagnostics[0].message,
            "server: unknown option '\\x01\\xFF'");
}

TEST(ParseFileTest, TopLevelFileMissingIsAnError) {
  InMemoryFileReader reader;
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  EXPECT_FALSE(parsed.ok());
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_EQ(parsed.diagnostics[0].line, 0);
  EXPECT_THAT(parsed.diagnostics[0].message,
              HasSubstr("getconfig: Couldn't open </etc/ntp.conf>"));
}

TEST(ParseFileTest, ReadsThroughTheReader) {
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf", "server 10.0.0.1\n");
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  ASSERT_EQ(parsed.config.servers.size(), 1u);
  EXPECT_EQ(parsed.config.servers[0].location.file, "/etc/ntp.conf");
  EXPECT_EQ(parsed.config.servers[0].location.line, 1);
  EXPECT_EQ(reader.read_count(), 1);
}

TEST(ParseFileTest, OversizedFileIsAnError) {
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf", std::string(100, '#'));
  ParseOptions options;
  options.max_file_bytes = 50;
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader, options);
  EXPECT_FALSE(parsed.ok());
  EXPECT_FALSE(ParseNtpConfText(std::string(100, '#'), "x", nullptr, options)
                   .ok());
}

TEST(PathTest, NormalizePath) {
  EXPECT_EQ(NormalizePath(""), "");
  EXPECT_EQ(NormalizePath("/"), "/");
  EXPECT_EQ(NormalizePath("/etc//ntp/./keys"), "/etc/ntp/keys");
  EXPECT_EQ(NormalizePath("/etc/ntp/../ntp.conf"), "/etc/ntp.conf");
  EXPECT_EQ(NormalizePath("/../../etc"), "/etc");
  EXPECT_EQ(NormalizePath("a/b/../../.."), "..");
  EXPECT_EQ(NormalizePath("../x/./y/"), "../x/y");
  EXPECT_EQ(NormalizePath("./"), ".");
}

TEST(PathTest, ApplyRootDirectory) {
  EXPECT_EQ(ApplyRootDirectory("", "/var/lib/ntp/drift"),
            "/var/lib/ntp/drift");
  EXPECT_EQ(ApplyRootDirectory("/tmp/t", "/var/lib/ntp/drift"),
            "/tmp/t/var/lib/ntp/drift");
  EXPECT_EQ(ApplyRootDirectory("/tmp/t/", "/etc/../../../etc/keys"),
            "/tmp/t/etc/keys");
  EXPECT_EQ(ApplyRootDirectory("/tmp/t", "relative/drift"), "relative/drift");
  EXPECT_EQ(ApplyRootDirectory("/", "/etc/keys"), "/etc/keys");
  EXPECT_EQ(ApplyRootDirectory("/tmp/t", "/"), "/tmp/t");
  EXPECT_EQ(ApplyRootDirectory("/tmp/t", ""), "");
}

}  // namespace
}  // namespace ntp
