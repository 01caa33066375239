// Directive handlers for associations: server, peer, pool and fudge
// (ntp.conf(5), ntp_clock(5)).
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ntp/config/parse_context.h"
#include "ntp/wire/refid.h"

namespace ntp::config_internal {
namespace {

const char* KindName(AssociationKind kind) {
  switch (kind) {
    case AssociationKind::kServer:
      return "server";
    case AssociationKind::kPeer:
      return "peer";
    case AssociationKind::kPool:
      return "pool";
  }
  return "?";
}

bool IsMulticast(const net::IpAddress& ip) {
  if (ip.is_v4()) return (ip.v4() >> 28) == 0xE;  // 224.0.0.0/4
  return ip.bytes()[0] == 0xFF;                   // ff00::/8
}

// Classifies the host token of an association line. Fills `server` and
// reports an error on failure.
bool ParseAssociationHost(ParseContext& ctx, const Token& token,
                          ServerConfig& server) {
  const char* kind = KindName(server.kind);
  server.host = token.text;
  absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(token.text);
  if (!ip.ok()) {
    if (LooksNumeric(token.text)) {
      ctx.Error(token.column, absl::StrCat(kind, ": invalid address ",
                                           Quote(token.text)));
      return false;
    }
    std::string problem = CheckHostName(token.text);
    if (!problem.empty()) {
      ctx.Error(token.column, absl::StrCat(kind, ": ", problem, " ",
                                           Quote(token.text)));
      return false;
    }
    return true;  // a host name, resolved later by the daemon
  }
  server.address = *ip;
  if (server.family.has_value() && *server.family != ip->family()) {
    ctx.Error(token.column,
              absl::StrCat(kind, ": address ", Quote(token.text),
                           " does not match the -",
                           static_cast<int>(*server.family), " flag"));
    return false;
  }
  if (std::optional<RefclockAddress> refclock =
          RefclockAddress::FromAddress(*ip)) {
    if (server.kind != AssociationKind::kServer) {
      ctx.Error(token.column,
                absl::StrCat(kind, ": a reference clock address (",
                             token.text, ") is only valid with 'server'"));
      return false;
    }
    if (!refclock->is_local_clock()) {
      ctx.Error(token.column,
                absl::StrCat("server: reference clock type ", refclock->type,
                             " (", token.text,
                             ") is not supported; only type 1 (LOCAL) is"));
      return false;
    }
    if (refclock->unit > RefclockAddress::kMaxUnit) {
      ctx.Error(token.column,
                absl::StrCat("server: reference clock unit ", refclock->unit,
                             " (", token.text, ") is out of range 0..",
                             RefclockAddress::kMaxUnit));
      return false;
    }
    server.refclock = refclock;
    return true;
  }
  // ntpd's is_sane_resolved_address(): no wildcard, broadcast or multicast
  // address for server/peer/pool.
  if (ip->IsUnspecified() || (ip->is_v4() && ip->v4() == 0xFFFFFFFFu) ||
      IsMulticast(*ip)) {
    ctx.Error(token.column,
              absl::StrCat(kind, ": attempt to configure invalid address ",
                           ip->ToString()));
    return false;
  }
  return true;
}

bool SameHost(const ServerConfig& a, const ServerConfig& b) {
  if (a.address.has_value() || b.address.has_value()) {
    return a.address == b.address;
  }
  return absl::AsciiStrToLower(a.host) == absl::AsciiStrToLower(b.host);
}

}  // namespace

void HandleAssociation(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  ServerConfig server;
  const std::string& keyword = tokens[0].text;
  server.kind = keyword == "peer"   ? AssociationKind::kPeer
                : keyword == "pool" ? AssociationKind::kPool
                                    : AssociationKind::kServer;
  server.location = ctx.Location(tokens[0].column);
  size_t i = 1;
  net::IpAddress::Family family;
  if (i < tokens.size() && ParseFamilyFlag(tokens[i], family)) {
    server.family = family;
    ++i;
  }
  if (i >= tokens.size()) {
    // ntpd: "No address for %s, line ignored".
    ctx.Error(ctx.EndColumn(),
              absl::StrCat("No address for ", keyword, ", line ignored"));
    return;
  }
  if (!ParseAssociationHost(ctx, tokens[i], server)) return;
  if (server.kind == AssociationKind::kPool) server.preempt = true;
  ++i;

  const Token* minpoll_token = nullptr;
  for (; i < tokens.size(); ++i) {
    const Token& option = tokens[i];
    const std::string& word = option.text;
    if (option.quoted) {
      ctx.Error(option.column, absl::StrCat(keyword, ": unknown option ",
                                            Quote(word)));
      return;
    }
    if (word == "prefer") {
      server.prefer = true;
    } else if (word == "iburst") {
      server.iburst = true;
    } else if (word == "burst") {
      server.burst = true;
    } else if (word == "noselect") {
      server.noselect = true;
    } else if (word == "true") {
      server.truechimer = true;
    } else if (word == "preempt") {
      server.preempt = true;
    } else if (word == "xleave") {
      server.xleave = true;
    } else if (word == "nts") {
      server.nts = true;
    } else if (word == "noval") {
      server.nts_noval = true;
    } else if (word == "ca") {
      const Token* value = ctx.ValueAfter(i, "ca");
      if (value == nullptr) return;
      std::optional<ConfigPath> path = ctx.Path(*value, "ca");
      if (!path.has_value()) return;
      server.nts_ca = *path;
      ++i;
    } else if (word == "ntsport") {
      const Token* value = ctx.ValueAfter(i, "ntsport");
      if (value == nullptr) return;
      std::optional<int64_t> port = ctx.Integer(*value, 1, 65535, "ntsport");
      if (!port.has_value()) return;
      server.nts_port = static_cast<int>(*port);
      ++i;
    } else if (word == "autokey") {
      ctx.Warning(option.column,
                  "autokey: Autokey is not supported; option ignored");
    } else if (word == "ident") {
      if (ctx.ValueAfter(i, "ident") == nullptr) return;
      ctx.Warning(option.column,
                  "ident: Autokey is not supported; option ignored");
      ++i;
    } else if (word == "minpoll" || word == "maxpoll") {
      const Token* value = ctx.ValueAfter(i, word);
      if (value == nullptr) return;
      std::optional<int64_t> poll =
          ctx.Integer(*value, kMinPollLimit, kMaxPollLimit, word);
      if (poll.has_value()) {
        if (word == "minpoll") {
          server.minpoll = static_cast<int>(*poll);
          server.minpoll_given = true;
          minpoll_token = value;
        } else {
          server.maxpoll = static_cast<int>(*poll);
          server.maxpoll_given = true;
        }
      }
      ++i;
    } else if (word == "key") {
      const Token* value = ctx.ValueAfter(i, "key");
      if (value == nullptr) return;
      absl::StatusOr<uint32_t> key_id = ParseKeyId(value->text);
      if (key_id.ok()) {
        server.key_id = *key_id;
      } else {
        ctx.Error(value->column,
                  absl::StrCat("key: ", key_id.status().message()));
      }
      ++i;
    } else if (word == "version") {
      const Token* value = ctx.ValueAfter(i, "version");
      if (value == nullptr) return;
      std::optional<int64_t> version =
          ctx.Integer(*value, kMinConfigVersion, kMaxConfigVersion, "version");
      if (version.has_value()) server.version = static_cast<int>(*version);
      ++i;
    } else if (word == "mode") {
      const Token* value = ctx.ValueAfter(i, "mode");
      if (value == nullptr) return;
      if (!server.is_refclock()) {
        ctx.Error(option.column, "'mode' does not apply for network peers");
      } else if (std::optional<int64_t> mode =
                     ctx.Integer(*value, 0, 255, "mode")) {
        server.refclock_mode = static_cast<int>(*mode);
      }
      ++i;
    } else if (word == "ttl") {
      const Token* value = ctx.ValueAfter(i, "ttl");
      if (value == nullptr) return;
      if (server.is_refclock()) {
        ctx.Error(option.column, "'ttl' does not apply for refclocks");
      } else if (std::optional<int64_t> ttl =
                     ctx.Integer(*value, 0, 254, "ttl")) {
        server.ttl = static_cast<int>(*ttl);
      }
      ++i;
    } else {
      ctx.Error(option.column,
                absl::StrCat(keyword, ": unknown option ", Quote(word)));
      return;
    }
  }
  if (!ctx.line_ok()) return;

  if (!server.nts && (server.nts_ca.has_value() || server.nts_noval || server.nts_port)) {
    ctx.Error(server.location.column,
              absl::StrCat(keyword, ": ca, noval and ntsport need the nts option"));
    return;
  }
  if (server.nts && (server.kind != AssociationKind::kServer || server.is_refclock())) {
    ctx.Error(server.location.column,
              absl::StrCat(keyword, ": nts applies to network servers only"));
    return;
  }
  if (server.nts && server.key_id.has_value()) {
    ctx.Error(server.location.column,
              absl::StrCat(keyword, ": nts and key exclude each other"));
    return;
  }

  // Reference clocks poll at a fixed interval: maxpoll defaults to minpoll
  // (ntpd 4.2.8).
  if (server.is_refclock() && !server.maxpoll_given) {
    server.maxpoll = server.minpoll;
  }
  if (server.minpoll > server.maxpoll) {
    // ntpd silently lowers minpoll to maxpoll; we refuse the ambiguity.
    int column = minpoll_token != nullptr ? minpoll_token->column
                                          : server.location.column;
    ctx.Error(column, absl::StrCat(keyword, ": minpoll (", server.minpoll,
                                   ") is greater than maxpoll (",
                                   server.maxpoll, ")"));
    return;
  }
  for (const ServerConfig& existing : ctx.config().servers) {
    if (SameHost(existing, server)) {
      ctx.Warning(server.location.column,
                  absl::StrCat("duplicate association for ", server.host,
                               " (first configured at ", existing.location.file,
                               ":", existing.location.line,
                               "); line ignored"));
      return;
    }
  }
  ctx.config().servers.push_back(std::move(server));
}

void HandleFudge(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "fudge: missing reference clock address");
    return;
  }
  const Token& address_token = tokens[1];
  absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(address_token.text);
  if (!ip.ok()) {
    ctx.Error(address_token.column,
              absl::StrCat("unrecognized fudge reference clock address ",
                           Quote(address_token.text), ", line ignored"));
    return;
  }
  std::optional<RefclockAddress> refclock = RefclockAddress::FromAddress(*ip);
  if (!refclock.has_value()) {
    ctx.Error(address_token.column,
              absl::StrCat("inappropriate address ", ip->ToString(),
                           " for the fudge command, line ignored"));
    return;
  }
  if (tokens.size() < 3) {
    ctx.Error(ctx.EndColumn(), "fudge: missing options");
    return;
  }
  FudgeConfig fudge;
  if (const FudgeConfig* existing = ctx.config().FindFudge(*refclock)) {
    fudge = *existing;  // later lines update earlier ones
  } else {
    fudge.refclock = *refclock;
    fudge.location = ctx.Location(tokens[0].column);
  }
  for (size_t i = 2; i < tokens.size(); ++i) {
    const Token& option = tokens[i];
    const std::string& word = option.text;
    const bool takes_value =
        !option.quoted &&
        (word == "time1" || word == "time2" || word == "stratum" ||
         word == "refid" || word == "flag1" || word == "flag2" ||
         word == "flag3" || word == "flag4" || word == "minjitter");
    if (!takes_value) {
      ctx.Error(option.column,
                absl::StrCat("fudge: unknown option ", Quote(word)));
      return;
    }
    const Token* value = ctx.ValueAfter(i, word);
    if (value == nullptr) return;
    ++i;
    if (word == "time1" || word == "time2") {
      // Offsets in seconds; a day either way is already absurd.
      std::optional<double> seconds =
          ctx.Number(*value, -86400.0, 86400.0, absl::StrCat("fudge ", word));
      if (!seconds.has_value()) continue;
      (word == "time1" ? fudge.time1_seconds : fudge.time2_seconds) = *seconds;
    } else if (word == "minjitter") {
      std::optional<double> seconds =
          ctx.Number(*value, 0.0, 1.0, "fudge minjitter");
      if (seconds.has_value()) fudge.minjitter_seconds = *seconds;
    } else if (word == "stratum") {
      // ntpd's grammar takes 0..16 ("fudge factor: stratum value not in
      // [0..16], ignored"); 16 would make the clock unusable.
      std::optional<int64_t> stratum =
          ctx.Integer(*value, 0, 15, "fudge stratum");
      if (stratum.has_value()) fudge.stratum = static_cast<int>(*stratum);
    } else if (word == "refid") {
      if (!RefIdFromAscii(value->text).ok()) {
        ctx.Error(value->column,
                  absl::StrCat("fudge refid: ", Quote(value->text),
                               " is not 1 to 4 printable ASCII characters"));
        continue;
      }
      fudge.refid = value->text;
    } else {  // flag1..flag4
      std::optional<bool> flag = ctx.Boolean(*value, absl::StrCat("fudge ", word));
      if (!flag.has_value()) continue;
      std::optional<bool>* target = word == "flag1"   ? &fudge.flag1
                                    : word == "flag2" ? &fudge.flag2
                                    : word == "flag3" ? &fudge.flag3
                                                      : &fudge.flag4;
      *target = *flag;
    }
  }
  if (!ctx.line_ok()) return;
  ctx.config().fudges[*refclock] = std::move(fudge);
}

}  // namespace ntp::config_internal
