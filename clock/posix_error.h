// Turns an errno value into an absl::Status, in one place for every real
// (Linux) adapter in clock/ and net/. Code chosen for what the caller does next.
#ifndef CLOCK_POSIX_ERROR_H_
#define CLOCK_POSIX_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace clocks {

// "<context>: <strerror(error_number)>" with a code by errno:
// EPERM/EACCES -> PermissionDenied, EADDRINUSE -> AlreadyExists,
// EAGAIN/EWOULDBLOCK/ENOBUFS/EINTR -> Unavailable (retry),
// EINVAL/EAFNOSUPPORT -> InvalidArgument, EADDRNOTAVAIL/ENOENT/ENOTDIR -> NotFound,
// anything else -> Internal.
absl::Status PosixError(absl::string_view context, int error_number);

// For a descriptor whose fstat(2) mode is not a regular file:
// FailedPrecondition "<context>: not a regular file (a FIFO)", naming the
// kind (directory, FIFO, character device, block device, socket, symbolic
// link). Readers refuse such paths before reading (a FIFO would block).
absl::Status NotRegularFileError(absl::string_view context, unsigned mode);

}  // namespace clocks

#endif  // CLOCK_POSIX_ERROR_H_
