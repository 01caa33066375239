// Stateless NTS cookies under rotating master keys (see cookie.h).
#include "ntp/nts/cookie.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ntp/nts/fields.h"
#include "ntp/wire/big_endian.h"

namespace ntp::nts {
namespace {

constexpr size_t kPlainOctets = 2 * kAesSivCmac256KeyOctets;
static_assert(kCookieOctets == 4 + kNtsNonceOctets + kAesSivTagOctets +
                                   kPlainOctets);

}  // namespace

CookieKeyring::MasterKey* CookieKeyring::Find(uint32_t id) {
  for (MasterKey& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

absl::Status CookieKeyring::AddKey(uint32_t id, absl::Span<const uint8_t> key) {
  if (Find(id) != nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("NTS master key ", id, " is already present"));
  }
  absl::StatusOr<AesSivCmac256> aead = AesSivCmac256::Create(key);
  if (!aead.ok()) return aead.status();
  MasterKey entry{id, {}, std::move(aead).value()};
  std::copy(key.begin(), key.end(), entry.material.begin());
  keys_.push_back(std::move(entry));
  while (keys_.size() > kKeptMasterKeys) {
    OPENSSL_cleanse(keys_.front().material.data(),
                    keys_.front().material.size());
    keys_.pop_front();
  }
  return absl::OkStatus();
}

absl::Status CookieKeyring::Rotate(absl::BitGenRef gen) {
  std::array<uint8_t, kAesSivCmac256KeyOctets> material;
  FillRandom(gen, absl::MakeSpan(material));
  const uint32_t id = keys_.empty() ? 1 : current_id() + 1;
  absl::Status status = AddKey(id, material);
  OPENSSL_cleanse(material.data(), material.size());
  return status;
}

absl::StatusOr<size_t> CookieKeyring::Seal(const SessionKeys& keys,
                                           absl::BitGenRef gen,
                                           absl::Span<uint8_t> out) {
  if (keys.aead != kAeadAesSivCmac256) {
    return absl::InvalidArgumentError("cookies carry AES-SIV-CMAC-256 keys only");
  }
  if (keys_.empty()) {
    return absl::FailedPreconditionError("no NTS master key");
  }
  if (out.size() < kCookieOctets) {
    return absl::ResourceExhaustedError("cookie needs 100 octets");
  }
  MasterKey& master = keys_.back();
  StoreBe32(out.data(), master.id);
  absl::Span<uint8_t> nonce = out.subspan(4, kNtsNonceOctets);
  FillRandom(gen, nonce);
  std::array<uint8_t, kPlainOctets> plain;
  std::copy(keys.c2s.begin(), keys.c2s.end(), plain.begin());
  std::copy(keys.s2c.begin(), keys.s2c.end(),
            plain.begin() + kAesSivCmac256KeyOctets);
  absl::StatusOr<size_t> sealed = master.aead.Seal(
      out.first(4), nonce, plain, out.subspan(4 + kNtsNonceOctets));
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!sealed.ok()) return sealed.status();
  return kCookieOctets;
}

absl::StatusOr<SessionKeys> CookieKeyring::Open(
    absl::Span<const uint8_t> cookie) {
  if (cookie.size() != kCookieOctets) {
    return absl::InvalidArgumentError(
        absl::StrCat("cookie has ", cookie.size(), " octets, not 100"));
  }
  MasterKey* master = Find(LoadBe32(cookie.data()));
  if (master == nullptr) return absl::NotFoundError("unknown NTS master key");
  std::array<uint8_t, kPlainOctets> plain;
  absl::StatusOr<size_t> opened =
      master->aead.Open(cookie.first(4), cookie.subspan(4, kNtsNonceOctets),
                        cookie.subspan(4 + kNtsNonceOctets), absl::MakeSpan(plain));
  if (!opened.ok()) return opened.status();
  SessionKeys keys;
  std::copy(plain.begin(), plain.begin() + kAesSivCmac256KeyOctets,
            keys.c2s.begin());
  std::copy(plain.begin() + kAesSivCmac256KeyOctets, plain.end(),
            keys.s2c.begin());
  OPENSSL_cleanse(plain.data(), plain.size());
  return keys;
}

std::string CookieKeyring::SerializeKeyFile() const {
  std::string out =
      "# NTS cookie master keys (RFC 8915 §6): ID HEX, oldest first.\n";
  for (const MasterKey& key : keys_) {
    absl::StrAppend(
        &out, key.id, " ",
        absl::BytesToHexString(absl::string_view(
            reinterpret_cast<const char*>(key.material.data()),
            key.material.size())),
        "\n");
  }
  return out;
}

absl::StatusOr<CookieKeyring> CookieKeyring::ParseKeyFile(
    absl::string_view text, absl::string_view file_name) {
  CookieKeyring ring;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    const size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_number, ": ", what));
    };
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint32_t id = 0;
    if (words.size() != 2 || !absl::SimpleAtoi(words[0], &id)) {
      return error("expected \"ID HEX\"");
    }
    if (words[1].size() != 2 * kAesSivCmac256KeyOctets ||
        !std::all_of(words[1].begin(), words[1].end(), absl::ascii_isxdigit)) {
      return error("key must be 64 hexadecimal digits");
    }
    std::string bytes = absl::HexStringToBytes(words[1]);
    absl::Status status = ring.AddKey(
        id, absl::Span<const uint8_t>(
                reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    OPENSSL_cleanse(bytes.data(), bytes.size());
    if (!status.ok()) return error(status.message());
  }
  if (ring.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": no NTS master key"));
  }
  return ring;
}

}  // namespace ntp::nts
