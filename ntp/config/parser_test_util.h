// Test helpers for the ntp.conf parser: parse a snippet held in memory and
// match its diagnostics. Test-only.
#ifndef NTP_CONFIG_PARSER_TEST_UTIL_H_
#define NTP_CONFIG_PARSER_TEST_UTIL_H_

#include <ostream>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "ntp/config/parser.h"

namespace ntp {

// gtest printer: diagnostics show as "FILE:LINE: error: MESSAGE".
inline void PrintTo(const Diagnostic& d, std::ostream* os) {
  *os << FormatDiagnostic(d);
}

}  // namespace ntp

namespace ntp::testing {

// Parses `text` as file "test.conf" with no include reader.
inline ParsedConfig Parse(const std::string& text,
                          const ParseOptions& options = ParseOptions()) {
  return ParseNtpConfText(text, "test.conf", nullptr, options);
}

// Matches a Diagnostic with the given severity, line and message substring.
MATCHER_P3(DiagnosticIs, severity, line, substring,
           std::string(severity == Severity::kError ? "error" : "warning") +
               " at line " + ::testing::PrintToString(line) +
               " containing \"" + std::string(substring) + "\"") {
  *result_listener << FormatDiagnostic(arg);
  return arg.severity == severity && arg.line == line &&
         absl::StrContains(arg.message, substring);
}

inline auto ErrorAt(int line, const std::string& substring) {
  return DiagnosticIs(Severity::kError, line, substring);
}
inline auto WarningAt(int line, const std::string& substring) {
  return DiagnosticIs(Severity::kWarning, line, substring);
}

// Parses `text` and expects exactly one diagnostic, an error at `line`
// whose message contains `substring`; returns the parse for more checks.
inline ParsedConfig ExpectSingleError(const std::string& text, int line,
                                      const std::string& substring) {
  ParsedConfig parsed = Parse(text);
  EXPECT_FALSE(parsed.ok()) << text;
  EXPECT_THAT(parsed.diagnostics,
              ::testing::ElementsAre(ErrorAt(line, substring)))
      << "input:\n" << text << "\ndiagnostics:\n" << parsed.FormatAll();
  return parsed;
}

// Parses `text` and expects no diagnostics at all.
inline ParsedConfig ExpectClean(const std::string& text) {
  ParsedConfig parsed = Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  EXPECT_THAT(parsed.diagnostics, ::testing::IsEmpty())
      << "input:\n" << text << "\ndiagnostics:\n" << parsed.FormatAll();
  return parsed;
}

}  // namespace ntp::testing

#endif  // NTP_CONFIG_PARSER_TEST_UTIL_H_
