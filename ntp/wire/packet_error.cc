#include "ntp/wire/packet_error.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace ntp {

absl::string_view PacketErrorName(PacketError error) {
  switch (error) {
    case PacketError::kTooShort:
      return "too_short";
    case PacketError::kBadVersion:
      return "bad_version";
    case PacketError::kTrailingGarbage:
      return "trailing_garbage";
    case PacketError::kBadExtensionField:
      return "bad_extension_field";
    case PacketError::kBadMacLength:
      return "bad_mac_length";
  }
  return "unknown";
}

absl::Status PacketErrorToStatus(PacketError error) {
  return absl::InvalidArgumentError(
      absl::StrCat("NTP packet rejected: ", PacketErrorName(error)));
}

}  // namespace ntp
