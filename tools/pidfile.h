// The daemon's pid file (`ntpd -p FILE`): written atomically once the
// sockets are bound, removed at a clean exit. Linux calls only; used by
// tools/ntpd_main.cc.
#ifndef TOOLS_PIDFILE_H_
#define TOOLS_PIDFILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace tools {

// Writes "<pid>\n" to a temporary file next to `path` (mkstemp, mode 0644,
// fsync), then renames it over `path`: a reader sees the old file or the
// whole new one, never a partial one. Errors as clocks::PosixError (NotFound
// for a missing directory, PermissionDenied for one we may not write); no
// temporary file is left behind.
absl::Status WritePidFile(const std::string& path, pid_t pid);

// Removes `path` if it still holds `pid` (a file another process has since
// written is left alone: FailedPrecondition). NotFound if it is gone;
// PermissionDenied if its directory is not writable any more (e.g. after
// `-u` dropped root).
absl::Status RemovePidFile(const std::string& path, pid_t pid);

}  // namespace tools

#endif  // TOOLS_PIDFILE_H_
