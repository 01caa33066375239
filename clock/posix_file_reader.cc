#include "clock/posix_file_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clock/posix_error.h"

namespace clocks {
namespace {

// Closes the descriptor on every return path.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() { ::close(fd_); }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::string> PosixFileReader::Read(const std::string& path,
                                                  size_t max_bytes) {
  int fd;
  do {
    // O_NONBLOCK: opening a FIFO without a writer would block; the type is
    // checked below, before anything is read.
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return clocks::PosixError(path, errno);
  FdCloser closer(fd);

  struct stat st;
  if (::fstat(fd, &st) != 0) return clocks::PosixError(path, errno);
  if (!S_ISREG(st.st_mode)) return NotRegularFileError(path, st.st_mode);

  std::string contents;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return clocks::PosixError(path, errno);
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
  return contents;
}

}  // namespace clocks
