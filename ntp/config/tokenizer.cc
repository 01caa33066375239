#include "ntp/config/tokenizer.h"

#include "absl/strings/str_format.h"

namespace ntp {
namespace {

bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
         c == '\0';
}

// Tokenizes one physical line (without its '\n').
TokenizedLine TokenizeLine(absl::string_view line, int line_number) {
  TokenizedLine out;
  out.line = line_number;
  size_t i = 0;
  const size_t n = line.size();
  auto add_token = [&](size_t start_index, std::string text, bool quoted) {
    if (text.size() > kMaxTokenBytes) {
      if (!out.token_too_long) {
        out.token_too_long = true;
        out.too_long_column = static_cast<int>(start_index) + 1;
      }
      text.resize(kMaxTokenBytes);
    }
    out.tokens.push_back(
        Token{std::move(text), static_cast<int>(start_index) + 1, quoted});
  };
  while (i < n) {
    char c = line[i];
    if (IsSeparator(c)) {
      ++i;
      continue;
    }
    if (c == '#') break;  // comment to end of line
    const size_t start = i;
    // A word runs up to a separator, a comment or a quote; a quote (at the
    // start or in the middle of a word) continues the same token up to the
    // closing quote or the end of the line, as ntpd's scanner does.
    while (i < n && !IsSeparator(line[i]) && line[i] != '#' &&
           line[i] != '"') {
      ++i;
    }
    std::string text(line.substr(start, i - start));
    bool quoted = false;
    if (i < n && line[i] == '"') {
      quoted = true;
      ++i;
      size_t close = line.find('"', i);
      size_t end = close == absl::string_view::npos ? n : close;
      text.append(line.data() + i, end - i);
      i = close == absl::string_view::npos ? n : close + 1;
    }
    add_token(start, std::move(text), quoted);
    if (i < n && line[i] == '#') break;
  }
  return out;
}

}  // namespace

std::vector<TokenizedLine> TokenizeConfig(absl::string_view text) {
  std::vector<TokenizedLine> lines;
  int line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_number;
    size_t eol = text.find('\n', pos);
    size_t end = eol == absl::string_view::npos ? text.size() : eol;
    TokenizedLine line = TokenizeLine(text.substr(pos, end - pos), line_number);
    if (!line.tokens.empty()) lines.push_back(std::move(line));
    if (eol == absl::string_view::npos) break;
    pos = eol + 1;
  }
  return lines;
}

std::string PrintableToken(absl::string_view text, size_t max_bytes) {
  std::string out;
  const bool cut = text.size() > max_bytes;
  if (cut) text = text.substr(0, max_bytes);
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\\') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02X", u);
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace ntp
