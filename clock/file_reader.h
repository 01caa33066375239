// The file-reader port: how the ntp.conf parser (ntp/config/parser.h) and
// the programs read whole files (the configuration, every `includefile`,
// the keys file). Declared here, at the seam level, so that the real reader
// (clock/posix_file_reader.h) implements it without depending on the core;
// the core's parser only calls it. Implementations: PosixFileReader (the
// daemon), ntp::InMemoryFileReader (ntp/config/file_reader.h: tests, the
// fuzzer and the simulator's per-host files).
#ifndef CLOCK_FILE_READER_H_
#define CLOCK_FILE_READER_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace clocks {

// Reads whole files by path. Implementations need not be thread-safe; the
// parser calls Read() from one thread only.
class FileReader {
 public:
  FileReader() = default;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  virtual ~FileReader() = default;

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

}  // namespace clocks

#endif  // CLOCK_FILE_READER_H_
