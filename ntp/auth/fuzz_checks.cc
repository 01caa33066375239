#include "ntp/auth/fuzz_checks.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ntp/auth/key_id_list.h"
#include "ntp/auth/key_store.h"
#include "ntp/auth/keys_file.h"
#include "ntp/wire/big_endian.h"

namespace ntp::fuzz {
namespace {

constexpr absl::string_view kFileName = "fuzz.keys";

// Every fixed word the keys-file diagnostics are built from (plus the type
// names they may print). A token that occurs in this text may legitimately
// show up in a diagnostic, so it is not treated as leaked key text.
constexpr absl::string_view kVocabulary =
    "fuzz.keys: error: warning: invalid key id: expected a decimal number "
    "1..65535 key id > 65535 reserved for Autokey cannot change key 0 "
    "(reserved for the crypto-NAK); key ids are 1..65535 no key type for key "
    "unrecognized key type starting with 'M' for key taken as MD5, as ntpd "
    "does unsupported key type for key (supported: MD5, SHA1, AES128CMAC) "
    "unknown key type for key (expected M, MD5, SHA1, SHA-1, AES128CMAC, AES "
    "or AES-128) no key for key text after the access list of key ignored "
    "rejected: duplicate key id (first defined at line ); this line is "
    "ignored contains a non-printable or non-ASCII character invalid hex "
    "digit for key (keys longer than 20 characters are hex) hex key for key "
    "is longer than 64 digits (32 octets) has an odd number of digits "
    "AES128CMAC keys are 128 bits, zero-extending key by bits AES128CMAC key "
    "truncated from to 16 octets invalid subnet bits in element of the "
    "access list of key invalid IP address in element excessive subnet mask "
    "in element ; using / SHA SHA224 SHA-224 SHA256 SHA-256 SHA384 SHA-384 "
    "SHA512 SHA-512 SHA512-224 SHA512-256 SHA3-224 SHA3-256 SHA3-384 "
    "SHA3-512 SHAKE128 SHAKE256 RIPEMD160 RIPEMD-160 RMD160 SM3 BLAKE2B512 "
    "BLAKE2S256 WHIRLPOOL MD2 MD4 MDC2 MD5-SHA1 AES-192 AES-256 ARIA-128 "
    "ARIA-192 ARIA-256 CAMELLIA-128 CAMELLIA-192 CAMELLIA-256 SM4 DES-EDE3";

// Only tokens this long are checked: short ones (e.g. "MD5", "key")
// legitimately coincide with message words.
constexpr size_t kMinCheckedTokenLength = 8;

bool IsAllDigits(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
}

std::vector<absl::string_view> KeysLineTokens(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const size_t hash = line.find('#');
  if (hash != absl::string_view::npos) line = line.substr(0, hash);
  return absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

absl::Status Violation(absl::string_view what) {
  return absl::InternalError(absl::StrCat("invariant violated: ", what));
}

absl::Status CheckKeyIdList(KeyIdDirective directive, absl::string_view line) {
  absl::StatusOr<KeyIdList> list = ParseKeyIdList(directive, line);
  if (!list.ok()) {
    if (list.status().code() != absl::StatusCode::kInvalidArgument) {
      return Violation("key id list error is not InvalidArgument");
    }
    return absl::OkStatus();
  }
  const std::vector<uint32_t>& ids = list->key_ids;
  if (!std::is_sorted(ids.begin(), ids.end()) ||
      std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
    return Violation("key id list not sorted and unique");
  }
  for (uint32_t id : ids) {
    if (id < kMinSymmetricKeyId || id > kMaxSymmetricKeyId) {
      return Violation("key id list holds an id outside 1..65535");
    }
  }
  if (directive != KeyIdDirective::kTrustedKey &&
      (ids.size() != 1 || !list->notices.empty())) {
    return Violation("requestkey/controlkey must yield exactly one id");
  }
  return absl::OkStatus();
}

// `status` was produced with the real secret, `twin` the same way with a
// different secret of the same length. A message containing the secret is a
// leak unless the twin's message contains it too (then the octets are fixed
// message text the input happened to copy; libFuzzer learns such text from
// the comparisons made here).
absl::Status CheckNoSecret(const absl::Status& status, const absl::Status& twin,
                           absl::Span<const uint8_t> secret) {
  if (status.ok() || secret.size() < kMinCheckedTokenLength) {
    return absl::OkStatus();
  }
  const absl::string_view raw(reinterpret_cast<const char*>(secret.data()),
                              secret.size());
  const std::string hex = absl::BytesToHexString(raw);
  for (const std::string& needle : {std::string(raw), hex}) {
    if (absl::StrContains(status.message(), needle) &&
        !absl::StrContains(twin.message(), needle)) {
      return Violation("status message contains the secret");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckKeysFileInput(absl::string_view input) {
  const ParsedKeysFile parsed = ParseKeysFile(kFileName, input);
  const std::vector<absl::string_view> lines = absl::StrSplit(input, '\n');

  for (const KeysFileDiagnostic& d : parsed.diagnostics) {
    if (d.file != kFileName || d.line < 1 ||
        d.line > static_cast<int>(lines.size()) || d.message.empty()) {
      return Violation(
          absl::StrCat("diagnostic names no real line: ", d.ToString()));
    }
    // Tokens that could be key text: everything after the key ID except a
    // recognised type name.
    const std::vector<absl::string_view> tokens =
        KeysLineTokens(lines[d.line - 1]);
    for (size_t i = 1; i < tokens.size(); ++i) {
      const absl::string_view token = tokens[i];
      if (token.size() < kMinCheckedTokenLength || IsAllDigits(token) ||
          absl::StrContains(kVocabulary, token)) {
        continue;
      }
      if (absl::StrContains(d.message, token)) {
        return Violation(absl::StrCat("diagnostic leaks token ", i,
                                      " of its line: ", d.ToString()));
      }
    }
  }

  // The key table holds only well-formed keys, and no more than there are
  // lines.
  if (parsed.keys.size() > lines.size()) {
    return Violation("more keys than lines");
  }
  for (const auto& [id, entry] : parsed.keys.entries()) {
    const SymmetricKey& key = entry.key;
    if (id != key.key_id() || id < kMinSymmetricKeyId ||
        id > kMaxSymmetricKeyId) {
      return Violation("key stored under a bad id");
    }
    const size_t length = key.secret().size();
    if (key.algorithm() == MacAlgorithm::kAesCmac128
            ? length != 16
            : (length < 1 || length > 32)) {
      return Violation("loaded key has an impossible secret length");
    }
    for (const KeyAccessEntry& allowed : entry.access_list) {
      if (allowed.prefix_length < 0 ||
          allowed.prefix_length > allowed.network.size() * 8) {
        return Violation("access list prefix out of range");
      }
    }
  }

  // Every line through the key-ID list parser (the ntp.conf side), as one of
  // the three directives in turn.
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::Status status =
        CheckKeyIdList(static_cast<KeyIdDirective>(i % 3), lines[i]);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status CheckMacInput(MacContext& context,
                           absl::Span<const uint8_t> input) {
  if (input.size() < kMacInputHeaderLength) return absl::OkStatus();
  const MacAlgorithm algorithm = static_cast<MacAlgorithm>(input[0] % 3);
  const size_t secret_length = algorithm == MacAlgorithm::kAesCmac128
                                   ? SymmetricKey::kCmacSecretLength
                                   : 1 + input[1] % 32;
  const uint32_t key_id =
      1 + ((uint32_t{input[2]} << 8 | uint32_t{input[3]}) % 65535);
  const size_t trailer_selector = input[4] % 32;
  absl::Span<const uint8_t> rest = input.subspan(kMacInputHeaderLength);
  if (rest.size() < secret_length) return absl::OkStatus();
  const absl::Span<const uint8_t> secret = rest.first(secret_length);
  const absl::Span<const uint8_t> message = rest.subspan(secret_length);

  absl::StatusOr<SymmetricKey> key =
      SymmetricKey::Create(key_id, algorithm, secret);
  if (!key.ok()) return Violation("valid key parameters rejected");

  const size_t trailer_length = std::min(trailer_selector, message.size());
  const absl::Span<const uint8_t> authenticated =
      message.first(message.size() - trailer_length);
  const absl::Span<const uint8_t> trailer =
      message.subspan(message.size() - trailer_length);

  // 1. The verdict agrees with an independent recomputation.
  std::array<uint8_t, kKeyIdLength + kMaxDigestLength> expected;
  absl::StatusOr<size_t> written =
      WriteMacTrailer(context, *key, authenticated, absl::MakeSpan(expected));
  if (!written.ok()) return Violation("WriteMacTrailer failed");
  const bool identical =
      trailer.size() == *written &&
      std::equal(trailer.begin(), trailer.end(), expected.begin());
  const MacVerdict verdict =
      CheckMacTrailer(context, *key, authenticated, trailer);
  if ((verdict == MacVerdict::kOk) != identical) {
    return Violation("CheckMacTrailer disagrees with WriteMacTrailer");
  }
  if (verdict == MacVerdict::kInternalError) {
    return Violation("OpenSSL failed on valid input");
  }
  if (verdict == MacVerdict::kCryptoNak &&
      !(trailer.size() == 4 && LoadBe32(trailer.data()) == 0)) {
    return Violation("crypto-NAK verdict for a non-NAK trailer");
  }
  absl::Status status = VerifyMacTrailer(context, *key, authenticated, trailer);
  if (status.ok() != identical) return Violation("VerifyMacTrailer disagrees");
  std::vector<uint8_t> twin_secret(secret.begin(), secret.end());
  for (uint8_t& octet : twin_secret) octet ^= 0x5a;
  absl::StatusOr<SymmetricKey> twin =
      SymmetricKey::Create(key_id, algorithm, twin_secret);
  if (!twin.ok()) return Violation("valid twin key rejected");
  absl::Status leak =
      CheckNoSecret(status, MacVerdictToStatus(verdict, *twin), secret);
  if (!leak.ok()) return leak;

  // 2. The trailer splitter and the key-table path agree.
  absl::StatusOr<MacTrailerView> split = ParseMacTrailer(trailer);
  if (split.ok() !=
      (trailer.size() == 20 || trailer.size() == 24 ||
       (trailer.size() == 4 && LoadBe32(trailer.data()) == 0))) {
    return Violation("ParseMacTrailer accepts the wrong lengths");
  }
  if (split.ok() && split->digest.size() + kKeyIdLength != trailer.size()) {
    return Violation("ParseMacTrailer split is inconsistent");
  }
  KeyStore store;
  if (!store.Insert(*key).ok()) return Violation("KeyStore::Insert failed");
  absl::StatusOr<uint32_t> by_table =
      VerifyPacketMac(context, store, authenticated, trailer);
  if (by_table.ok() != identical || (by_table.ok() && *by_table != key_id)) {
    return Violation("VerifyPacketMac disagrees");
  }
  KeyStore twin_store;
  if (!twin_store.Insert(*twin).ok())
    return Violation("KeyStore::Insert failed");
  leak = CheckNoSecret(
      by_table.status(),
      VerifyPacketMac(context, twin_store, authenticated, trailer).status(),
      secret);
  if (!leak.ok()) return leak;

  // 3. Round trip over the whole message, then one bit flipped.
  std::vector<uint8_t> packet(message.begin(), message.end());
  if (!AppendMacTrailer(context, *key, &packet).ok()) {
    return Violation("AppendMacTrailer failed");
  }
  const absl::Span<const uint8_t> whole(packet);
  const size_t mac_length = MacTrailerLength(algorithm);
  if (CheckMacTrailer(context, *key, whole.first(message.size()),
                      whole.subspan(message.size())) != MacVerdict::kOk) {
    return Violation("appended MAC does not verify");
  }
  const size_t flip_at =
      (trailer_selector * 131 + secret_length) % packet.size();
  packet[flip_at] ^= static_cast<uint8_t>(1u << (input[1] % 8));
  const absl::Span<const uint8_t> flipped(packet);
  if (CheckMacTrailer(context, *key, flipped.first(message.size()),
                      flipped.subspan(message.size(), mac_length)) ==
      MacVerdict::kOk) {
    return Violation("a single bit flip went undetected");
  }
  return absl::OkStatus();
}

}  // namespace ntp::fuzz
