// The text of mode 6 variable lists (RFC 9327 §2: "name=value" items
// separated by commas, each value either a token or a quoted string), as
// ntpd writes them and ntpq reads them. Shared by the control server
// (control_server.h) and the clients (control_client.h, tools/ntpq).
//
// Everything that comes from the other side is hostile: parsing never
// fails on odd input (it returns what it could read), and EscapeForDisplay
// makes any octet string safe to print on a terminal.
#ifndef NTP_CONTROL_CONTROL_VARS_H_
#define NTP_CONTROL_CONTROL_VARS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "ntp/ntp_time.h"

namespace ntp {

// One variable as read from a list. `quoted`: the value was a quoted string
// (quotes removed).
struct ControlVariable {
  std::string name;
  std::string value;
  bool quoted = false;
  friend bool operator==(const ControlVariable&, const ControlVariable&) = default;
};

// Appends items to a list, ", " between them as ntpd's ctl_putdata does.
class ControlVarWriter {
 public:
  void Add(absl::string_view name, absl::string_view token);
  // A quoted value; '"' and non-printable octets in it become '.'.
  void AddQuoted(absl::string_view name, absl::string_view text);
  void AddInt(absl::string_view name, int64_t value);
  void AddHex(absl::string_view name, uint64_t value);        // 0x1f
  void AddDouble(absl::string_view name, double value, int decimals);  // %.Nf
  void AddTimestamp(absl::string_view name, NtpTimestamp value);  // 0x%08x.%08x
  // Values joined by single spaces (ntpd's ctl_putarray: filtdelay=...).
  void AddDoubles(absl::string_view name, const double* values, size_t count, int decimals);
  // Trusted text (this server's own values, e.g. arrays with spaces).
  void AddVerbatim(absl::string_view name, absl::string_view value);
  // Appends the items of another list.
  void AddList(const ControlVarWriter& other);
  const std::string& text() const { return text_; }
  std::string Release() { return std::move(text_); }

 private:
  void Start(absl::string_view name);
  std::string text_;
};

// Splits a variable list. Items are separated by ',' (whitespace and
// CR/LF around them ignored); a value runs to the next ',' unless it starts
// with '"', then to the closing '"'. An item without '=' is a name with an
// empty value. Never fails: an unterminated quote ends at the end of text.
std::vector<ControlVariable> ParseControlVariables(absl::string_view text);

// The value of `name` in `vars`, if present (the first one).
const ControlVariable* FindControlVariable(const std::vector<ControlVariable>& vars,
                                           absl::string_view name);

// "0xe3a1b2c3.00ff00ff" (ntpd's l_fp hex) back to a timestamp.
std::optional<NtpTimestamp> ParseControlTimestamp(absl::string_view text);

// Printable ASCII (0x20..0x7e) except '\\' is kept; everything else is
// written as \xNN ('\\' as "\\\\"), so a server cannot put escape
// sequences, NULs or line breaks on the user's terminal.
std::string EscapeForDisplay(absl::string_view bytes);

// A refid as ntpd shows it: for stratum 2..15 the four octets as a dotted
// quad (an IPv4 address or the IPv6 hash), else the ASCII code with
// trailing NULs dropped and any other non-printable octet as '.'.
std::string FormatControlRefId(uint32_t refid, int stratum);

}  // namespace ntp

#endif  // NTP_CONTROL_CONTROL_VARS_H_
