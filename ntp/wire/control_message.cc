#include "ntp/wire/control_message.h"

#include <algorithm>
#include <cstring>

#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

constexpr uint8_t kResponseBit = 0x80;
constexpr uint8_t kErrorBit = 0x40;
constexpr uint8_t kMoreBit = 0x20;
constexpr uint8_t kOpcodeMask = 0x1F;
constexpr size_t kMaxOffsetEnd = 0xFFFF;

constexpr size_t RoundUp4(size_t n) { return (n + 3) & ~size_t{3}; }
constexpr size_t RoundUp8(size_t n) { return (n + 7) & ~size_t{7}; }

bool IsMacLength(size_t octets) {
  return octets == kCryptoNakOctets || octets == kMd5MacOctets ||
         octets == kSha1MacOctets;
}

// Offset rule shared by parse and serialize (RFC 9327 §2: requests carry
// offset 0; an offset past 64 KiB cannot be described).
bool OffsetIsValid(bool is_response, size_t offset, size_t count) {
  if (!is_response && offset != 0) return false;
  return offset + count <= kMaxOffsetEnd;
}

}  // namespace

absl::string_view ControlErrorName(ControlError error) {
  switch (error) {
    case ControlError::kTooShort:
      return "too_short";
    case ControlError::kBadMode:
      return "bad_mode";
    case ControlError::kBadVersion:
      return "bad_version";
    case ControlError::kBadLength:
      return "bad_length";
    case ControlError::kCountBeyondData:
      return "count_beyond_data";
    case ControlError::kCountTooLarge:
      return "count_too_large";
    case ControlError::kBadOffset:
      return "bad_offset";
    case ControlError::kBadPadding:
      return "bad_padding";
    case ControlError::kBadMacLength:
      return "bad_mac_length";
  }
  return "unknown";
}

bool operator==(const ControlMessage& a, const ControlMessage& b) {
  return a.leap == b.leap && a.version == b.version &&
         a.is_response == b.is_response && a.is_error == b.is_error &&
         a.has_more == b.has_more && a.opcode == b.opcode &&
         a.sequence == b.sequence && a.status == b.status &&
         a.association_id == b.association_id && a.offset == b.offset &&
         a.data == b.data && a.pad_to_8_octets == b.pad_to_8_octets &&
         a.mac == b.mac && a.ignored_trailer == b.ignored_trailer;
}

WireResult<ControlMessage, ControlError> ParseControlMessage(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() < kControlHeaderOctets) return ControlError::kTooShort;
  const uint8_t* const p = bytes.data();
  if ((p[0] & 0x7) != static_cast<uint8_t>(Mode::kControl)) {
    return ControlError::kBadMode;
  }
  ControlMessage message;
  message.version = (p[0] >> 3) & 0x7;
  if (message.version < kMinNtpVersion || message.version > kMaxNtpVersion) {
    return ControlError::kBadVersion;
  }
  if (bytes.size() % 4 != 0) return ControlError::kBadLength;
  message.leap = static_cast<LeapIndicator>(p[0] >> 6);
  message.is_response = (p[1] & kResponseBit) != 0;
  message.is_error = (p[1] & kErrorBit) != 0;
  message.has_more = (p[1] & kMoreBit) != 0;
  message.opcode = p[1] & kOpcodeMask;
  message.sequence = LoadBe16(p + 2);
  message.status = LoadBe16(p + 4);
  message.association_id = LoadBe16(p + 6);
  message.offset = LoadBe16(p + 8);
  const size_t count = LoadBe16(p + 10);
  if (count > bytes.size() - kControlHeaderOctets) {
    return ControlError::kCountBeyondData;
  }
  if (count > kMaxControlDataOctets) return ControlError::kCountTooLarge;
  if (!OffsetIsValid(message.is_response, message.offset, count)) {
    return ControlError::kBadOffset;
  }
  const size_t data_end = kControlHeaderOctets + count;
  message.data = bytes.subspan(kControlHeaderOctets, count);

  // Padding runs to the 8-octet boundary or the end, whichever is first.
  // The length is a multiple of 4, so at least 4-alignment is present.
  const size_t mac_start = RoundUp8(data_end);
  const size_t padding_end = std::min(bytes.size(), mac_start);
  for (size_t i = data_end; i < padding_end; ++i) {
    if (p[i] != 0) return ControlError::kBadPadding;
  }
  if (bytes.size() > mac_start) {
    const size_t trailer_octets = bytes.size() - mac_start;
    if (trailer_octets > kMaxMacOctets) {
      message.ignored_trailer = bytes.subspan(mac_start);
    } else if (IsMacLength(trailer_octets)) {
      message.mac =
          MacTrailer{.key_id = LoadBe32(p + mac_start),
                     .digest = bytes.subspan(mac_start + kKeyIdOctets)};
    } else {
      return ControlError::kBadMacLength;
    }
  } else {
    message.pad_to_8_octets = padding_end > RoundUp4(data_end);
  }
  return message;
}

size_t SerializedControlMessageSize(const ControlMessage& message) {
  const size_t data_end = kControlHeaderOctets + message.data.size();
  const bool trailer =
      message.mac.has_value() || !message.ignored_trailer.empty();
  size_t size = (trailer || message.pad_to_8_octets) ? RoundUp8(data_end)
                                                     : RoundUp4(data_end);
  if (message.mac.has_value()) size += message.mac->size_octets();
  size += message.ignored_trailer.size();
  return size;
}

absl::StatusOr<size_t> SerializeControlMessage(const ControlMessage& message,
                                               absl::Span<uint8_t> out) {
  const auto leap = static_cast<uint8_t>(message.leap);
  if (leap > 3 || message.version < kMinNtpVersion ||
      message.version > kMaxNtpVersion || message.opcode > kOpcodeMask) {
    return absl::InvalidArgumentError(
        "control header field out of range (leap 0..3, version 1..4, "
        "opcode 0..31)");
  }
  const size_t count = message.data.size();
  if (count > kMaxControlDataOctets) {
    return absl::InvalidArgumentError(
        "control message data longer than 468 octets");
  }
  if (!OffsetIsValid(message.is_response, message.offset, count)) {
    return absl::InvalidArgumentError(
        "control message offset must be 0 in a request and offset + count "
        "at most 65535");
  }
  if (message.mac.has_value() && !IsMacLength(message.mac->size_octets())) {
    return absl::InvalidArgumentError("MAC digest must be 0, 16 or 20 octets");
  }
  const size_t trailer_octets = message.ignored_trailer.size();
  if (trailer_octets != 0 &&
      (message.mac.has_value() || trailer_octets <= kMaxMacOctets ||
       trailer_octets % 4 != 0)) {
    return absl::InvalidArgumentError(
        "ignored trailer must be a multiple of 4 above 24 octets, without a "
        "MAC");
  }
  const size_t size = SerializedControlMessageSize(message);
  if (out.size() < size) {
    return absl::ResourceExhaustedError(
        "output buffer too small for control message");
  }
  uint8_t* const p = out.data();
  const size_t data_end = kControlHeaderOctets + count;
  const size_t trailer_start =
      size - trailer_octets -
      (message.mac.has_value() ? message.mac->size_octets() : 0);
  // Copy the variable parts before writing the header or padding: `out` may
  // be the buffer the message was parsed from (then each copy is in place).
  if (count != 0)
    std::memmove(p + kControlHeaderOctets, message.data.data(), count);
  if (trailer_octets != 0) {
    std::memmove(p + trailer_start, message.ignored_trailer.data(),
                 trailer_octets);
  }
  if (message.mac.has_value()) {
    const absl::Span<const uint8_t> digest = message.mac->digest;
    if (!digest.empty()) {
      std::memmove(p + trailer_start + kKeyIdOctets, digest.data(),
                   digest.size());
    }
    StoreBe32(p + trailer_start, message.mac->key_id);
  }
  std::memset(p + data_end, 0, trailer_start - data_end);
  p[0] = static_cast<uint8_t>((leap << 6) | (message.version << 3) |
                              static_cast<uint8_t>(Mode::kControl));
  p[1] =
      static_cast<uint8_t>((message.is_response ? kResponseBit : 0) |
                           (message.is_error ? kErrorBit : 0) |
                           (message.has_more ? kMoreBit : 0) | message.opcode);
  StoreBe16(p + 2, message.sequence);
  StoreBe16(p + 4, message.status);
  StoreBe16(p + 6, message.association_id);
  StoreBe16(p + 8, message.offset);
  StoreBe16(p + 10, static_cast<uint16_t>(count));
  return size;
}

}  // namespace ntp
