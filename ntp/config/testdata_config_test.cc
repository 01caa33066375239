// Table-driven over testdata/configs/: every broken/*.conf holds exactly one
// mistake and pins it on its first line,
//   # expect: [FILE:]LINE: SUBSTRING
// (FILE, relative to broken/, when the error is reported in an included
// file); every good/*.conf parses with no diagnostics at all.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/parser.h"
#include "clock/posix_file_reader.h"

namespace ntp {
namespace {

constexpr char kBrokenDir[] = "testdata/configs/broken";
constexpr char kGoodDir[] = "testdata/configs/good";

// The *.conf files directly in `dir` (runfiles paths), sorted.
std::vector<std::string> ConfFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".conf")) files.push_back(dir + "/" + name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct Expectation {
  std::string file;  // where the error is reported
  int line = 0;
  std::string substring;
};

// Parses "# expect: [FILE:]LINE: SUBSTRING" from the first line of `text`.
bool ParseExpectation(const std::string& path, const std::string& text,
                      Expectation& out) {
  absl::string_view first = text;
  first = first.substr(0, first.find('\n'));
  if (!absl::ConsumePrefix(&first, "# expect: ")) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(first, absl::MaxSplits(": ", 1));
  if (parts.size() != 2) return false;
  absl::string_view where = parts[0];
  out.substring = std::string(parts[1]);
  out.file = path;
  if (size_t colon = where.find(':'); colon != absl::string_view::npos) {
    out.file = std::string(kBrokenDir) + "/" + std::string(where.substr(0, colon));
    where = where.substr(colon + 1);
  }
  return absl::SimpleAtoi(where, &out.line) && out.line > 0;
}

TEST(BrokenConfigsTest, EachPinsExactlyOneErrorLineAndMessage) {
  std::vector<std::string> files = ConfFiles(kBrokenDir);
  ASSERT_GE(files.size(), 15u);
  clocks::PosixFileReader reader;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    absl::StatusOr<std::string> text = reader.Read(path, 1 << 20);
    ASSERT_TRUE(text.ok()) << text.status();
    Expectation expect;
    ASSERT_TRUE(ParseExpectation(path, *text, expect))
        << "first line must be '# expect: [FILE:]LINE: SUBSTRING'";
    ParsedConfig parsed = ParseNtpConfFile(path, reader);
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error_count, 1) << parsed.FormatAll();
    std::vector<Diagnostic> errors;
    for (const Diagnostic& d : parsed.diagnostics) {
      if (d.severity == Severity::kError) errors.push_back(d);
    }
    ASSERT_FALSE(errors.empty()) << parsed.FormatAll();
    EXPECT_EQ(errors[0].file, expect.file) << FormatDiagnostic(errors[0]);
    EXPECT_EQ(errors[0].line, expect.line) << FormatDiagnostic(errors[0]);
    EXPECT_THAT(errors[0].message, ::testing::HasSubstr(expect.substring));
    // The formatted form starts with FILE:LINE: error:.
    EXPECT_TRUE(absl::StartsWith(
        FormatDiagnostic(errors[0]),
        expect.file + ":" + std::to_string(expect.line) + ": error: "));
  }
}

TEST(GoodConfigsTest, ParseWithoutAnyDiagnostic) {
  std::vector<std::string> files = ConfFiles(kGoodDir);
  ASSERT_GE(files.size(), 3u);
  clocks::PosixFileReader reader;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    ParsedConfig parsed = ParseNtpConfFile(path, reader);
    EXPECT_TRUE(parsed.ok());
    EXPECT_THAT(parsed.diagnostics, ::testing::IsEmpty()) << parsed.FormatAll();
  }
}

TEST(GoodConfigsTest, IncludesResolveRelativeToTheIncludingFile) {
  clocks::PosixFileReader reader;
  ParsedConfig parsed =
      ParseNtpConfFile(std::string(kGoodDir) + "/with_include.conf", reader);
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  ASSERT_EQ(parsed.config.included_files.size(), 2u);
  EXPECT_EQ(parsed.config.included_files[0].path,
            "testdata/configs/good/ntp.d/restrict.conf");
  EXPECT_EQ(parsed.config.included_files[1].path,
            "testdata/configs/good/ntp.d/servers.conf");
  ASSERT_EQ(parsed.config.servers.size(), 2u);
  // File order with includes expanded in place.
  EXPECT_EQ(parsed.config.servers[0].host, "192.168.31.224");
  EXPECT_EQ(parsed.config.servers[1].host, "192.168.31.223");
  EXPECT_EQ(parsed.config.restricts.size(), 2u);
}

}  // namespace
}  // namespace ntp
