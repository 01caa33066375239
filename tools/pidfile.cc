// WritePidFile / RemovePidFile: an atomic write (clock/atomic_file.h), unlink.
#include "tools/pidfile.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clock/atomic_file.h"
#include "clock/posix_error.h"

namespace tools {

absl::Status WritePidFile(const std::string& path, pid_t pid) {
  absl::Status status =
      clocks::WriteFileAtomically(path, absl::StrCat(pid, "\n"), 0644);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("pid file ", path, ": ", status.message()));
  }
  return absl::OkStatus();
}

absl::Status RemovePidFile(const std::string& path, pid_t pid) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return clocks::PosixError(absl::StrCat("pid file ", path), errno);
  char buf[32];
  const ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  int64_t held = -1;
  if (n <= 0 ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, static_cast<size_t>(n))),
                        &held) ||
      held != pid) {
    return absl::FailedPreconditionError(
        absl::StrCat("pid file ", path, " no longer holds pid ", pid, ": left alone"));
  }
  if (unlink(path.c_str()) != 0) {
    return clocks::PosixError(absl::StrCat("remove pid file ", path), errno);
  }
  return absl::OkStatus();
}

}  // namespace tools
