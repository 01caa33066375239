// Checks that need the whole configuration, run once after the last line.
#include <string>

#include "absl/strings/str_cat.h"
#include "ntp/config/parse_context.h"

namespace ntp::config_internal {
namespace {

std::string At(const SourceLocation& where) {
  return absl::StrCat(where.file, ":", where.line);
}

// Warns when `key_id` is used for `what` but is not trusted or no keys file
// is configured (ntp_auth(5): a key must be trusted to authenticate
// anything; the controlkey "must also be trusted").
void CheckKeyUse(ParseContext& ctx, uint32_t key_id,
                 const SourceLocation& where, absl::string_view what) {
  const NtpConfig& config = ctx.config();
  if (!config.trusted_keys.Contains(key_id)) {
    ctx.WarningAt(where, absl::StrCat(what, " key ", key_id,
                                      " is not listed in trustedkey; it "
                                      "cannot authenticate anything"));
  }
  if (!config.keys.has_value()) {
    ctx.WarningAt(where, absl::StrCat(what, " key ", key_id,
                                      " is used but no 'keys' file is "
                                      "configured"));
  }
}

}  // namespace

void CheckWholeConfig(ParseContext& ctx) {
  const NtpConfig& config = ctx.config();

  // fudge applies to the association of the same reference clock
  // (ntp_clock(5));
  // ntpd ignores a fudge without one.
  for (const auto& [refclock, fudge] : config.fudges) {
    bool configured = false;
    for (const ServerConfig& server : config.servers) {
      configured = configured || server.refclock == refclock;
    }
    if (!configured) {
      ctx.WarningAt(fudge.location,
                    absl::StrCat("fudge ", refclock.ToString(),
                                 ": no 'server ", refclock.ToString(),
                                 "' line configures this clock; the fudge "
                                 "has no effect"));
    }
  }

  // ntpd 4.2.8 config_tos(), [Bug 2896]: "must have minsane < minclock <=
  // maxclock - daemon will not operate properly!".
  const TosConfig& tos = config.tos;
  if (tos.location.has_value()) {
    if (!(tos.minsane < tos.minclock && tos.minclock <= tos.maxclock)) {
      ctx.ErrorAt(*tos.location,
                  absl::StrCat("tos: must have minsane (", tos.minsane,
                               ") < minclock (", tos.minclock,
                               ") <= maxclock (", tos.maxclock, ")"));
    }
    if (tos.floor >= tos.ceiling) {
      ctx.ErrorAt(*tos.location,
                  absl::StrCat("tos: floor (", tos.floor,
                               ") must be below ceiling (", tos.ceiling,
                               "); no server could be accepted"));
    }
  }

  // ntp_misc(5): driftfile "is mutually exclusive with the freq
  // option of the tinker command".
  if (config.tinker.freq_ppm.has_value() && config.driftfile.has_value() &&
      !config.driftfile->path.empty()) {
    ctx.ErrorAt(*config.tinker.location,
                absl::StrCat("tinker freq and driftfile (",
                             At(config.driftfile->location),
                             ") are mutually exclusive"));
  }

  for (const ServerConfig& server : config.servers) {
    if (server.key_id.has_value()) {
      CheckKeyUse(ctx, *server.key_id, server.location, server.host);
    }
  }
  if (config.controlkey.has_value()) {
    CheckKeyUse(ctx, config.controlkey->key_id, config.controlkey->location,
                "controlkey");
  }
  if (config.requestkey.has_value()) {
    CheckKeyUse(ctx, config.requestkey->key_id, config.requestkey->location,
                "requestkey");
  }
}

}  // namespace ntp::config_internal
