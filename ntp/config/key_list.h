// Symmetric key IDs as ntp.conf names them: one ID (`requestkey 8`,
// `server ... key 8`) or a list with ranges (`trustedkey 4 8 (10 ... 20)`).
// This is the configuration side only; the keys file itself (key types and
// material) is parsed by ntp/auth.
#ifndef NTP_CONFIG_KEY_LIST_H_
#define NTP_CONFIG_KEY_LIST_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ntp/auth/mac.h"
#include "ntp/config/tokenizer.h"

namespace ntp {

// Symmetric key IDs 1..65535 (ntpd's NTP_MAXKEY; 0 means "no key" and larger
// IDs are reserved for Autokey, ntp_auth(5)).
inline constexpr uint32_t kMinKeyId = kMinSymmetricKeyId;
inline constexpr uint32_t kMaxKeyId = kMaxSymmetricKeyId;

// A set of key IDs stored as sorted, disjoint, non-adjacent closed ranges, so
// `trustedkey (1 ... 65535)` costs one entry.
class KeyIdSet {
 public:
  KeyIdSet() = default;

  // Adds [first, last]. REQUIRES: first <= last.
  void InsertRange(uint32_t first, uint32_t last);
  void Insert(uint32_t id) { InsertRange(id, id); }
  void InsertAll(const KeyIdSet& other);

  bool Contains(uint32_t id) const;
  bool empty() const { return ranges_.empty(); }
  // Number of IDs in the set.
  uint64_t size() const;
  // The ranges in increasing order; [first, last] inclusive.
  const std::vector<std::pair<uint32_t, uint32_t>>& ranges() const {
    return ranges_;
  }
  // ntp.conf syntax: "4 8 (10 ... 20)".
  std::string ToString() const;

  friend bool operator==(const KeyIdSet&, const KeyIdSet&) = default;

 private:
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;
};

// Parses one key ID in 1..65535 (decimal digits only). InvalidArgument names
// the text and the allowed range.
absl::StatusOr<uint32_t> ParseKeyId(absl::string_view text);

// `trustedkey`'s arguments: the keys, and the notices for elements ntpd
// ignores (with the 1-based column of each element's first token).
struct TrustedKeyList {
  KeyIdSet keys;
  std::vector<std::pair<int, std::string>> notices;  // column, text
};

// Parses the arguments of `trustedkey` with ntp/auth/key_id_list.h's
// ParseTrustedKeyWords (ntpd 4.2.8's rules: ranges "( FIRST ... LAST )",
// the parentheses may touch the numbers, "..." must be a word of its own;
// out-of-range IDs and empty ranges are ignored with a notice). Quoted
// tokens are never split. On failure returns InvalidArgument and, if
// `error_column` is not null, stores the 1-based column of the offending
// token there (the column of the line's end when a token is missing).
absl::StatusOr<TrustedKeyList> ParseTrustedKeyList(
    const std::vector<Token>& tokens, int* error_column);

}  // namespace ntp

#endif  // NTP_CONFIG_KEY_LIST_H_
