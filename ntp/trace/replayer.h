// Replays a trace (trace.proto): rebuilds the Host from the header (the
// recorded configuration text parsed again, the recorded HostOptions),
// hands it the recorded inputs in order — no executor and no seams: every
// input carries its readings — and compares each action list it returns
// with the recorded one.
#ifndef NTP_TRACE_REPLAYER_H_
#define NTP_TRACE_REPLAYER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ntp::trace {

struct ReplayResult {
  bool identical = false;
  uint64_t inputs = 0;   // replayed
  uint64_t actions = 0;  // compared
  // Divergence: the index of the recorded ActionList that differs and the
  // monotonic time of its input (whole ns).
  int64_t divergent_record = -1;
  int64_t divergent_monotonic_ns = 0;
  // "identical (N inputs, M actions)", or the first divergence with the
  // expected and actual actions, one per line.
  std::string report;
};

// Errors (the trace is not replayable, nothing was compared past them):
// DataLoss for a truncated or corrupt file, or one with a Dropped marker
// (incomplete); FailedPrecondition for another format version or a trace
// that does not start with a header; InvalidArgument for a header or input
// that cannot be rebuilt (the configuration does not parse, Host::Create
// refuses it: a configuration with keys cannot be replayed, the keys are
// not recorded).
absl::StatusOr<ReplayResult> Replay(absl::string_view trace_bytes);

// The trace, one line per record ("INDEX header|input|actions|dropped ...").
// Errors as ParseFramed (codec.h).
absl::StatusOr<std::string> Dump(absl::string_view trace_bytes);

}  // namespace ntp::trace

#endif  // NTP_TRACE_REPLAYER_H_
