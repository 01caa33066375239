#include "ntp/control/control_vars.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ntp {
namespace {

bool Printable(unsigned char c) { return c >= 0x20 && c <= 0x7e; }

}  // namespace

void ControlVarWriter::Start(absl::string_view name) {
  if (!text_.empty()) text_.append(", ");
  text_.append(name.data(), name.size());
  text_.push_back('=');
}

void ControlVarWriter::Add(absl::string_view name, absl::string_view token) {
  Start(name);
  for (unsigned char c : token) {
    // A token never holds a separator or a quote (they would change the
    // list's structure for the reader).
    text_.push_back(Printable(c) && c != ',' && c != '"' && c != ' ' ? static_cast<char>(c)
                                                                      : '.');
  }
}

void ControlVarWriter::AddVerbatim(absl::string_view name, absl::string_view value) {
  Start(name);
  text_.append(value.data(), value.size());
}

void ControlVarWriter::AddList(const ControlVarWriter& other) {
  if (other.text_.empty()) return;
  if (!text_.empty()) text_.append(", ");
  text_.append(other.text_);
}

void ControlVarWriter::AddQuoted(absl::string_view name, absl::string_view text) {
  Start(name);
  text_.push_back('"');
  for (unsigned char c : text) {
    text_.push_back(Printable(c) && c != '"' ? static_cast<char>(c) : '.');
  }
  text_.push_back('"');
}

void ControlVarWriter::AddInt(absl::string_view name, int64_t value) {
  Start(name);
  absl::StrAppend(&text_, value);
}

void ControlVarWriter::AddHex(absl::string_view name, uint64_t value) {
  Start(name);
  absl::StrAppendFormat(&text_, "0x%x", value);
}

void ControlVarWriter::AddDouble(absl::string_view name, double value, int decimals) {
  Start(name);
  absl::StrAppendFormat(&text_, "%.*f", decimals, value);
}

void ControlVarWriter::AddTimestamp(absl::string_view name, NtpTimestamp value) {
  Start(name);
  absl::StrAppendFormat(&text_, "0x%08x.%08x", value.seconds(), value.fraction());
}

void ControlVarWriter::AddDoubles(absl::string_view name, const double* values, size_t count,
                                  int decimals) {
  Start(name);
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) text_.push_back(' ');
    absl::StrAppendFormat(&text_, "%.*f", decimals, values[i]);
  }
}

std::vector<ControlVariable> ParseControlVariables(absl::string_view text) {
  std::vector<ControlVariable> out;
  size_t i = 0;
  const size_t n = text.size();
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (i < n) {
    while (i < n && (is_space(text[i]) || text[i] == ',')) ++i;
    if (i >= n) break;
    const size_t name_start = i;
    while (i < n && text[i] != '=' && text[i] != ',') ++i;
    ControlVariable var;
    var.name = std::string(absl::StripAsciiWhitespace(text.substr(name_start, i - name_start)));
    if (i < n && text[i] == '=') {
      ++i;
      while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
      if (i < n && text[i] == '"') {
        ++i;
        const size_t start = i;
        while (i < n && text[i] != '"') ++i;
        var.value = std::string(text.substr(start, i - start));
        var.quoted = true;
        if (i < n) ++i;  // the closing quote
        while (i < n && text[i] != ',') ++i;
      } else {
        const size_t start = i;
        while (i < n && text[i] != ',') ++i;
        var.value = std::string(absl::StripAsciiWhitespace(text.substr(start, i - start)));
      }
    }
    if (!var.name.empty()) out.push_back(std::move(var));
  }
  return out;
}

const ControlVariable* FindControlVariable(const std::vector<ControlVariable>& vars,
                                           absl::string_view name) {
  for (const ControlVariable& var : vars) {
    if (var.name == name) return &var;
  }
  return nullptr;
}

std::optional<NtpTimestamp> ParseControlTimestamp(absl::string_view text) {
  if (!absl::ConsumePrefix(&text, "0x") && !absl::ConsumePrefix(&text, "0X")) {
    return std::nullopt;
  }
  const size_t dot = text.find('.');
  if (dot == absl::string_view::npos || dot == 0 || dot > 8 || text.size() - dot - 1 > 8 ||
      text.size() == dot + 1) {
    return std::nullopt;
  }
  uint32_t seconds = 0;
  uint32_t fraction = 0;
  if (!absl::SimpleHexAtoi(text.substr(0, dot), &seconds) ||
      !absl::SimpleHexAtoi(text.substr(dot + 1), &fraction)) {
    return std::nullopt;
  }
  return NtpTimestamp::FromParts(seconds, fraction);
}

std::string EscapeForDisplay(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (Printable(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    }
  }
  return out;
}

std::string FormatControlRefId(uint32_t refid, int stratum) {
  const uint8_t octets[4] = {static_cast<uint8_t>(refid >> 24),
                             static_cast<uint8_t>(refid >> 16),
                             static_cast<uint8_t>(refid >> 8), static_cast<uint8_t>(refid)};
  if (stratum >= 2 && stratum <= 15) {
    return absl::StrFormat("%d.%d.%d.%d", octets[0], octets[1], octets[2], octets[3]);
  }
  std::string out;
  int length = 4;
  while (length > 0 && octets[length - 1] == 0) --length;
  for (int i = 0; i < length; ++i) {
    const unsigned char c = octets[i];
    out.push_back(Printable(c) && c != ',' && c != '"' && c != ' ' ? static_cast<char>(c) : '.');
  }
  return out;
}

}  // namespace ntp
