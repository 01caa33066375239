// Hex test vectors to bytes, for the NTS tests only.
#ifndef NTP_NTS_TEST_HEX_H_
#define NTP_NTS_TEST_HEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace ntp::nts::testing {

// Spaces are ignored, so vectors can be copied from RFC text as printed.
inline std::vector<uint8_t> Hex(absl::string_view hex) {
  std::string bytes =
      absl::HexStringToBytes(absl::StrReplaceAll(hex, {{" ", ""}}));
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace ntp::nts::testing

#endif  // NTP_NTS_TEST_HEX_H_
