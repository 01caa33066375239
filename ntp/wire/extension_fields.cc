#include "ntp/wire/extension_fields.h"

#include <cstring>

#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

// Length of the field at the front of `rest` if it is well formed
// (RFC 7822 §3: >= 16, a multiple of 4, within `rest`), else 0.
size_t CheckedFieldLength(absl::Span<const uint8_t> rest) {
  if (rest.size() < kMinExtensionFieldOctets) return 0;
  const size_t length = LoadBe16(rest.data() + 2);
  if (length < kMinExtensionFieldOctets || length % 4 != 0 ||
      length > rest.size()) {
    return 0;
  }
  return length;
}

}  // namespace

std::optional<ExtensionFields> ExtensionFields::FromBytes(
    absl::Span<const uint8_t> bytes) {
  size_t count = 0;
  for (absl::Span<const uint8_t> rest = bytes; !rest.empty(); ++count) {
    const size_t length = CheckedFieldLength(rest);
    if (length == 0) return std::nullopt;
    rest.remove_prefix(length);
  }
  return ExtensionFields(bytes, count);
}

ExtensionFields::Iterator ExtensionFields::begin() const {
  return Iterator(bytes_);
}

ExtensionFields::Iterator ExtensionFields::end() const {
  return Iterator(bytes_.subspan(bytes_.size()));
}

ExtensionFields::Iterator::Iterator(absl::Span<const uint8_t> rest)
    : rest_(rest) {
  Load();
}

void ExtensionFields::Iterator::Load() {
  // The sequence was validated, but stay total anyway: a malformed remainder
  // ends the iteration instead of reading past the view.
  const size_t length = CheckedFieldLength(rest_);
  if (length == 0) {
    rest_ = rest_.subspan(rest_.size());
    current_ = ExtensionField{};
    return;
  }
  current_.field_type = LoadBe16(rest_.data());
  current_.length_octets = static_cast<uint16_t>(length);
  current_.body = rest_.subspan(kExtensionFieldHeaderOctets,
                                length - kExtensionFieldHeaderOctets);
}

ExtensionFields::Iterator& ExtensionFields::Iterator::operator++() {
  rest_.remove_prefix(current_.length_octets);
  Load();
  return *this;
}

WireResult<PacketTrailer, PacketError> ParsePacketTrailer(
    absl::Span<const uint8_t> after_header, bool extension_fields_allowed) {
  PacketTrailer trailer;
  if (after_header.empty()) return trailer;
  // RFC 7822 §3: fields are multiples of 4 octets; so are all MAC sizes.
  if (after_header.size() % 4 != 0) return PacketError::kTrailingGarbage;

  const uint8_t* const base = after_header.data();
  size_t pos = 0;
  size_t rem = after_header.size();
  size_t field_count = 0;
  while (rem > kMaxMacOctets) {
    // RFC 7822 §7.5: more than 24 octets left, so this is an extension field.
    if (!extension_fields_allowed) return PacketError::kTrailingGarbage;
    const size_t length = LoadBe16(base + pos + 2);
    if (length < kMinExtensionFieldOctets || length % 4 != 0 || length > rem) {
      return PacketError::kBadExtensionField;
    }
    pos += length;
    rem -= length;
    ++field_count;
  }
  trailer.extension_fields =
      ExtensionFields(after_header.subspan(0, pos), field_count);
  if (rem == 0) return trailer;
  if (rem != kCryptoNakOctets && rem != kMd5MacOctets &&
      rem != kSha1MacOctets) {
    return PacketError::kBadMacLength;
  }
  trailer.mac = MacTrailer{
      .key_id = LoadBe32(base + pos),
      .digest = after_header.subspan(pos + kKeyIdOctets, rem - kKeyIdOctets)};
  return trailer;
}

absl::StatusOr<size_t> EncodeExtensionField(uint16_t field_type,
                                            absl::Span<const uint8_t> value,
                                            absl::Span<uint8_t> out,
                                            size_t min_length_octets) {
  if (min_length_octets < kMinExtensionFieldOctets) {
    return absl::InvalidArgumentError(
        "extension field minimum length below 16 octets (RFC 7822 §3)");
  }
  if (min_length_octets > kMaxExtensionFieldOctets ||
      value.size() > kMaxExtensionFieldOctets - kExtensionFieldHeaderOctets) {
    return absl::InvalidArgumentError(
        "extension field longer than 65532 octets");
  }
  size_t length = kExtensionFieldHeaderOctets + value.size();
  length = (length + 3) & ~size_t{3};
  if (length < min_length_octets) length = (min_length_octets + 3) & ~size_t{3};
  if (length > kMaxExtensionFieldOctets) {
    return absl::InvalidArgumentError(
        "extension field longer than 65532 octets");
  }
  if (out.size() < length) {
    return absl::ResourceExhaustedError(
        "output buffer too small for the extension field");
  }
  uint8_t* p = out.data();
  StoreBe16(p, field_type);
  StoreBe16(p + 2, static_cast<uint16_t>(length));
  if (!value.empty()) {
    std::memmove(p + kExtensionFieldHeaderOctets, value.data(), value.size());
  }
  std::memset(p + kExtensionFieldHeaderOctets + value.size(), 0,
              length - kExtensionFieldHeaderOctets - value.size());
  return length;
}

}  // namespace ntp
