// TraceRecorder: an ExecutionObserver (ntp/runtime/executor.h) that writes
// every input and every action list the host returned as trace records
// (trace.proto, framed as codec.h says) through a bounded in-memory buffer
// to a TraceSink. It never blocks the executor for long and never grows
// without bound: when the buffer is full and the sink does not take it, the
// record is dropped and counted, and a Dropped marker is written before the
// next record that fits, so a replay reports the trace as incomplete. The
// buffer also goes to the sink once per `flush_interval` of the inputs'
// monotonic time (the recorder reads no clock), so a daemon that dies
// leaves at most that much unwritten.
//
// The header's server_requests says which requests served (mode 3, 6, 7)
// go in: all, none, or one in sample_every; those left out cost a look at
// one octet, so a busy server can record its client side cheaply.
//
// Single-threaded, like the executor it observes.
#ifndef NTP_TRACE_RECORDER_H_
#define NTP_TRACE_RECORDER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ntp/actions.h"
#include "ntp/runtime/executor.h"
#include "ntp/trace/trace.pb.h"

namespace ntp::trace {

// Where framed trace bytes go (a file in the daemon: tools/trace_file.h).
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  // Takes all of `bytes` or none: OK when written, an error when nothing
  // was (the recorder keeps the bytes and counts later records as dropped
  // while its buffer stays full).
  virtual absl::Status Write(absl::string_view bytes) = 0;
};

// Keeps the bytes in memory (the simulator's traces, tests).
class MemoryTraceSink final : public TraceSink {
 public:
  absl::Status Write(absl::string_view data) override {
    bytes.append(data.data(), data.size());
    return absl::OkStatus();
  }
  std::string bytes;
};

class TraceRecorder final : public runtime::ExecutionObserver {
 public:
  // Writes `header` first. REQUIRES: sink outlives this; buffer_bytes > 0.
  TraceRecorder(const Header& header, TraceSink* sink, size_t buffer_bytes = size_t{1} << 20,
                absl::Duration flush_interval = absl::Seconds(1));
  // Flushes what is buffered.
  ~TraceRecorder() override;
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  void OnInput(const ntp::Input& input) override;
  void OnActions(const ntp::Actions& actions) override;

  // Hands the buffer to the sink; the sink's error when it refused.
  absl::Status Flush();

  uint64_t records_written() const { return records_; }
  // Requests served that the header's server_requests left out.
  uint64_t requests_skipped() const { return skipped_; }
  uint64_t records_dropped() const { return dropped_total_; }

 private:
  void Add(const Record& record);
  // Appends framed bytes if they fit (flushing first when needed).
  bool Fit(const std::string& framed);

  TraceSink* const sink_;
  const size_t capacity_;
  const absl::Duration flush_interval_;
  std::optional<absl::Time> last_flush_;  // monotonic, of an input
  absl::Time last_input_;
  std::string buffer_;
  uint64_t records_ = 0;
  uint64_t dropped_pending_ = 0;  // not yet announced by a marker
  uint64_t dropped_total_ = 0;
  Record scratch_;
  std::string framed_;
  const int server_requests_;  // ServerRequests
  const uint64_t sample_every_;
  uint64_t requests_seen_ = 0;
  uint64_t skipped_ = 0;
  bool skip_actions_ = false;  // the input before was left out
};

}  // namespace ntp::trace

#endif  // NTP_TRACE_RECORDER_H_
