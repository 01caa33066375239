// End-to-end test of trace recording and replay: an orphan-mode server on
// 127.0.0.2 and a client on 127.0.0.3 (iburst; free high ports) both run
// with --trace=FILE until the client logs that it synchronized; then the
// real ntpreplay binary replays each trace and must find it identical, and
// --dump prints it. The daemons only read the clock (--no_clock_adjust),
// run under setpriv without CAP_SYS_TIME when setpriv exists, and are
// stopped by PID.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

constexpr char kDaemon[] = "tools/ntpd";
constexpr char kReplay[] = "tools/ntpreplay";
constexpr char kSetpriv[] = "/usr/bin/setpriv";

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

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

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

struct Daemon {
  pid_t pid = -1;
  std::string err_path;
};

// The daemon with stdout/stderr in TEST_TMPDIR/NAME.{out,err}, reading the
// clock only, without CAP_SYS_TIME (setpriv) where that can be arranged.
Daemon Start(const std::vector<std::string>& args, const std::string& name) {
  Daemon d;
  d.err_path = TempDir() + "/" + name + ".err";
  const std::string out_path = TempDir() + "/" + name + ".out";
  unlink(d.err_path.c_str());
  const bool setpriv = access(kSetpriv, X_OK) == 0;
  d.pid = fork();
  if (d.pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(d.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<std::string> all;
    if (setpriv) all = {kSetpriv, "--bounding-set", "-sys_time", "--inh-caps", "-sys_time"};
    all.push_back(kDaemon);
    all.push_back("--no_clock_adjust");  // only read the clock
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return d;
}

// Waits until `done()` or the child exits; at most `seconds`.
template <typename Done>
bool WaitFor(const Daemon& d, Done done, int seconds = 10) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (done()) return true;
    int status;
    if (waitpid(d.pid, &status, WNOHANG) == d.pid) return false;
    usleep(10000);
  }
  return false;
}

int Stop(pid_t pid) {
  kill(pid, SIGTERM);
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

// Runs ntpreplay with `args`; returns its exit status, its stdout in *out
// and its stderr in *err.
int RunReplay(const std::vector<std::string>& args, std::string* out, std::string* err) {
  const std::string out_path = TempDir() + "/replay.out";
  const std::string err_path = TempDir() + "/replay.err";
  const pid_t pid = fork();
  if (pid == 0) {
    const int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<std::string> all = {kReplay};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  *out = ReadFile(out_path);
  *err = ReadFile(err_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class NtpdTraceTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (pid_t pid : {client_.pid, server_.pid}) {
      if (pid > 0) Stop(pid);
    }
  }
  Daemon server_;
  Daemon client_;
};

TEST_F(NtpdTraceTest, RecordedLoopbackRunReplaysIdentically) {
  // The server records through the `trace` directive, the client through
  // --trace.
  const std::string server_conf = TempDir() + "/trace-server.conf";
  const std::string server_trace = TempDir() + "/server.trace";
  const std::string client_trace = TempDir() + "/client.trace";
  WriteFile(server_conf,
            "tos orphan 5 orphanwait 1\n"
            "restrict default nomodify notrap nopeer noquery\n"
            "restrict 127.0.0.0 mask 255.0.0.0\n"
            "trace " + server_trace + " maxsize 1048576 keep 2\n");
  const uint16_t server_port = FreePort("127.0.0.2");
  server_ = Start({"-c", server_conf, "--listen", "127.0.0.2", "--port",
                   std::to_string(server_port)},
                  "trace-server");
  ASSERT_TRUE(WaitFor(server_, [&] {
    return ReadFile(server_.err_path).find("orphan mode, stratum 5") != std::string::npos;
  })) << ReadFile(server_.err_path);

  const std::string client_conf = TempDir() + "/trace-client.conf";
  WriteFile(client_conf, "server 127.0.0.2 iburst\n");
  client_ = Start({"-c", client_conf, "--listen", "127.0.0.3", "--port",
                   std::to_string(FreePort("127.0.0.3")), "--server_port",
                   std::to_string(server_port), "--trace=" + client_trace},
                  "trace-client");
  const bool synced = WaitFor(client_, [&] {
    return ReadFile(client_.err_path).find("synchronized to 127.0.0.2") != std::string::npos;
  }, 30);
  const int client_status = Stop(client_.pid);
  client_.pid = -1;
  const int server_status = Stop(server_.pid);
  server_.pid = -1;
  ASSERT_TRUE(synced) << ReadFile(client_.err_path);
  EXPECT_TRUE(WIFEXITED(client_status) && WEXITSTATUS(client_status) == 0) << client_status;
  EXPECT_TRUE(WIFEXITED(server_status) && WEXITSTATUS(server_status) == 0) << server_status;

  for (const std::string& trace : {client_trace, server_trace}) {
    struct stat st;
    ASSERT_EQ(stat(trace.c_str(), &st), 0) << trace;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << trace;
    std::string out, err;
    EXPECT_EQ(RunReplay({trace}, &out, &err), 0) << trace << "\n" << out << err;
    EXPECT_EQ(out.rfind("identical (", 0), 0u) << out << err;
    EXPECT_EQ(RunReplay({"--dump", trace}, &out, &err), 0) << err;
    EXPECT_EQ(out.rfind("0 header ", 0), 0u) << out.substr(0, 200);
    EXPECT_NE(out.find(" input "), std::string::npos);
    EXPECT_NE(out.find("shutdown"), std::string::npos);
  }
  // The client's trace holds the server's replies.
  std::string out, err;
  ASSERT_EQ(RunReplay({"--dump", client_trace}, &out, &err), 0) << err;
  EXPECT_NE(out.find("source { text: \"127.0.0.2:" + std::to_string(server_port)),
            std::string::npos);

  // What-if on the real trace: a comparison table and an SVG plot.
  const std::string svg = TempDir() + "/what_if.svg";
  ASSERT_EQ(RunReplay({"--set", "tinker.step=0.5", "--set=server.127.0.0.2.maxpoll=6",
                       "--plot=" + svg, client_trace},
                      &out, &err),
            0)
      << out << err;
  EXPECT_NE(out.find("what-if over"), std::string::npos) << out;
  EXPECT_NE(out.find("tinker.step=0.5, server.127.0.0.2.maxpoll=6"), std::string::npos) << out;
  EXPECT_NE(ReadFile(svg).find("<svg"), std::string::npos);
  EXPECT_EQ(RunReplay({"--set", "tinker.bogus=1", client_trace}, &out, &err), 2);
  EXPECT_NE(err.find("unknown tinker field"), std::string::npos) << err;

  // A truncated copy is refused with a clear error, exit 2.
  const std::string bytes = ReadFile(client_trace);
  const std::string cut = TempDir() + "/cut.trace";
  WriteFile(cut, bytes.substr(0, bytes.size() - 5));
  EXPECT_EQ(RunReplay({cut}, &out, &err), 2);
  EXPECT_NE(err.find("truncated trace"), std::string::npos) << err;
  EXPECT_EQ(RunReplay({TempDir() + "/missing.trace"}, &out, &err), 2);
}

}  // namespace
