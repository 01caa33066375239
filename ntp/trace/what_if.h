// What-if replay: the recorded inputs of a trace handed to a host built
// with changed parameters (`--set tinker.step=0.5`,
// `--set server.127.0.0.2.maxpoll=6`). The network is held as recorded:
// requests served arrive at their recorded times; a request the what-if
// host sends gets the recorded reply of the nearest recorded request to
// the same server, moved by the difference in send time (so the recorded
// delay and the server's clock are kept; a recorded loss stays a loss).
// Timers are the what-if host's own. Its clock is the recorded clock
// without the original run's corrections plus its own (steps, slews at
// the recorded slew rate, frequency), each accepted or refused as the
// original run's clock answered that kind of operation (a trace of
// `ntpd --no_clock_adjust` refuses them all). Pure: no I/O.
#ifndef NTP_TRACE_WHAT_IF_H_
#define NTP_TRACE_WHAT_IF_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ntp/auth/key_store.h"
#include "ntp/config/config.h"
#include "ntp/host.h"

namespace ntp::trace {

// Applies one KEY=VALUE to the configuration or the options:
//   tinker.{step,stepout,panic,dispersion,huffpuff,freq,stepback,stepfwd,allan}
//   tos.{minsane,minclock,maxclock,mindist,maxdist,orphan,orphanwait,floor,ceiling}
//   server.ADDRESS.{minpoll,maxpoll,version,prefer,iburst,burst,noselect,true}
//   option.{g,x} (ntpd -g, -x; 0 or 1)
// InvalidArgument naming the setting for an unknown key, a server no line
// names, or a value that is not a number. Range checks are the parser's:
// ValidateSettings.
absl::Status ApplySetting(absl::string_view setting, NtpConfig* config,
                          ntp::HostOptions* options);

// The configuration written and parsed again (ntp/config/writer.h): the
// parser's errors for a value out of range, as InvalidArgument.
absl::StatusOr<NtpConfig> ValidateSettings(const NtpConfig& config);

struct WhatIfSample {
  double t_s = 0;  // since the trace's first input (monotonic)
  double value = 0;
  std::string peer;  // peer samples: the peer's address
};

struct WhatIfClockOp {
  double t_s = 0;
  std::string kind;  // step, slew, frequency, sync_status
  double offset_s = 0;
  double ppm = 0;
  bool applied = false;
};

struct WhatIfRun {
  std::vector<WhatIfSample> peer_offsets;  // peerstats offset (s)
  std::vector<WhatIfSample> loop_offsets;  // loopstats offset (s)
  std::vector<WhatIfSample> poll_log2;     // loopstats poll exponent
  std::vector<WhatIfSample> requests;      // request sent (value: 1)
  std::vector<WhatIfClockOp> clock_ops;
  std::vector<std::string> events;  // "t=12.0 s: text"
  uint64_t replies = 0;
  uint64_t unanswered = 0;  // requests whose nearest recorded one had no reply
  bool panicked = false;
};

struct WhatIfResult {
  std::vector<std::string> settings;
  double duration_s = 0;
  WhatIfRun original;
  WhatIfRun what_if;
  // The comparison, for people: counts, offsets, clock operations.
  std::string report;
};

struct WhatIfOptions {
  std::vector<std::string> settings;  // KEY=VALUE
  const KeyStore* keys = nullptr;     // as ReplayOptions::keys
};

// Errors: those of Replay (an unreadable trace), InvalidArgument for a bad
// setting, FailedPrecondition for a trace that holds only some of the
// requests served (the network would not be as recorded).
absl::StatusOr<WhatIfResult> WhatIf(absl::string_view trace_bytes, const WhatIfOptions& options);

}  // namespace ntp::trace

#endif  // NTP_TRACE_WHAT_IF_H_
