// Template bodies for fields.h; include fields.h instead.
#ifndef NTP_NTS_FIELDS_INL_H_
#define NTP_NTS_FIELDS_INL_H_

#include "ntp/wire/extension_fields.h"

namespace ntp::nts {

template <typename F>
bool ForEachEncryptedCookie(absl::Span<const uint8_t> plaintext, F on_cookie) {
  std::optional<ntp::ExtensionFields> fields =
      ntp::ExtensionFields::FromBytes(plaintext);
  if (!fields.has_value()) return false;
  for (const ntp::ExtensionField& field : *fields) {
    if (field.field_type == kNtsCookieField) on_cookie(field.body);
  }
  return true;
}

}  // namespace ntp::nts

#endif  // NTP_NTS_FIELDS_INL_H_
