#include "tools/daemon_test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ntp::testing {
namespace {

constexpr char kDaemon[] = "tools/ntpd";
constexpr char kSetpriv[] = "/usr/bin/setpriv";

}  // namespace

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

uint16_t FreePort(const char* address) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, address, &a.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

Daemon StartDaemon(const std::vector<std::string>& args, const std::string& name) {
  Daemon d;
  d.out_path = TempDir() + "/" + name + ".out";
  d.err_path = TempDir() + "/" + name + ".err";
  unlink(d.out_path.c_str());
  unlink(d.err_path.c_str());
  std::vector<std::string> full;
  if (access(kSetpriv, X_OK) == 0) {
    full = {kSetpriv, "--bounding-set", "-sys_time", "--inh-caps", "-sys_time"};
  }
  full.push_back(kDaemon);
  full.push_back("--no_clock_adjust");
  full.insert(full.end(), args.begin(), args.end());
  d.pid = fork();
  if (d.pid == 0) {
    const int out = open(d.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(d.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (std::string& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return d;
}

bool WaitFor(const Daemon& d, const std::function<bool()>& done, int seconds) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (done()) return true;
    int status;
    if (waitpid(d.pid, &status, WNOHANG) == d.pid) return false;
    usleep(10000);
  }
  return false;
}

bool WaitForOutput(const Daemon& d, const std::string& path, const std::string& text) {
  return WaitFor(d, [&] { return ReadFile(path).find(text) != std::string::npos; });
}

int Reap(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

int Stop(const Daemon& d, int signal_number) {
  kill(d.pid, signal_number);
  return Reap(d.pid);
}

}  // namespace ntp::testing
