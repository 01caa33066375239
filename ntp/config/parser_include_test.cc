// includefile: resolution, missing files, cycles, depth and work limits.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser.h"
#include "ntp/config/parser_test_util.h"

namespace ntp {
namespace {

using ::ntp::testing::ErrorAt;
using ::ntp::testing::WarningAt;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(IncludeTest, ContentIsParsedInPlaceWithItsOwnLocations) {
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf",
                 "server 10.0.0.1\nincludefile /etc/ntp/extra.conf\n"
                 "server 10.0.0.3\n");
  reader.AddFile("/etc/ntp/extra.conf", "# extra\nserver 10.0.0.2\n");
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  const auto& s = parsed.config.servers;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].host, "10.0.0.1");
  EXPECT_EQ(s[1].host, "10.0.0.2");
  EXPECT_EQ(s[1].location, (SourceLocation{"/etc/ntp/extra.conf", 2, 1}));
  EXPECT_EQ(s[2].host, "10.0.0.3");
  EXPECT_EQ(s[2].location, (SourceLocation{"/etc/ntp.conf", 3, 1}));
  ASSERT_EQ(parsed.config.included_files.size(), 1u);
  EXPECT_EQ(parsed.config.included_files[0].path, "/etc/ntp/extra.conf");
  EXPECT_EQ(parsed.config.included_files[0].location.line, 2);
}

TEST(IncludeTest, RelativePathsFollowTheIncludingFile) {
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf", "includefile ntp.d/a.conf\n");
  reader.AddFile("/etc/ntp.d/a.conf", "includefile ../ntp.d/./b.conf\n");
  reader.AddFile("/etc/ntp.d/b.conf", "server 10.0.0.9\n");
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  ASSERT_EQ(parsed.config.servers.size(), 1u);
  EXPECT_EQ(parsed.config.servers[0].location.file, "/etc/ntp.d/b.conf");
}

TEST(IncludeTest, RootDirectoryAppliesToAbsoluteIncludes) {
  InMemoryFileReader reader;
  reader.AddFile("/root/etc/ntp.conf", "includefile /etc/ntp/extra.conf\n");
  reader.AddFile("/root/etc/ntp/extra.conf", "keys /etc/ntp/keys\n");
  ParseOptions options;
  options.root_directory = "/root";
  ParsedConfig parsed = ParseNtpConfFile("/root/etc/ntp.conf", reader, options);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  EXPECT_EQ(parsed.config.keys->path, "/root/etc/ntp/keys");
}

TEST(IncludeTest, MissingFileIsNtpdsWarning) {
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf",
                 "includefile /etc/ntp/crypto/pw\nserver 10.0.0.1\n");
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  EXPECT_TRUE(parsed.ok());
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(
                  1, "getconfig: Couldn't open </etc/ntp/crypto/pw>")));
  EXPECT_EQ(parsed.diagnostics[0].message,
            "getconfig: Couldn't open </etc/ntp/crypto/pw>");
  EXPECT_EQ(parsed.config.servers.size(), 1u);
  EXPECT_THAT(parsed.config.included_files, IsEmpty());
}

TEST(IncludeTest, UnreadableFileWarnsWithTheReason) {
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf", "includefile /etc/secret\n");
  reader.AddError("/etc/secret", absl::PermissionDeniedError("denied"));
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(
                  1, "getconfig: Couldn't open </etc/secret>: denied")));
}

TEST(IncludeTest, NoReaderMeansEveryIncludeIsMissing) {
  ParsedConfig parsed =
      ParseNtpConfText("includefile /x\n", "mem.conf", nullptr);
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(1, "getconfig: Couldn't open </x>")));
}

TEST(IncludeTest, SelfIncludeIsACycleNotFollowed) {
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf",
                 "server 10.0.0.1\nincludefile /etc/./ntp.conf\n");
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(ErrorAt(2, "includefile cycle: '/etc/ntp.conf' is "
                                     "already being read (/etc/ntp.conf -> "
                                     "/etc/ntp.conf); not followed")));
  EXPECT_EQ(reader.read_count(), 1);
  EXPECT_EQ(parsed.config.servers.size(), 1u);
}

TEST(IncludeTest, LongerLoopIsACycle) {
  InMemoryFileReader reader;
  reader.AddFile("/c/a.conf", "includefile b.conf\n");
  reader.AddFile("/c/b.conf", "includefile c.conf\n");
  reader.AddFile("/c/c.conf", "server 10.0.0.1\nincludefile /c/a.conf\n");
  ParsedConfig parsed = ParseNtpConfFile("/c/a.conf", reader);
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_EQ(FormatDiagnostic(parsed.diagnostics[0]),
            "/c/c.conf:2: error: includefile cycle: '/c/a.conf' is already "
            "being read (/c/a.conf -> /c/b.conf -> /c/c.conf -> /c/a.conf); "
            "not followed");
  EXPECT_EQ(parsed.config.servers.size(), 1u);
}

TEST(IncludeTest, SameFileTwiceWithoutALoopIsFine) {
  InMemoryFileReader reader;
  reader.AddFile("/a.conf", "includefile /r.conf\nincludefile /r.conf\n");
  reader.AddFile("/r.conf", "restrict default noquery\n");
  ParsedConfig parsed = ParseNtpConfFile("/a.conf", reader);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  EXPECT_EQ(parsed.config.restricts.size(), 2u);
}

TEST(IncludeTest, DepthIsLimitedToFiveLevels) {
  InMemoryFileReader reader;
  // /0.conf includes /1.conf ... includes /7.conf.
  for (int i = 0; i < 7; ++i) {
    reader.AddFile("/" + std::to_string(i) + ".conf",
                   "includefile /" + std::to_string(i + 1) + ".conf\n");
  }
  reader.AddFile("/7.conf", "server 10.0.0.1\n");
  ParsedConfig parsed = ParseNtpConfFile("/0.conf", reader);
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_EQ(FormatDiagnostic(parsed.diagnostics[0]),
            "/5.conf:1: error: getconfig: Maximum include file level "
            "exceeded (5); '/6.conf' not read");
  EXPECT_THAT(parsed.config.servers, IsEmpty());
  EXPECT_EQ(parsed.config.included_files.size(), 5u);
}

TEST(IncludeTest, FanOutIsBounded) {
  // Every file includes the next one 100 times: 100^4 lines if followed.
  InMemoryFileReader reader;
  for (int i = 0; i < 5; ++i) {
    std::string text;
    for (int k = 0; k < 100; ++k) {
      text += "includefile /" + std::to_string(i + 1) + ".conf\n";
    }
    reader.AddFile("/" + std::to_string(i) + ".conf", text);
  }
  reader.AddFile("/5.conf", "server 10.0.0.1\n");
  ParsedConfig parsed = ParseNtpConfFile("/0.conf", reader);
  EXPECT_FALSE(parsed.ok());
  EXPECT_LE(reader.read_count(), 260);
  EXPECT_THAT(parsed.status().message(),
              ::testing::HasSubstr("too much included configuration"));
}

TEST(IncludeTest, Errors) {
  ParsedConfig parsed = ::ntp::testing::Parse("includefile\nincludefile a b\n");
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(ErrorAt(1, "includefile: missing file name"),
                          ErrorAt(2, "includefile: unexpected argument 'b'")));
}

}  // namespace
}  // namespace ntp
