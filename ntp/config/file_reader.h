// The ntp.conf parser reads files (the top-level configuration and every
// `includefile`) only through the file-reader port, clocks::FileReader
// (clock/file_reader.h). The parser itself does no I/O: the daemon passes a
// clocks::PosixFileReader, tests and the simulator pass the
// InMemoryFileReader below, holding the files as strings.
#ifndef NTP_CONFIG_FILE_READER_H_
#define NTP_CONFIG_FILE_READER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "clock/file_reader.h"

namespace ntp {

// The parser's name for the port.
using ConfigFileReader = clocks::FileReader;

// Files kept in memory, keyed by exact path text (no normalisation: the
// parser already normalises paths lexically before asking). For tests, the
// fuzzer and the simulator's per-host configurations.
class InMemoryFileReader final : public ConfigFileReader {
 public:
  InMemoryFileReader() = default;

  // Adds or replaces the file at `path`.
  void AddFile(const std::string& path, std::string contents) {
    files_[path] = std::move(contents);
  }
  // Makes Read(path) fail with `status` (which must not be OK), e.g. to test
  // PermissionDenied handling.
  void AddError(const std::string& path, absl::Status status) {
    errors_[path] = std::move(status);
  }
  // Number of Read() calls so far (tests check includes are not re-read).
  int read_count() const { return read_count_; }

  absl::StatusOr<std::string> Read(const std::string& path,
                                   size_t max_bytes) override;

 private:
  std::map<std::string, std::string> files_;
  std::map<std::string, absl::Status> errors_;
  int read_count_ = 0;
};

}  // namespace ntp

#endif  // NTP_CONFIG_FILE_READER_H_
