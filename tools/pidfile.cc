// WritePidFile / RemovePidFile: mkstemp + write + fsync + rename, unlink.
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
#include "clock/posix_error.h"

namespace tools {

absl::Status WritePidFile(const std::string& path, pid_t pid) {
  std::string templ = path + ".XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  if (fd < 0) return clocks::PosixError(absl::StrCat("pid file ", path), errno);
  const std::string temp(name.data());
  const std::string text = absl::StrCat(pid, "\n");
  int error = 0;
  if (fchmod(fd, 0644) != 0) error = errno;
  if (error == 0 && write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    error = errno != 0 ? errno : EIO;
  }
  if (error == 0 && fsync(fd) != 0) error = errno;
  if (close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && rename(temp.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    unlink(temp.c_str());
    return clocks::PosixError(absl::StrCat("pid file ", path), error);
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
