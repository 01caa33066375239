// Invariants the trace reader keeps on arbitrary bytes, shared by the
// libFuzzer target (trace_fuzz) and the deterministic robustness test:
// Replay, Dump and WhatIf return (never crash, never hang), and every
// refusal is one of the documented codes (DataLoss, FailedPrecondition,
// InvalidArgument) with a message. The first violation comes back as an
// Internal status.
#ifndef NTP_TRACE_FUZZ_CHECKS_H_
#define NTP_TRACE_FUZZ_CHECKS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ntp::trace {

absl::Status CheckTraceInput(absl::string_view bytes);

}  // namespace ntp::trace

#endif  // NTP_TRACE_FUZZ_CHECKS_H_
