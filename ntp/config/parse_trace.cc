// The `trace` directive (an extension of ntpd's grammar; TraceConfig in
// config.h): where the daemon records its trace, how it rotates, and what
// it leaves out.
#include "absl/strings/str_cat.h"
#include "ntp/config/parse_context.h"

namespace ntp::config_internal {

void HandleTrace(ParseContext& ctx) {
  const std::vector<Token>& tokens = ctx.tokens();
  if (tokens.size() < 2) {
    ctx.Error(ctx.EndColumn(), "trace: missing file name");
    return;
  }
  std::optional<ConfigPath> path = ctx.Path(tokens[1], "trace");
  if (!path.has_value()) return;
  TraceConfig trace;
  trace.path = *path;
  bool keep_given = false;
  // Options come as `word value` (serverreplies sample: `word sample N`).
  for (size_t i = 2; i < tokens.size();) {
    const Token& option = tokens[i];
    const std::string& word = option.text;
    if (option.quoted ||
        (word != "maxsize" && word != "keep" && word != "keys" && word != "serverreplies")) {
      ctx.Error(option.column, absl::StrCat("trace: unknown option ", Quote(word),
                                            " (expected maxsize, keep, keys or serverreplies)"));
      return;
    }
    const Token* value = ctx.ValueAfter(i, absl::StrCat("trace ", word));
    if (word == "maxsize") {
      if (value == nullptr) return;
      std::optional<int64_t> bytes = ctx.Integer(*value, 0, kMaxTraceMaxSizeBytes, "trace maxsize");
      if (!bytes.has_value()) return;
      if (*bytes != 0 && *bytes < kMinTraceMaxSizeBytes) {
        ctx.Error(value->column, absl::StrCat("trace maxsize: ", *bytes, " is below ",
                                              kMinTraceMaxSizeBytes, " bytes (0: never rotate)"));
        return;
      }
      trace.max_size_bytes = *bytes;
    } else if (word == "keep") {
      if (value == nullptr) return;
      std::optional<int64_t> keep = ctx.Integer(*value, 1, kMaxTraceKeep, "trace keep");
      if (!keep.has_value()) return;
      trace.keep = static_cast<int>(*keep);
      keep_given = true;
    } else if (word == "keys") {
      if (value == nullptr) return;
      if (value->quoted || (value->text != "include" && value->text != "redact")) {
        ctx.Error(value->column, "trace keys: expected include or redact");
        return;
      }
      trace.include_keys = value->text == "include";
    } else {  // serverreplies
      if (value == nullptr) return;
      if (!value->quoted && value->text == "all") {
        trace.server_replies = TraceConfig::ServerReplies::kAll;
      } else if (!value->quoted && value->text == "none") {
        trace.server_replies = TraceConfig::ServerReplies::kNone;
      } else if (!value->quoted && value->text == "sample") {
        const Token* every = ctx.ValueAfter(i + 1, "trace serverreplies sample");
        if (every == nullptr) return;
        std::optional<int64_t> n =
            ctx.Integer(*every, 1, kMaxTraceSampleEvery, "trace serverreplies sample");
        if (!n.has_value()) return;
        trace.server_replies = TraceConfig::ServerReplies::kSample;
        trace.sample_every = *n;
        ++i;  // N
      } else {
        ctx.Error(value->column, "trace serverreplies: expected all, none or sample N");
        return;
      }
    }
    i += 2;
  }
  if (keep_given && trace.max_size_bytes == 0) {
    ctx.Warning(tokens[0].column, "trace: keep has no effect without maxsize");
  }
  if (ctx.line_ok()) ctx.config().trace = trace;
}

}  // namespace ntp::config_internal
