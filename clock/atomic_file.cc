// Atomic whole-file writes (see atomic_file.h).
#include "clock/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clock/posix_error.h"

namespace clocks {
namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

int WriteAll(int fd, absl::string_view contents) {
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents, mode_t mode) {
  std::string templ = path + ".XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  // mkstemp creates the file with mode 0600; it only widens from there.
  const int fd = ::mkstemp(name.data());
  if (fd < 0) return PosixError(absl::StrCat("create temporary for ", path), errno);
  const std::string temp(name.data());
  int error = 0;
  const char* step = "";
  if (::fchmod(fd, mode) != 0) {
    error = errno;
    step = "chmod";
  } else if ((error = WriteAll(fd, contents)) != 0) {
    step = "write";
  } else if (::fsync(fd) != 0) {
    error = errno;
    step = "fsync";
  }
  if (::close(fd) != 0 && error == 0) {
    error = errno;
    step = "close";
  }
  if (error == 0 && ::rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
    step = "rename";
  }
  if (error != 0) {
    ::unlink(temp.c_str());
    return PosixError(absl::StrCat(step, " ", temp, " for ", path), error);
  }
  const std::string dir = DirectoryOf(path);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return PosixError(absl::StrCat("open ", dir), errno);
  const bool synced = ::fsync(dir_fd) == 0 || errno == EINVAL;
  const int sync_errno = errno;
  ::close(dir_fd);
  if (!synced) return PosixError(absl::StrCat("fsync ", dir), sync_errno);
  return absl::OkStatus();
}

}  // namespace clocks
