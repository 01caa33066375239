#include "ntp/auth/keys_file.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

// The fixed text of every diagnostic below is mirrored in kVocabulary of
// fuzz_checks.cc (the key-leak check): keep the two in step.

namespace ntp {
namespace {

// ntpd: "If it is longer than 20 characters, it is a binary string encoded
// in hex; otherwise, it is a text string of printable ASCII characters."
constexpr size_t kMaxAsciiKeyLength = 20;
// ntpd/ntpsec decode at most 32 octets (64 hex digits) into their key buffer.
constexpr size_t kMaxHexKeyDigits = 64;
// Digits accepted for a key ID before it is simply "too large".
constexpr size_t kMaxKeyIdDigits = 10;

// Wipes a buffer that held key material when it goes out of scope.
template <size_t N>
struct ScrubbedBuffer {
  std::array<uint8_t, N> bytes{};
  size_t size = 0;
  ~ScrubbedBuffer() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  absl::Span<const uint8_t> span() const {
    return absl::MakeConstSpan(bytes.data(), size);
  }
};

struct TypeName {
  absl::string_view name;                 // upper case
  std::optional<MacAlgorithm> algorithm;  // nullopt: known but unsupported
};

// Key types, upper-cased as both ntpds compare them. Supported spellings:
// ntpd 4.2.8 (OBJ_sn2nid names plus "AES128CMAC") and ntpsec (digest names
// via EVP_get_digestbyname, "AES"/"AES128CMAC" -> "AES-128", cipher names
// with "-CBC" appended). The unsupported ones are names those implementations
// would accept through OpenSSL; they are listed so that the diagnostic can
// say "unsupported" rather than "unknown", and so that MD4/MDC2/MD5-SHA1 do
// not fall into the "starts with M means MD5" rule.
constexpr TypeName kTypeNames[] = {
    {"MD5", MacAlgorithm::kMd5},
    {"M", MacAlgorithm::kMd5},
    {"SHA1", MacAlgorithm::kSha1},
    {"SHA-1", MacAlgorithm::kSha1},
    {"AES128CMAC", MacAlgorithm::kAesCmac128},
    {"AES", MacAlgorithm::kAesCmac128},
    {"AES-128", MacAlgorithm::kAesCmac128},
    // ntpsec: OpenSSL's digest names and aliases (EVP_get_digestbyname).
    {"SHA224", MacAlgorithm::kSha224},
    {"SHA-224", MacAlgorithm::kSha224},
    {"SHA2-224", MacAlgorithm::kSha224},
    {"SHA256", MacAlgorithm::kSha256},
    {"SHA-256", MacAlgorithm::kSha256},
    {"SHA2-256", MacAlgorithm::kSha256},
    {"SHA384", MacAlgorithm::kSha384},
    {"SHA-384", MacAlgorithm::kSha384},
    {"SHA2-384", MacAlgorithm::kSha384},
    {"SHA512", MacAlgorithm::kSha512},
    {"SHA-512", MacAlgorithm::kSha512},
    {"SHA2-512", MacAlgorithm::kSha512},
    {"SHA", std::nullopt},
    {"SHA512-224", std::nullopt},
    {"SHA512-256", std::nullopt},
    {"SHA3-224", std::nullopt},
    {"SHA3-256", std::nullopt},
    {"SHA3-384", std::nullopt},
    {"SHA3-512", std::nullopt},
    {"SHAKE128", std::nullopt},
    {"SHAKE256", std::nullopt},
    {"RIPEMD160", std::nullopt},
    {"RIPEMD-160", std::nullopt},
    {"RMD160", std::nullopt},
    {"SM3", std::nullopt},
    {"BLAKE2B512", std::nullopt},
    {"BLAKE2S256", std::nullopt},
    {"WHIRLPOOL", std::nullopt},
    {"MD2", std::nullopt},
    {"MD4", std::nullopt},
    {"MDC2", std::nullopt},
    {"MD5-SHA1", std::nullopt},
    {"AES-192", std::nullopt},
    {"AES-256", std::nullopt},
    {"ARIA-128", std::nullopt},
    {"ARIA-192", std::nullopt},
    {"ARIA-256", std::nullopt},
    {"CAMELLIA-128", std::nullopt},
    {"CAMELLIA-192", std::nullopt},
    {"CAMELLIA-256", std::nullopt},
    {"SM4", std::nullopt},
    {"DES-EDE3", std::nullopt},
};

enum class TypeMatch { kSupported, kMd5Fallback, kUnsupported, kUnknown };

struct TypeLookup {
  TypeMatch match = TypeMatch::kUnknown;
  MacAlgorithm algorithm = MacAlgorithm::kMd5;
  absl::string_view canonical_name;  // from kTypeNames, never user text
};

TypeLookup LookUpType(absl::string_view token) {
  const std::string upper = absl::AsciiStrToUpper(token);
  for (const TypeName& entry : kTypeNames) {
    if (upper == entry.name) {
      if (entry.algorithm.has_value()) {
        return {TypeMatch::kSupported, *entry.algorithm, entry.name};
      }
      return {TypeMatch::kUnsupported, MacAlgorithm::kMd5, entry.name};
    }
  }
  // Both ntpds: "If it is not recognized but begins with 'M' use NID_md5 to
  // be consistent with past behavior."
  if (upper[0] == 'M') return {TypeMatch::kMd5Fallback, MacAlgorithm::kMd5, {}};
  return {};
}

bool IsAllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The first tokens of a keys-file line; anything past kMaxKeysLineTokens is
// only counted as "more".
constexpr size_t kMaxKeysLineTokens = 4;
struct KeysLineTokens {
  std::array<absl::string_view, kMaxKeysLineTokens> token;
  size_t count = 0;
  bool more = false;
};

// Splits a keys-file line the way ntpd's nexttok() does: tokens end at space,
// tab or '#', and '#' ends the line.
KeysLineTokens TokenizeKeysLine(absl::string_view line) {
  const size_t hash = line.find('#');
  if (hash != absl::string_view::npos) line = line.substr(0, hash);
  KeysLineTokens tokens;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    const size_t start = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
    if (pos == start) break;
    if (tokens.count == kMaxKeysLineTokens) {
      tokens.more = true;
      break;
    }
    tokens.token[tokens.count++] = line.substr(start, pos - start);
  }
  return tokens;
}

class KeysFileParser {
 public:
  explicit KeysFileParser(absl::string_view file_name)
      : file_name_(file_name) {}

  ParsedKeysFile Parse(absl::string_view contents) {
    int line_number = 0;
    for (absl::string_view line : absl::StrSplit(contents, '\n')) {
      ++line_number;
      // The empty piece after a final newline is not a line.
      if (line.empty() &&
          line.data() + line.size() == contents.data() + contents.size()) {
        break;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ParseLine(line_number, line);
    }
    return std::move(result_);
  }

 private:
  void Add(int line, DiagnosticSeverity severity, std::string message) {
    result_.diagnostics.push_back(
        {std::string(file_name_), line, severity, std::move(message)});
  }
  void Error(int line, std::string message) {
    Add(line, DiagnosticSeverity::kError, std::move(message));
  }
  void Warning(int line, std::string message) {
    Add(line, DiagnosticSeverity::kWarning, std::move(message));
  }

  void ParseLine(int line_number, absl::string_view line) {
    const KeysLineTokens line_tokens = TokenizeKeysLine(line);
    const size_t count = line_tokens.count;
    const auto& tokens = line_tokens.token;
    if (count == 0) return;

    // Key ID: decimal, or hexadecimal with 0x (ntpsec reads it with
    // strtoul base 0). Only the value is ever echoed back, never the token.
    absl::string_view id_token = tokens[0];
    int base = 10;
    if (id_token.size() > 2 && id_token[0] == '0' && (id_token[1] == 'x' || id_token[1] == 'X')) {
      id_token.remove_prefix(2);
      base = 16;
    }
    const bool id_ok =
        base == 10 ? IsAllDigits(id_token)
                   : std::all_of(id_token.begin(), id_token.end(),
                                 [](char c) { return HexValue(c) >= 0; });
    if (!id_ok) {
      Error(line_number,
            "invalid key id: expected a decimal number 1..65535 or hexadecimal 0x1..0xffff");
      return;
    }
    absl::string_view digits = id_token;
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
    if (digits.size() > (base == 10 ? kMaxKeyIdDigits : size_t{8})) {
      Error(line_number, "key id > 65535 reserved for Autokey");
      return;
    }
    uint64_t key_id = 0;
    for (char c : digits) key_id = key_id * base + static_cast<uint64_t>(HexValue(c));
    if (key_id == 0) {
      Error(line_number,
            "cannot change key 0 (reserved for the crypto-NAK); key ids are "
            "1..65535");
      return;
    }
    if (key_id > kMaxSymmetricKeyId) {
      Error(line_number,
            absl::StrCat("key ", key_id, " > 65535 reserved for Autokey"));
      return;
    }

    // Type.
    if (count < 2) {
      Error(line_number, absl::StrCat("no key type for key ", key_id));
      return;
    }
    const TypeLookup type = LookUpType(tokens[1]);
    switch (type.match) {
      case TypeMatch::kSupported:
        break;
      case TypeMatch::kMd5Fallback:
        Warning(line_number,
                absl::StrCat("unrecognized key type starting with 'M' for key ",
                             key_id, " taken as MD5, as ntpd does"));
        break;
      case TypeMatch::kUnsupported:
        Error(line_number,
              absl::StrCat("unsupported key type ", type.canonical_name,
                           " for key ", key_id,
                           " (supported: MD5, SHA1, SHA224, SHA256, SHA384, SHA512, "
                           "AES128CMAC)"));
        return;
      case TypeMatch::kUnknown:
        Error(line_number,
              absl::StrCat("unknown key type for key ", key_id,
                           " (expected M, MD5, SHA1, SHA-1, SHA224, SHA256, SHA384, "
                           "SHA512, AES128CMAC, AES or AES-128)"));
        return;
    }

    // Key.
    if (count < 3) {
      Error(line_number, absl::StrCat("no key for key ", key_id));
      return;
    }
    ScrubbedBuffer<kMaxHexKeyDigits / 2> secret;
    if (!DecodeKey(line_number, key_id, tokens[2], &secret)) return;
    if (type.algorithm == MacAlgorithm::kAesCmac128) {
      FitCmacKey(line_number, key_id, &secret);
    }

    // Optional access list, then nothing.
    std::vector<KeyAccessEntry> access_list;
    if (count >= 4 &&
        !ParseAccessList(line_number, key_id, tokens[3], &access_list)) {
      return;
    }
    if (line_tokens.more) {
      Warning(line_number, absl::StrCat("text after the access list of key ",
                                        key_id, " ignored"));
    }

    absl::StatusOr<SymmetricKey> key = SymmetricKey::Create(
        static_cast<uint32_t>(key_id), type.algorithm, secret.span());
    if (!key.ok()) {
      // Unreachable: id, length and algorithm were checked above.
      Error(line_number, absl::StrCat("key ", key_id,
                                      " rejected: ", key.status().message()));
      return;
    }
    auto [first_line, inserted] = first_line_of_key_.try_emplace(
        static_cast<uint32_t>(key_id), line_number);
    if (!inserted) {
      Error(
          line_number,
          absl::StrCat("duplicate key id ", key_id, " (first defined at line ",
                       first_line->second, "); this line is ignored"));
      return;
    }
    // Cannot fail: the ID is new.
    result_.keys.Insert(*key, std::move(access_list)).IgnoreError();
  }

  // Decodes the key token into `secret`. Diagnostics name the key by ID only.
  template <size_t N>
  bool DecodeKey(int line_number, uint64_t key_id, absl::string_view text,
                 ScrubbedBuffer<N>* secret) {
    static_assert(N >= kMaxAsciiKeyLength && N * 2 >= kMaxHexKeyDigits);
    if (text.size() <= kMaxAsciiKeyLength) {
      for (char c : text) {
        // Printable ASCII other than space ('#' and blanks end the token).
        if (c < 0x21 || c > 0x7e) {
          Error(line_number,
                absl::StrCat("key ", key_id,
                             " contains a non-printable or non-ASCII "
                             "character"));
          return false;
        }
      }
      std::copy(text.begin(), text.end(), secret->bytes.begin());
      secret->size = text.size();
      return true;
    }
    for (char c : text) {
      if (HexValue(c) < 0) {
        Error(line_number,
              absl::StrCat("invalid hex digit for key ", key_id,
                           " (keys longer than 20 characters are hex)"));
        return false;
      }
    }
    if (text.size() > kMaxHexKeyDigits) {
      Error(line_number, absl::StrCat("hex key for key ", key_id,
                                      " is longer than 64 digits (32 octets)"));
      return false;
    }
    if (text.size() % 2 != 0) {
      Error(line_number, absl::StrCat("hex key for key ", key_id,
                                      " has an odd number of digits"));
      return false;
    }
    for (size_t i = 0; i < text.size(); i += 2) {
      secret->bytes[i / 2] =
          static_cast<uint8_t>(HexValue(text[i]) * 16 + HexValue(text[i + 1]));
    }
    secret->size = text.size() / 2;
    return true;
  }

  // RFC 8573: AES-128-CMAC takes a 128-bit key. ntpd zero-extends shorter
  // keys, ntpsec also truncates longer ones; both log it.
  template <size_t N>
  void FitCmacKey(int line_number, uint64_t key_id, ScrubbedBuffer<N>* secret) {
    constexpr size_t kLength = SymmetricKey::kCmacSecretLength;
    if (secret->size < kLength) {
      // ntpd 4.2.8 authreadkeys.c: "AES128CMAC keys are 128 bits,
      // zero-extending key %u by %u bits".
      Warning(
          line_number,
          absl::StrCat("AES128CMAC keys are 128 bits, zero-extending key ",
                       key_id, " by ", 8 * (kLength - secret->size), " bits"));
      std::fill(secret->bytes.begin() + secret->size,
                secret->bytes.begin() + kLength, uint8_t{0});
    } else if (secret->size > kLength) {
      Warning(line_number,
              absl::StrCat("AES128CMAC key ", key_id, " truncated from ",
                           secret->size, " to 16 octets"));
      std::fill(secret->bytes.begin() + kLength, secret->bytes.end(),
                uint8_t{0});
    }
    secret->size = kLength;
  }

  // ntpd 4.2.8 authreadkeys.c: "a comma-separated IP access list", each
  // element ADDRESS or ADDRESS/BITS. Elements are named by position only:
  // if the line was really a key containing spaces, this token is key text.
  bool ParseAccessList(int line_number, uint64_t key_id, absl::string_view text,
                       std::vector<KeyAccessEntry>* access_list) {
    int position = 0;
    for (absl::string_view element : absl::StrSplit(text, ',')) {
      ++position;
      absl::string_view address_text = element;
      std::optional<int> bits;
      const size_t slash = element.find('/');
      if (slash != absl::string_view::npos) {
        address_text = element.substr(0, slash);
        const absl::string_view bits_text = element.substr(slash + 1);
        if (!IsAllDigits(bits_text) || bits_text.size() > 3) {
          Error(line_number,
                absl::StrCat("invalid subnet bits in element ", position,
                             " of the access list of key ", key_id));
          return false;
        }
        int value = 0;
        for (char c : bits_text) value = value * 10 + (c - '0');
        bits = value;
      }
      absl::StatusOr<net::IpAddress> address =
          net::IpAddress::Parse(address_text);
      if (!address.ok()) {
        Error(line_number,
              absl::StrCat("invalid IP address in element ", position,
                           " of the access list of key ", key_id));
        return false;
      }
      const int max_bits = address->size() * 8;
      int prefix_length = bits.value_or(max_bits);
      if (prefix_length > max_bits) {
        // ntpd: "excessive subnet mask <%s/%s> for key %d" (kept, clamped).
        Warning(line_number,
                absl::StrCat("excessive subnet mask in element ", position,
                             " of the access list of key ", key_id, "; using /",
                             max_bits));
        prefix_length = max_bits;
      }
      access_list->push_back({*address, prefix_length});
    }
    return true;
  }

  absl::string_view file_name_;
  ParsedKeysFile result_;
  std::map<uint32_t, int> first_line_of_key_;
};

}  // namespace

std::string KeysFileDiagnostic::ToString() const {
  const absl::string_view level =
      severity == DiagnosticSeverity::kError ? "error" : "warning";
  if (line == 0) return absl::StrCat(file, ": ", level, ": ", message);
  return absl::StrCat(file, ":", line, ": ", level, ": ", message);
}

bool ParsedKeysFile::HasErrors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const KeysFileDiagnostic& d) {
                       return d.severity == DiagnosticSeverity::kError;
                     });
}

ParsedKeysFile ParseKeysFile(absl::string_view file_name,
                             absl::string_view contents) {
  return KeysFileParser(file_name).Parse(contents);
}

std::vector<KeysFileDiagnostic> CheckKeysFileStat(absl::string_view path,
                                                  const KeysFileStat& stat) {
  std::vector<KeysFileDiagnostic> diagnostics;
  const std::string file(path);
  if (!stat.exists) {
    diagnostics.push_back({file, 0, DiagnosticSeverity::kError,
                           absl::StrCat("authreadkeys: file '", path,
                                        "': No such file or directory")});
    return diagnostics;
  }
  if (!stat.is_regular_file) {
    diagnostics.push_back(
        {file, 0, DiagnosticSeverity::kError,
         absl::StrCat("authreadkeys: file '", path, "': not a regular file")});
    return diagnostics;
  }
  if ((stat.permission_bits & 0004) != 0) {
    diagnostics.push_back(
        {file, 0, DiagnosticSeverity::kWarning,
         absl::StrCat("World-readable permissions on ", path)});
  }
  if ((stat.permission_bits & 0002) != 0) {
    diagnostics.push_back(
        {file, 0, DiagnosticSeverity::kWarning,
         absl::StrCat("World-writable permissions on ", path)});
  }
  return diagnostics;
}

}  // namespace ntp
