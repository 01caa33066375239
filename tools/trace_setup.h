// ntpd's trace: the settings from the `trace` directive and the --trace*
// flags (a flag wins over the directive), and the recorder on its file
// (tools/trace_file.h, ntp/trace/recorder.h) with the header that names
// the keys by fingerprint unless they are to be included.
#ifndef TOOLS_TRACE_SETUP_H_
#define TOOLS_TRACE_SETUP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ntp/auth/key_store.h"
#include "ntp/config/config.h"
#include "ntp/host.h"
#include "ntp/trace/recorder.h"
#include "tools/trace_file.h"

namespace tools {

// The --trace* flags as given (empty / nullopt: not given).
struct TraceFlags {
  std::string path;                     // --trace
  std::optional<int64_t> max_size;      // --trace_maxsize
  std::optional<int> keep;              // --trace_keep
  std::string keys;                     // --trace_keys: include|redact
  std::string server_replies;           // --trace_serverreplies: all|none|sample:N
};

struct TraceSettings {
  std::string path;
  TraceFileOptions file;
  bool include_keys = false;
  ntp::TraceConfig::ServerReplies server_replies = ntp::TraceConfig::ServerReplies::kAll;
  int64_t sample_every = 1;
};

// nullopt when neither --trace nor a `trace` directive asks for a trace;
// InvalidArgument naming the flag for a bad flag value.
absl::StatusOr<std::optional<TraceSettings>> ChooseTraceSettings(const ntp::NtpConfig& config,
                                                                 const TraceFlags& flags);

struct DaemonTrace {
  std::unique_ptr<TraceFile> file;
  std::unique_ptr<ntp::trace::TraceRecorder> recorder;
};

// Opens the file and writes the header: configuration, options, the keys
// (fingerprints with a fresh random salt, or the secrets), the requests
// served it will hold. Errors as TraceFile::Create.
absl::StatusOr<DaemonTrace> StartDaemonTrace(const TraceSettings& settings,
                                             const ntp::NtpConfig& config,
                                             const ntp::HostOptions& options,
                                             const ntp::KeyStore& keys, absl::Time now,
                                             const std::string& build);

}  // namespace tools

#endif  // TOOLS_TRACE_SETUP_H_
