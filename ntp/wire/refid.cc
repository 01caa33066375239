#include "ntp/wire/refid.h"

#include <openssl/evp.h>

#include <array>

#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

bool IsRefIdGraphic(uint8_t c) { return c >= 0x21 && c <= 0x7E; }

}  // namespace

absl::StatusOr<uint32_t> RefIdFromAscii(absl::string_view text) {
  if (text.empty() || text.size() > 4) {
    return absl::InvalidArgumentError(
        "an ASCII reference ID has 1 to 4 characters");
  }
  uint32_t refid = 0;
  for (size_t i = 0; i < 4; ++i) {
    const uint8_t c = i < text.size() ? static_cast<uint8_t>(text[i]) : 0;
    if (i < text.size() && !IsRefIdGraphic(c)) {
      return absl::InvalidArgumentError(
          "an ASCII reference ID holds printable characters other than space");
    }
    refid = (refid << 8) | c;
  }
  return refid;
}

std::string RefIdToText(uint32_t reference_id) {
  std::string text;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const auto c = static_cast<uint8_t>(reference_id >> shift);
    if (c == 0) break;
    text.push_back(IsRefIdGraphic(c) ? static_cast<char>(c) : '.');
  }
  return text;
}

absl::StatusOr<uint32_t> RefIdFromAddress(const net::IpAddress& address) {
  const std::array<uint8_t, 16>& bytes = address.bytes();
  if (address.is_v4()) {
    return LoadBe32(bytes.data());
  }
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_octets = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &digest_octets,
                 EVP_md5(), nullptr) != 1 ||
      digest_octets < 4) {
    return absl::UnavailableError("MD5 is not available from OpenSSL");
  }
  return LoadBe32(digest.data());
}

}  // namespace ntp
