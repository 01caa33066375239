// Internal to //ntp/config: the state shared by the directive handlers
// (parse_*.cc) while one configuration is parsed, and the value helpers that
// turn tokens into checked numbers, addresses and paths while reporting
// diagnostics. Not a public API.
#ifndef NTP_CONFIG_PARSE_CONTEXT_H_
#define NTP_CONFIG_PARSE_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "net/address.h"
#include "ntp/config/config.h"
#include "ntp/config/parser.h"
#include "ntp/config/tokenizer.h"

namespace ntp::config_internal {

class ParseContext {
 public:
  ParseContext(ParsedConfig& result, const ParseOptions& options)
      : result_(result), options_(options) {}
  ParseContext(const ParseContext&) = delete;
  ParseContext& operator=(const ParseContext&) = delete;

  NtpConfig& config() { return result_.config; }
  const ParseOptions& options() const { return options_; }

  // The line being parsed; set by the driver before each handler runs.
  void BeginLine(const std::string& file, const TokenizedLine& line) {
    file_ = &file;
    line_ = &line;
    line_errors_ = 0;
  }
  const TokenizedLine& line() const { return *line_; }
  const std::vector<Token>& tokens() const { return line_->tokens; }
  const std::string& file() const { return *file_; }
  // True while no error was reported for the current line: handlers commit
  // to the model only if this holds at the end of the line.
  bool line_ok() const { return line_errors_ == 0; }

  SourceLocation Location(int column = 0) const {
    return SourceLocation{*file_, line_->line, column};
  }
  // Column just after the last token (for "missing value" errors).
  int EndColumn() const;

  // Diagnostics for the current line.
  void Error(int column, std::string message);
  void Warning(int column, std::string message);
  // Diagnostics at an explicit location (end-of-parse checks, file errors).
  void ErrorAt(const SourceLocation& where, std::string message);
  void WarningAt(const SourceLocation& where, std::string message);

  // Token helpers. `what` names the option in messages ("minpoll").
  // The token after index `i` or an error "<what>: missing value".
  const Token* ValueAfter(size_t i, absl::string_view what);
  // Decimal integer (optional leading '-') in [min, max].
  std::optional<int64_t> Integer(const Token& token, int64_t min, int64_t max,
                                 absl::string_view what);
  // Decimal number as ntpd's scanner accepts it ([+-]digits[.digits]
  // [e[+-]digits], no inf/nan/hex), finite, in [min, max].
  std::optional<double> Number(const Token& token, double min, double max,
                               absl::string_view what);
  // 0/1/true/false (ntpd's `boolean`).
  std::optional<bool> Boolean(const Token& token, absl::string_view what);
  // A path argument: rejects empty text and control bytes; applies the
  // root directory to absolute paths.
  std::optional<ConfigPath> Path(const Token& token, absl::string_view what,
                                 bool allow_empty = false);
  // Rejects any token after index `last_allowed`.
  bool NoExtraArguments(size_t last_allowed);

 private:
  void Add(Severity severity, const SourceLocation& where,
           std::string message);

  ParsedConfig& result_;
  const ParseOptions& options_;
  const std::string* file_ = nullptr;
  const TokenizedLine* line_ = nullptr;
  int line_errors_ = 0;
};

// "'text'" with unprintable bytes escaped: the offending-token quote used
// in every message.
std::string Quote(absl::string_view text);

// True if `text` is an unquoted `-4` / `-6` family flag; sets `family`.
bool ParseFamilyFlag(const Token& token, net::IpAddress::Family& family);

// Host name check (RFC 1123 letters, digits, '-', '_', '.'; labels 1..63,
// total <= 253). Returns an error message, or "" if `text` is acceptable.
std::string CheckHostName(absl::string_view text);

// True if `text` looks like an attempt at a numeric address (only digits
// and dots, or contains ':'), so a parse failure is a bad address rather
// than a host name.
bool LooksNumeric(absl::string_view text);

// Directive handlers, one per keyword family; each reads ctx.tokens()
// (tokens[0] is the keyword) and commits to ctx.config() if line_ok().
void HandleAssociation(ParseContext& ctx);  // server, peer, pool
void HandleFudge(ParseContext& ctx);
void HandleRestrict(ParseContext& ctx);
void HandleDiscard(ParseContext& ctx);
void HandleMru(ParseContext& ctx);
void HandleTinker(ParseContext& ctx);  // tinker, tick
void HandleTos(ParseContext& ctx);
void HandleEnableDisable(ParseContext& ctx);
void HandleInterface(ParseContext& ctx);  // interface, nic
void HandleStatistics(ParseContext& ctx);
void HandleFilegen(ParseContext& ctx);
void HandleFileDirective(ParseContext& ctx);  // driftfile keys ... pidfile
void HandleKeyDirective(ParseContext& ctx);   // trustedkey requestkey ...
void HandleBroadcastDelay(ParseContext& ctx);
void HandleLeapSmearInterval(ParseContext& ctx);
void HandleNonvolatile(ParseContext& ctx);
void HandleLogconfig(ParseContext& ctx);
void HandleSetvar(ParseContext& ctx);
void HandleRtc(ParseContext& ctx);  // parse_rtc.cc
void HandleNts(ParseContext& ctx);  // parse_nts.cc
void HandleTrace(ParseContext& ctx);  // parse_trace.cc

// Checks that need the whole configuration (fudge without server, tos
// consistency, tinker freq vs driftfile, untrusted keys). Called once after
// the last line.
void CheckWholeConfig(ParseContext& ctx);

}  // namespace ntp::config_internal

#endif  // NTP_CONFIG_PARSE_CONTEXT_H_
