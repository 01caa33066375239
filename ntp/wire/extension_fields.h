// The octets after the 48-octet NTP header: extension fields (RFC 7822) and
// the MAC trailer (RFC 5905 §7.3, §9.2). Parsing yields views into the
// caller's buffer: no length field ever sizes an allocation, nothing is
// copied. Computing or checking a MAC is ntp/auth's job, not this file's.
//
// How the trailer is split (RFC 7822 §7.5; the same loop as ntpd 4.2.8):
//   rem = octets left after the header; rem must be a multiple of 4.
//   while rem > 0:
//     rem <= 24: it is the MAC; 4 = crypto-NAK (key ID only), 20 = key ID +
//                16-octet digest (MD5, AES-CMAC), 24 = key ID + 20-octet
//                digest (SHA-1); 8, 12, 16 are rejected (kBadMacLength).
//     rem >  24: it is an extension field (NTPv4 only): Length >= 16, a
//                multiple of 4, within rem; skip it.
// Consequences, all as RFC 7822 requires: with no MAC the last extension
// field must be at least 28 octets (a trailing 16..24-octet field is read as
// a MAC: 20 or 24 octets parse as one, 16 is kBadMacLength), other fields at
// least 16. Unknown field types are accepted and reported like known ones;
// what to do with them is the caller's policy.
#ifndef NTP_WIRE_EXTENSION_FIELDS_H_
#define NTP_WIRE_EXTENSION_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ntp/wire/packet_error.h"
#include "ntp/wire/wire_result.h"

namespace ntp {

// RFC 7822 §3: Field Type (16 bits) and Length (16 bits).
inline constexpr size_t kExtensionFieldHeaderOctets = 4;
// RFC 7822 §3: every extension field is at least 16 octets.
inline constexpr size_t kMinExtensionFieldOctets = 16;
// RFC 7822 §7.5: with no MAC, the last extension field is at least 28 octets.
inline constexpr size_t kMinLastExtensionFieldOctets = 28;
// The largest Length that is a multiple of 4 and fits in 16 bits.
inline constexpr size_t kMaxExtensionFieldOctets = 65532;

// MAC trailer sizes (RFC 5905 §7.3 and §9.2; RFC 8573 for AES-CMAC).
inline constexpr size_t kKeyIdOctets = 4;
inline constexpr size_t kCryptoNakOctets = 4;  // key ID only
inline constexpr size_t kMd5MacOctets = 20;    // also AES-128-CMAC
inline constexpr size_t kSha1MacOctets = 24;
inline constexpr size_t kMaxMacOctets = 24;

struct PacketTrailer;

// One extension field, viewed in place.
struct ExtensionField {
  uint16_t field_type = 0;
  // Length from the field header: the whole field in octets, header and
  // padding included (>= 16, a multiple of 4).
  uint16_t length_octets = 0;
  // The Value and its padding (length_octets - 4 octets). Where the value
  // ends inside it is the field type's business.
  absl::Span<const uint8_t> body;
};

// A validated sequence of extension fields: a view into someone else's
// buffer, which must outlive it. Each field is >= 16 octets and a multiple of
// 4, and the Lengths add up to exactly bytes().size(). Cheap to copy.
class ExtensionFields {
 public:
  class Iterator;

  // The empty sequence.
  ExtensionFields() = default;
  // Validates `bytes` as a complete sequence of extension fields. Returns
  // nullopt if any field is shorter than 16 octets, not a multiple of 4, or
  // runs past the end. Does not apply the 28-octet last-field rule: that
  // depends on whether a MAC follows (SerializePacket checks it).
  static std::optional<ExtensionFields> FromBytes(
      absl::Span<const uint8_t> bytes);

  absl::Span<const uint8_t> bytes() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }
  // Number of fields (counted during validation, not recomputed).
  size_t field_count() const { return field_count_; }

  Iterator begin() const;
  Iterator end() const;

  // Contents equality.
  friend bool operator==(const ExtensionFields& a, const ExtensionFields& b) {
    return a.bytes_ == b.bytes_;
  }

 private:
  ExtensionFields(absl::Span<const uint8_t> bytes, size_t field_count)
      : bytes_(bytes), field_count_(field_count) {}
  friend WireResult<PacketTrailer, PacketError> ParsePacketTrailer(
      absl::Span<const uint8_t>, bool);

  absl::Span<const uint8_t> bytes_;
  size_t field_count_ = 0;
};

// Forward iterator over a validated ExtensionFields.
class ExtensionFields::Iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = ExtensionField;
  using difference_type = std::ptrdiff_t;
  using pointer = const ExtensionField*;
  using reference = const ExtensionField&;

  Iterator() = default;
  reference operator*() const { return current_; }
  pointer operator->() const { return &current_; }
  Iterator& operator++();
  Iterator operator++(int) {
    Iterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const Iterator& a, const Iterator& b) {
    return a.rest_.data() == b.rest_.data() && a.rest_.size() == b.rest_.size();
  }

 private:
  friend class ExtensionFields;
  explicit Iterator(absl::Span<const uint8_t> rest);
  void Load();

  absl::Span<const uint8_t> rest_;  // starts at current_
  ExtensionField current_;
};

// The MAC trailer: a key ID and a digest, viewed in place.
struct MacTrailer {
  uint32_t key_id = 0;
  // 0 octets (crypto-NAK), 16 (MD5 or AES-128-CMAC) or 20 (SHA-1).
  absl::Span<const uint8_t> digest;

  // RFC 5905 §9.2: a MAC with only a key ID (the sender's "cannot
  // authenticate" reply; the key ID is 0 by convention, not checked here).
  bool IsCryptoNak() const { return digest.empty(); }
  size_t size_octets() const { return kKeyIdOctets + digest.size(); }

  friend bool operator==(const MacTrailer& a, const MacTrailer& b) {
    return a.key_id == b.key_id && a.digest == b.digest;
  }
};

// What follows the header, split per the rule at the top of this file.
struct PacketTrailer {
  ExtensionFields extension_fields;
  std::optional<MacTrailer> mac;
};

// Splits `after_header` (every octet after the 48-octet header). With
// `extension_fields_allowed` false (versions 1..3), anything but nothing or
// a MAC is kTrailingGarbage. Other rejections: kTrailingGarbage (not a
// multiple of 4), kBadExtensionField, kBadMacLength (see PacketError).
WireResult<PacketTrailer, PacketError> ParsePacketTrailer(
    absl::Span<const uint8_t> after_header, bool extension_fields_allowed);

// Writes one extension field to the front of `out`: the header, `value`,
// then zero padding up to a multiple of 4 and at least `min_length_octets`
// (use kMinLastExtensionFieldOctets for a last field with no MAC after it).
// Returns the number of octets written.
// InvalidArgument: min_length_octets < 16 or the field would exceed 65532
// octets. ResourceExhausted: `out` is too small.
absl::StatusOr<size_t> EncodeExtensionField(
    uint16_t field_type, absl::Span<const uint8_t> value,
    absl::Span<uint8_t> out,
    size_t min_length_octets = kMinExtensionFieldOctets);

}  // namespace ntp

#endif  // NTP_WIRE_EXTENSION_FIELDS_H_
