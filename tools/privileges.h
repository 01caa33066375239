// Privilege drop for the daemon (`ntpd -u USER[:GROUP]`), as Debian runs
// ntpd: the program binds its sockets as root, then becomes USER keeping only
// CAP_SYS_TIME (capabilities(7)). The Linux calls live here, in one place;
// tools/ntpd_main.cc only parses the flag and calls DropPrivileges.
//
// Not for: tests of the protocol (the core never sees users or
// capabilities), or a change of identity after threads exist (the calls
// below act on the calling thread's credentials only, so REQUIRES: the
// process is single-threaded, which the daemon is; net/poll_loop.h).
#ifndef TOOLS_PRIVILEGES_H_
#define TOOLS_PRIVILEGES_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tools {

// `-u USER[:GROUP]` as written. Names or numeric ids.
struct RunAsSpec {
  std::string user;
  std::optional<std::string> group;  // default: USER's primary group
};

// InvalidArgument for an empty user or group ("", ":g", "u:").
absl::StatusOr<RunAsSpec> ParseRunAs(absl::string_view text);

// The ids a spec names, looked up in the user and group databases
// (getpwnam_r / getgrnam_r; all-digit names are taken as ids).
struct RunAsIds {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user_name;  // for log lines
};

// NotFound for an unknown user or group. Look up before dropping: the
// databases may be unreadable afterwards.
absl::StatusOr<RunAsIds> ResolveRunAs(const RunAsSpec& spec);

// What DropPrivileges kept.
struct DropResult {
  // False when CAP_SYS_TIME was not in the bounding set (e.g. under
  // `setpriv --bounding-set -sys_time`, or a systemd unit without it): the
  // process then keeps no capability at all and cannot steer the clock.
  bool kept_sys_time = false;
};

// Becomes `ids` for good, in this order: setgroups({gid}), setresgid(gid x3),
// PR_SET_KEEPCAPS, setresuid(uid x3), then sets exactly {CAP_SYS_TIME}
// permitted and effective (empty if the bounding set lacks it) with nothing
// inheritable, clears the ambient set and PR_SET_KEEPCAPS, and checks that
// root cannot be regained (setuid(0) must fail). The bounding set is left as
// it is.
// Errors: FailedPrecondition if the process is not root (effective uid 0) or
// lacks CAP_SETUID / CAP_SETGID; InvalidArgument for uid 0 (never keep
// root); PermissionDenied / Internal from the failing call otherwise, after
// which the process must exit (its identity may be half changed).
absl::StatusOr<DropResult> DropPrivileges(const RunAsIds& ids);

}  // namespace tools

#endif  // TOOLS_PRIVILEGES_H_
