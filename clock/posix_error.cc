#include "clock/posix_error.h"

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

}  // namespace clocks
