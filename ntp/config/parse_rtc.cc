// The `rtc` directive (an extension of ntpd's grammar; see RtcConfig in
// config.h): how the hardware clock follows the system clock.
#include "absl/strings/str_cat.h"
#include "ntp/config/parse_context.h"

namespace ntp::config_internal {

void HandleRtc(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "rtc: missing mode (kernel or write)");
    return;
  }
  RtcConfig rtc;
  rtc.location = ctx.Location(tokens[0].column);
  const Token& mode = tokens[1];
  if (!mode.quoted && mode.text == "kernel") {
    if (!ctx.NoExtraArguments(1)) return;
    rtc.mode = RtcConfig::Mode::kKernel;
  } else if (!mode.quoted && mode.text == "write") {
    rtc.mode = RtcConfig::Mode::kWrite;
    size_t i = 2;
    if (i < tokens.size()) {
      if (tokens[i].quoted || tokens[i].text != "interval" || i + 1 >= tokens.size()) {
        ctx.Error(tokens[i].column, "rtc write: expected `interval SECONDS`");
        return;
      }
      std::optional<double> seconds =
          ctx.Number(tokens[i + 1], kMinRtcWriteIntervalSeconds,
                     kMaxRtcWriteIntervalSeconds, "rtc write interval");
      if (!seconds.has_value()) return;
      rtc.write_interval_seconds = *seconds;
      if (!ctx.NoExtraArguments(i + 1)) return;
    }
  } else {
    ctx.Error(mode.column, absl::StrCat("rtc: unknown mode \"", mode.text,
                                        "\" (expected kernel or write)"));
    return;
  }
  if (ctx.line_ok()) ctx.config().rtc = rtc;
}

}  // namespace ntp::config_internal
