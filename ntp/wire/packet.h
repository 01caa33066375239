// The NTP packet codec (RFC 5905 §7.3): the 48-octet header as typed fields,
// plus views of the extension fields and MAC trailer that follow it (see
// extension_fields.h for how those are told apart). Parse and serialize
// only: which modes to answer, KoD policy and MAC checks live elsewhere.
//
// Round trip: for every datagram x that ParsePacket accepts,
// SerializePacket(ParsePacket(x)) reproduces x byte for byte, and every
// packet SerializePacket writes is accepted by ParsePacket.
//
// Hot path: ParsePacket neither allocates nor throws; a rejection is a
// PacketError value. Mode 6 (control) messages have their own 12-octet
// header: dispatch on PeekMode() and use control_message.h for them.
#ifndef NTP_WIRE_PACKET_H_
#define NTP_WIRE_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ntp/ntp_time.h"
#include "ntp/wire/extension_fields.h"
#include "ntp/wire/packet_error.h"
#include "ntp/wire/wire_result.h"

namespace ntp {

inline constexpr size_t kNtpHeaderOctets = 48;
// Versions this codec accepts (RFC 5905 §7.3; ntpd answers 1..4).
inline constexpr uint8_t kMinNtpVersion = 1;
inline constexpr uint8_t kMaxNtpVersion = 4;
inline constexpr uint8_t kNtpVersion = 4;

// RFC 5905 §7.3, Figure 9.
enum class LeapIndicator : uint8_t {
  kNoWarning = 0,
  kLastMinuteHas61Seconds = 1,
  kLastMinuteHas59Seconds = 2,
  kUnsynchronized = 3,  // alarm condition: clock not synchronized
};

// RFC 5905 §7.3, Figure 10. All eight values are representable and parse.
enum class Mode : uint8_t {
  kReserved = 0,
  kSymmetricActive = 1,
  kSymmetricPassive = 2,
  kClient = 3,
  kServer = 4,
  kBroadcast = 5,
  kControl = 6,  // NTP control message (RFC 9327), see control_message.h
  kPrivate = 7,  // reserved for private use (ntpdc mode 7)
};

// One NTP packet. Spans (extension fields, MAC digest) point into the buffer
// the packet was parsed from, or into caller-owned storage when building
// one; that buffer must outlive the packet. Plain value otherwise.
struct NtpPacket {
  LeapIndicator leap = LeapIndicator::kNoWarning;
  uint8_t version = kNtpVersion;  // 1..4 once parsed
  Mode mode = Mode::kClient;
  // 0 = unspecified or invalid (KoD, see kiss_code.h), 1 = primary,
  // 2..15 secondary, 16 = unsynchronized, 17..255 reserved.
  uint8_t stratum = 0;
  int8_t poll_log2_seconds = 0;       // maximum interval between messages
  int8_t precision_log2_seconds = 0;  // e.g. -20 is about 1 microsecond
  NtpShort root_delay;
  NtpShort root_dispersion;
  // The four octets as a big-endian number: first octet on the wire is the
  // most significant byte (see refid.h).
  uint32_t reference_id = 0;
  NtpTimestamp reference_timestamp;
  NtpTimestamp origin_timestamp;
  NtpTimestamp receive_timestamp;
  NtpTimestamp transmit_timestamp;

  ExtensionFields extension_fields;
  std::optional<MacTrailer> mac;

  // Contents equality (spans compared by content).
  friend bool operator==(const NtpPacket& a, const NtpPacket& b);
};

// Parses one datagram. Rejections, checked in this order: kTooShort
// (< 48 octets), kBadVersion (0 or 5..7), then the trailer after the header
// (kTrailingGarbage, kBadExtensionField, kBadMacLength; see
// extension_fields.h). Every mode 0..7 is accepted.
WireResult<NtpPacket, PacketError> ParsePacket(absl::Span<const uint8_t> bytes);

// The mode from the first octet, or nullopt for an empty datagram. For
// dispatching before a full parse (mode 6 goes to ParseControlMessage).
std::optional<Mode> PeekMode(absl::Span<const uint8_t> bytes);

// Octets SerializePacket will write: 48 + extension fields + MAC.
size_t SerializedSize(const NtpPacket& packet);

// Writes `packet` to the front of `out`, returns the number of octets
// written (SerializedSize). `out` may be the very buffer the packet was
// parsed from (serializing in place after editing header fields); no other
// overlap between `out` and the packet's spans is allowed.
// InvalidArgument: leap, version or mode outside their ranges (version must
// be 1..4); extension fields in a version 1..3 packet; a MAC digest that is
// not 0, 16 or 20 octets; or extension fields and MAC that would parse back
// differently (RFC 7822 §7.5: with no MAC the last field must be >= 28
// octets; a crypto-NAK must follow a field of >= 24 octets).
// ResourceExhausted: `out` is shorter than SerializedSize(packet).
absl::StatusOr<size_t> SerializePacket(const NtpPacket& packet,
                                       absl::Span<uint8_t> out);

// The octets a MAC covers (RFC 5905 §9.2): header plus extension fields.
inline size_t AuthenticatedOctets(const NtpPacket& packet) {
  return kNtpHeaderOctets + packet.extension_fields.bytes().size();
}

}  // namespace ntp

#endif  // NTP_WIRE_PACKET_H_
