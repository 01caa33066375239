#include "ntp/wire/packet.h"

#include <cstring>

#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

// RFC 5905 §7.3, Figure 8: octet offsets in the header.
constexpr size_t kRootDelayOffset = 4;
constexpr size_t kRootDispersionOffset = 8;
constexpr size_t kReferenceIdOffset = 12;
constexpr size_t kReferenceTimestampOffset = 16;
constexpr size_t kOriginTimestampOffset = 24;
constexpr size_t kReceiveTimestampOffset = 32;
constexpr size_t kTransmitTimestampOffset = 40;

}  // namespace

bool operator==(const NtpPacket& a, const NtpPacket& b) {
  return a.leap == b.leap && a.version == b.version && a.mode == b.mode &&
         a.stratum == b.stratum && a.poll_log2_seconds == b.poll_log2_seconds &&
         a.precision_log2_seconds == b.precision_log2_seconds &&
         a.root_delay == b.root_delay &&
         a.root_dispersion == b.root_dispersion &&
         a.reference_id == b.reference_id &&
         a.reference_timestamp == b.reference_timestamp &&
         a.origin_timestamp == b.origin_timestamp &&
         a.receive_timestamp == b.receive_timestamp &&
         a.transmit_timestamp == b.transmit_timestamp &&
         a.extension_fields == b.extension_fields && a.mac == b.mac;
}

WireResult<NtpPacket, PacketError> ParsePacket(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() < kNtpHeaderOctets) return PacketError::kTooShort;
  const uint8_t* const p = bytes.data();
  NtpPacket packet;
  // Octet 0: LI (2 bits) | VN (3 bits) | Mode (3 bits).
  packet.version = (p[0] >> 3) & 0x7;
  if (packet.version < kMinNtpVersion || packet.version > kMaxNtpVersion) {
    return PacketError::kBadVersion;
  }
  packet.leap = static_cast<LeapIndicator>(p[0] >> 6);
  packet.mode = static_cast<Mode>(p[0] & 0x7);
  packet.stratum = p[1];
  packet.poll_log2_seconds = static_cast<int8_t>(p[2]);
  packet.precision_log2_seconds = static_cast<int8_t>(p[3]);
  packet.root_delay = NtpShort::FromRaw(LoadBe32(p + kRootDelayOffset));
  packet.root_dispersion =
      NtpShort::FromRaw(LoadBe32(p + kRootDispersionOffset));
  packet.reference_id = LoadBe32(p + kReferenceIdOffset);
  packet.reference_timestamp =
      NtpTimestamp::FromRaw(LoadBe64(p + kReferenceTimestampOffset));
  packet.origin_timestamp =
      NtpTimestamp::FromRaw(LoadBe64(p + kOriginTimestampOffset));
  packet.receive_timestamp =
      NtpTimestamp::FromRaw(LoadBe64(p + kReceiveTimestampOffset));
  packet.transmit_timestamp =
      NtpTimestamp::FromRaw(LoadBe64(p + kTransmitTimestampOffset));
  if (bytes.size() > kNtpHeaderOctets) {
    WireResult<PacketTrailer, PacketError> trailer = ParsePacketTrailer(
        bytes.subspan(kNtpHeaderOctets), packet.version >= 4);
    if (!trailer.ok()) return trailer.error();
    packet.extension_fields = trailer->extension_fields;
    packet.mac = trailer->mac;
  }
  return packet;
}

std::optional<Mode> PeekMode(absl::Span<const uint8_t> bytes) {
  if (bytes.empty()) return std::nullopt;
  return static_cast<Mode>(bytes[0] & 0x7);
}

size_t SerializedSize(const NtpPacket& packet) {
  return kNtpHeaderOctets + packet.extension_fields.bytes().size() +
         (packet.mac.has_value() ? packet.mac->size_octets() : 0);
}

absl::StatusOr<size_t> SerializePacket(const NtpPacket& packet,
                                       absl::Span<uint8_t> out) {
  const auto leap = static_cast<uint8_t>(packet.leap);
  const auto mode = static_cast<uint8_t>(packet.mode);
  if (leap > 3 || mode > 7 || packet.version < kMinNtpVersion ||
      packet.version > kMaxNtpVersion) {
    return absl::InvalidArgumentError(
        "NTP header field out of range (leap 0..3, version 1..4, mode 0..7)");
  }
  const size_t size = SerializedSize(packet);
  if (out.size() < size) {
    return absl::ResourceExhaustedError("output buffer too small for packet");
  }
  uint8_t* const p = out.data();
  // `out` may be the buffer the packet was parsed from, in which case each
  // span is copied onto itself: memmove keeps that well defined.
  const absl::Span<const uint8_t> fields = packet.extension_fields.bytes();
  if (!fields.empty()) {
    std::memmove(p + kNtpHeaderOctets, fields.data(), fields.size());
  }
  if (packet.mac.has_value()) {
    uint8_t* const mac = p + kNtpHeaderOctets + fields.size();
    const absl::Span<const uint8_t> digest = packet.mac->digest;
    if (!digest.empty()) {
      std::memmove(mac + kKeyIdOctets, digest.data(), digest.size());
    }
    StoreBe32(mac, packet.mac->key_id);
  }
  p[0] = static_cast<uint8_t>((leap << 6) | (packet.version << 3) | mode);
  p[1] = packet.stratum;
  p[2] = static_cast<uint8_t>(packet.poll_log2_seconds);
  p[3] = static_cast<uint8_t>(packet.precision_log2_seconds);
  StoreBe32(p + kRootDelayOffset, packet.root_delay.raw());
  StoreBe32(p + kRootDispersionOffset, packet.root_dispersion.raw());
  StoreBe32(p + kReferenceIdOffset, packet.reference_id);
  StoreBe64(p + kReferenceTimestampOffset, packet.reference_timestamp.raw());
  StoreBe64(p + kOriginTimestampOffset, packet.origin_timestamp.raw());
  StoreBe64(p + kReceiveTimestampOffset, packet.receive_timestamp.raw());
  StoreBe64(p + kTransmitTimestampOffset, packet.transmit_timestamp.raw());

  if (size > kNtpHeaderOctets) {
    // Promise: what we write parses back to the same split. Re-walking the
    // written trailer is the simplest exact check of every RFC 7822 rule.
    WireResult<PacketTrailer, PacketError> check =
        ParsePacketTrailer(absl::Span<const uint8_t>(p + kNtpHeaderOctets,
                                                     size - kNtpHeaderOctets),
                           packet.version >= 4);
    if (!check.ok() ||
        check->extension_fields.bytes().size() != fields.size() ||
        check->mac.has_value() != packet.mac.has_value()) {
      return absl::InvalidArgumentError(
          "extension fields and MAC would not parse back as given "
          "(RFC 7822 §7.5 length rules, or extension fields before NTPv4)");
    }
  }
  return size;
}

}  // namespace ntp
