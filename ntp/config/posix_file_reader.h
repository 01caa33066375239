// The real ConfigFileReader: reads files from the local file system with
// POSIX open/read. Only programs (tools/) and file-reader tests link this;
// the ntp/ core only ever sees the ConfigFileReader interface.
#ifndef NTP_CONFIG_POSIX_FILE_READER_H_
#define NTP_CONFIG_POSIX_FILE_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "ntp/config/file_reader.h"

namespace ntp {

// Stateless; safe to use from several threads at once.
class PosixFileReader final : public ConfigFileReader {
 public:
  PosixFileReader() = default;

  // See ConfigFileReader::Read. errno is mapped once, here: ENOENT/ENOTDIR
  // -> NotFound, EACCES/EPERM -> PermissionDenied, anything else -> Internal.
  absl::StatusOr<std::string> Read(const std::string& path,
                                   size_t max_bytes) override;
};

}  // namespace ntp

#endif  // NTP_CONFIG_POSIX_FILE_READER_H_
