// Helpers for the end-to-end tests that run the real daemon binary
// (tools/ntpd_e2e_test.cc, tools/ntpd_stats_e2e_test.cc): files in
// TEST_TMPDIR, free loopback ports, and the daemon started as a child that
// only reads the clock (--no_clock_adjust) and, where setpriv exists, runs
// without CAP_SYS_TIME, so that the kernel would refuse a clock write even
// if the flag were lost. Every child is stopped by PID. Test-only.
#ifndef TOOLS_DAEMON_TEST_UTIL_H_
#define TOOLS_DAEMON_TEST_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ntp::testing {

std::string TempDir();
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);
// A UDP port the kernel reports free on `address` right now.
uint16_t FreePort(const char* address);

struct Daemon {
  pid_t pid = -1;
  std::string out_path, err_path;  // TEST_TMPDIR/NAME.out and .err
};

// tools/ntpd with `args`, stdout and stderr to TEST_TMPDIR/NAME.{out,err}
// (removed first, so an earlier daemon's output never satisfies a wait).
Daemon StartDaemon(const std::vector<std::string>& args, const std::string& name);

// Waits until `done()` or the child exits; at most `seconds`.
bool WaitFor(const Daemon& d, const std::function<bool()>& done, int seconds = 10);
// Waits until `path` contains `text` or the child exits; at most 10 s.
bool WaitForOutput(const Daemon& d, const std::string& path, const std::string& text);

// Waits for the child to exit (at most 10 s, then SIGKILL); returns the
// wait status.
int Reap(pid_t pid);
// Sends `signal_number` and reaps the child.
int Stop(const Daemon& d, int signal_number);

}  // namespace ntp::testing

#endif  // TOOLS_DAEMON_TEST_UTIL_H_
