#include "clock/posix_error.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace clocks {

absl::Status PosixError(absl::string_view context, int error_number) {
  char buf[128];
  // GNU strerror_r returns the message pointer (which may not be buf).
  const char* text = strerror_r(error_number, buf, sizeof(buf));
  const std::string message = absl::StrCat(context, ": ", text);
  switch (error_number) {
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(message);
    case EADDRINUSE:
      return absl::AlreadyExistsError(message);
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOBUFS:
    case EINTR:
      return absl::UnavailableError(message);
    case EINVAL:
    case EAFNOSUPPORT:
      return absl::InvalidArgumentError(message);
    case EADDRNOTAVAIL:
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status NotRegularFileError(absl::string_view context, unsigned mode) {
  const char* kind = "not a regular file";
  if (S_ISDIR(mode)) {
    kind = "a directory";
  } else if (S_ISFIFO(mode)) {
    kind = "a FIFO";
  } else if (S_ISCHR(mode)) {
    kind = "a character device";
  } else if (S_ISBLK(mode)) {
    kind = "a block device";
  } else if (S_ISSOCK(mode)) {
    kind = "a socket";
  } else if (S_ISLNK(mode)) {
    kind = "a symbolic link";
  }
  return absl::FailedPreconditionError(
      absl::StrCat(context, ": not a regular file (", kind, ")"));
}

}  // namespace clocks
