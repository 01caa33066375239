// The trace file adapter: ntp::trace::TraceSink on a POSIX file (written by
// `ntpd --trace=FILE`), and reading a whole trace back for ntpreplay.
// Linux calls only.
#ifndef TOOLS_TRACE_FILE_H_
#define TOOLS_TRACE_FILE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ntp/trace/recorder.h"

namespace tools {

class TraceFile final : public ntp::trace::TraceSink {
 public:
  // Creates or truncates `path` (mode 0644). Errors as clocks::PosixError.
  static absl::StatusOr<std::unique_ptr<TraceFile>> Create(const std::string& path);
  ~TraceFile() override;
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;

  // Appends all of `bytes` (retrying short writes and EINTR). An error
  // after part of them was written leaves a truncated trace, which the
  // replayer reports as such.
  absl::Status Write(absl::string_view bytes) override;

 private:
  explicit TraceFile(int fd) : fd_(fd) {}
  const int fd_;
};

// The whole file. Errors as clocks::PosixError.
absl::StatusOr<std::string> ReadTraceFile(const std::string& path);

}  // namespace tools

#endif  // TOOLS_TRACE_FILE_H_
