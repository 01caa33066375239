#include "ntp/config/key_list.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ntp/auth/key_id_list.h"

namespace ntp {

void KeyIdSet::InsertRange(uint32_t first, uint32_t last) {
  // Find the first range that ends at or after first - 1 (could merge).
  auto it = std::lower_bound(
      ranges_.begin(), ranges_.end(), first,
      [](const std::pair<uint32_t, uint32_t>& r, uint32_t value) {
        return static_cast<uint64_t>(r.second) + 1 < value;
      });
  // Merge every range that overlaps or touches [first, last].
  auto end = it;
  while (end != ranges_.end() &&
         end->first <= static_cast<uint64_t>(last) + 1) {
    first = std::min(first, end->first);
    last = std::max(last, end->second);
    ++end;
  }
  it = ranges_.erase(it, end);
  ranges_.insert(it, {first, last});
}

void KeyIdSet::InsertAll(const KeyIdSet& other) {
  for (const auto& [first, last] : other.ranges_) InsertRange(first, last);
}

bool KeyIdSet::Contains(uint32_t id) const {
  auto it = std::upper_bound(
      ranges_.begin(), ranges_.end(), id,
      [](uint32_t value, const std::pair<uint32_t, uint32_t>& r) {
        return value < r.first;
      });
  if (it == ranges_.begin()) return false;
  --it;
  return id >= it->first && id <= it->second;
}

uint64_t KeyIdSet::size() const {
  uint64_t n = 0;
  for (const auto& [first, last] : ranges_) n += uint64_t{last} - first + 1;
  return n;
}

std::string KeyIdSet::ToString() const {
  std::string out;
  for (const auto& [first, last] : ranges_) {
    if (!out.empty()) out += ' ';
    if (first == last) {
      absl::StrAppend(&out, first);
    } else {
      absl::StrAppend(&out, "(", first, " ... ", last, ")");
    }
  }
  return out;
}

absl::StatusOr<uint32_t> ParseKeyId(absl::string_view text) {
  uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 10;
  for (char c : text) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || value < kMinKeyId || value > kMaxKeyId) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid key ID '", PrintableToken(text),
                     "' (must be ", kMinKeyId, "..", kMaxKeyId, ")"));
  }
  return static_cast<uint32_t>(value);
}

namespace {

// A token piece after splitting off parentheses.
struct Piece {
  std::string text;
  int column;
};

std::vector<Piece> SplitParentheses(const std::vector<Token>& tokens) {
  std::vector<Piece> pieces;
  for (const Token& token : tokens) {
    if (token.quoted) {  // quoted text is never a parenthesis
      pieces.push_back({token.text, token.column});
      continue;
    }
    size_t start = 0;
    for (size_t i = 0; i <= token.text.size(); ++i) {
      bool at_end = i == token.text.size();
      char c = at_end ? '\0' : token.text[i];
      if (at_end || c == '(' || c == ')') {
        if (i > start) {
          pieces.push_back({token.text.substr(start, i - start),
                            token.column + static_cast<int>(start)});
        }
        if (!at_end) {
          pieces.push_back({std::string(1, c),
                            token.column + static_cast<int>(i)});
        }
        start = i + 1;
      }
    }
  }
  return pieces;
}

}  // namespace

absl::StatusOr<TrustedKeyList> ParseTrustedKeyList(
    const std::vector<Token>& tokens, int* error_column) {
  const std::vector<Piece> pieces = SplitParentheses(tokens);
  std::vector<absl::string_view> words;
  words.reserve(pieces.size());
  for (const Piece& piece : pieces) words.push_back(piece.text);
  // Columns of the words; one past the last is the end of the line.
  auto column = [&](size_t word) {
    if (word < pieces.size()) return pieces[word].column;
    return pieces.empty() ? 0
                          : pieces.back().column +
                                static_cast<int>(pieces.back().text.size());
  };
  size_t error_word = 0;
  absl::StatusOr<TrustedKeyRanges> parsed =
      ParseTrustedKeyWords(words, &error_word);
  if (!parsed.ok()) {
    if (error_column != nullptr) *error_column = column(error_word);
    return parsed.status();
  }
  TrustedKeyList result;
  for (const auto& [first, last] : parsed->ranges) {
    result.keys.InsertRange(first, last);
  }
  for (KeyIdNotice& notice : parsed->notices) {
    result.notices.emplace_back(column(notice.word), std::move(notice.text));
  }
  return result;
}

}  // namespace ntp
