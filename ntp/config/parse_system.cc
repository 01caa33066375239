// Directive handlers for the clock discipline and system options: tinker,
// tick, tos, enable, disable, interface/nic, broadcastdelay, nonvolatile
// (ntp_misc(5)).
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ntp/config/parse_context.h"

namespace ntp::config_internal {
namespace {

// Upper bound for "seconds" knobs: generous, but keeps values finite and
// far from overflowing the fixed-point time types.
constexpr double kMaxSeconds = 1e9;

}  // namespace

void HandleTinker(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  TinkerConfig tinker = ctx.config().tinker;
  if (tokens[0].text == "tick") {
    // `tick N` is the same as `tinker tick N` (ntp_parser.y).
    if (tokens.size() < 2) {
      ctx.Error(ctx.EndColumn(), "tick: missing value");
      return;
    }
    if (!ctx.NoExtraArguments(1)) return;
    std::optional<double> tick = ctx.Number(tokens[1], 1e-9, 1.0, "tick");
    if (!tick.has_value() || *tick <= 0) return;
    tinker.tick_seconds = *tick;
    tinker.location = ctx.Location(tokens[0].column);
    ctx.config().tinker = tinker;
    return;
  }
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "tinker: missing options");
    return;
  }
  for (size_t i = 1; i < tokens.size(); ++i) {
    const Token& option = tokens[i];
    const std::string& w = option.text;
    const bool known = !option.quoted &&
                       (w == "step" || w == "stepout" || w == "panic" ||
                        w == "dispersion" || w == "allan" || w == "huffpuff" ||
                        w == "freq" || w == "stepback" || w == "stepfwd" ||
                        w == "tick");
    if (!known) {
      ctx.Error(option.column,
                absl::StrCat("tinker: unknown option ", Quote(w)));
      return;
    }
    const Token* value = ctx.ValueAfter(i, absl::StrCat("tinker ", w));
    if (value == nullptr) return;
    ++i;
    const std::string what = absl::StrCat("tinker ", w);
    if (w == "allan") {
      // log2 seconds; 4.2.8 stores it in an unsigned char.
      std::optional<int64_t> allan = ctx.Integer(*value, 0, 31, what);
      if (allan.has_value()) tinker.allan_log2_seconds = static_cast<int>(*allan);
      continue;
    }
    if (w == "freq") {
      // RFC 5905 §11.3: frequency tolerance 500 ppm (MAXFREQ).
      std::optional<double> freq = ctx.Number(*value, -500.0, 500.0, what);
      if (freq.has_value()) tinker.freq_ppm = *freq;
      continue;
    }
    if (w == "tick") {
      std::optional<double> tick = ctx.Number(*value, 1e-9, 1.0, what);
      if (tick.has_value()) tinker.tick_seconds = *tick;
      continue;
    }
    if (w == "dispersion") {
      std::optional<double> ppm = ctx.Number(*value, 0.0, 1e6, what);
      if (ppm.has_value()) tinker.dispersion_ppm = *ppm;
      continue;
    }
    std::optional<double> seconds = ctx.Number(*value, 0.0, kMaxSeconds, what);
    if (!seconds.has_value()) continue;
    if (w == "step") {
      tinker.step_seconds = *seconds;
    } else if (w == "stepout") {
      if (*seconds < 300.0) {
        // ntp_misc(5): "it should not be set less than the default".
        ctx.Warning(value->column,
                    absl::StrCat("tinker stepout ", value->text,
                                 " is below the 300 s default; startup and "
                                 "training intervals shrink with it"));
      }
      tinker.stepout_seconds = *seconds;
    } else if (w == "panic") {
      tinker.panic_seconds = *seconds;
    } else if (w == "huffpuff") {
      // ntp_misc(5), huffpuff: "The lower limit is 900 s".
      if (*seconds != 0.0 && *seconds < 900.0) {
        ctx.Error(value->column,
                  absl::StrCat("tinker huffpuff: value ", Quote(value->text),
                               " is below the 900 s lower limit"));
        continue;
      }
      tinker.huffpuff_seconds = *seconds;
    } else if (w == "stepback") {
      tinker.stepback_seconds = *seconds;
    } else {  // stepfwd
      tinker.stepfwd_seconds = *seconds;
    }
  }
  if (!ctx.line_ok()) return;
  tinker.location = ctx.Location(tokens[0].column);
  ctx.config().tinker = tinker;
}

void HandleTos(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "tos: missing options");
    return;
  }
  TosConfig tos = ctx.config().tos;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const Token& option = tokens[i];
    const std::string& w = option.text;
    const bool known =
        !option.quoted &&
        (w == "minsane" || w == "minclock" || w == "maxclock" ||
         w == "mindist" || w == "maxdist" || w == "orphan" ||
         w == "orphanwait" || w == "cohort" || w == "floor" ||
         w == "ceiling" || w == "beacon" || w == "bcpollbstep" ||
         w == "basedate" || w == "budget" || w == "budgetwindow");
    if (!known) {
      ctx.Error(option.column, absl::StrCat("tos: unknown option ", Quote(w)));
      return;
    }
    const Token* value = ctx.ValueAfter(i, absl::StrCat("tos ", w));
    if (value == nullptr) return;
    ++i;
    const std::string what = absl::StrCat("tos ", w);
    auto integer = [&](int min, int max, int& target) {
      std::optional<int64_t> n = ctx.Integer(*value, min, max, what);
      if (n.has_value()) target = static_cast<int>(*n);
    };
    auto seconds = [&](double min, double max, double& target) {
      std::optional<double> x = ctx.Number(*value, min, max, what);
      if (x.has_value()) target = *x;
    };
    if (w == "minsane") {
      integer(0, 64, tos.minsane);
    } else if (w == "minclock") {
      integer(1, 64, tos.minclock);
    } else if (w == "maxclock") {
      integer(1, 64, tos.maxclock);
    } else if (w == "mindist") {
      seconds(0.0, 16.0, tos.mindist_seconds);
    } else if (w == "maxdist") {
      seconds(0.001, 16.0, tos.maxdist_seconds);
    } else if (w == "orphan") {
      integer(1, 16, tos.orphan_stratum);
    } else if (w == "orphanwait") {
      seconds(0.0, kMaxSeconds, tos.orphanwait_seconds);
    } else if (w == "cohort") {
      std::optional<bool> cohort = ctx.Boolean(*value, what);
      if (cohort.has_value()) tos.cohort = *cohort;
    } else if (w == "floor") {
      integer(0, 15, tos.floor);
    } else if (w == "ceiling") {
      // ntpd clamps to 1..15 ("Using maximum tos ceiling 15").
      integer(1, 15, tos.ceiling);
    } else if (w == "beacon") {
      seconds(0.0, kMaxSeconds, tos.beacon_seconds);
    } else if (w == "bcpollbstep") {
      integer(0, 4, tos.bcpollbstep);  // ntp_misc(5): 0 to 4
    } else if (w == "budget") {
      seconds(0.0, kMaxSeconds, tos.budget_seconds);
    } else if (w == "budgetwindow") {
      seconds(1.0, kMaxSeconds, tos.budgetwindow_seconds);
    } else {  // basedate: YYYY-MM-DD or a day count since 1900-01-01
      const std::string& t = value->text;
      bool valid = false;
      int64_t days = 0;
      if (t.size() == 10 && t[4] == '-' && t[7] == '-') {
        valid = true;
        for (size_t k = 0; k < t.size(); ++k) {
          if (k == 4 || k == 7) continue;
          valid = valid && t[k] >= '0' && t[k] <= '9';
        }
      } else if (absl::SimpleAtoi(t, &days) && days >= 0) {
        valid = true;
      }
      if (!valid) {
        ctx.Error(value->column,
                  absl::StrCat("tos basedate: ", Quote(t),
                               " is neither YYYY-MM-DD nor a day count"));
      } else {
        tos.basedate = t;
      }
    }
  }
  if (!ctx.line_ok()) return;
  tos.location = ctx.Location(tokens[0].column);
  ctx.config().tos = tos;
}

void HandleEnableDisable(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  const std::string& keyword = tokens[0].text;
  const bool enable = keyword == "enable";
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), absl::StrCat(keyword, ": missing options"));
    return;
  }
  struct Entry {
    const char* word;
    bool SystemFlags::*member;
  };
  static constexpr Entry kFlags[] = {
      {"auth", &SystemFlags::auth},
      {"bclient", &SystemFlags::bclient},
      {"calibrate", &SystemFlags::calibrate},
      {"kernel", &SystemFlags::kernel},
      {"mode7", &SystemFlags::mode7},
      {"monitor", &SystemFlags::monitor},
      {"ntp", &SystemFlags::ntp},
      {"stats", &SystemFlags::stats},
      {"unpeer_crypto_early", &SystemFlags::unpeer_crypto_early},
      {"unpeer_crypto_nak_early", &SystemFlags::unpeer_crypto_nak_early},
      {"unpeer_digest_early", &SystemFlags::unpeer_digest_early},
  };
  SystemFlags flags = ctx.config().system;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const Token& option = tokens[i];
    const Entry* found = nullptr;
    for (const Entry& e : kFlags) {
      if (!option.quoted && option.text == e.word) found = &e;
    }
    if (found == nullptr) {
      ctx.Error(option.column, absl::StrCat(keyword, ": unknown option ",
                                            Quote(option.text)));
      return;
    }
    flags.*found->member = enable;
  }
  flags.location = ctx.Location(tokens[0].column);
  ctx.config().system = flags;
}

void HandleInterface(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  const std::string& keyword = tokens[0].text;
  if (tokens.size() < 3) {
    ctx.Error(ctx.EndColumn(),
              absl::StrCat(keyword,
                           ": expected listen|ignore|drop and an interface"));
    return;
  }
  if (!ctx.NoExtraArguments(2)) return;
  InterfaceRule rule;
  rule.location = ctx.Location(tokens[0].column);
  const Token& action = tokens[1];
  if (action.text == "listen" && !action.quoted) {
    rule.action = InterfaceRule::Action::kListen;
  } else if (action.text == "ignore" && !action.quoted) {
    rule.action = InterfaceRule::Action::kIgnore;
  } else if (action.text == "drop" && !action.quoted) {
    rule.action = InterfaceRule::Action::kDrop;
  } else {
    ctx.Error(action.column,
              absl::StrCat(keyword, ": unknown action ", Quote(action.text),
                           " (listen, ignore or drop)"));
    return;
  }
  const Token& match = tokens[2];
  const std::string& m = match.text;
  if (!match.quoted && m == "all") {
    rule.match = InterfaceRule::Match::kAll;
  } else if (!match.quoted && m == "ipv4") {
    rule.match = InterfaceRule::Match::kIpv4;
  } else if (!match.quoted && m == "ipv6") {
    rule.match = InterfaceRule::Match::kIpv6;
  } else if (!match.quoted && m == "wildcard") {
    rule.match = InterfaceRule::Match::kWildcard;
  } else {
    absl::string_view address_text = m;
    absl::string_view length_text;
    bool has_length = false;
    if (size_t slash = address_text.find('/');
        slash != absl::string_view::npos) {
      length_text = address_text.substr(slash + 1);
      address_text = address_text.substr(0, slash);
      has_length = true;
    }
    absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(address_text);
    if (ip.ok()) {
      rule.match = InterfaceRule::Match::kAddress;
      rule.address = *ip;
      if (has_length) {
        int length = -1;
        bool digits = !length_text.empty() && length_text.size() <= 3;
        for (char c : length_text) digits = digits && c >= '0' && c <= '9';
        if (!digits || !absl::SimpleAtoi(length_text, &length) ||
            length > ip->size() * 8) {
          ctx.Error(match.column,
                    absl::StrCat(keyword, ": invalid prefix length in ",
                                 Quote(m)));
          return;
        }
        rule.prefix_length = length;
      }
    } else if (LooksNumeric(address_text)) {
      ctx.Error(match.column,
                absl::StrCat(keyword, ": invalid address ", Quote(m)));
      return;
    } else {
      // An interface name (ntpd matches it with fnmatch, so wildcards
      // like "eth*" are allowed).
      bool printable = !m.empty() && m.size() <= 64;
      for (char c : m) printable = printable && c > 0x20 && c < 0x7F;
      if (!printable) {
        ctx.Error(match.column,
                  absl::StrCat(keyword, ": invalid interface name ",
                               Quote(m)));
        return;
      }
      rule.match = InterfaceRule::Match::kName;
      rule.name = m;
    }
  }
  ctx.config().interfaces.push_back(std::move(rule));
}

// `NAME VALUE` with one number in [min, max].
static std::optional<double> SingleNumber(ParseContext& ctx, const char* name, double min,
                                          double max) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), absl::StrCat(name, ": missing value"));
    return std::nullopt;
  }
  if (!ctx.NoExtraArguments(1)) return std::nullopt;
  return ctx.Number(tokens[1], min, max, name);
}

void HandleBroadcastDelay(ParseContext& ctx) {
  std::optional<double> delay = SingleNumber(ctx, "broadcastdelay", 0.0, 16.0);
  if (delay.has_value()) ctx.config().broadcastdelay_seconds = *delay;
}

// ntpsec: `leapsmearinterval SECONDS` (0 switches smearing off; ntpsec
// suggests 86400).
void HandleLeapSmearInterval(ParseContext& ctx) {
  std::optional<double> interval = SingleNumber(ctx, "leapsmearinterval", 0.0, 86400.0);
  if (interval.has_value()) ctx.config().leapsmearinterval_seconds = *interval;
}

void HandleNonvolatile(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "nonvolatile: missing value");
    return;
  }
  if (!ctx.NoExtraArguments(1)) return;
  std::optional<double> threshold =
      ctx.Number(tokens[1], 0.0, 1.0, "nonvolatile");
  if (threshold.has_value()) ctx.config().drift_wander_threshold = *threshold;
}

}  // namespace ntp::config_internal
