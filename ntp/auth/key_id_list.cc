#include "ntp/auth/key_id_list.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "ntp/auth/mac.h"

namespace ntp {
namespace {

absl::string_view DirectiveName(KeyIdDirective directive) {
  switch (directive) {
    case KeyIdDirective::kTrustedKey:
      return "trustedkey";
    case KeyIdDirective::kRequestKey:
      return "requestkey";
    case KeyIdDirective::kControlKey:
      return "controlkey";
  }
  return "keyid";
}

bool IsConfigSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

// ntpd's scanner: whitespace separates tokens, '(' and ')' are tokens of
// their own, '#' starts a comment.
std::vector<absl::string_view> TokenizeArguments(absl::string_view text) {
  const size_t hash = text.find('#');
  if (hash != absl::string_view::npos) text = text.substr(0, hash);
  std::vector<absl::string_view> tokens;
  tokens.reserve(8);
  size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (IsConfigSpace(c)) {
      ++pos;
    } else if (c == '(' || c == ')') {
      tokens.push_back(text.substr(pos, 1));
      ++pos;
    } else {
      const size_t start = pos;
      while (pos < text.size() && !IsConfigSpace(text[pos]) &&
             text[pos] != '(' && text[pos] != ')') {
        ++pos;
      }
      tokens.push_back(text.substr(start, pos - start));
    }
  }
  return tokens;
}

// An integer as ntpd's scanner sees one: optional '-', then digits.
struct ParsedInteger {
  int64_t value = 0;  // saturated at +-kSaturation
  std::string text;   // for messages: the value, or the token if saturated
};

std::optional<ParsedInteger> ParseConfigInteger(absl::string_view token) {
  const bool negative = !token.empty() && token[0] == '-';
  const absl::string_view digits = negative ? token.substr(1) : token;
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return std::nullopt;
  }
  constexpr int64_t kSaturation = int64_t{1} << 40;
  int64_t magnitude = 0;
  for (char c : digits) {
    magnitude = std::min<int64_t>(kSaturation, magnitude * 10 + (c - '0'));
  }
  ParsedInteger result;
  result.value = negative ? -magnitude : magnitude;
  result.text = magnitude == kSaturation ? std::string(token)
                                         : absl::StrCat(result.value);
  return result;
}

bool IsValidKeyId(int64_t value) {
  return value >= kMinSymmetricKeyId && value <= kMaxSymmetricKeyId;
}

// A failure of ParseTrustedKeyWords at word `at` (words.size() or beyond:
// the arguments ended).
absl::Status TrustedKeyError(absl::Span<const absl::string_view> words,
                             size_t at, size_t* error_word,
                             std::string message) {
  if (error_word != nullptr) *error_word = std::min(at, words.size());
  return absl::InvalidArgumentError(std::move(message));
}

absl::Status MalformedRange(absl::Span<const absl::string_view> words,
                            size_t at, size_t* error_word) {
  return TrustedKeyError(
      words, at, error_word,
      absl::StrCat("trustedkey: malformed range, expected '(first ... last)' "
                   "but ",
                   at < words.size() ? absl::StrCat("found '", words[at], "'")
                                     : std::string("the arguments ended")));
}

// The range "( first ... last )" starting at words[i] == "("; adds it (or
// ntpd's notice) to `out`.
absl::Status ParseTrustedKeyRange(absl::Span<const absl::string_view> words,
                                  size_t i, size_t* error_word,
                                  TrustedKeyRanges& out) {
  const std::optional<ParsedInteger> first =
      i + 1 < words.size() ? ParseConfigInteger(words[i + 1]) : std::nullopt;
  if (!first.has_value()) return MalformedRange(words, i + 1, error_word);
  if (i + 2 >= words.size() || words[i + 2] != "...") {
    return MalformedRange(words, i + 2, error_word);
  }
  const std::optional<ParsedInteger> last =
      i + 3 < words.size() ? ParseConfigInteger(words[i + 3]) : std::nullopt;
  if (!last.has_value()) return MalformedRange(words, i + 3, error_word);
  if (i + 4 >= words.size() || words[i + 4] != ")") {
    return MalformedRange(words, i + 4, error_word);
  }
  if (first->value > last->value || !IsValidKeyId(first->value) ||
      !IsValidKeyId(last->value)) {
    out.notices.push_back(
        {i, absl::StrCat("Ignoring invalid trustedkey range ", first->text,
                         " ... ", last->text, ", min 1 max 65535.")});
  } else {
    out.ranges.emplace_back(static_cast<uint32_t>(first->value),
                            static_cast<uint32_t>(last->value));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyIdList> ParseTrustedKeys(
    const std::vector<absl::string_view>& tokens) {
  absl::StatusOr<TrustedKeyRanges> parsed =
      ParseTrustedKeyWords(tokens, nullptr);
  if (!parsed.ok()) return parsed.status();
  KeyIdList result;
  for (KeyIdNotice& notice : parsed->notices) {
    result.notices.push_back(std::move(notice.text));
  }
  // Merged and expanded here, so a range like (1 ... 65535) costs one pass
  // over its output.
  std::sort(parsed->ranges.begin(), parsed->ranges.end());
  uint32_t next = 0;  // smallest ID not yet emitted
  for (const auto& [first, last] : parsed->ranges) {
    for (uint32_t id = std::max(first, next); id <= last; ++id) {
      result.key_ids.push_back(id);
    }
    next = std::max(next, last + 1);
  }
  return result;
}

absl::StatusOr<KeyIdList> ParseSingleKeyId(
    absl::string_view name, const std::vector<absl::string_view>& tokens) {
  if (tokens.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": missing key id"));
  }
  std::optional<ParsedInteger> id = ParseConfigInteger(tokens[0]);
  if (!id.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": '", tokens[0], "' is not a key id"));
  }
  if (tokens.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": unexpected '", tokens[1], "' after the key id"));
  }
  if (!IsValidKeyId(id->value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": key id ", id->text, " is outside 1..65535"));
  }
  KeyIdList result;
  result.key_ids.push_back(static_cast<uint32_t>(id->value));
  return result;
}

}  // namespace

absl::StatusOr<TrustedKeyRanges> ParseTrustedKeyWords(
    absl::Span<const absl::string_view> words, size_t* error_word) {
  if (words.empty()) {
    return TrustedKeyError(words, 0, error_word,
                           "trustedkey: missing key id");
  }
  TrustedKeyRanges result;
  size_t i = 0;
  while (i < words.size()) {
    const absl::string_view word = words[i];
    if (word == "(") {
      absl::Status range = ParseTrustedKeyRange(words, i, error_word, result);
      if (!range.ok()) return range;
      i += 5;
      continue;
    }
    if (word == ")") {
      return TrustedKeyError(words, i, error_word,
                             "trustedkey: ')' without '('");
    }
    std::optional<ParsedInteger> id = ParseConfigInteger(word);
    if (!id.has_value()) {
      return TrustedKeyError(
          words, i, error_word,
          absl::StrCat("trustedkey: '", word,
                       "' is not a key id or a range '(first ... last)'"));
    }
    if (IsValidKeyId(id->value)) {
      const auto value = static_cast<uint32_t>(id->value);
      result.ranges.emplace_back(value, value);
    } else {
      // ntp_config.c config_auth(), ntpd 4.2.8 (ntpsec prefixes "CONFIG: ").
      result.notices.push_back({i, absl::StrCat("Ignoring invalid trustedkey ",
                                                id->text, ", min 1 max 65535.")});
    }
    ++i;
  }
  return result;
}

absl::StatusOr<KeyIdList> ParseKeyIdList(KeyIdDirective directive,
                                         absl::string_view arguments) {
  const std::vector<absl::string_view> tokens = TokenizeArguments(arguments);
  if (directive == KeyIdDirective::kTrustedKey) return ParseTrustedKeys(tokens);
  return ParseSingleKeyId(DirectiveName(directive), tokens);
}

}  // namespace ntp
