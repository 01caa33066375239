#include "ntp/config/key_list.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

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

absl::StatusOr<KeyIdSet> ParseKeyIdList(const std::vector<Token>& tokens,
                                        int* error_column) {
  auto fail = [&](int column, std::string message) -> absl::Status {
    if (error_column != nullptr) *error_column = column;
    return absl::InvalidArgumentError(std::move(message));
  };
  const std::vector<Piece> pieces = SplitParentheses(tokens);
  if (pieces.empty()) return fail(0, "missing key ID list");
  const int end_column =
      pieces.back().column + static_cast<int>(pieces.back().text.size());
  KeyIdSet keys;
  size_t i = 0;
  auto expect = [&](absl::string_view what) -> absl::Status {
    if (i >= pieces.size()) {
      return fail(end_column,
                  absl::StrCat("key range: expected ", what,
                               " before the end of the line"));
    }
    return absl::OkStatus();
  };
  while (i < pieces.size()) {
    const Piece& piece = pieces[i];
    if (piece.text == "(") {
      ++i;
      if (absl::Status s = expect("a key ID"); !s.ok()) return s;
      const Piece& first_piece = pieces[i];
      absl::StatusOr<uint32_t> first = ParseKeyId(first_piece.text);
      if (!first.ok()) {
        return fail(first_piece.column, std::string(first.status().message()));
      }
      ++i;
      if (absl::Status s = expect("'...'"); !s.ok()) return s;
      if (pieces[i].text != "...") {
        return fail(pieces[i].column,
                    absl::StrCat("key range: expected '...' but found '",
                                 PrintableToken(pieces[i].text), "'"));
      }
      ++i;
      if (absl::Status s = expect("a key ID"); !s.ok()) return s;
      const Piece& last_piece = pieces[i];
      absl::StatusOr<uint32_t> last = ParseKeyId(last_piece.text);
      if (!last.ok()) {
        return fail(last_piece.column, std::string(last.status().message()));
      }
      ++i;
      if (absl::Status s = expect("')'"); !s.ok()) return s;
      if (pieces[i].text != ")") {
        return fail(pieces[i].column,
                    absl::StrCat("key range: expected ')' but found '",
                                 PrintableToken(pieces[i].text), "'"));
      }
      ++i;
      if (*first > *last) {
        return fail(first_piece.column,
                    absl::StrCat("key range (", *first, " ... ", *last,
                                 ") is empty: first is larger than last"));
      }
      keys.InsertRange(*first, *last);
      continue;
    }
    absl::StatusOr<uint32_t> id = ParseKeyId(piece.text);
    if (!id.ok()) return fail(piece.column, std::string(id.status().message()));
    keys.Insert(*id);
    ++i;
  }
  return keys;
}

}  // namespace ntp
