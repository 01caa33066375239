// Converts between the core's vocabulary (ntp/actions.h, ntp::HostOptions)
// and the trace records (trace.proto), and frames records in a file (a
// varint length before each serialized Record). No I/O: the recorder hands
// the bytes to a sink, the replayer gets them from its caller.
#ifndef NTP_TRACE_CODEC_H_
#define NTP_TRACE_CODEC_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ntp/actions.h"
#include "ntp/config/config.h"
#include "ntp/host.h"
#include "ntp/trace/trace.pb.h"

namespace ntp::trace {

// The header of a trace of an instance built from `config` and `options`.
Header MakeHeader(const NtpConfig& config, const ntp::HostOptions& options, absl::Time start,
                  absl::string_view build);

void EncodeInput(const ntp::Input& input, Input* out);
void EncodeActions(const ntp::Actions& actions, ActionList* out);

// A decoded input and the storage it points into (a datagram's payload).
struct DecodedInput {
  ntp::Input input;
  std::vector<uint8_t> payload;
  DecodedInput() = default;
  DecodedInput(const DecodedInput&) = delete;
  DecodedInput& operator=(const DecodedInput&) = delete;
};
// InvalidArgument for an input that names an unparsable address or
// configuration, or has no alternative set.
absl::Status DecodeInput(const Input& in, DecodedInput* out);
// The configuration recorded as ntp.conf text with its source locations.
// InvalidArgument (with the parser's errors) if the text does not parse.
absl::StatusOr<NtpConfig> ParseRecordedConfig(const std::string& text,
                                              const Provenance& provenance);
absl::StatusOr<ntp::HostOptions> DecodeOptions(const trace::HostOptions& in);

// Appends `record` to `out`, framed (varint length, then the bytes).
void AppendFramed(const Record& record, std::string* out);

// Splits a trace file into its records. DataLoss for a truncated or
// undecodable record (the message names the record's index and offset).
absl::StatusOr<std::vector<Record>> ParseFramed(absl::string_view bytes);

// Nanos from and to absl (exact to the quarter nanosecond).
void EncodeTime(absl::Time t, Nanos* out);
void EncodeDuration(absl::Duration d, Nanos* out);
absl::Time DecodeTime(const Nanos& in);
absl::Duration DecodeDuration(const Nanos& in);

// "123456789" whole nanoseconds, "123456789+1/4" with a quarter
// nanosecond, "inf".
std::string FormatNanos(const Nanos& n);

// True for a datagram served as a server: an NTP request of mode 3
// (client), 6 (control) or 7 (private) (RFC 5905 §7.3). The recorder can
// leave these out (Header.server_requests).
bool IsServerRequest(absl::string_view payload);

// One line, for --dump and divergence reports.
std::string DescribeInput(const Input& input);
std::string DescribeAction(const Action& action);

}  // namespace ntp::trace

#endif  // NTP_TRACE_CODEC_H_
