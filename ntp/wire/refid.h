// Reference ID helpers (RFC 5905 §7.3): the 32-bit field as an ASCII code
// ("LOCL", "GPS", kiss codes), an IPv4 address, or the first four octets of
// the MD5 hash of an IPv6 address. A refid is held as a big-endian number:
// the first octet on the wire is the most significant byte.
#ifndef NTP_WIRE_REFID_H_
#define NTP_WIRE_REFID_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/address.h"

namespace ntp {

// A compile-time ASCII refid, left-justified and NUL-padded:
// AsciiRefId("GPS") == 0x47505300.
template <size_t N>
constexpr uint32_t AsciiRefId(const char (&text)[N]) {
  static_assert(N >= 2 && N <= 5, "an ASCII refid has 1 to 4 characters");
  uint32_t refid = 0;
  for (size_t i = 0; i < 4; ++i) {
    const uint8_t c = i + 1 < N ? static_cast<uint8_t>(text[i]) : 0;
    refid = (refid << 8) | c;
  }
  return refid;
}

// Run-time form of AsciiRefId. InvalidArgument unless `text` has 1 to 4
// characters, each printable ASCII other than space (0x21..0x7E).
absl::StatusOr<uint32_t> RefIdFromAscii(absl::string_view text);

// The refid read as text: the octets up to the first NUL, with any octet
// outside 0x21..0x7E shown as '.'. RefIdToText(AsciiRefId("LOCL")) == "LOCL".
std::string RefIdToText(uint32_t reference_id);

// The refid a server at stratum >= 2 advertises for an upstream reached at
// `address` (RFC 5905 §7.3): the IPv4 address itself, or for IPv6 the first
// four octets of MD5 over the 16 address octets (as ntpd's addr2refid).
// Unavailable: this OpenSSL build refuses MD5 (e.g. a FIPS-only provider).
absl::StatusOr<uint32_t> RefIdFromAddress(const net::IpAddress& address);

}  // namespace ntp

#endif  // NTP_WIRE_REFID_H_
