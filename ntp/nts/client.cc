// The client half of NTS-protected NTP (see client.h).
#include "ntp/nts/client.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/wire/big_endian.h"
#include "ntp/wire/extension_fields.h"
#include "ntp/wire/packet.h"

namespace ntp::nts {
namespace {

// RFC 8915 §5.7: an NTS NAK is a kiss-o'-death, stratum 0, code "NTSN".
bool IsNtsNak(absl::Span<const uint8_t> datagram) {
  return datagram[1] == 0 && std::memcmp(datagram.data() + 12, "NTSN", 4) == 0;
}

}  // namespace

const char* NtsClientDropName(NtsClientDrop drop) {
  switch (drop) {
    case NtsClientDrop::kNone: return "none";
    case NtsClientDrop::kMalformed: return "malformed";
    case NtsClientDrop::kNotPending: return "not_pending";
    case NtsClientDrop::kNoAuthenticator: return "no_authenticator";
    case NtsClientDrop::kBadAuthenticator: return "bad_authenticator";
    case NtsClientDrop::kBadEncryptedFields: return "bad_encrypted_fields";
  }
  return "unknown";
}

absl::StatusOr<NtsClient> NtsClient::Create(
    const SessionKeys& keys, absl::Span<const std::vector<uint8_t>> cookies) {
  if (keys.aead != kAeadAesSivCmac256) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported NTS AEAD ", keys.aead));
  }
  absl::StatusOr<AesSivCmac256> c2s = AesSivCmac256::Create(keys.c2s);
  if (!c2s.ok()) return c2s.status();
  absl::StatusOr<AesSivCmac256> s2c = AesSivCmac256::Create(keys.s2c);
  if (!s2c.ok()) return s2c.status();
  NtsClient client(std::move(c2s).value(), std::move(s2c).value());
  for (const std::vector<uint8_t>& cookie : cookies) {
    // A cookie field and its placeholders must fit an extension field.
    if (cookie.empty() ||
        FieldOctets(cookie.size()) > ntp::kMaxExtensionFieldOctets) {
      return absl::InvalidArgumentError(
          absl::StrCat("NTS cookie of ", cookie.size(), " octets"));
    }
    if (client.cookies_.size() < kMaxCookies) client.cookies_.push_back(cookie);
  }
  return client;
}

NtsReplyCheck NtsClient::Drop(NtsClientDrop drop) {
  ++counters_.drops[static_cast<size_t>(drop)];
  NtsReplyCheck check;
  check.drop = drop;
  return check;
}

size_t NtsClient::PlaceholdersWanted() const {
  // After this request uses one cookie, cookies_.size() - 1 are left; the
  // reply brings 1 + placeholders.
  return cookies_.empty() ? 0 : kMaxCookies - cookies_.size();
}

size_t NtsClient::RequestOctets() const {
  if (cookies_.empty()) return 0;
  const size_t cookie_field = FieldOctets(cookies_.front().size());
  return ntp::kNtpHeaderOctets + FieldOctets(kUniqueIdentifierOctets) +
         cookie_field * (1 + PlaceholdersWanted()) + AuthenticatorOctets(0);
}

absl::StatusOr<size_t> NtsClient::BuildRequest(
    absl::Span<const uint8_t> header, absl::BitGenRef gen,
    absl::Span<uint8_t> out) {
  if (cookies_.empty()) {
    return absl::FailedPreconditionError("no NTS cookie left");
  }
  if (header.size() != ntp::kNtpHeaderOctets) {
    return absl::InvalidArgumentError("request header must have 48 octets");
  }
  const size_t total = RequestOctets();
  if (out.size() < total) {
    return absl::ResourceExhaustedError(
        absl::StrCat("NTS request needs ", total, " octets"));
  }
  const size_t placeholders = PlaceholdersWanted();
  std::memcpy(out.data(), header.data(), header.size());
  size_t at = header.size();
  std::array<uint8_t, kUniqueIdentifierOctets> uid;
  FillRandom(gen, absl::MakeSpan(uid));
  absl::StatusOr<size_t> n =
      EncodeField(kUniqueIdentifierField, uid, out.subspan(at));
  if (!n.ok()) return n.status();
  at += *n;
  const std::vector<uint8_t>& cookie = cookies_.front();
  n = EncodeField(kNtsCookieField, cookie, out.subspan(at));
  if (!n.ok()) return n.status();
  at += *n;
  for (size_t i = 0; i < placeholders; ++i) {
    n = EncodePlaceholder(cookie.size(), out.subspan(at));
    if (!n.ok()) return n.status();
    at += *n;
  }
  n = EncodeAuthenticator(c2s_, gen, out.first(total), at, {});
  if (!n.ok()) return n.status();
  at += *n;
  // Committed: the cookie is spent and this is the outstanding request.
  cookies_.pop_front();
  pending_uid_ = uid;
  pending_ = true;
  ++counters_.requests;
  return at;
}

NtsReplyCheck NtsClient::ProcessReply(absl::Span<const uint8_t> datagram) {
  NtsFieldError field_error;
  std::optional<NtsFields> fields = ParseNtsFields(datagram, &field_error);
  if (!fields.has_value()) return Drop(NtsClientDrop::kMalformed);
  if (!pending_ ||
      fields->unique_identifier.size() != kUniqueIdentifierOctets ||
      CRYPTO_memcmp(fields->unique_identifier.data(), pending_uid_.data(),
                    kUniqueIdentifierOctets) != 0) {
    return Drop(NtsClientDrop::kNotPending);
  }
  if (!fields->authenticator.has_value()) {
    if (!IsNtsNak(datagram)) return Drop(NtsClientDrop::kNoAuthenticator);
    pending_ = false;
    nak_ = true;
    ++counters_.naks;
    NtsReplyCheck check;
    check.verdict = NtsReplyVerdict::kNak;
    return check;
  }
  const NtsAuthenticator& auth = *fields->authenticator;
  scratch_.resize(auth.ciphertext.size() - kAesSivTagOctets);
  absl::StatusOr<size_t> opened =
      s2c_.Open(datagram.first(auth.field_offset), auth.nonce,
                auth.ciphertext, absl::MakeSpan(scratch_));
  if (!opened.ok()) return Drop(NtsClientDrop::kBadAuthenticator);
  std::vector<absl::Span<const uint8_t>> fresh;
  if (!ForEachEncryptedCookie(
          absl::MakeConstSpan(scratch_).first(*opened),
          [&fresh](absl::Span<const uint8_t> c) { fresh.push_back(c); })) {
    return Drop(NtsClientDrop::kBadEncryptedFields);
  }
  NtsReplyCheck check;
  check.verdict = NtsReplyVerdict::kAccepted;
  for (absl::Span<const uint8_t> cookie : fresh) {
    if (cookie.empty() || cookies_.size() >= kMaxCookies) continue;
    cookies_.emplace_back(cookie.begin(), cookie.end());
    ++check.new_cookies;
  }
  pending_ = false;
  nak_ = false;
  ++counters_.accepted;
  counters_.cookies_received += check.new_cookies;
  return check;
}

}  // namespace ntp::nts
