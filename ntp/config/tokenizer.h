// Splits ntp.conf text into lines of tokens, following the lexical rules of
// ntpd 4.2.8's configuration scanner (ntpd/ntp_scanner.c):
//   - one statement per line, no continuation lines; "\n" ends a line and a
//     stray "\r" is whitespace (so CRLF files read the same);
//   - tokens are separated by spaces and tabs (any isspace byte);
//   - "#" starts a comment that runs to the end of the line, even in the
//     middle of a word ("server a#b" is "server a");
//   - a double quote (at the start of a word or inside one) continues the
//     token up to the next double quote or the end of the line (ntpd
//     assumes the missing quote); a "#" or a blank inside quotes is text.
//     Quoted tokens are never keywords.
// Unlike ntpd's scanner this one does not split the special characters
// "{}(),;|=" off as separate tokens; the few directives that use them
// (trustedkey ranges, setvar) split them themselves. Not a parser: no
// keyword knows anything here.
#ifndef NTP_CONFIG_TOKENIZER_H_
#define NTP_CONFIG_TOKENIZER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ntp {

// ntpd's MAX_LEXEME is 1024 + 1 bytes; a longer token is an error.
inline constexpr size_t kMaxTokenBytes = 1024;

struct Token {
  std::string text;    // without quotes for quoted tokens
  int column = 0;      // 1-based byte column of the first character
  bool quoted = false;

  friend bool operator==(const Token&, const Token&) = default;
};

struct TokenizedLine {
  int line = 0;  // 1-based line number
  std::vector<Token> tokens;  // never empty
  // Set when a token is longer than kMaxTokenBytes (its text is truncated
  // to kMaxTokenBytes); the parser reports an error and skips the line.
  bool token_too_long = false;
  int too_long_column = 0;
};

// Returns the non-empty lines of `text` (blank and comment-only lines are
// dropped). Total: any bytes are accepted; NUL is treated as whitespace.
std::vector<TokenizedLine> TokenizeConfig(absl::string_view text);

// Renders `text` for a diagnostic: printable ASCII unchanged, every other
// byte as \xNN, cut to at most `max_bytes` input bytes with "..." appended.
std::string PrintableToken(absl::string_view text, size_t max_bytes = 64);

}  // namespace ntp

#endif  // NTP_CONFIG_TOKENIZER_H_
