// DropPrivileges, checked from the outside: a forked child process (this
// test starts no thread, so the child's credentials change is complete)
// drops to `nobody` and reports its /proc/self/status; the parent checks
// uid/gid and the capability sets. Needs root with CAP_SETUID/CAP_SETGID and a mapped uid
// 65534; otherwise the drop test is skipped with the reason.
#include "tools/privileges.h"

#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace tools {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseRunAsTest, UserAndOptionalGroup) {
  ASSERT_OK_AND_ASSIGN(RunAsSpec a, ParseRunAs("ntp:ntp"));
  EXPECT_EQ(a.user, "ntp");
  EXPECT_EQ(a.group, "ntp");
  ASSERT_OK_AND_ASSIGN(RunAsSpec b, ParseRunAs("nobody"));
  EXPECT_EQ(b.user, "nobody");
  EXPECT_FALSE(b.group.has_value());
  for (const char* bad : {"", ":ntp", "ntp:"}) {
    EXPECT_THAT(ParseRunAs(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(ResolveRunAsTest, NamesAndNumbers) {
  ASSERT_OK_AND_ASSIGN(RunAsIds root, ResolveRunAs({"root", std::nullopt}));
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.gid, 0u);
  ASSERT_OK_AND_ASSIGN(RunAsIds numeric, ResolveRunAs({"4242", std::string("4343")}));
  EXPECT_EQ(numeric.uid, 4242u);
  EXPECT_EQ(numeric.gid, 4343u);
  EXPECT_THAT(ResolveRunAs({"no-such-user-ntpd-test", std::nullopt}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveRunAs({"root", std::string("no-such-group-ntpd-test")}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(DropPrivilegesTest, NeverToRoot) {
  RunAsIds root;  // uid 0
  root.user_name = "root";
  EXPECT_THAT(DropPrivileges(root), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("refusing to keep running as root")));
}

// "Name:\tvalue" lines of /proc/self/status.
std::map<std::string, std::string> ParseStatus(const std::string& text) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == '\t' || value.front() == ' ')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\t' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    out[std::string(line.substr(0, colon))] = std::string(value);
  }
  return out;
}

uint64_t Hex(const std::string& s) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleHexAtoi(s, &v)) << s;
  return v;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string ReadFile(const char* path) {
  std::string text;
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

// Whether `id` falls in one of the "inside outside count" lines of a
// /proc/self/{uid,gid}_map.
bool Mapped(const std::string& map, uint32_t id) {
  for (absl::string_view line : absl::StrSplit(map, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t inside = 0, count = 0;
    if (f.size() == 3 && absl::SimpleAtoi(f[0], &inside) && absl::SimpleAtoi(f[2], &count) &&
        id >= inside && id - inside < count) {
      return true;
    }
  }
  return false;
}

TEST(DropPrivilegesTest, ChildDropsToNobodyKeepingOnlySysTime) {
  if (geteuid() != 0) GTEST_SKIP() << "not root here (euid " << geteuid() << "): nothing to drop";
  if (prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0) != 1 ||
      prctl(PR_CAPBSET_READ, CAP_SETGID, 0, 0, 0) != 1) {
    GTEST_SKIP() << "CAP_SETUID/CAP_SETGID are not in the bounding set here";
  }
  absl::StatusOr<RunAsIds> nobody = ResolveRunAs({"nobody", std::nullopt});
  if (!nobody.ok()) GTEST_SKIP() << "no user `nobody` here: " << nobody.status();
  // In a user namespace (e.g. Bazel's linux-sandbox) setgroups may be denied
  // and uid 65534 unmapped (user_namespaces(7)).
  if (ReadFile("/proc/self/setgroups").rfind("deny", 0) == 0) {
    GTEST_SKIP() << "setgroups(2) is denied in this user namespace (/proc/self/setgroups)";
  }
  if (!Mapped(ReadFile("/proc/self/uid_map"), nobody->uid) ||
      !Mapped(ReadFile("/proc/self/gid_map"), nobody->gid)) {
    GTEST_SKIP() << "uid/gid " << nobody->uid << "/" << nobody->gid
                 << " is not mapped in this user namespace";
  }
  const bool bounding_has_sys_time = prctl(PR_CAPBSET_READ, CAP_SYS_TIME, 0, 0, 0) == 1;

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    // The child reports "ok <kept>\n" or "error <status>\n", then its
    // /proc/self/status, and exits without running any test code.
    absl::StatusOr<DropResult> dropped = DropPrivileges(*nobody);
    std::string report = dropped.ok()
                             ? std::string("ok ") + (dropped->kept_sys_time ? "1" : "0")
                             : "error " + dropped.status().ToString();
    report += "\n";
    if (dropped.ok()) {
      report += "setuid0 ";
      report += setuid(0) == 0 ? "succeeded" : "refused";
      report += "\n";
    }
    report += ReadFile("/proc/self/status");
    [[maybe_unused]] ssize_t w = write(pipe_fds[1], report.data(), report.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  const std::string report = ReadAll(pipe_fds[0]);
  close(pipe_fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << report;

  const std::string first_line = report.substr(0, report.find('\n'));
  if (first_line.rfind("error", 0) == 0 &&
      first_line.find("Invalid argument") != std::string::npos) {
    // setresuid/setgroups answer EINVAL when 65534 is not mapped in this
    // user namespace (user_namespaces(7)).
    GTEST_SKIP() << "uid/gid 65534 is not mapped in this user namespace: " << first_line;
  }
  ASSERT_EQ(first_line.rfind("ok ", 0), 0u) << report;
  const bool kept = first_line == "ok 1";
  EXPECT_EQ(kept, bounding_has_sys_time)
      << "CAP_SYS_TIME is kept exactly when the bounding set has it";
  if (!bounding_has_sys_time) {
    std::fprintf(stderr,
                 "note: CAP_SYS_TIME is not in this bounding set (e.g. setpriv "
                 "--bounding-set -sys_time): the kept set is empty\n");
  }
  EXPECT_THAT(report, HasSubstr("setuid0 refused"));

  std::map<std::string, std::string> status = ParseStatus(report);
  const std::string uid = std::to_string(nobody->uid);
  const std::string gid = std::to_string(nobody->gid);
  EXPECT_EQ(status["Uid"], uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(status["Gid"], gid + "\t" + gid + "\t" + gid + "\t" + gid);
  EXPECT_EQ(status["Groups"], gid);
  const uint64_t sys_time = uint64_t{1} << CAP_SYS_TIME;
  const uint64_t expected = bounding_has_sys_time ? sys_time : 0;
  EXPECT_EQ(Hex(status["CapPrm"]), expected) << status["CapPrm"];
  EXPECT_EQ(Hex(status["CapEff"]), expected) << status["CapEff"];
  EXPECT_EQ(Hex(status["CapInh"]), 0u);
  EXPECT_EQ(Hex(status["CapAmb"]), 0u);
  // The bounding set is left as it was (the parent's).
  std::map<std::string, std::string> parent = ParseStatus(ReadFile("/proc/self/status"));
  EXPECT_EQ(status["CapBnd"], parent["CapBnd"]);
}

}  // namespace
}  // namespace tools
