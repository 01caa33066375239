// DropPrivileges and its helpers: setgroups / setresgid / setresuid with
// PR_SET_KEEPCAPS, then libcap's cap_set_proc (capabilities(7)).
#include "tools/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clock/posix_error.h"

namespace tools {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool InBoundingSet(cap_value_t cap) { return prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1; }

bool Effective(cap_value_t cap) {
  cap_t caps = cap_get_proc();
  if (caps == nullptr) return false;
  cap_flag_value_t value = CAP_CLEAR;
  cap_get_flag(caps, cap, CAP_EFFECTIVE, &value);
  cap_free(caps);
  return value == CAP_SET;
}

// Sets exactly `keep` (maybe empty) permitted and effective, nothing
// inheritable.
absl::Status SetCapabilities(const std::vector<cap_value_t>& keep) {
  cap_t caps = cap_init();  // all three sets empty
  if (caps == nullptr) return clocks::PosixError("cap_init", errno);
  if (!keep.empty() &&
      (cap_set_flag(caps, CAP_PERMITTED, keep.size(), keep.data(), CAP_SET) != 0 ||
       cap_set_flag(caps, CAP_EFFECTIVE, keep.size(), keep.data(), CAP_SET) != 0)) {
    const int error = errno;
    cap_free(caps);
    return clocks::PosixError("cap_set_flag", error);
  }
  const int rc = cap_set_proc(caps);
  const int error = errno;
  cap_free(caps);
  if (rc != 0) return clocks::PosixError("cap_set_proc", error);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RunAsSpec> ParseRunAs(absl::string_view text) {
  RunAsSpec spec;
  const size_t colon = text.find(':');
  spec.user = std::string(text.substr(0, colon));
  if (colon != absl::string_view::npos) spec.group = std::string(text.substr(colon + 1));
  if (spec.user.empty() || (spec.group.has_value() && spec.group->empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat("-u ", text, ": expected USER or USER:GROUP"));
  }
  return spec;
}

absl::StatusOr<RunAsIds> ResolveRunAs(const RunAsSpec& spec) {
  RunAsIds ids;
  std::vector<char> buffer(16384);
  passwd pw;
  passwd* found = nullptr;
  uint32_t number = 0;
  if (AllDigits(spec.user) && absl::SimpleAtoi(spec.user, &number)) {
    ids.uid = number;
    ids.user_name = spec.user;
    getpwuid_r(ids.uid, &pw, buffer.data(), buffer.size(), &found);
    if (found != nullptr) {
      ids.gid = pw.pw_gid;
    } else if (!spec.group.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("-u ", spec.user, ": no such user id, and no group given"));
    }
  } else {
    getpwnam_r(spec.user.c_str(), &pw, buffer.data(), buffer.size(), &found);
    if (found == nullptr) {
      return absl::NotFoundError(absl::StrCat("-u ", spec.user, ": no such user"));
    }
    ids.uid = pw.pw_uid;
    ids.gid = pw.pw_gid;
    ids.user_name = spec.user;
  }
  if (spec.group.has_value()) {
    if (AllDigits(*spec.group) && absl::SimpleAtoi(*spec.group, &number)) {
      ids.gid = number;
    } else {
      group gr;
      group* found_group = nullptr;
      getgrnam_r(spec.group->c_str(), &gr, buffer.data(), buffer.size(), &found_group);
      if (found_group == nullptr) {
        return absl::NotFoundError(absl::StrCat("-u ", spec.user, ":", *spec.group,
                                                ": no such group"));
      }
      ids.gid = found_group->gr_gid;
    }
  }
  return ids;
}

absl::StatusOr<DropResult> DropPrivileges(const RunAsIds& ids) {
  if (ids.uid == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("-u ", ids.user_name, ": refusing to keep running as root"));
  }
  if (geteuid() != 0 || !Effective(CAP_SETUID) || !Effective(CAP_SETGID)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "-u ", ids.user_name, ": changing user needs root (uid 0 with CAP_SETUID and CAP_SETGID)"));
  }
  // Kept only if it can be: the bounding set caps what setresuid keeps.
  const bool keep_sys_time = InBoundingSet(CAP_SYS_TIME) && Effective(CAP_SYS_TIME);

  // Groups first, while still root: no supplementary group of root survives.
  if (setgroups(1, &ids.gid) != 0) return clocks::PosixError("setgroups", errno);
  if (setresgid(ids.gid, ids.gid, ids.gid) != 0) return clocks::PosixError("setresgid", errno);
  // Permitted capabilities survive the uid change only with KEEPCAPS
  // (capabilities(7), "Effect of user ID changes on capabilities").
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return clocks::PosixError("prctl(PR_SET_KEEPCAPS)", errno);
  }
  if (setresuid(ids.uid, ids.uid, ids.uid) != 0) return clocks::PosixError("setresuid", errno);

  std::vector<cap_value_t> keep;
  if (keep_sys_time) keep.push_back(CAP_SYS_TIME);
  if (absl::Status status = SetCapabilities(keep); !status.ok()) return status;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    return clocks::PosixError("prctl(PR_SET_KEEPCAPS, 0)", errno);
  }
  // Ambient capabilities would survive an execve; none may. EINVAL: a kernel
  // older than 4.3 without ambient sets (nothing to clear).
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return clocks::PosixError("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno);
  }

  // Check rather than trust: every id changed, root cannot come back.
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  if (ru != ids.uid || eu != ids.uid || su != ids.uid || rg != ids.gid || eg != ids.gid ||
      sg != ids.gid) {
    return absl::InternalError("-u: user or group ids did not all change");
  }
  if (setuid(0) == 0 || seteuid(0) == 0) {
    return absl::InternalError("-u: root could be regained after the drop");
  }
  DropResult result;
  result.kept_sys_time = keep_sys_time;
  return result;
}

}  // namespace tools
