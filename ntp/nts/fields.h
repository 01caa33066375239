// The NTS extension fields of an NTP datagram (RFC 8915 §5): Unique
// Identifier, NTS Cookie, NTS Cookie Placeholder, and NTS Authenticator and
// Encrypted Extension Fields. Parsing yields views into the caller's buffer
// and never allocates; encoding writes into caller-owned buffers. Which keys
// open what is client.h's and server.h's business.
#ifndef NTP_NTS_FIELDS_H_
#define NTP_NTS_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ntp/nts/aead.h"

namespace ntp::nts {

// RFC 8915 §7.5 (IANA "NTP Extension Field Types").
inline constexpr uint16_t kUniqueIdentifierField = 0x0104;
inline constexpr uint16_t kNtsCookieField = 0x0204;
inline constexpr uint16_t kNtsCookiePlaceholderField = 0x0304;
inline constexpr uint16_t kNtsAuthenticatorField = 0x0404;

// RFC 8915 §5.3: the Unique Identifier is at least 32 octets; ours are 32.
inline constexpr size_t kUniqueIdentifierOctets = 32;
// Our nonces (RFC 8915 §5.6 requires at least 16 octets from senders using
// AES-SIV-CMAC-256, whose N_MIN is 1).
inline constexpr size_t kNtsNonceOctets = 16;
inline constexpr size_t kMinNtsNonceOctets = 16;
// RFC 8915 §5.7: a client keeps and asks for at most 8 cookies.
inline constexpr size_t kMaxCookies = 8;

// Why a datagram's NTS fields were refused (each is a counted drop).
enum class NtsFieldError : uint8_t {
  kNotNtp,                // not a parseable NTPv4 datagram with fields
  kHasMac,                // a legacy MAC trailer next to NTS fields
  kNoUniqueIdentifier,    // none, or shorter than 32 octets
  kDuplicateField,        // two Unique Identifiers, cookies or authenticators
  kNoAuthenticator,       // (for requests and replies, not NAKs)
  kBadAuthenticator,      // lengths inconsistent with the field
  kShortNonce,            // nonce under 16 octets
};
const char* NtsFieldErrorName(NtsFieldError error);

// The Authenticator and Encrypted Extension Fields field, in place.
struct NtsAuthenticator {
  // Octets of the datagram before this field: the associated data.
  size_t field_offset = 0;
  absl::Span<const uint8_t> nonce;
  absl::Span<const uint8_t> ciphertext;  // synthetic IV ‖ encrypted fields
};

// The NTS view of one NTP datagram. Fields after the authenticator are not
// authenticated (RFC 8915 §5.6) and are only counted.
struct NtsFields {
  absl::Span<const uint8_t> unique_identifier;    // the field's body
  std::optional<absl::Span<const uint8_t>> cookie;  // body, padding included
  size_t placeholder_count = 0;
  size_t placeholder_octets = 0;  // whole fields, headers included
  std::optional<NtsAuthenticator> authenticator;
  size_t fields_after_authenticator = 0;
  size_t other_fields = 0;  // unknown types before the authenticator
};

// Parses the fields of `datagram` (a whole NTP datagram). A missing
// authenticator is not an error here (an NTS NAK has none); callers that
// need one check `authenticator`.
std::optional<NtsFields> ParseNtsFields(absl::Span<const uint8_t> datagram,
                                        NtsFieldError* error);

// Fields inside an authenticator's plaintext: the cookies of a reply.
// Calls `on_cookie` for each NTS Cookie body; returns false if the
// plaintext is not a valid field sequence.
template <typename F>
bool ForEachEncryptedCookie(absl::Span<const uint8_t> plaintext, F on_cookie);

// Octets of a field holding `value_octets` (header + value, padded to 4,
// at least 16).
size_t FieldOctets(size_t value_octets);

// Writes one field to the front of `out`; returns its size.
// ResourceExhausted if `out` is too small.
absl::StatusOr<size_t> EncodeField(uint16_t type,
                                   absl::Span<const uint8_t> value,
                                   absl::Span<uint8_t> out);

// A placeholder the size of a cookie field (RFC 8915 §5.5: its body is
// zeros of the cookie's length).
absl::StatusOr<size_t> EncodePlaceholder(size_t cookie_octets,
                                         absl::Span<uint8_t> out);

// Size of the authenticator field sealing `plaintext_octets` octets.
size_t AuthenticatorOctets(size_t plaintext_octets);

// Seals `plaintext` (encoded extension fields, possibly empty) under `aead`
// with a fresh 16-octet nonce from `gen`, associated data
// `datagram[0, offset)`, and writes the field at `datagram[offset]`.
// Returns the field's size.
absl::StatusOr<size_t> EncodeAuthenticator(AesSivCmac256& aead,
                                           absl::BitGenRef gen,
                                           absl::Span<uint8_t> datagram,
                                           size_t offset,
                                           absl::Span<const uint8_t> plaintext);

// Fills `out` from `gen` (nonces, unique identifiers, cookie nonces).
void FillRandom(absl::BitGenRef gen, absl::Span<uint8_t> out);

}  // namespace ntp::nts

#include "ntp/nts/fields_inl.h"  // IWYU pragma: export

#endif  // NTP_NTS_FIELDS_H_
