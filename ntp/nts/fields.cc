// NTS extension fields (see fields.h).
#include "ntp/nts/fields.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ntp/wire/big_endian.h"
#include "ntp/wire/extension_fields.h"
#include "ntp/wire/packet.h"

namespace ntp::nts {
namespace {

size_t Pad4(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

const char* NtsFieldErrorName(NtsFieldError error) {
  switch (error) {
    case NtsFieldError::kNotNtp: return "not_ntp";
    case NtsFieldError::kHasMac: return "has_mac";
    case NtsFieldError::kNoUniqueIdentifier: return "no_unique_identifier";
    case NtsFieldError::kDuplicateField: return "duplicate_field";
    case NtsFieldError::kNoAuthenticator: return "no_authenticator";
    case NtsFieldError::kBadAuthenticator: return "bad_authenticator";
    case NtsFieldError::kShortNonce: return "short_nonce";
  }
  return "unknown";
}

std::optional<NtsFields> ParseNtsFields(absl::Span<const uint8_t> datagram,
                                        NtsFieldError* error) {
  auto fail = [error](NtsFieldError e) {
    *error = e;
    return std::nullopt;
  };
  if (datagram.size() < ntp::kNtpHeaderOctets ||
      ((datagram[0] >> 3) & 7) != 4) {
    return fail(NtsFieldError::kNotNtp);
  }
  auto trailer = ntp::ParsePacketTrailer(
      datagram.subspan(ntp::kNtpHeaderOctets), /*extension_fields_allowed=*/true);
  if (!trailer.ok()) return fail(NtsFieldError::kNotNtp);
  if (trailer.value().mac.has_value()) return fail(NtsFieldError::kHasMac);
  NtsFields out;
  bool have_uid = false;
  for (const ntp::ExtensionField& field : trailer.value().extension_fields) {
    if (out.authenticator.has_value()) {
      ++out.fields_after_authenticator;
      continue;
    }
    switch (field.field_type) {
      case kUniqueIdentifierField:
        if (have_uid) return fail(NtsFieldError::kDuplicateField);
        have_uid = true;
        out.unique_identifier = field.body;
        break;
      case kNtsCookieField:
        if (out.cookie.has_value()) return fail(NtsFieldError::kDuplicateField);
        out.cookie = field.body;
        break;
      case kNtsCookiePlaceholderField:
        ++out.placeholder_count;
        out.placeholder_octets += field.length_octets;
        break;
      case kNtsAuthenticatorField: {
        absl::Span<const uint8_t> body = field.body;
        // RFC 8915 §5.6: Nonce Length, Ciphertext Length, Nonce (padded),
        // Ciphertext (padded), Additional Padding.
        if (body.size() < 4) return fail(NtsFieldError::kBadAuthenticator);
        const size_t nonce_len = ntp::LoadBe16(body.data());
        const size_t ct_len = ntp::LoadBe16(body.data() + 2);
        if (4 + Pad4(nonce_len) + Pad4(ct_len) > body.size() ||
            ct_len < kAesSivTagOctets) {
          return fail(NtsFieldError::kBadAuthenticator);
        }
        if (nonce_len < kMinNtsNonceOctets) {
          return fail(NtsFieldError::kShortNonce);
        }
        NtsAuthenticator auth;
        auth.field_offset = static_cast<size_t>(
            body.data() - ntp::kExtensionFieldHeaderOctets - datagram.data());
        auth.nonce = body.subspan(4, nonce_len);
        auth.ciphertext = body.subspan(4 + Pad4(nonce_len), ct_len);
        out.authenticator = auth;
        break;
      }
      default:
        ++out.other_fields;
        break;
    }
  }
  if (!have_uid || out.unique_identifier.size() < kUniqueIdentifierOctets) {
    return fail(NtsFieldError::kNoUniqueIdentifier);
  }
  return out;
}

size_t FieldOctets(size_t value_octets) {
  return std::max(ntp::kMinExtensionFieldOctets,
                  ntp::kExtensionFieldHeaderOctets + Pad4(value_octets));
}

absl::StatusOr<size_t> EncodeField(uint16_t type,
                                   absl::Span<const uint8_t> value,
                                   absl::Span<uint8_t> out) {
  return ntp::EncodeExtensionField(type, value, out);
}

absl::StatusOr<size_t> EncodePlaceholder(size_t cookie_octets,
                                         absl::Span<uint8_t> out) {
  const size_t total = FieldOctets(cookie_octets);
  if (out.size() < total || total > ntp::kMaxExtensionFieldOctets) {
    return absl::ResourceExhaustedError(
        absl::StrCat("placeholder needs ", total, " octets"));
  }
  std::memset(out.data(), 0, total);
  ntp::StoreBe16(out.data(), kNtsCookiePlaceholderField);
  ntp::StoreBe16(out.data() + 2, static_cast<uint16_t>(total));
  return total;
}

size_t AuthenticatorOctets(size_t plaintext_octets) {
  return FieldOctets(4 + kNtsNonceOctets +
                     Pad4(kAesSivTagOctets + plaintext_octets));
}

absl::StatusOr<size_t> EncodeAuthenticator(
    AesSivCmac256& aead, absl::BitGenRef gen, absl::Span<uint8_t> datagram,
    size_t offset, absl::Span<const uint8_t> plaintext) {
  const size_t ct_len = kAesSivTagOctets + plaintext.size();
  const size_t total = AuthenticatorOctets(plaintext.size());
  if (offset > datagram.size() || datagram.size() - offset < total ||
      total > ntp::kMaxExtensionFieldOctets) {
    return absl::ResourceExhaustedError(
        absl::StrCat("authenticator needs ", total, " octets"));
  }
  uint8_t* field = datagram.data() + offset;
  std::memset(field, 0, total);
  ntp::StoreBe16(field, kNtsAuthenticatorField);
  ntp::StoreBe16(field + 2, static_cast<uint16_t>(total));
  ntp::StoreBe16(field + 4, kNtsNonceOctets);
  ntp::StoreBe16(field + 6, static_cast<uint16_t>(ct_len));
  absl::Span<uint8_t> nonce(field + 8, kNtsNonceOctets);
  FillRandom(gen, nonce);
  absl::StatusOr<size_t> sealed =
      aead.Seal(absl::Span<const uint8_t>(datagram.data(), offset), nonce,
                plaintext,
                absl::Span<uint8_t>(field + 8 + kNtsNonceOctets, ct_len));
  if (!sealed.ok()) return sealed.status();
  return total;
}

void FillRandom(absl::BitGenRef gen, absl::Span<uint8_t> out) {
  size_t i = 0;
  while (i < out.size()) {
    uint64_t word = gen();
    for (int b = 0; b < 8 && i < out.size(); ++b, ++i) {
      out[i] = static_cast<uint8_t>(word >> (8 * b));
    }
  }
}

}  // namespace ntp::nts
