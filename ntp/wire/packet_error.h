// Why ParsePacket rejected a datagram, as an enum a receiver can count drops
// by (an array indexed by the value) without building strings.
#ifndef NTP_WIRE_PACKET_ERROR_H_
#define NTP_WIRE_PACKET_ERROR_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ntp {

enum class PacketError : uint8_t {
  // Fewer than the 48 octets of the RFC 5905 §7.3 header.
  kTooShort = 0,
  // Version number 0 or 5..7 (accepted: 1..4).
  kBadVersion,
  // Octets after the header (or after the last extension field) that can be
  // neither extension fields nor a MAC: their count is not a multiple of 4,
  // or a pre-v4 packet carries more than a MAC (extension fields are NTPv4
  // only, RFC 7822 §3).
  kTrailingGarbage,
  // An extension field whose Length is below 16, not a multiple of 4, or
  // runs past the end of the datagram (RFC 7822 §3).
  kBadExtensionField,
  // 24 or fewer octets remain where only a MAC can be (RFC 7822 §7.5), but
  // not 4 (crypto-NAK), 20 (key ID + 16-octet digest) or 24 (key ID +
  // 20-octet digest). This includes a lone trailing extension field shorter
  // than 28 octets with no MAC after it.
  kBadMacLength,
};
inline constexpr size_t kPacketErrorCount = 5;

// A stable snake_case name ("too_short", "bad_version", ...) for counters
// and logs; points to static storage. "unknown" for out-of-range values.
absl::string_view PacketErrorName(PacketError error);

// An InvalidArgument status naming the reason, for callers that want one.
// Allocates: not for the per-packet path.
absl::Status PacketErrorToStatus(PacketError error);

}  // namespace ntp

#endif  // NTP_WIRE_PACKET_ERROR_H_
