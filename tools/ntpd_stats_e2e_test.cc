// End-to-end test of the daemon's statistics files and log destinations:
// an orphan-mode server on 127.0.0.2 and a client on 127.0.0.3 (free high
// ports, the clock only read) whose configuration asks for loopstats and
// peerstats (`statsdir`, `statistics`, `filegen ... type day enable`) and a
// `logfile`. The daemons only read the clock (--no_clock_adjust), run under
// setpriv without CAP_SYS_TIME when setpriv exists, and are stopped by PID.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/daemon_test_util.h"

namespace {

using ::ntp::testing::Daemon;
using ::ntp::testing::FreePort;
using ::ntp::testing::ReadFile;
using ::ntp::testing::TempDir;
using ::ntp::testing::WaitFor;
using ::ntp::testing::WriteFile;

Daemon Start(const std::vector<std::string>& args, const std::string& name) {
  return ::ntp::testing::StartDaemon(args, name);
}

int Stop(pid_t pid) {
  return ::ntp::testing::Stop(Daemon{pid, "", ""}, SIGTERM);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Today's (UTC) day suffix, as filegen type day names its files.
std::string DaySuffix() {
  const time_t now = time(nullptr);
  tm utc;
  gmtime_r(&now, &utc);
  char buf[16];
  strftime(buf, sizeof(buf), ".%Y%m%d", &utc);
  return buf;
}

class NtpdStatsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (pid_t pid : {client_.pid, server_.pid}) {
      if (pid > 0) Stop(pid);
    }
  }
  Daemon server_;
  Daemon client_;
};

TEST_F(NtpdStatsTest, ClientWritesPeerstatsAndLoopstatsInNtpdsFormatAndLogsToLogfile) {
  const std::string server_conf = TempDir() + "/stats-server.conf";
  WriteFile(server_conf,
            "tos orphan 5 orphanwait 1\n"
            "restrict default nomodify notrap nopeer noquery\n"
            "restrict 127.0.0.0 mask 255.0.0.0\n");
  const uint16_t server_port = FreePort("127.0.0.2");
  server_ = Start({"-c", server_conf, "--listen", "127.0.0.2", "--port",
                   std::to_string(server_port)},
                  "stats-server");
  ASSERT_TRUE(WaitFor(server_, [&] {
    return ReadFile(server_.err_path).find("orphan mode, stratum 5") != std::string::npos;
  })) << ReadFile(server_.err_path);

  const std::string stats_dir = TempDir() + "/ntpstats";
  std::system(("rm -rf '" + stats_dir + "'").c_str());
  mkdir(stats_dir.c_str(), 0755);
  const std::string log_path = TempDir() + "/stats-client.log";
  unlink(log_path.c_str());
  const std::string client_conf = TempDir() + "/stats-client.conf";
  WriteFile(client_conf, "server 127.0.0.2 iburst\n"
                         "statsdir " + stats_dir + "/\n"
                         "statistics loopstats peerstats\n"
                         "filegen loopstats file loopstats type day enable\n"
                         "filegen peerstats file peerstats type day enable\n"
                         "logfile " + log_path + "\n");
  client_ = Start({"-c", client_conf, "--listen", "127.0.0.3", "--port",
                   std::to_string(FreePort("127.0.0.3")), "--server_port",
                   std::to_string(server_port)},
                  "stats-client");
  const std::string peerstats = stats_dir + "/peerstats" + DaySuffix();
  const std::string loopstats = stats_dir + "/loopstats" + DaySuffix();
  // iburst: replies 2 s apart; the clock update that writes loopstats
  // follows the selection (a few samples).
  const bool written = WaitFor(client_, [&] {
    return Lines(ReadFile(peerstats)).size() >= 2 && !ReadFile(loopstats).empty();
  }, 20);
  const int status = Stop(client_.pid);
  client_.pid = -1;
  const std::string log = ReadFile(log_path);
  ASSERT_TRUE(written) << "log:\n" << log << "\nstderr:\n" << ReadFile(client_.err_path);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  // MJD, seconds past UTC midnight (3 decimals), address, status word
  // (configured and reachable, a select code, events), offset, delay,
  // dispersion, jitter.
  const std::regex peer_line(
      R"(\d{5} \d{1,5}\.\d{3} 127\.0\.0\.2 9[0-6][0-9a-f]{2} -?\d+\.\d{9} \d+\.\d{9} \d+\.\d{9} \d+\.\d{9})");
  for (const std::string& line : Lines(ReadFile(peerstats))) {
    EXPECT_TRUE(std::regex_match(line, peer_line)) << line;
  }
  // MJD, seconds, offset, frequency (ppm, 3 decimals), jitter, wander
  // (ppm, 6 decimals), poll exponent.
  const std::regex loop_line(
      R"(\d{5} \d{1,5}\.\d{3} -?\d+\.\d{9} -?\d+\.\d{3} \d+\.\d{9} \d+\.\d{6} \d+)");
  for (const std::string& line : Lines(ReadFile(loopstats))) {
    EXPECT_TRUE(std::regex_match(line, loop_line)) << line;
  }
  // The first sample: nothing selected yet, two events (mobilize, reachable).
  EXPECT_NE(Lines(ReadFile(peerstats))[0].find(" 127.0.0.2 9024 "), std::string::npos);
  // Today's MJD.
  const long mjd = static_cast<long>(time(nullptr) / 86400 + 40587);
  EXPECT_EQ(ReadFile(peerstats).substr(0, 5), std::to_string(mjd));
  // `link`: the bare name is the current file.
  EXPECT_EQ(ReadFile(stats_dir + "/peerstats").substr(0, 40), ReadFile(peerstats).substr(0, 40));

  // `logfile`: the daemon's lines went to the file, with ntpd's prefix.
  EXPECT_NE(log.find("synchronized to 127.0.0.2, stratum 6"), std::string::npos) << log;
  EXPECT_NE(log.find(" ntpd["), std::string::npos) << log;
  EXPECT_EQ(ReadFile(client_.err_path).find("synchronized to"), std::string::npos);
}

}  // namespace
