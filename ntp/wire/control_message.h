// The NTP control message (mode 6) codec, RFC 9327 §2: the 12-octet header,
// the data, zero padding and an optional MAC. Parse and serialize only: the
// opcodes' meaning, fragment reassembly and MAC checks live elsewhere.
//
// Layout and the rules this codec enforces:
//   0      LI (2) | VN (3) | Mode (3) = 6
//   1      R (response) | E (error) | M (more) | Opcode (5)
//   2..11  Sequence, Status, Association ID, Offset, Count (16 bits each)
//   12..   Count octets of data, then zero padding to a 4-octet boundary.
//   A MAC (key ID + digest) starts at the first 8-octet boundary at or after
//   the end of the data (as ntpd's process_control computes it), the padding
//   before it being zeros; 4, 20 or 24 octets, like the NTP MAC.
//   More than 24 octets after that boundary are not a MAC: ntpd ignores them
//   (ntpstat sends a 576-octet request with count 0), so they are kept as
//   ignored_trailer and parsing succeeds.
// Round trip: SerializeControlMessage(ParseControlMessage(x)) == x for every
// accepted x; parse(serialize(m)) == m for canonical m (see pad_to_8_octets).
#ifndef NTP_WIRE_CONTROL_MESSAGE_H_
#define NTP_WIRE_CONTROL_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ntp/wire/extension_fields.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/wire_result.h"

namespace ntp {

inline constexpr size_t kControlHeaderOctets = 12;
// RFC 9327 §2 (ntpd's CTL_MAX_DATA_LEN): data octets in one message.
inline constexpr size_t kMaxControlDataOctets = 468;

// RFC 9327 §2.1 opcodes, for comparing with ControlMessage::opcode.
enum class ControlOpcode : uint8_t {
  kReadStatus = 1,
  kReadVariables = 2,
  kWriteVariables = 3,
  kReadClockVariables = 4,
  kWriteClockVariables = 5,
  kSetTrap = 6,
  kAsyncMessage = 7,
  kConfigure = 8,
  kSaveConfig = 9,
  kReadMru = 10,
  kReadOrderedList = 11,
  kRequestNonce = 12,
  kUnsetTrap = 31,
};

// RFC 9327 §2: error codes, carried in the high octet of Status when E is set.
enum class ControlErrorCode : uint8_t {
  kUnspecified = 0,
  kPermissionDenied = 1,
  kBadFormat = 2,
  kBadOpcode = 3,
  kUnknownAssociation = 4,
  kUnknownVariable = 5,
  kBadValue = 6,
  kRestricted = 7,
};

// Why ParseControlMessage rejected a datagram (count drops by indexing).
enum class ControlError : uint8_t {
  kTooShort = 0,     // fewer than 12 octets
  kBadMode,          // mode is not 6
  kBadVersion,       // version 0 or 5..7
  kBadLength,        // length not a multiple of 4 (ntpd: BADFMT)
  kCountBeyondData,  // Count larger than the octets after the header
  kCountTooLarge,    // Count above 468
  kBadOffset,        // a request (R = 0) with Offset != 0, or Offset + Count
                     // beyond 65535
  kBadPadding,       // a padding octet before the MAC boundary is not zero
  kBadMacLength,     // 8, 12 or 16 octets where a MAC would be
};
inline constexpr size_t kControlErrorCount = 9;

// Stable snake_case name ("too_short", ...) in static storage.
absl::string_view ControlErrorName(ControlError error);

// One control message. Spans point into the buffer it was parsed from (or
// caller-owned storage when building one), which must outlive it.
struct ControlMessage {
  LeapIndicator leap = LeapIndicator::kNoWarning;
  uint8_t version = 2;       // 1..4; ntpq sends 2 and the reply echoes it
  bool is_response = false;  // R
  bool is_error = false;     // E
  bool has_more = false;     // M: more fragments follow
  uint8_t opcode = 0;        // 0..31, see ControlOpcode
  uint16_t sequence = 0;
  uint16_t status = 0;
  uint16_t association_id = 0;
  uint16_t offset = 0;  // octet offset of `data` in the whole response
  absl::Span<const uint8_t> data;  // Count octets
  // Pad the data with zeros to a multiple of 8 octets (from the start of
  // the message) instead of 4, with no MAC after it. Ignored (8 is used)
  // when a MAC or an ignored trailer follows. The parser sets it only where
  // it changed the length: no MAC/trailer and 4 more zero octets than
  // 4-alignment needs.
  bool pad_to_8_octets = false;
  std::optional<MacTrailer> mac;
  // More than 24 octets after the 8-octet boundary: not a MAC; ntpd ignores
  // them. Empty, or a multiple of 4 above 24 octets.
  absl::Span<const uint8_t> ignored_trailer;

  friend bool operator==(const ControlMessage& a, const ControlMessage& b);
};

// Parses one mode 6 datagram. Rejections in this order: kTooShort,
// kBadMode, kBadVersion, kBadLength, kCountBeyondData, kCountTooLarge,
// kBadOffset, kBadPadding, kBadMacLength. Never allocates.
WireResult<ControlMessage, ControlError> ParseControlMessage(
    absl::Span<const uint8_t> bytes);

// Octets SerializeControlMessage writes for `message`.
size_t SerializedControlMessageSize(const ControlMessage& message);

// Writes `message` to the front of `out`, returns the octets written. `out`
// may be the very buffer the message was parsed from; no other overlap
// between `out` and the message's spans is allowed.
// InvalidArgument: leap, version (1..4) or opcode (0..31) out of range; more
// than 468 data octets; an Offset that would make ParseControlMessage answer
// kBadOffset; a MAC digest not 0, 16 or 20 octets; an ignored_trailer that is
// not a multiple of 4 above 24 octets, or one together with a MAC.
// ResourceExhausted: `out` is too small.
absl::StatusOr<size_t> SerializeControlMessage(const ControlMessage& message,
                                               absl::Span<uint8_t> out);

}  // namespace ntp

#endif  // NTP_WIRE_CONTROL_MESSAGE_H_
