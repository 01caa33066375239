#include "ntp/config/parse_context.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ntp::config_internal {

std::string Quote(absl::string_view text) {
  return absl::StrCat("'", PrintableToken(text), "'");
}

int ParseContext::EndColumn() const {
  const Token& last = line_->tokens.back();
  // +1 for the space after the token; quoted tokens had two quote bytes.
  return last.column + static_cast<int>(last.text.size()) +
         (last.quoted ? 2 : 0) + 1;
}

namespace {

// Escapes every byte outside printable ASCII as \xNN so that no message
// carries raw control or non-ASCII bytes from the input (paths and host
// names reach messages unquoted in a few places). Already escaped text is
// left as it is.
std::string SanitizeMessage(std::string message) {
  bool clean = true;
  for (char c : message) {
    unsigned char u = static_cast<unsigned char>(c);
    clean = clean && u >= 0x20 && u < 0x7F;
  }
  if (clean) return message;
  std::string out;
  for (char c : message) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02X", u);
    }
  }
  return out;
}

}  // namespace

void ParseContext::Add(Severity severity, const SourceLocation& where,
                       std::string message) {
  message = SanitizeMessage(std::move(message));
  if (severity == Severity::kError) {
    ++result_.error_count;
  } else {
    ++result_.warning_count;
  }
  if (result_.diagnostics.size() < options_.max_diagnostics) {
    result_.diagnostics.push_back(Diagnostic{where.file, where.line,
                                             where.column, severity,
                                             std::move(message)});
  }
}

void ParseContext::Error(int column, std::string message) {
  ++line_errors_;
  Add(Severity::kError, Location(column), std::move(message));
}

void ParseContext::Warning(int column, std::string message) {
  Add(Severity::kWarning, Location(column), std::move(message));
}

void ParseContext::ErrorAt(const SourceLocation& where, std::string message) {
  Add(Severity::kError, where, std::move(message));
}

void ParseContext::WarningAt(const SourceLocation& where,
                             std::string message) {
  Add(Severity::kWarning, where, std::move(message));
}

const Token* ParseContext::ValueAfter(size_t i, absl::string_view what) {
  if (i + 1 >= tokens().size()) {
    Error(EndColumn(), absl::StrCat(what, ": missing value"));
    return nullptr;
  }
  return &tokens()[i + 1];
}

std::optional<int64_t> ParseContext::Integer(const Token& token, int64_t min,
                                             int64_t max,
                                             absl::string_view what) {
  absl::string_view text = token.text;
  bool negative = false;
  size_t i = 0;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    i = 1;
  }
  bool ok = i < text.size() && text.size() - i <= 18;
  int64_t value = 0;
  for (; ok && i < text.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      ok = false;
      break;
    }
    value = value * 10 + (text[i] - '0');
  }
  if (!ok) {
    // Digits-only but too long is a range problem, not a syntax one.
    bool all_digits = !text.empty();
    for (size_t j = negative ? 1 : 0; j < text.size(); ++j) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(text[j]))) {
        all_digits = false;
      }
    }
    if (all_digits && text.size() > (negative ? 1u : 0u)) {
      Error(token.column, absl::StrCat(what, ": value ", Quote(text),
                                       " is out of range ", min, "..", max));
    } else {
      Error(token.column,
            absl::StrCat(what, ": ", Quote(text), " is not an integer"));
    }
    return std::nullopt;
  }
  if (negative) value = -value;
  if (value < min || value > max) {
    Error(token.column, absl::StrCat(what, ": value ", Quote(text),
                                     " is out of range ", min, "..", max));
    return std::nullopt;
  }
  return value;
}

namespace {

// ntpd's is_double(): [+-]digits[.digits][(e|E)[+-]digits], at least one
// digit in the mantissa.
bool IsNtpdNumber(absl::string_view text) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  int digits = 0;
  while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
    ++i;
    ++digits;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      ++digits;
    }
  }
  if (digits == 0) return false;
  if (i == text.size()) return true;
  if (text[i] != 'e' && text[i] != 'E') return false;
  ++i;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  int exponent_digits = 0;
  while (i < text.size() &&
         absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
    ++i;
    ++exponent_digits;
  }
  return exponent_digits > 0 && i == text.size();
}

}  // namespace

std::optional<double> ParseContext::Number(const Token& token, double min,
                                           double max,
                                           absl::string_view what) {
  double value = 0;
  if (!IsNtpdNumber(token.text) || !absl::SimpleAtod(token.text, &value)) {
    Error(token.column,
          absl::StrCat(what, ": ", Quote(token.text), " is not a number"));
    return std::nullopt;
  }
  if (!std::isfinite(value) || value < min || value > max) {
    Error(token.column, absl::StrCat(what, ": value ", Quote(token.text),
                                     " is out of range ", min, "..", max));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> ParseContext::Boolean(const Token& token,
                                          absl::string_view what) {
  if (!token.quoted) {
    if (token.text == "1" || token.text == "true") return true;
    if (token.text == "0" || token.text == "false") return false;
  }
  Error(token.column, absl::StrCat(what, ": ", Quote(token.text),
                                   " is not a boolean (0 or 1)"));
  return std::nullopt;
}

std::optional<ConfigPath> ParseContext::Path(const Token& token,
                                             absl::string_view what,
                                             bool allow_empty) {
  if (token.text.empty() && !allow_empty) {
    Error(token.column, absl::StrCat(what, ": empty path"));
    return std::nullopt;
  }
  for (char c : token.text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      Error(token.column, absl::StrCat(what, ": path ", Quote(token.text),
                                       " contains control characters"));
      return std::nullopt;
    }
  }
  ConfigPath path;
  path.as_written = token.text;
  path.path = token.text.empty()
                  ? std::string()
                  : ApplyRootDirectory(options_.root_directory, token.text);
  path.location = Location(token.column);
  return path;
}

bool ParseContext::NoExtraArguments(size_t last_allowed) {
  if (tokens().size() <= last_allowed + 1) return true;
  const Token& extra = tokens()[last_allowed + 1];
  Error(extra.column, absl::StrCat(tokens()[0].text, ": unexpected argument ",
                                   Quote(extra.text)));
  return false;
}

bool ParseFamilyFlag(const Token& token, net::IpAddress::Family& family) {
  if (token.quoted) return false;
  if (token.text == "-4") {
    family = net::IpAddress::Family::kV4;
    return true;
  }
  if (token.text == "-6") {
    family = net::IpAddress::Family::kV6;
    return true;
  }
  return false;
}

std::string CheckHostName(absl::string_view text) {
  if (text.empty()) return "empty host name";
  if (text.size() > 253) return "host name longer than 253 characters";
  size_t label_start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      size_t label_length = i - label_start;
      // A single trailing dot (fully qualified) is fine.
      if (label_length == 0 && !(i == text.size() && i > 0)) {
        return "empty label in host name";
      }
      if (label_length > 63) return "host name label longer than 63 characters";
      if (label_length > 0 &&
          (text[label_start] == '-' || text[i - 1] == '-')) {
        return "host name label starts or ends with '-'";
      }
      label_start = i + 1;
      continue;
    }
    char c = text[i];
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return "invalid character in host name";
    }
  }
  return "";
}

bool LooksNumeric(absl::string_view text) {
  if (text.find(':') != absl::string_view::npos) return true;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') {
      return false;
    }
  }
  return !text.empty();
}

}  // namespace ntp::config_internal
