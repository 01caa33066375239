// Directive handlers for files, keys and monitoring: driftfile, keys,
// keysdir, leapfile, logfile, pidfile, statsdir, saveconfigdir, trustedkey,
// requestkey, controlkey, statistics, filegen, logconfig, setvar
// (ntp_misc(5), ntp_auth(5), ntp_mon(5)).
#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ntp/config/parse_context.h"

namespace ntp::config_internal {
namespace {

std::optional<StatsType> StatsTypeFromName(absl::string_view name) {
  static constexpr StatsType kAll[] = {
      StatsType::kClockstats, StatsType::kCryptostats, StatsType::kLoopstats,
      StatsType::kPeerstats,  StatsType::kProtostats,  StatsType::kRawstats,
      StatsType::kSysstats,   StatsType::kTimingstats,
  };
  for (StatsType type : kAll) {
    if (name == StatsTypeName(type)) return type;
  }
  return std::nullopt;
}

}  // namespace

void HandleFileDirective(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  const std::string& keyword = tokens[0].text;
  NtpConfig& config = ctx.config();

  if (keyword == "driftfile") {
    // `driftfile` alone (or "") disables the drift file; a second argument
    // is the wander threshold (ntp_parser.y drift_parm).
    if (tokens.size() == 1) {
      ConfigPath disabled;
      disabled.location = ctx.Location(tokens[0].column);
      config.driftfile = disabled;
      return;
    }
    if (!ctx.NoExtraArguments(2)) return;
    std::optional<ConfigPath> path =
        ctx.Path(tokens[1], "driftfile", /*allow_empty=*/true);
    if (!path.has_value()) return;
    std::optional<double> wander;
    if (tokens.size() == 3) {
      wander = ctx.Number(tokens[2], 0.0, 1.0, "driftfile wander threshold");
      if (!wander.has_value()) return;
    }
    config.driftfile = *path;
    if (wander.has_value()) config.drift_wander_threshold = *wander;
    return;
  }

  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), absl::StrCat(keyword, ": missing file name"));
    return;
  }
  if (keyword == "leapfile") {
    // `leapfile PATH [checkhash|ignorehash]`.
    if (!ctx.NoExtraArguments(2)) return;
    bool ignore_hash = false;
    if (tokens.size() == 3) {
      const Token& option = tokens[2];
      if (option.text == "ignorehash" && !option.quoted) {
        ignore_hash = true;
      } else if (option.text != "checkhash" || option.quoted) {
        ctx.Error(option.column,
                  absl::StrCat("leapfile: unknown option ", Quote(option.text),
                               " (checkhash or ignorehash)"));
        return;
      }
    }
    std::optional<ConfigPath> path = ctx.Path(tokens[1], keyword);
    if (!path.has_value()) return;
    config.leapfile = *path;
    config.leapfile_ignore_hash = ignore_hash;
    return;
  }
  if (!ctx.NoExtraArguments(1)) return;
  std::optional<ConfigPath> path = ctx.Path(tokens[1], keyword);
  if (!path.has_value()) return;
  std::optional<ConfigPath>* target =
      keyword == "keys"      ? &config.keys
      : keyword == "keysdir" ? &config.keysdir
      : keyword == "logfile" ? &config.logfile
      : keyword == "pidfile" ? &config.pidfile
      : keyword == "statsdir" ? &config.statsdir
                              : &config.saveconfigdir;
  *target = *path;
}

void HandleKeyDirective(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  const std::string& keyword = tokens[0].text;
  NtpConfig& config = ctx.config();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), absl::StrCat(keyword, ": missing key ID"));
    return;
  }
  if (keyword == "trustedkey") {
    std::vector<Token> arguments(tokens.begin() + 1, tokens.end());
    int column = 0;
    absl::StatusOr<TrustedKeyList> keys = ParseTrustedKeyList(arguments, &column);
    if (!keys.ok()) {
      ctx.Error(column, std::string(keys.status().message()));
      return;
    }
    for (auto& [notice_column, text] : keys->notices) {
      ctx.Warning(notice_column, std::move(text));
    }
    // ntpd 4.2.8 keeps only the last trustedkey line's list; we take the
    // union, which is what every configuration with several lines means.
    config.trusted_keys.InsertAll(keys->keys);
    config.trustedkey_locations.push_back(ctx.Location(tokens[0].column));
    return;
  }
  if (!ctx.NoExtraArguments(1)) return;
  absl::StatusOr<uint32_t> key_id = ParseKeyId(tokens[1].text);
  if (!key_id.ok()) {
    ctx.Error(tokens[1].column,
              absl::StrCat(keyword, ": ", key_id.status().message()));
    return;
  }
  KeyIdSetting setting{*key_id, ctx.Location(tokens[0].column)};
  (keyword == "requestkey" ? config.requestkey : config.controlkey) = setting;
}

void HandleStatistics(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "statistics: missing statistics types");
    return;
  }
  std::vector<StatsType> types;
  for (size_t i = 1; i < tokens.size(); ++i) {
    std::optional<StatsType> type =
        tokens[i].quoted ? std::nullopt : StatsTypeFromName(tokens[i].text);
    if (!type.has_value()) {
      ctx.Error(tokens[i].column,
                absl::StrCat("statistics: unknown statistics type ",
                             Quote(tokens[i].text)));
      return;
    }
    types.push_back(*type);
  }
  std::vector<StatsType>& all = ctx.config().statistics;
  for (StatsType type : types) {
    if (std::find(all.begin(), all.end(), type) == all.end()) {
      all.push_back(type);
    }
  }
}

void HandleFilegen(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "filegen: missing statistics type");
    return;
  }
  std::optional<StatsType> type =
      tokens[1].quoted ? std::nullopt : StatsTypeFromName(tokens[1].text);
  if (!type.has_value()) {
    ctx.Error(tokens[1].column,
              absl::StrCat("filegen: unknown statistics type ",
                           Quote(tokens[1].text)));
    return;
  }
  FilegenConfig filegen;
  if (auto it = ctx.config().filegens.find(*type);
      it != ctx.config().filegens.end()) {
    filegen = it->second;
  }
  filegen.stats = *type;
  filegen.enabled = true;  // "filegen ... enabled" is the default
  for (size_t i = 2; i < tokens.size(); ++i) {
    const Token& option = tokens[i];
    const std::string& w = option.quoted ? std::string() : option.text;
    if (w == "link") {
      filegen.link = true;
    } else if (w == "nolink") {
      filegen.link = false;
    } else if (w == "enable") {
      filegen.enabled = true;
    } else if (w == "disable") {
      filegen.enabled = false;
    } else if (w == "file") {
      const Token* value = ctx.ValueAfter(i, "filegen file");
      if (value == nullptr) return;
      bool valid = !value->text.empty();
      for (char c : value->text) {
        unsigned char u = static_cast<unsigned char>(c);
        valid = valid && u >= 0x20 && u != 0x7F;
      }
      if (!valid) {
        ctx.Error(value->column, absl::StrCat("filegen file: invalid name ",
                                              Quote(value->text)));
        return;
      }
      filegen.file = value->text;
      ++i;
    } else if (w == "type") {
      const Token* value = ctx.ValueAfter(i, "filegen type");
      if (value == nullptr) return;
      const std::string& t = value->text;
      using Type = FilegenConfig::Type;
      if (t == "none") {
        filegen.type = Type::kNone;
      } else if (t == "pid") {
        filegen.type = Type::kPid;
      } else if (t == "day") {
        filegen.type = Type::kDay;
      } else if (t == "week") {
        filegen.type = Type::kWeek;
      } else if (t == "month") {
        filegen.type = Type::kMonth;
      } else if (t == "year") {
        filegen.type = Type::kYear;
      } else if (t == "age") {
        filegen.type = Type::kAge;
      } else {
        ctx.Error(value->column,
                  absl::StrCat("filegen type: unknown type ", Quote(t),
                               " (none, pid, day, week, month, year, age)"));
        return;
      }
      ++i;
    } else {
      ctx.Error(option.column,
                absl::StrCat("filegen: unknown option ", Quote(option.text)));
      return;
    }
  }
  filegen.location = ctx.Location(tokens[0].column);
  ctx.config().filegens[*type] = std::move(filegen);
}

void HandleLogconfig(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "logconfig: missing arguments");
    return;
  }
  // ntpd 4.2.8 ntp_config.c get_logmask(): an optional =/+/- prefix, then
  // either a class-less item or a class (clock peer sync sys) followed by
  // an item (all info events status statistics).
  static constexpr absl::string_view kNoClassItems[] = {
      "allall", "allinfo", "allevents", "allstatus", "allstatistics",
      "allclock", "allpeer", "allsys", "allsync"};
  static constexpr absl::string_view kClasses[] = {"clock", "peer", "sync",
                                                   "sys"};
  static constexpr absl::string_view kItems[] = {"all", "info", "events",
                                                 "status", "statistics"};
  for (size_t i = 1; i < tokens.size(); ++i) {
    const std::string& item = tokens[i].text;
    absl::string_view rest = item;
    if (!rest.empty() && (rest[0] == '=' || rest[0] == '+' || rest[0] == '-')) {
      rest.remove_prefix(1);
    }
    bool valid = false;
    for (absl::string_view known : kNoClassItems) valid = valid || rest == known;
    for (absl::string_view cls : kClasses) {
      if (valid || !absl::StartsWith(rest, cls)) continue;
      absl::string_view what = rest.substr(cls.size());
      for (absl::string_view known : kItems) valid = valid || what == known;
    }
    if (!valid) {
      // ntpd's wording; ntpd ignores the item and goes on.
      ctx.Warning(tokens[i].column,
                  absl::StrCat("logconfig: illegal argument ",
                               PrintableToken(item), " - ignored"));
      continue;
    }
    ctx.config().logconfig.push_back(item);
  }
}

void HandleSetvar(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  // setvar NAME = VALUE [default], with or without blanks around '='.
  size_t end = tokens.size();
  bool is_default = false;
  if (end > 2 && !tokens[end - 1].quoted && tokens[end - 1].text == "default") {
    is_default = true;
    --end;
  }
  std::string joined;
  for (size_t i = 1; i < end; ++i) {
    if (!joined.empty() && tokens[i].text != "=" && joined.back() != '=') {
      joined += ' ';
    }
    joined += tokens[i].text;
  }
  size_t equals = joined.find('=');
  if (tokens.size() < 2 || equals == std::string::npos) {
    ctx.Error(tokens.size() < 2 ? ctx.EndColumn() : tokens[1].column,
              "setvar: expected NAME = VALUE");
    return;
  }
  std::string name(absl::StripAsciiWhitespace(joined.substr(0, equals)));
  std::string value(absl::StripAsciiWhitespace(joined.substr(equals + 1)));
  bool valid_name = !name.empty() && name.size() <= 64;
  for (char c : name) {
    valid_name = valid_name && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                                c == '_' || c == '-' || c == '.');
  }
  if (!valid_name) {
    ctx.Error(tokens[1].column,
              absl::StrCat("setvar: invalid variable name ", Quote(name)));
    return;
  }
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '"') {
      ctx.Error(tokens[1].column,
                absl::StrCat("setvar: invalid value ", Quote(value)));
      return;
    }
  }
  ctx.config().setvars.push_back(
      SetVar{name, value, is_default, ctx.Location(tokens[0].column)});
}

}  // namespace ntp::config_internal
