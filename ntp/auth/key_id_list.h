// The key-ID arguments of the ntp.conf directives trustedkey, requestkey and
// controlkey, as ntpd 4.2.8 reads them (ntp_config.c config_auth). The one
// trustedkey parser: ntp/config's parser calls ParseTrustedKeyWords with its
// own tokens. Text in, key IDs and ntpd's notices out.
#ifndef NTP_AUTH_KEY_ID_LIST_H_
#define NTP_AUTH_KEY_ID_LIST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ntp {

// An element ntpd ignores with a notice, in ntpd's words, e.g. "Ignoring
// invalid trustedkey 0, min 1 max 65535."
struct KeyIdNotice {
  size_t word = 0;  // index of the element's first word
  std::string text;
};

struct TrustedKeyRanges {
  // Closed ranges [first, last] in the order given; may overlap.
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  std::vector<KeyIdNotice> notices;
};

// Parses trustedkey's arguments split as ntpd's scanner splits them:
// '(' and ')' are words of their own, "..." must be one. One or more
// elements, each a key ID or a range "( first ... last )". IDs outside
// 1..65535, and ranges with first > last or an end outside 1..65535, are
// dropped with a notice, as ntpd 4.2.8 and ntpsec do. InvalidArgument
// ("trustedkey: ...", naming the offending word) for anything else: no
// words, a word that is not an integer, a malformed range. On failure, if
// `error_word` is not null, it receives the offending word's index, or
// words.size() when the arguments ended too early.
absl::StatusOr<TrustedKeyRanges> ParseTrustedKeyWords(
    absl::Span<const absl::string_view> words, size_t* error_word);

enum class KeyIdDirective : uint8_t { kTrustedKey, kRequestKey, kControlKey };

struct KeyIdList {
  // Ascending, without duplicates.
  std::vector<uint32_t> key_ids;
  // Elements ntpd ignores with a notice (out-of-range IDs and ranges), in
  // ntpd's words, e.g. "Ignoring invalid trustedkey 0, min 1 max 65535."
  std::vector<std::string> notices;
};

// Parses the arguments (the text after the keyword, e.g. "4 8 (10 ... 12)")
// of trustedkey, requestkey or controlkey. A '#' starts a comment.
// * trustedkey: ParseTrustedKeyWords over the text's words ('(' and ')' may
//   touch the numbers).
// * requestkey, controlkey: exactly one key ID in 1..65535 (ntpd stores any
//   integer; an ID outside the range can never name a key, so it is an error
//   here).
// InvalidArgument, naming the directive and the offending token, for
// anything else (missing or extra arguments, a token that is not an
// integer, a malformed range).
absl::StatusOr<KeyIdList> ParseKeyIdList(KeyIdDirective directive,
                                         absl::string_view arguments);

}  // namespace ntp

#endif  // NTP_AUTH_KEY_ID_LIST_H_
