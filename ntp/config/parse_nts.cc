// The `nts` directive (ntpsec's spelling; see NtsConfig in config.h):
//   nts enable | disable
//   nts key FILE | cert FILE | ca FILE | cookie FILE
#include "absl/strings/str_cat.h"
#include "ntp/config/parse_context.h"

namespace ntp::config_internal {

void HandleNts(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(),
              "nts: missing setting (enable, disable, key, cert, ca or cookie)");
    return;
  }
  const Token& what = tokens[1];
  NtsConfig& nts = ctx.config().nts;
  if (!what.quoted && (what.text == "enable" || what.text == "disable")) {
    if (!ctx.NoExtraArguments(1)) return;
    nts.enabled = what.text == "enable";
    nts.location = ctx.Location(tokens[0].column);
    return;
  }
  std::optional<ConfigPath>* target = nullptr;
  if (!what.quoted) {
    if (what.text == "key") target = &nts.key;
    if (what.text == "cert") target = &nts.cert;
    if (what.text == "ca") target = &nts.ca;
    if (what.text == "cookie") target = &nts.cookie;
  }
  if (target == nullptr) {
    ctx.Error(what.column, absl::StrCat("nts: unknown setting ", Quote(what.text),
                                        " (expected enable, disable, key, cert, ca or cookie)"));
    return;
  }
  if (tokens.size() < 3) {
    ctx.Error(ctx.EndColumn(), absl::StrCat("nts ", what.text, ": missing file name"));
    return;
  }
  if (!ctx.NoExtraArguments(2)) return;
  std::optional<ConfigPath> path = ctx.Path(tokens[2], absl::StrCat("nts ", what.text));
  if (!path.has_value()) return;
  path->location = ctx.Location(tokens[0].column);
  *target = *path;
}

}  // namespace ntp::config_internal
