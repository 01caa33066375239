// ntpd's trace settings and recorder (trace_setup.h).
#include "tools/trace_setup.h"

#include <sys/random.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/keys.h"
#include "ntp/trace/trace.pb.h"

namespace tools {
namespace {

std::string Salt() {
  std::string salt(16, '\0');
  size_t got = 0;
  while (got < salt.size()) {
    const ssize_t n = getrandom(salt.data() + got, salt.size() - got, 0);
    if (n <= 0) break;  // the salt is then partly zero: still a fingerprint
    got += static_cast<size_t>(n);
  }
  return salt;
}

}  // namespace

absl::StatusOr<std::optional<TraceSettings>> ChooseTraceSettings(const ntp::NtpConfig& config,
                                                                 const TraceFlags& flags) {
  if (flags.path.empty() && !config.trace.has_value()) return std::optional<TraceSettings>();
  TraceSettings s;
  if (config.trace.has_value()) {
    const ntp::TraceConfig& t = *config.trace;
    s.path = t.path.path;
    s.file.max_size_bytes = t.max_size_bytes;
    s.file.keep = t.keep;
    s.include_keys = t.include_keys;
    s.server_replies = t.server_replies;
    s.sample_every = t.sample_every;
  }
  if (!flags.path.empty()) s.path = flags.path;
  if (flags.max_size.has_value()) {
    if (*flags.max_size != 0 && (*flags.max_size < ntp::kMinTraceMaxSizeBytes ||
                                 *flags.max_size > ntp::kMaxTraceMaxSizeBytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--trace_maxsize: ", *flags.max_size, " is not 0 or in ",
                       ntp::kMinTraceMaxSizeBytes, "..", ntp::kMaxTraceMaxSizeBytes));
    }
    s.file.max_size_bytes = *flags.max_size;
  }
  if (flags.keep.has_value()) {
    if (*flags.keep < 1 || *flags.keep > ntp::kMaxTraceKeep) {
      return absl::InvalidArgumentError(
          absl::StrCat("--trace_keep: ", *flags.keep, " is not in 1..", ntp::kMaxTraceKeep));
    }
    s.file.keep = *flags.keep;
  }
  if (!flags.keys.empty()) {
    if (flags.keys != "include" && flags.keys != "redact") {
      return absl::InvalidArgumentError(
          absl::StrCat("--trace_keys: \"", flags.keys, "\" is not include or redact"));
    }
    s.include_keys = flags.keys == "include";
  }
  if (!flags.server_replies.empty()) {
    absl::string_view text = flags.server_replies;
    int64_t every = 0;
    if (text == "all") {
      s.server_replies = ntp::TraceConfig::ServerReplies::kAll;
    } else if (text == "none") {
      s.server_replies = ntp::TraceConfig::ServerReplies::kNone;
    } else if (absl::ConsumePrefix(&text, "sample:") && absl::SimpleAtoi(text, &every) &&
               every >= 1 && every <= ntp::kMaxTraceSampleEvery) {
      s.server_replies = ntp::TraceConfig::ServerReplies::kSample;
      s.sample_every = every;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--trace_serverreplies: \"", flags.server_replies,
          "\" is not all, none or sample:N (N in 1..", ntp::kMaxTraceSampleEvery, ")"));
    }
  }
  return std::optional<TraceSettings>(s);
}

absl::StatusOr<DaemonTrace> StartDaemonTrace(const TraceSettings& settings,
                                             const ntp::NtpConfig& config,
                                             const ntp::HostOptions& options,
                                             const ntp::KeyStore& keys, absl::Time now,
                                             const std::string& build) {
  absl::StatusOr<std::unique_ptr<TraceFile>> file = TraceFile::Create(settings.path, settings.file);
  if (!file.ok()) return file.status();
  ntp::trace::Header header = ntp::trace::MakeHeader(config, options, now, build);
  ntp::trace::RecordKeys(keys, settings.include_keys, Salt(), &header);
  switch (settings.server_replies) {
    case ntp::TraceConfig::ServerReplies::kAll:
      header.set_server_requests(ntp::trace::SERVER_REQUESTS_ALL);
      break;
    case ntp::TraceConfig::ServerReplies::kNone:
      header.set_server_requests(ntp::trace::SERVER_REQUESTS_NONE);
      break;
    case ntp::TraceConfig::ServerReplies::kSample:
      header.set_server_requests(ntp::trace::SERVER_REQUESTS_SAMPLE);
      header.set_sample_every(static_cast<uint64_t>(settings.sample_every));
      break;
  }
  DaemonTrace trace;
  trace.file = *std::move(file);
  trace.recorder = std::make_unique<ntp::trace::TraceRecorder>(header, trace.file.get());
  return trace;
}

}  // namespace tools
