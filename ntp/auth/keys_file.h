// Parser for ntpd's symmetric keys file (ntp.keys(5); /etc/ntp/keys); the
// key-ID arguments of trustedkey, requestkey and controlkey are in
// key_id_list.h. Text in, typed values and diagnostics out: no file I/O (the
// daemon reads the file and stats it, then hands contents and metadata in).
//
// Keys file grammar, one key per line (ntpd 4.2.8 libntp/authreadkeys.c and
// ntpsec libntp/authreadkeys.c):
//   keyid type key [access-list]      # comment
// * Tokens are separated by spaces and tabs; '#' starts a comment anywhere
//   (it also ends a key); blank lines are skipped; a trailing CR is ignored.
// * keyid: 1..65535, decimal or hexadecimal with 0x (ntpsec reads it with
//   strtoul base 0: "0x10" is 16). 0 is the crypto-NAK ("cannot change key
//   0"), larger IDs are reserved for Autokey.
// * type, case-insensitive: MD5 or M (ntp-keygen's spelling); SHA1 or SHA-1
//   (ntpsec alias); SHA224, SHA256, SHA384, SHA512 with OpenSSL's aliases
//   SHA-256 and SHA2-256 (ntpsec: any OpenSSL digest, truncated to 20
//   octets); AES128CMAC (ntpd 4.2.8, ntpsec) or AES / AES-128 (ntpsec).
//   Like both ntpds, any other type starting with 'M' means MD5 (with a
//   warning). Other OpenSSL digest or cipher names that ntpsec would accept
//   (SHA3-256, RIPEMD160, AES-256, ...) are reported as unsupported.
//   AES-128-CMAC is NOT a spelling either implementation accepts (ntpsec
//   appends "-CBC" and finds no cipher "AES-128-CMAC-CBC").
// * key: 1..20 characters are the key itself in printable ASCII (no space,
//   no '#'); more than 20 characters are hex, an even number of digits up to
//   64 (32 octets; ntp-keygen writes 40 for SHA1, 32 for AES128CMAC). AES-CMAC
//   keys are zero-extended or truncated to 16 octets with a warning, as ntpd
//   does.
// * access-list (ntpd 4.2.8p7+; ntpsec ignores it): comma-separated
//   IP[/prefix] addresses allowed to use the key. A malformed element rejects
//   the whole line (dropping it could widen the key's use to everyone).
//
// Error policy: every bad line gets a diagnostic naming file:line and what is
// wrong, and parsing continues with the next line. Lines with errors add no
// key; the rest of the file is kept (ntpsec's behaviour; ntpd 4.2.8p10+ reads
// on but then discards the whole file if any line had an error — callers
// wanting that check HasErrors()). Diagnostics never contain key text: they
// name keys by ID and types by their canonical name only.
#ifndef NTP_AUTH_KEYS_FILE_H_
#define NTP_AUTH_KEYS_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ntp/auth/key_store.h"

namespace ntp {

enum class DiagnosticSeverity : uint8_t {
  kWarning,  // the key (or file) is used, but something is off
  kError,    // the line (or file) is not used
};

struct KeysFileDiagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 for the file as a whole
  DiagnosticSeverity severity = DiagnosticSeverity::kError;
  std::string message;

  // "ntp.keys:3: error: invalid hex digit for key 5"; without ":line" when
  // line is 0.
  std::string ToString() const;
  friend bool operator==(const KeysFileDiagnostic&,
                         const KeysFileDiagnostic&) = default;
};

struct ParsedKeysFile {
  KeyStore keys;
  // In line order.
  std::vector<KeysFileDiagnostic> diagnostics;

  bool HasErrors() const;
};

// Parses the contents of a keys file. `file_name` is used only in
// diagnostics. Never fails as a whole: bad lines become diagnostics.
ParsedKeysFile ParseKeysFile(absl::string_view file_name,
                             absl::string_view contents);

// What the daemon learned from stat(2) on the keys file.
struct KeysFileStat {
  bool exists = false;           // false: ENOENT
  bool is_regular_file = false;  // S_ISREG
  uint32_t permission_bits = 0;  // st_mode & 07777
};

// The file-level complaints, in this order:
// * missing file: error "authreadkeys: file '<path>': No such file or
//   directory" — ntpd 4.2.8's wording (libntp/authreadkeys.c logs
//   "authreadkeys: file '%s': %m" and continues without keys; ntpsec logs
//   "AUTH: authreadkeys: file %s: %m");
// * not a regular file: error "authreadkeys: file '<path>': not a regular
//   file";
// * others may read it (mode & 0004): warning "World-readable permissions on
//   <path>"; others may write it (mode & 0002): warning "World-writable
//   permissions on <path>". Neither ntpd 4.2.8 nor ntpsec checks
//   permissions; this is chrony's wording (util.c UTI_CheckFilePermissions,
//   called from keys.c KEY_Reload with mask 0771). chrony reports only the
//   first when both apply; we report both.
std::vector<KeysFileDiagnostic> CheckKeysFileStat(absl::string_view path,
                                                  const KeysFileStat& stat);

}  // namespace ntp

#endif  // NTP_AUTH_KEYS_FILE_H_
