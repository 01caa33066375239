// The server half of NTS-protected NTP (see server.h).
#include "ntp/nts/server.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/wire/packet.h"

namespace ntp::nts {

const char* NtsServerDropName(NtsServerDrop drop) {
  switch (drop) {
    case NtsServerDrop::kNone: return "none";
    case NtsServerDrop::kMalformed: return "malformed";
    case NtsServerDrop::kNoCookie: return "no_cookie";
    case NtsServerDrop::kNoAuthenticator: return "no_authenticator";
    case NtsServerDrop::kBadCookie: return "bad_cookie";
    case NtsServerDrop::kBadAuthenticator: return "bad_authenticator";
    case NtsServerDrop::kTooLarge: return "too_large";
  }
  return "unknown";
}

absl::StatusOr<NtsServer> NtsServer::Create(CookieKeyring* keyring) {
  std::array<uint8_t, kAesSivCmac256KeyOctets> zero{};
  absl::StatusOr<AesSivCmac256> aead = AesSivCmac256::Create(zero);
  if (!aead.ok()) return aead.status();
  return NtsServer(keyring, std::move(aead).value());
}

NtsCheck NtsServer::Drop(NtsServerDrop drop) {
  ++counters_.drops[static_cast<size_t>(drop)];
  NtsCheck check;
  check.drop = drop;
  return check;
}

NtsCheck NtsServer::CheckRequest(absl::Span<const uint8_t> datagram) {
  NtsFieldError field_error;
  std::optional<NtsFields> fields = ParseNtsFields(datagram, &field_error);
  if (!fields.has_value()) return Drop(NtsServerDrop::kMalformed);
  if (!fields->cookie.has_value()) return Drop(NtsServerDrop::kNoCookie);
  if (!fields->authenticator.has_value()) {
    return Drop(NtsServerDrop::kNoAuthenticator);
  }
  NtsCheck check;
  check.request.unique_identifier = fields->unique_identifier;
  check.request.request_octets = datagram.size();
  absl::StatusOr<SessionKeys> keys = keyring_->Open(*fields->cookie);
  if (keys.status().code() == absl::StatusCode::kNotFound) {
    // RFC 8915 §5.7: a cookie the server cannot decrypt because its key is
    // gone gets an NTS NAK.
    ++counters_.naks;
    check.verdict = NtsVerdict::kNak;
    return check;
  }
  if (!keys.ok()) return Drop(NtsServerDrop::kBadCookie);
  const NtsAuthenticator& auth = *fields->authenticator;
  if (auth.ciphertext.size() - kAesSivTagOctets > scratch_.size()) {
    return Drop(NtsServerDrop::kTooLarge);
  }
  if (!aead_.Rekey(keys->c2s).ok() ||
      !aead_.Open(datagram.first(auth.field_offset), auth.nonce,
                  auth.ciphertext, absl::MakeSpan(scratch_))
           .ok()) {
    return Drop(NtsServerDrop::kBadAuthenticator);
  }
  // Encrypted fields in a request carry nothing this server acts on; they
  // are authenticated and ignored (RFC 8915 §5.6).
  check.request.keys = *keys;
  check.request.cookies_wanted =
      std::min(kMaxCookies, 1 + fields->placeholder_count);
  check.verdict = NtsVerdict::kRespond;
  ++counters_.accepted;
  return check;
}

size_t NtsServer::ReplyOctets(size_t uid_octets, size_t cookies) {
  return ntp::kNtpHeaderOctets + FieldOctets(uid_octets) +
         AuthenticatorOctets(cookies * FieldOctets(kCookieOctets));
}

absl::StatusOr<size_t> NtsServer::SealReply(const NtsRequest& request,
                                            absl::Span<const uint8_t> header,
                                            absl::BitGenRef gen,
                                            absl::Span<uint8_t> out) {
  if (header.size() != ntp::kNtpHeaderOctets) {
    return absl::InvalidArgumentError("reply header must have 48 octets");
  }
  size_t cookies = request.cookies_wanted;
  const size_t uid_octets = request.unique_identifier.size();
  while (cookies > 0 &&
         ReplyOctets(uid_octets, cookies) > request.request_octets) {
    --cookies;
  }
  const size_t total = ReplyOctets(uid_octets, cookies);
  if (out.size() < total) {
    return absl::ResourceExhaustedError(
        absl::StrCat("NTS reply needs ", total, " octets"));
  }
  std::memcpy(out.data(), header.data(), header.size());
  size_t at = header.size();
  absl::StatusOr<size_t> n = EncodeField(
      kUniqueIdentifierField, request.unique_identifier, out.subspan(at));
  if (!n.ok()) return n.status();
  at += *n;
  // The new cookies, each in a Cookie field, become the plaintext.
  const size_t cookie_field = FieldOctets(kCookieOctets);
  std::array<uint8_t, kCookieOctets> cookie;
  size_t plain = 0;
  for (size_t i = 0; i < cookies; ++i) {
    absl::StatusOr<size_t> sealed = keyring_->Seal(request.keys, gen, absl::MakeSpan(cookie));
    if (!sealed.ok()) return sealed.status();
    n = EncodeField(kNtsCookieField, cookie,
                    absl::MakeSpan(scratch_).subspan(plain, cookie_field));
    if (!n.ok()) return n.status();
    plain += *n;
  }
  absl::Status rekeyed = aead_.Rekey(request.keys.s2c);
  if (!rekeyed.ok()) return rekeyed;
  n = EncodeAuthenticator(aead_, gen, out.first(total), at,
                          absl::MakeConstSpan(scratch_).first(plain));
  if (!n.ok()) return n.status();
  return at + *n;
}

absl::StatusOr<size_t> NtsServer::EncodeNak(
    absl::Span<const uint8_t> unique_identifier,
    absl::Span<const uint8_t> header, absl::Span<uint8_t> out) {
  if (header.size() != ntp::kNtpHeaderOctets) {
    return absl::InvalidArgumentError("NAK header must have 48 octets");
  }
  if (out.size() < header.size()) {
    return absl::ResourceExhaustedError("NAK needs more octets");
  }
  std::memcpy(out.data(), header.data(), header.size());
  absl::StatusOr<size_t> n = EncodeField(
      kUniqueIdentifierField, unique_identifier, out.subspan(header.size()));
  if (!n.ok()) return n.status();
  return header.size() + *n;
}

}  // namespace ntp::nts
