// The trace file adapter: ntp::trace::TraceSink on a POSIX file (written by
// `ntpd --trace=FILE` or the `trace` directive), with size-capped rotation,
// and reading a trace back for ntpreplay. Linux calls only.
#ifndef TOOLS_TRACE_FILE_H_
#define TOOLS_TRACE_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ntp/trace/recorder.h"

namespace tools {

struct TraceFileOptions {
  // Rotate when a write would take the file past this size (0: never). The
  // recorder hands over whole records, so no record is split.
  int64_t max_size_bytes = 0;
  // Rotated segments kept: FILE.1 (the newest) .. FILE.keep; older ones
  // are deleted.
  int keep = 4;
};

class TraceFile final : public ntp::trace::TraceSink {
 public:
  // Creates or truncates `path`, mode 0600 (a trace holds the traffic and
  // configuration of the machine; it is not followed if a symlink), and
  // deletes the segments FILE.1 .. FILE.100 an earlier trace left. Errors
  // as clocks::PosixError.
  static absl::StatusOr<std::unique_ptr<TraceFile>> Create(const std::string& path,
                                                           const TraceFileOptions& options = {});
  ~TraceFile() override;
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;

  // Appends all of `bytes` (retrying short writes and EINTR), first
  // rotating when the size cap says so: FILE.k -> FILE.k+1, FILE -> FILE.1,
  // a new FILE starting with a Segment record (trace.proto). An error
  // after part of them was written leaves a truncated trace, which the
  // replayer reports as such.
  absl::Status Write(absl::string_view bytes) override;

  int segments_started() const { return segment_; }

 private:
  TraceFile(std::string path, const TraceFileOptions& options, int fd)
      : path_(std::move(path)), options_(options), fd_(fd) {}
  absl::Status Rotate();
  absl::Status WriteAll(absl::string_view bytes);

  const std::string path_;
  const TraceFileOptions options_;
  int fd_;
  int64_t size_ = 0;
  int segment_ = 0;
};

// The whole file. Errors as clocks::PosixError.
absl::StatusOr<std::string> ReadTraceFile(const std::string& path);

// A trace and the segments rotated beside it: FILE.N .. FILE.1 then FILE
// (the ones that exist, N up to ntp's kMaxTraceKeep), concatenated oldest
// first; `files` (if not null) gets their names in that order.
absl::StatusOr<std::string> ReadRotatedTrace(const std::string& path,
                                             std::vector<std::string>* files);

}  // namespace tools

#endif  // TOOLS_TRACE_FILE_H_
