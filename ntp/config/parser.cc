// The parser driver: reads files through the ConfigFileReader, follows
// includefiles (depth, cycle and work limits), dispatches each line to its
// directive handler (parse_*.cc) and runs the whole-configuration checks.
#include "ntp/config/parser.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ntp/config/parse_context.h"
#include "ntp/config/tokenizer.h"

namespace ntp {

std::string FormatDiagnostic(const Diagnostic& d) {
  std::string out = d.file;
  if (d.line > 0) absl::StrAppend(&out, ":", d.line);
  absl::StrAppend(&out, d.severity == Severity::kError ? ": error: "
                                                       : ": warning: ",
                  d.message);
  return out;
}

absl::Status ParsedConfig::status() const {
  if (ok()) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Severity::kError) lines.push_back(FormatDiagnostic(d));
  }
  if (lines.size() < static_cast<size_t>(error_count)) {
    lines.push_back(absl::StrCat("(", error_count - lines.size(),
                                 " more errors not shown)"));
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

std::string ParsedConfig::FormatAll() const {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    absl::StrAppend(&out, FormatDiagnostic(d), "\n");
  }
  const int shown = static_cast<int>(diagnostics.size());
  if (shown < error_count + warning_count) {
    absl::StrAppend(&out, "(", error_count + warning_count - shown,
                    " more diagnostics not shown)\n");
  }
  return out;
}

std::string NormalizePath(absl::string_view path) {
  if (path.empty()) return "";
  const bool absolute = path[0] == '/';
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);  // relative paths keep leading ".."
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string joined = absl::StrJoin(parts, "/");
  if (absolute) return absl::StrCat("/", joined);
  return joined.empty() ? "." : joined;
}

std::string ApplyRootDirectory(absl::string_view root_directory,
                               absl::string_view path) {
  if (path.empty()) return "";
  std::string normalized = NormalizePath(path);
  if (root_directory.empty() || path[0] != '/') return normalized;
  std::string root = NormalizePath(root_directory);
  if (root == "/") return normalized;
  if (normalized == "/") return root;
  return absl::StrCat(root, normalized);
}

namespace {

using config_internal::ParseContext;
using config_internal::Quote;

// The directory part of `file` ("" for a bare name).
std::string DirectoryOf(absl::string_view file) {
  size_t slash = file.rfind('/');
  if (slash == absl::string_view::npos) return "";
  if (slash == 0) return "/";
  return std::string(file.substr(0, slash));
}

using Handler = void (*)(ParseContext&);

struct DirectiveEntry {
  const char* keyword;
  Handler handler;  // null: recognised, not supported (warning, ignored)
  const char* why_unsupported;
};

// Every keyword ntpd 4.2.8 accepts at the start of a line (ntp_parser.y),
// except the simulator's. Sorted for readability only.
constexpr DirectiveEntry kDirectives[] = {
    {"automax", nullptr, "Autokey is not supported"},
    {"broadcast", nullptr, "broadcast mode is not supported"},
    {"broadcastclient", nullptr, "broadcast mode is not supported"},
    {"broadcastdelay", config_internal::HandleBroadcastDelay, nullptr},
    {"controlkey", config_internal::HandleKeyDirective, nullptr},
    {"crypto", nullptr, "Autokey (public key cryptography) is not supported"},
    {"disable", config_internal::HandleEnableDisable, nullptr},
    {"discard", config_internal::HandleDiscard, nullptr},
    {"driftfile", config_internal::HandleFileDirective, nullptr},
    {"dscp", nullptr, "setting the DSCP is not supported"},
    {"enable", config_internal::HandleEnableDisable, nullptr},
    {"filegen", config_internal::HandleFilegen, nullptr},
    {"fudge", config_internal::HandleFudge, nullptr},
    {"ident", nullptr, "Autokey is not supported"},
    {"interface", config_internal::HandleInterface, nullptr},
    {"keys", config_internal::HandleFileDirective, nullptr},
    {"keysdir", config_internal::HandleFileDirective, nullptr},
    {"leapfile", config_internal::HandleFileDirective, nullptr},
    {"leapsmearinterval", config_internal::HandleLeapSmearInterval, nullptr},
    {"logconfig", config_internal::HandleLogconfig, nullptr},
    {"logfile", config_internal::HandleFileDirective, nullptr},
    {"manycastclient", nullptr, "manycast mode is not supported"},
    {"manycastserver", nullptr, "manycast mode is not supported"},
    {"mdnstries", nullptr, "mDNS registration is not supported"},
    {"mru", config_internal::HandleMru, nullptr},
    {"multicastclient", nullptr, "multicast mode is not supported"},
    {"nic", config_internal::HandleInterface, nullptr},
    {"nonvolatile", config_internal::HandleNonvolatile, nullptr},
    {"nts", config_internal::HandleNts, nullptr},  // ntpsec: NtsConfig
    {"ntpsigndsocket", nullptr, "MS-SNTP signing is not supported"},
    {"peer", config_internal::HandleAssociation, nullptr},
    {"phone", nullptr, "modem reference clocks are not supported"},
    {"pidfile", config_internal::HandleFileDirective, nullptr},
    {"pollskewlist", nullptr, "poll skewing is not supported"},
    {"pool", config_internal::HandleAssociation, nullptr},
    {"requestkey", config_internal::HandleKeyDirective, nullptr},
    {"reset", nullptr, "counter reset at startup is not supported"},
    {"restrict", config_internal::HandleRestrict, nullptr},
    {"revoke", nullptr, "Autokey is not supported"},
    {"rlimit", nullptr, "process resource limits are not supported"},
    {"rtc", config_internal::HandleRtc, nullptr},  // ours: RtcConfig
    {"saveconfigdir", config_internal::HandleFileDirective, nullptr},
    {"server", config_internal::HandleAssociation, nullptr},
    {"setvar", config_internal::HandleSetvar, nullptr},
    {"statistics", config_internal::HandleStatistics, nullptr},
    {"statsdir", config_internal::HandleFileDirective, nullptr},
    {"tick", config_internal::HandleTinker, nullptr},
    {"tinker", config_internal::HandleTinker, nullptr},
    {"tos", config_internal::HandleTos, nullptr},
    {"trace", config_internal::HandleTrace, nullptr},  // ours: TraceConfig
    {"trap", nullptr, "mode 6 trap receivers are not supported"},
    {"trustedkey", config_internal::HandleKeyDirective, nullptr},
    {"ttl", nullptr, "manycast TTLs are not supported"},
    {"unconfig", nullptr, "unpeer is not supported in configuration files"},
    {"unpeer", nullptr, "unpeer is not supported in configuration files"},
};

const DirectiveEntry* FindDirective(absl::string_view keyword) {
  for (const DirectiveEntry& entry : kDirectives) {
    if (keyword == entry.keyword) return &entry;
  }
  return nullptr;
}

class Driver {
 public:
  Driver(ParsedConfig& result, const ParseOptions& options,
         ConfigFileReader* reader)
      : ctx_(result, options), options_(options), reader_(reader) {}

  // Parses `text` as the contents of `file` at include depth `depth`.
  void ParseText(absl::string_view text, const std::string& file, int depth);
  void Finish() { config_internal::CheckWholeConfig(ctx_); }
  // Reports that the top-level file could not be read.
  void TopLevelReadError(const std::string& path, const absl::Status& status) {
    ctx_.ErrorAt(SourceLocation{path, 0, 0},
                 absl::StrCat("getconfig: Couldn't open <", path,
                              ">: ", status.message()));
  }
  bool Account(size_t bytes) {
    total_bytes_ += bytes;
    ++files_;
    return total_bytes_ <= options_.max_total_bytes &&
           files_ <= options_.max_files;
  }

 private:
  void HandleLine(const std::string& file, const TokenizedLine& line,
                  int depth);
  void HandleInclude(const std::string& file, int depth);

  ParseContext ctx_;
  const ParseOptions& options_;
  ConfigFileReader* reader_;
  // Normalised paths of the files being read, outermost first.
  std::vector<std::string> stack_;
  size_t total_bytes_ = 0;
  int files_ = 0;
  bool budget_exhausted_ = false;
};

void Driver::ParseText(absl::string_view text, const std::string& file,
                       int depth) {
  stack_.push_back(NormalizePath(file));
  const std::vector<TokenizedLine> lines = TokenizeConfig(text);
  for (const TokenizedLine& line : lines) {
    if (budget_exhausted_) break;
    HandleLine(file, line, depth);
  }
  stack_.pop_back();
}

void Driver::HandleLine(const std::string& file, const TokenizedLine& line,
                        int depth) {
  ctx_.BeginLine(file, line);
  if (line.token_too_long) {
    ctx_.Error(line.too_long_column,
               absl::StrCat("configuration item longer than limit of ",
                            kMaxTokenBytes, " bytes; line ignored"));
    return;
  }
  const Token& keyword = line.tokens[0];
  if (keyword.quoted) {
    ctx_.Warning(keyword.column,
                 absl::StrCat("unknown directive ", Quote(keyword.text),
                              " (quoted); line ignored"));
    return;
  }
  if (keyword.text == "includefile") {
    HandleInclude(file, depth);
    return;
  }
  const DirectiveEntry* entry = FindDirective(keyword.text);
  if (entry == nullptr) {
    std::string message = absl::StrCat("unknown directive ",
                                       Quote(keyword.text), "; line ignored");
    const std::string lower = absl::AsciiStrToLower(keyword.text);
    if (lower != keyword.text &&
        (FindDirective(lower) != nullptr || lower == "includefile")) {
      absl::StrAppend(&message, " (directives are lowercase: did you mean '",
                      lower, "'?)");
    }
    ctx_.Warning(keyword.column, std::move(message));
    return;
  }
  if (entry->handler == nullptr) {
    ctx_.Warning(keyword.column,
                 absl::StrCat("'", entry->keyword, "': ",
                              entry->why_unsupported, "; line ignored"));
    ctx_.config().ignored.push_back(
        IgnoredDirective{entry->keyword, ctx_.Location(keyword.column)});
    return;
  }
  entry->handler(ctx_);
}

void Driver::HandleInclude(const std::string& file, int depth) {
  const std::vector<Token>& tokens = ctx_.tokens();
  if (tokens.size() < 2) {
    ctx_.Error(ctx_.EndColumn(), "includefile: missing file name");
    return;
  }
  if (!ctx_.NoExtraArguments(1)) return;
  const Token& name = tokens[1];
  std::optional<ConfigPath> path = ctx_.Path(name, "includefile");
  if (!path.has_value()) return;
  // Relative names are relative to the including file's directory.
  if (name.text[0] != '/') {
    std::string dir = DirectoryOf(file);
    path->path = NormalizePath(
        dir.empty() ? name.text : absl::StrCat(dir, "/", name.text));
  }
  const std::string target = NormalizePath(path->path);
  for (size_t i = 0; i < stack_.size(); ++i) {
    if (stack_[i] != target) continue;
    std::vector<std::string> chain(stack_.begin() + i, stack_.end());
    chain.push_back(target);
    ctx_.Error(name.column,
               absl::StrCat("includefile cycle: ", Quote(path->path),
                            " is already being read (",
                            absl::StrJoin(chain, " -> "), "); not followed"));
    return;
  }
  if (depth + 1 > options_.max_include_depth) {
    ctx_.Error(name.column,
               absl::StrCat("getconfig: Maximum include file level exceeded (",
                            options_.max_include_depth, "); ",
                            Quote(path->path), " not read"));
    return;
  }
  if (reader_ == nullptr) {
    ctx_.Warning(name.column, absl::StrCat("getconfig: Couldn't open <",
                                           path->path, ">"));
    return;
  }
  absl::StatusOr<std::string> text =
      reader_->Read(path->path, options_.max_file_bytes);
  if (!text.ok()) {
    std::string message =
        absl::StrCat("getconfig: Couldn't open <", path->path, ">");
    if (text.status().code() != absl::StatusCode::kNotFound) {
      absl::StrAppend(&message, ": ", text.status().message());
    }
    ctx_.Warning(name.column, std::move(message));
    return;
  }
  if (!Account(text->size())) {
    ctx_.Error(name.column,
               absl::StrCat("includefile: too much included configuration "
                            "(more than ",
                            options_.max_files, " files or ",
                            options_.max_total_bytes,
                            " bytes in total); stopping"));
    budget_exhausted_ = true;
    return;
  }
  ctx_.config().included_files.push_back(*path);
  // The included file's lines are parsed with their own locations; the
  // context's current line is restored implicitly (the next line resets it).
  const std::string included = path->path;
  ParseText(*text, included, depth + 1);
}

}  // namespace

ParsedConfig ParseNtpConfText(absl::string_view text,
                              const std::string& file_name,
                              ConfigFileReader* include_reader,
                              const ParseOptions& options) {
  ParsedConfig result;
  Driver driver(result, options, include_reader);
  if (!driver.Account(text.size()) || text.size() > options.max_file_bytes) {
    driver.TopLevelReadError(
        file_name, absl::ResourceExhaustedError(absl::StrCat(
                       "larger than ", options.max_file_bytes, " bytes")));
    return result;
  }
  driver.ParseText(text, file_name, 0);
  driver.Finish();
  return result;
}

ParsedConfig ParseNtpConfFile(const std::string& path,
                              ConfigFileReader& reader,
                              const ParseOptions& options) {
  absl::StatusOr<std::string> text = reader.Read(path, options.max_file_bytes);
  if (!text.ok()) {
    ParsedConfig result;
    Driver driver(result, options, &reader);
    driver.TopLevelReadError(path, text.status());
    return result;
  }
  return ParseNtpConfText(*text, path, &reader, options);
}

}  // namespace ntp
