// Replays a trace (trace.proto): rebuilds the Host from the header (the
// recorded configuration text parsed again, the recorded HostOptions),
// hands it the recorded inputs in order — no executor and no seams: every
// input carries its readings — and compares each action list it returns
// with the recorded one.
#ifndef NTP_TRACE_REPLAYER_H_
#define NTP_TRACE_REPLAYER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ntp/auth/key_store.h"
#include "ntp/config/config.h"
#include "ntp/host.h"
#include "ntp/trace/trace.pb.h"

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
// that does not start with a header, and for keys recorded by fingerprint
// only without matching --keys (keys.h); InvalidArgument for a header or
// input that cannot be rebuilt (the configuration does not parse,
// Host::Create refuses it). A trace that holds only some of the requests
// served (Header.server_requests) is replayed with all it holds, but the
// replies to requests are not compared: rate limiting depends on the
// requests left out.
struct ReplayOptions {
  // The recorded machine's keys (ntpreplay --keys=FILE), for a trace that
  // records its keys by fingerprint only (ntp/trace/keys.h).
  const KeyStore* keys = nullptr;
};

absl::StatusOr<ReplayResult> Replay(absl::string_view trace_bytes,
                                    const ReplayOptions& options = {});

// The records of a trace ready to replay: the header first, then input and
// action records, with the Segment records of a rotated trace checked
// (consecutive from 1) and left out. FailedPrecondition for a trace that
// does not start with a header of this format version (a later segment
// alone says so), DataLoss for a missing segment.
absl::StatusOr<std::vector<Record>> ReplayableRecords(absl::string_view trace_bytes);

// The host the header describes (its configuration parsed again, its
// options and keys), and the configuration it was built from. Errors as
// Replay.
struct RebuiltHost {
  NtpConfig config;
  ntp::HostOptions options;
  std::optional<KeyStore> keys;
  std::unique_ptr<Host> host;
};
absl::StatusOr<RebuiltHost> RebuildHost(const Header& header, const KeyStore* keys,
                                        const NtpConfig* config_override = nullptr);

// The trace, one line per record ("INDEX header|input|actions|dropped ...").
// Errors as ParseFramed (codec.h).
absl::StatusOr<std::string> Dump(absl::string_view trace_bytes);

}  // namespace ntp::trace

#endif  // NTP_TRACE_REPLAYER_H_
