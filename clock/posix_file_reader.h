// The real FileReader (clock/file_reader.h): reads files from the local file
// system with POSIX open/read. Only programs (tools/) and tests link this;
// the core only ever sees the FileReader port.
#ifndef CLOCK_POSIX_FILE_READER_H_
#define CLOCK_POSIX_FILE_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "clock/file_reader.h"

namespace clocks {

// Stateless; safe to use from several threads at once.
class PosixFileReader final : public FileReader {
 public:
  PosixFileReader() = default;

  // See FileReader::Read. The file is opened without blocking and its type
  // checked with fstat before the first read, so a FIFO, a device or a
  // directory is refused at once (FailedPrecondition naming its kind).
  // errno is mapped once, here: ENOENT/ENOTDIR -> NotFound, EACCES/EPERM ->
  // PermissionDenied, anything else -> Internal.
  absl::StatusOr<std::string> Read(const std::string& path,
                                   size_t max_bytes) override;
};

}  // namespace clocks

#endif  // CLOCK_POSIX_FILE_READER_H_
