// Directive handlers for access control and rate limiting: restrict,
// discard, mru (ntp_acc(5), ntp_misc(5); the server applies them in
// ntp/server/access_control.h and client_table.h).
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ntp/config/parse_context.h"

namespace ntp::config_internal {
namespace {

net::IpAddress HostMask(net::IpAddress::Family family) {
  return net::IpAddress::PrefixMask(
      family, family == net::IpAddress::Family::kV4 ? 32 : 128);
}

// Parses the address token of a restrict line (numeric, CIDR "a/len" or a
// host name) into `rule`. Returns false after reporting an error.
bool ParseRestrictAddress(ParseContext& ctx, const Token& token,
                          RestrictRule& rule) {
  rule.host = token.text;
  absl::string_view text = token.text;
  std::optional<int> prefix_length;
  if (size_t slash = text.find('/'); slash != absl::string_view::npos) {
    // CIDR form (an ntpsec extension; classic ntpd only knows `mask`).
    int length = -1;
    absl::string_view length_text = text.substr(slash + 1);
    bool digits = !length_text.empty() && length_text.size() <= 3;
    for (char c : length_text) digits = digits && c >= '0' && c <= '9';
    if (!digits || !absl::SimpleAtoi(length_text, &length)) {
      ctx.Error(token.column, absl::StrCat("restrict: invalid prefix length in ",
                                           Quote(token.text)));
      return false;
    }
    prefix_length = length;
    text = text.substr(0, slash);
  }
  absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(text);
  if (!ip.ok()) {
    if (prefix_length.has_value() || LooksNumeric(text)) {
      ctx.Error(token.column,
                absl::StrCat("restrict: invalid address ", Quote(token.text)));
      return false;
    }
    std::string problem = CheckHostName(text);
    if (!problem.empty()) {
      ctx.Error(token.column,
                absl::StrCat("restrict: ", problem, " ", Quote(token.text)));
      return false;
    }
    return true;  // host name: resolved (and host-masked) by the daemon
  }
  if (rule.family.has_value() && *rule.family != ip->family()) {
    ctx.Error(token.column,
              absl::StrCat("restrict: address ", Quote(token.text),
                           " does not match the -",
                           static_cast<int>(*rule.family), " flag"));
    return false;
  }
  rule.family = ip->family();
  rule.address = *ip;
  if (prefix_length.has_value()) {
    const int max_length = ip->size() * 8;
    if (*prefix_length > max_length) {
      ctx.Error(token.column,
                absl::StrCat("restrict: prefix length ", *prefix_length,
                             " is out of range 0..", max_length));
      return false;
    }
    rule.mask = net::IpAddress::PrefixMask(ip->family(), *prefix_length);
  } else {
    rule.mask = HostMask(ip->family());
  }
  return true;
}

// Parses `mask M` into `rule` (which has a numeric address).
bool ParseRestrictMask(ParseContext& ctx, const Token& token,
                       RestrictRule& rule) {
  absl::StatusOr<net::IpAddress> mask = net::IpAddress::Parse(token.text);
  if (!mask.ok()) {
    // ntpd: "restrict: ignoring line %d, mask '%s' unusable."
    ctx.Error(token.column, absl::StrCat("restrict: mask ", Quote(token.text),
                                         " unusable: not an address"));
    return false;
  }
  if (mask->family() != rule.address->family()) {
    ctx.Error(token.column,
              absl::StrCat("restrict: mask ", Quote(token.text),
                           " unusable: address family differs from ",
                           Quote(rule.host)));
    return false;
  }
  if (mask->PrefixLength() < 0) {
    // ntpd would accept it, but our matching is longest-prefix
    // (ntp/server/access_control.h).
    ctx.Error(token.column,
              absl::StrCat("restrict: mask ", Quote(token.text),
                           " unusable: not a contiguous netmask"));
    return false;
  }
  rule.mask = *mask;
  return true;
}

}  // namespace

void HandleRestrict(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  RestrictRule rule;
  rule.location = ctx.Location(tokens[0].column);
  size_t i = 1;
  net::IpAddress::Family family;
  if (i < tokens.size() && ParseFamilyFlag(tokens[i], family)) {
    rule.family = family;
    ++i;
  }
  if (i >= tokens.size()) {
    ctx.Error(ctx.EndColumn(), "restrict: missing address");
    return;
  }
  const Token& target = tokens[i];
  bool numeric_address = false;
  if (!target.quoted && target.text == "default") {
    rule.is_default = true;
    rule.host = "default";
    if (rule.family.has_value()) {
      rule.address = *rule.family == net::IpAddress::Family::kV4
                         ? net::IpAddress::AnyV4()
                         : net::IpAddress::AnyV6();
      rule.mask = rule.address;
    }
  } else if (!target.quoted && target.text == "source") {
    if (rule.family.has_value()) {
      ctx.Error(tokens[1].column,
                "restrict: -4/-6 cannot be used with 'source'");
      return;
    }
    rule.is_source = true;
    rule.host = "source";
  } else {
    if (!ParseRestrictAddress(ctx, target, rule)) return;
    numeric_address = rule.address.has_value();
  }
  ++i;
  // `mask M` may only follow a numeric address (ntpd's grammar:
  // "restrict ip_address mask ip_address ...").
  if (i < tokens.size() && !tokens[i].quoted && tokens[i].text == "mask") {
    const Token* value = ctx.ValueAfter(i, "mask");
    if (value == nullptr) return;
    if (!numeric_address) {
      ctx.Error(tokens[i].column,
                absl::StrCat("restrict: 'mask' needs a numeric address, not ",
                             Quote(target.text)));
      return;
    }
    if (rule.host.find('/') != std::string::npos) {
      ctx.Error(tokens[i].column,
                "restrict: 'mask' cannot be combined with a /prefix length");
      return;
    }
    if (!ParseRestrictMask(ctx, *value, rule)) return;
    i += 2;
  }
  for (; i < tokens.size(); ++i) {
    const Token& word = tokens[i];
    if (word.quoted) {
      ctx.Error(word.column,
                absl::StrCat("restrict: unknown flag ", Quote(word.text)));
      return;
    }
    if (word.text == "mask") {
      ctx.Error(word.column,
                "restrict: 'mask' must directly follow the address");
      return;
    }
    if (word.text == "ippeerlimit") {
      const Token* value = ctx.ValueAfter(i, "ippeerlimit");
      if (value == nullptr) return;
      std::optional<int64_t> limit =
          ctx.Integer(*value, -1, std::numeric_limits<int16_t>::max(),
                      "ippeerlimit");
      if (!limit.has_value()) return;
      rule.ippeerlimit = static_cast<int>(*limit);
      ++i;
      continue;
    }
    if (word.text == "serverresponse") {
      if (i + 1 >= tokens.size() || tokens[i + 1].text != "fuzz") {
        ctx.Error(word.column,
                  "restrict: 'serverresponse' must be followed by 'fuzz'");
        return;
      }
      rule.flags.serverresponse_fuzz = true;
      ++i;
      continue;
    }
    if (!rule.flags.SetByName(word.text)) {
      ctx.Error(word.column,
                absl::StrCat("restrict: unknown flag ", Quote(word.text)));
      return;
    }
  }
  if (!ctx.line_ok()) return;

  if (rule.address.has_value() && rule.mask.has_value()) {
    net::IpAddress masked = rule.address->Masked(*rule.mask);
    if (masked != *rule.address && !rule.is_default) {
      ctx.Warning(target.column,
                  absl::StrCat("restrict: address ", Quote(target.text),
                               " has bits outside its mask; using ",
                               masked.ToString()));
    }
    rule.address = masked;
  }
  if (rule.flags.kod && !rule.flags.limited) {
    // ntpd 4.2.8 config_access(), word for word.
    ctx.Warning(tokens[0].column,
                absl::StrCat("restrict ", rule.host,
                             ": KOD does nothing without LIMITED."));
  }
  ctx.config().restricts.push_back(std::move(rule));
}

void HandleDiscard(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "discard: missing options");
    return;
  }
  DiscardConfig discard = ctx.config().discard;
  // Every option takes one value.
  for (size_t i = 1; i < tokens.size(); i += 2) {
    const Token& option = tokens[i];
    int* target = nullptr;
    int64_t max = std::numeric_limits<int32_t>::max();
    if (!option.quoted && option.text == "average") {
      target = &discard.average_log2_seconds;
      max = 255;  // ntpd: "discard average %d out of range, ignored."
    } else if (!option.quoted && option.text == "minimum") {
      target = &discard.minimum_seconds;
      max = 255;
    } else if (!option.quoted && option.text == "monitor") {
      target = &discard.monitor;
      max = kMaxMruAgeSeconds;
    } else {
      ctx.Error(option.column,
                absl::StrCat("discard: unknown option ", Quote(option.text)));
      return;
    }
    const Token* value = ctx.ValueAfter(i, option.text);
    if (value == nullptr) return;
    std::optional<int64_t> n =
        ctx.Integer(*value, 0, max, absl::StrCat("discard ", option.text));
    if (n.has_value()) *target = static_cast<int>(*n);
  }
  if (!ctx.line_ok()) return;
  discard.location = ctx.Location(tokens[0].column);
  ctx.config().discard = discard;
}

void HandleMru(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "mru: missing options");
    return;
  }
  MruConfig mru = ctx.config().mru;
  // Every option takes one value.
  for (size_t i = 1; i < tokens.size(); i += 2) {
    const Token& option = tokens[i];
    std::optional<int>* target = nullptr;
    int max = kMaxMruDepth;
    const std::string& w = option.text;
    if (option.quoted) {
      target = nullptr;
    } else if (w == "maxdepth") {
      target = &mru.maxdepth;
    } else if (w == "maxmem") {
      target = &mru.maxmem_kib;
      max = kMaxMruMemKib;
    } else if (w == "mindepth") {
      target = &mru.mindepth;
    } else if (w == "maxage") {
      target = &mru.maxage_seconds;
      max = kMaxMruAgeSeconds;
    } else if (w == "initalloc") {
      target = &mru.initalloc;
    } else if (w == "initmem") {
      target = &mru.initmem_kib;
      max = kMaxMruMemKib;
    } else if (w == "incalloc") {
      target = &mru.incalloc;
    } else if (w == "incmem") {
      target = &mru.incmem_kib;
      max = kMaxMruMemKib;
    }
    if (target == nullptr) {
      ctx.Error(option.column,
                absl::StrCat("mru: unknown option ", Quote(w)));
      return;
    }
    const Token* value = ctx.ValueAfter(i, w);
    if (value == nullptr) return;
    std::optional<int64_t> n = ctx.Integer(*value, 0, max, absl::StrCat("mru ", w));
    if (n.has_value()) *target = static_cast<int>(*n);
  }
  if (!ctx.line_ok()) return;
  mru.location = ctx.Location(tokens[0].column);
  ctx.config().mru = mru;
}

}  // namespace ntp::config_internal
