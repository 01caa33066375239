// The one seam through which the ntp.conf parser reads files (the top-level
// configuration and every `includefile`). The parser itself does no I/O: the
// daemon passes a PosixFileReader (posix_file_reader.h), tests and the
// simulator pass an InMemoryFileReader holding the files as strings.
#ifndef NTP_CONFIG_FILE_READER_H_
#define NTP_CONFIG_FILE_READER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace ntp {

// Reads whole files by path. Implementations need not be thread-safe; the
// parser calls Read() from one thread only.
class ConfigFileReader {
 public:
  ConfigFileReader() = default;
  ConfigFileReader(const ConfigFileReader&) = delete;
  ConfigFileReader& operator=(const ConfigFileReader&) = delete;
  virtual ~ConfigFileReader() = default;

  // Returns the complete contents of the file at `path` (bytes, unchanged).
  // `path` is used as given (absolute or relative to the implementation's
  // idea of the current directory; the parser never relies on the latter).
  // Errors: NotFound if there is no such file, PermissionDenied if it cannot
  // be read for lack of rights, ResourceExhausted if it is larger than
  // `max_bytes`, FailedPrecondition if `path` names a directory or another
  // non-regular file, Internal for any other failure.
  virtual absl::StatusOr<std::string> Read(const std::string& path,
                                           size_t max_bytes) = 0;
};

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
