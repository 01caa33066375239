// Trace reader invariants (fuzz_checks.h).
#include "ntp/trace/fuzz_checks.h"

#include "absl/strings/str_cat.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/what_if.h"

namespace ntp::trace {
namespace {

absl::Status CheckRefusal(const char* what, const absl::Status& status) {
  if (status.ok()) return status;
  const absl::StatusCode code = status.code();
  if (code != absl::StatusCode::kDataLoss && code != absl::StatusCode::kFailedPrecondition &&
      code != absl::StatusCode::kInvalidArgument) {
    return absl::InternalError(absl::StrCat(what, " refused with an undocumented code: ",
                                            status.ToString()));
  }
  if (status.message().empty()) {
    return absl::InternalError(absl::StrCat(what, " refused without a message"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTraceInput(absl::string_view bytes) {
  absl::StatusOr<ReplayResult> replay = Replay(bytes);
  if (absl::Status s = CheckRefusal("Replay", replay.status()); !s.ok()) return s;
  if (replay.ok()) {
    if (replay->identical == (replay->divergent_record >= 0)) {
      return absl::InternalError("a replay both identical and divergent, or neither");
    }
    if (replay->report.empty()) return absl::InternalError("a replay without a report");
  }
  absl::StatusOr<std::string> dump = Dump(bytes);
  if (absl::Status s = CheckRefusal("Dump", dump.status()); !s.ok()) return s;
  // Whatever replays can be re-run; a what-if never crashes on it.
  if (replay.ok()) {
    absl::StatusOr<WhatIfResult> what_if = WhatIf(bytes, {});
    if (absl::Status s = CheckRefusal("WhatIf", what_if.status()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace ntp::trace
