// End-to-end tests of the daemon's process flags: -p PIDFILE, -l LOGFILE,
// -d and -u USER. The real binary runs as a child process on 127.0.0.2 with
// a free high port, under `setpriv --bounding-set -sys_time` where setpriv
// exists (the clock is read-only anyway), and is stopped by PID.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/daemon_test_util.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDaemon[] = "tools/ntpd";
constexpr char kSetpriv[] = "/usr/bin/setpriv";
constexpr char kConfig[] = "testdata/configs/seed/server-ntp.conf";
const char kAddress[] = "127.0.0.2";

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/" + name;
  mkdir(dir.c_str(), 0755);
  return dir;
}

using ::ntp::testing::ReadFile;

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

uint16_t FreePort() { return ::ntp::testing::FreePort(kAddress); }

// Starts the daemon (through setpriv when present); stdout and stderr go to
// files in `dir`.
pid_t Start(const std::vector<std::string>& flags, const std::string& dir) {
  std::vector<std::string> args;
  if (access(kSetpriv, X_OK) == 0) {
    args = {kSetpriv, "--bounding-set", "-sys_time", "--inh-caps", "-sys_time"};
  }
  args.push_back(kDaemon);
  args.push_back("--no_clock_adjust");  // tests never change the clock
  args.insert(args.end(), flags.begin(), flags.end());
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open((dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open((dir + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Waits (at most 10 s) until `path` contains `text`; false if the child
// exits first.
bool WaitFor(pid_t pid, const std::string& path, const std::string& text) {
  for (int i = 0; i < 1000; ++i) {
    if (ReadFile(path).find(text) != std::string::npos) return true;
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    usleep(10000);
  }
  return false;
}

// SIGTERM (or SIGKILL after 10 s); returns the wait status.
int Stop(pid_t pid) {
  kill(pid, SIGTERM);
  return ::ntp::testing::Reap(pid);
}

// One mode 3 query; true if 48 bytes came back within a second.
bool Answered(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, kAddress, &to.sin_addr);
  uint8_t request[48] = {0xE3};
  sendto(fd, request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  pollfd p{fd, POLLIN, 0};
  bool ok = false;
  if (poll(&p, 1, 1000) == 1) {
    uint8_t buf[512];
    ok = recv(fd, buf, sizeof(buf), 0) == 48;
  }
  close(fd);
  return ok;
}

std::map<std::string, std::string> ProcStatus(pid_t pid) {
  std::map<std::string, std::string> out;
  const std::string text = ReadFile("/proc/" + std::to_string(pid) + "/status");
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    out[std::string(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return out;
}

uint64_t Hex(const std::string& s) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleHexAtoi(s, &v)) << s;
  return v;
}

TEST(NtpdFlagsTest, PidFileAndLogFile) {
  const std::string dir = TestDir("pid_and_log");
  const std::string pid_file = dir + "/ntpd.pid";
  const std::string log_file = dir + "/ntpd.log";
  const uint16_t port = FreePort();
  const pid_t pid = Start({"-n", "-d", "-c", kConfig, "--listen", kAddress, "--port",
                           std::to_string(port), "-p", pid_file, "-l", log_file},
                          dir);
  // The pid is the daemon's own (setpriv execs it in place).
  ASSERT_TRUE(WaitFor(pid, pid_file, std::to_string(pid) + "\n")) << ReadFile(dir + "/stderr");
  EXPECT_EQ(ReadFile(pid_file), std::to_string(pid) + "\n");
  EXPECT_TRUE(Answered(port));
  const int status = Stop(pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(Exists(pid_file)) << "removed at a clean exit";
  const std::string log = ReadFile(log_file);
  EXPECT_THAT(log, HasSubstr("authreadkeys"));  // a log line of the start
  EXPECT_THAT(log, HasSubstr("pid " + std::to_string(pid) + " written to " + pid_file));  // -d
  EXPECT_THAT(log, HasSubstr("counters: inputs "));                                      // -d
  EXPECT_THAT(log, HasSubstr("ntpd exiting on signal 15"));
  // Log lines went to the file, not to stderr.
  EXPECT_THAT(ReadFile(dir + "/stderr"), Not(HasSubstr("ntpd exiting")));
}

TEST(NtpdFlagsTest, RunsAsNobodyWithOnlySysTimeAfterBinding) {
  if (geteuid() != 0) GTEST_SKIP() << "not root here: -u needs root";
  if (ReadFile("/proc/self/setgroups").rfind("deny", 0) == 0) {
    GTEST_SKIP() << "setgroups(2) is denied in this user namespace (/proc/self/setgroups)";
  }
  // nobody must be able to reach and write the pid file's directory to
  // remove the file at exit: TEST_TMPDIR may lie under a private /root.
  char dir_template[] = "/tmp/ntpd_flags_e2e.XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  ASSERT_EQ(chown(dir.c_str(), 65534, 65534), 0);
  const std::string pid_file = dir + "/ntpd.pid";
  const uint16_t port = FreePort();
  const pid_t pid = Start({"-n", "-d", "-c", kConfig, "--listen", kAddress, "--port",
                           std::to_string(port), "-p", pid_file, "-u", "nobody"},
                          dir);
  const std::string err_path = dir + "/stderr";
  if (!WaitFor(pid, err_path, "running as nobody")) {
    const std::string err = ReadFile(err_path);
    Stop(pid);
    if (err.find("Invalid argument") != std::string::npos) {
      GTEST_SKIP() << "uid 65534 is not mapped in this user namespace: " << err;
    }
    FAIL() << err;
  }
  const std::map<std::string, std::string> st = ProcStatus(pid);
  EXPECT_EQ(st.at("Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(st.at("Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(st.at("Groups"), "65534");
  const uint64_t sys_time = uint64_t{1} << CAP_SYS_TIME;
  const bool bounding_has_sys_time = (Hex(st.at("CapBnd")) & sys_time) != 0;
  const uint64_t expected = bounding_has_sys_time ? sys_time : 0;
  EXPECT_EQ(Hex(st.at("CapPrm")), expected);
  EXPECT_EQ(Hex(st.at("CapEff")), expected);
  EXPECT_EQ(Hex(st.at("CapInh")), 0u);
  EXPECT_EQ(Hex(st.at("CapAmb")), 0u);
  EXPECT_THAT(ReadFile(err_path),
              HasSubstr(bounding_has_sys_time ? "with CAP_SYS_TIME only"
                                              : "with no capability (CAP_SYS_TIME is not in "
                                                "the bounding set)"));
  // The socket bound as root still serves.
  EXPECT_TRUE(Answered(port));
  const int status = Stop(pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadFile(err_path);
  EXPECT_FALSE(Exists(pid_file));
  unlink(pid_file.c_str());
  unlink((dir + "/stdout").c_str());
  unlink(err_path.c_str());
  rmdir(dir.c_str());
}

TEST(NtpdFlagsTest, UserRootIsRefusedBeforeBinding) {
  const std::string dir = TestDir("run_as_root");
  const pid_t pid = Start({"-n", "-c", kConfig, "--listen", kAddress, "--port",
                           std::to_string(FreePort()), "-u", "root"},
                          dir);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_THAT(ReadFile(dir + "/stderr"), HasSubstr("refusing to keep running as root"));
  EXPECT_THAT(ReadFile(dir + "/stdout"), Not(HasSubstr("serving on")));
}

}  // namespace
