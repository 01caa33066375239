// End-to-end tests of the real daemon binary: started as a child process on
// 127.0.0.2 (and a client on 127.0.0.3) with free high ports, queried over
// real UDP, reloaded with SIGHUP and stopped by PID with SIGTERM/SIGINT/
// SIGQUIT. The daemon only reads the clock.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/wire/big_endian.h"
#include "tools/daemon_test_util.h"

namespace {

using ::ntp::testing::Daemon;
using ::ntp::testing::ReadFile;
using ::ntp::testing::Reap;
using ::ntp::testing::Stop;
using ::ntp::testing::TempDir;
using ::ntp::testing::WaitForOutput;
using ::ntp::testing::WriteFile;

const char kAddress[] = "127.0.0.2";

// A UDP port the kernel reports free on kAddress right now.
uint16_t FreePort() { return ::ntp::testing::FreePort(kAddress); }

Daemon Start(const std::vector<std::string>& args, const std::string& name) {
  return ::ntp::testing::StartDaemon(args, name);
}

uint64_t NtpNow() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const uint64_t seconds = static_cast<uint64_t>(ts.tv_sec) + 2208988800ull;
  const uint64_t fraction = (static_cast<uint64_t>(ts.tv_nsec) << 32) / 1000000000ull;
  return (seconds << 32) | fraction;
}

struct Exchange {
  std::vector<uint8_t> reply;
  uint64_t t1 = 0, t4 = 0;  // our send and receive times
  uint64_t sent_transmit = 0;
};

// One query from an ephemeral port; nullopt after `timeout_ms` silence.
std::optional<Exchange> Query(uint16_t port, uint8_t first_octet = 0xE3,
                              int timeout_ms = 2000) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, kAddress, &to.sin_addr);
  uint8_t request[48] = {};
  request[0] = first_octet;
  Exchange e;
  e.sent_transmit = 0x0123456789ABCDEFull;  // a nonce, as ntpsec sends
  ntp::StoreBe64(request + 40, e.sent_transmit);
  e.t1 = NtpNow();
  sendto(fd, request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  pollfd p{fd, POLLIN, 0};
  std::optional<Exchange> result;
  if (poll(&p, 1, timeout_ms) == 1) {
    uint8_t buf[512];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    e.t4 = NtpNow();
    if (n > 0) {
      e.reply.assign(buf, buf + n);
      result = e;
    }
  }
  close(fd);
  return result;
}

class NtpdTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (daemon_.pid > 0) {
      kill(daemon_.pid, SIGKILL);
      Reap(daemon_.pid);
    }
  }
  Daemon daemon_;
};

TEST_F(NtpdTest, SeedServerConfigServesRealClientsAndStopsOnSigterm) {
  // The tutorial's server-ntp.conf, byte for byte (its includefile and keys
  // paths do not exist here: ntpd's warnings, not errors).
  const uint16_t port = FreePort();
  daemon_ = Start({"-n", "-c", "testdata/configs/seed/server-ntp.conf", "--listen",
                   kAddress, "--port", std::to_string(port)},
                  "seed");
  ASSERT_TRUE(WaitForOutput(daemon_, daemon_.out_path, "serving on"))
      << ReadFile(daemon_.err_path);
  EXPECT_NE(ReadFile(daemon_.out_path).find(std::string(kAddress) + ":" + std::to_string(port)),
            std::string::npos);

  std::optional<Exchange> e = Query(port);
  ASSERT_TRUE(e.has_value());
  const std::vector<uint8_t>& r = e->reply;
  ASSERT_EQ(r.size(), 48u);
  // Freshly started: unsynchronised until LOCAL(0) is chosen after the
  // 300 s orphan wait (ntpd 4.2.8): LI 3, VN 4 echoed, mode 4, stratum 0,
  // refid INIT.
  EXPECT_EQ(r[0] >> 6, 3);
  EXPECT_EQ((r[0] >> 3) & 7, 4);
  EXPECT_EQ(r[0] & 7, 4);
  EXPECT_EQ(r[1], 0);
  EXPECT_EQ(std::string(r.begin() + 12, r.begin() + 16), "INIT");
  EXPECT_EQ(static_cast<int8_t>(r[2]), 3);  // max(poll 0, discard average 3)
  EXPECT_LT(static_cast<int8_t>(r[3]), -10);  // a sub-millisecond precision
  EXPECT_EQ(ntp::LoadBe64(&r[24]), e->sent_transmit);   // origin = our transmit
  const uint64_t t2 = ntp::LoadBe64(&r[32]), t3 = ntp::LoadBe64(&r[40]);
  EXPECT_LT(t2, t3);  // T3 strictly after T2
  // Same machine, same clock: T1 <= T2 <= T3 <= T4 (to 1 ms).
  const uint64_t ms = (1ull << 32) / 1000;
  EXPECT_LE(e->t1, t2 + ms);
  EXPECT_LE(t3, e->t4 + ms);

  // Version 3 is echoed.
  e = Query(port, 0x1B);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ((e->reply[0] >> 3) & 7, 3);
  // ntpq from a non-local address would be dropped (noquery); mode 7 always.
  EXPECT_FALSE(Query(port, 0x17, 300).has_value());

  const int status = Stop(daemon_, SIGTERM);
  daemon_.pid = -1;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string err = ReadFile(daemon_.err_path);
  EXPECT_NE(err.find("ntpd exiting on signal 15"), std::string::npos) << err;
  EXPECT_NE(err.find("getconfig: Couldn't open"), std::string::npos) << err;
}

TEST_F(NtpdTest, ClientPollsAndSelectsItsServerWithTheClockReadOnly) {
  // Server: orphan mode after a 1 s wait (stratum 5, zero root dispersion:
  // a LOCAL clock would take minutes to come below the client's maxdist).
  const std::string server_conf = TempDir() + "/orphan.conf";
  WriteFile(server_conf,
            "tos orphan 5 orphanwait 1\n"
            "restrict default nomodify notrap nopeer noquery\n"
            "restrict 127.0.0.0 mask 255.0.0.0\n");
  const uint16_t server_port = FreePort();
  daemon_ = Start({"-c", server_conf, "--listen", kAddress, "--port",
                   std::to_string(server_port)},
                  "orphan-server");
  // Synchronised (orphan) 1 s after the wait; an unsynchronised reply
  // would not start the client's burst.
  ASSERT_TRUE(WaitForOutput(daemon_, daemon_.err_path, "orphan mode, stratum 5"))
      << ReadFile(daemon_.err_path);

  const std::string client_conf = TempDir() + "/client.conf";
  WriteFile(client_conf, "server 127.0.0.2 iburst\n");
  Daemon client = Start({"-c", client_conf, "--listen", "127.0.0.3", "--port",
                         std::to_string(FreePort()), "--server_port",
                         std::to_string(server_port)},
                        "client");
  // iburst: the first poll 1-1.5 s after start, then 2 s apart.
  const bool synced =
      WaitForOutput(client, client.err_path, "synchronized to 127.0.0.2, stratum 6");
  const int client_status = Stop(client, SIGTERM);
  const std::string client_err = ReadFile(client.err_path);
  EXPECT_TRUE(synced) << client_err;
  ASSERT_TRUE(WIFEXITED(client_status)) << client_status;
  EXPECT_EQ(WEXITSTATUS(client_status), 0);
  // The read-only clock refused the discipline's changes, once per kind.
  EXPECT_NE(client_err.find("refused"), std::string::npos) << client_err;
  EXPECT_NE(client_err.find("ntpd exiting on signal 15"), std::string::npos) << client_err;

  const int status = Stop(daemon_, SIGTERM);
  daemon_.pid = -1;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(NtpdTest, LocalClockWithShortOrphanWaitServesStratum11AndStopsOnSigint) {
  const std::string conf = TempDir() + "/local.conf";
  WriteFile(conf,
            "server 127.127.1.0\n"
            "fudge 127.127.1.0 stratum 10\n"
            "tos orphanwait 0\n");
  const uint16_t port = FreePort();
  daemon_ = Start({"-c", conf, "--listen", std::string(kAddress) + ":" + std::to_string(port)},
                  "local");
  ASSERT_TRUE(WaitForOutput(daemon_, daemon_.out_path, "serving on"))
      << ReadFile(daemon_.err_path);
  // The first LOCAL poll comes 1 s after start.
  std::optional<Exchange> e;
  for (int i = 0; i < 40; ++i) {
    e = Query(port);
    ASSERT_TRUE(e.has_value());
    if (e->reply[1] != 0) break;
    usleep(100000);
  }
  const std::vector<uint8_t>& r = e->reply;
  EXPECT_EQ(r[0], 0x24);  // LI 0, VN 4, mode 4
  EXPECT_EQ(r[1], 11);    // fudge stratum 10 + 1
  EXPECT_EQ(ntp::LoadBe32(&r[12]), 0x7F7F0100u);  // 127.127.1.0 -> LOCAL(0) on clients
  const uint64_t reftime = ntp::LoadBe64(&r[16]), t3 = ntp::LoadBe64(&r[40]);
  EXPECT_NE(reftime, 0u);
  EXPECT_LT(reftime, t3);
  EXPECT_LT(t3 - reftime, 10ull << 32);  // fresh
  EXPECT_GT(ntp::LoadBe32(&r[8]), 0u);            // root dispersion
  EXPECT_EQ(ntp::LoadBe32(&r[4]), 0u);            // root delay
  EXPECT_NE(ReadFile(daemon_.err_path).find("synchronized to LOCAL(0), stratum 11"),
            std::string::npos);
  const int status = Stop(daemon_, SIGINT);
  daemon_.pid = -1;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(ReadFile(daemon_.err_path).find("exiting on signal 2"), std::string::npos);
}

TEST_F(NtpdTest, ServesIpv6AndSeveralAddresses) {
  const int probe = socket(AF_INET6, SOCK_DGRAM, 0);
  sockaddr_in6 a6{};
  a6.sin6_family = AF_INET6;
  a6.sin6_addr = in6addr_loopback;
  const bool have_v6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&a6), sizeof(a6)) == 0;
  socklen_t len6 = sizeof(a6);
  if (have_v6) getsockname(probe, reinterpret_cast<sockaddr*>(&a6), &len6);
  if (probe >= 0) close(probe);
  if (!have_v6) GTEST_SKIP() << "no IPv6 loopback here";
  const uint16_t port = ntohs(a6.sin6_port);  // free on ::1 a moment ago
  const std::string conf = TempDir() + "/v6.conf";
  WriteFile(conf, "tos orphan 9 orphanwait 0\ninterface listen ::1\ninterface listen 127.0.0.2\n");
  daemon_ = Start({"-c", conf, "--port", std::to_string(port)}, "v6");
  ASSERT_TRUE(WaitForOutput(daemon_, daemon_.out_path, "serving on"))
      << ReadFile(daemon_.err_path);
  const std::string out = ReadFile(daemon_.out_path);
  EXPECT_NE(out.find("[::1]:" + std::to_string(port)), std::string::npos) << out;
  EXPECT_NE(out.find("127.0.0.2:" + std::to_string(port)), std::string::npos) << out;
  usleep(1200000);  // orphan mode after the (zero) wait: stratum 9

  const int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  sockaddr_in6 to = a6;
  uint8_t request[48] = {};
  request[0] = 0xE3;
  request[47] = 0x5A;
  ASSERT_EQ(sendto(fd, request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
            48);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  uint8_t reply[128];
  ASSERT_EQ(recv(fd, reply, sizeof(reply), 0), 48);
  close(fd);
  EXPECT_EQ(reply[0], 0x24);
  EXPECT_EQ(reply[1], 9);
  EXPECT_EQ(ntp::LoadBe32(&reply[12]), 0x7F000001u);  // orphan refid 127.0.0.1
  EXPECT_EQ(reply[31], 0x5A);
  std::optional<Exchange> e = Query(port);  // and IPv4 on 127.0.0.2
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->reply[1], 9);
}

TEST_F(NtpdTest, PortInUsePrintsNtpdsLineAndExits1) {
  // Hold the port the way another daemon would (no SO_REUSEADDR).
  const int holder = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, kAddress, &a.sin_addr);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len);
  const uint16_t port = ntohs(a.sin_port);
  const std::string conf = TempDir() + "/plain.conf";
  WriteFile(conf, "server 127.127.1.0\n");
  daemon_ = Start({"-c", conf, "--listen", kAddress, "--port", std::to_string(port)}, "inuse");
  const int status = Reap(daemon_.pid);
  daemon_.pid = -1;
  close(holder);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string err = ReadFile(daemon_.err_path);
  EXPECT_NE(err.find("\nthe NTP socket is in use, exiting\n"), std::string::npos) << err;
}

TEST_F(NtpdTest, ConfigurationErrorsNameFileAndLineAndExitNonZero) {
  const std::string conf = TempDir() + "/broken.conf";
  WriteFile(conf, "server 127.127.1.0\nfudge 127.127.1.0 stratum 99\nserver 10.0.0.1 minpoll 1\n");
  daemon_ = Start({"-c", conf, "--listen", kAddress, "--port", std::to_string(FreePort())},
                  "broken");
  const int status = Reap(daemon_.pid);
  daemon_.pid = -1;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
  const std::string err = ReadFile(daemon_.err_path);
  EXPECT_NE(err.find(conf + ":2:"), std::string::npos) << err;
  EXPECT_NE(err.find(conf + ":3:"), std::string::npos) << err;
}

TEST_F(NtpdTest, HelpAndBadOptions) {
  daemon_ = Start({"--help"}, "help");
  int status = Reap(daemon_.pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(ReadFile(daemon_.out_path).find("usage: ntpd"), std::string::npos);
  daemon_ = Start({"--bogus"}, "bogus");
  status = Reap(daemon_.pid);
  daemon_.pid = -1;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);  // Abseil's flag parser
  EXPECT_NE(ReadFile(daemon_.err_path).find("Unknown command line flag 'bogus'"),
            std::string::npos);
}

// A UDP socket bound at `address`:`port` (-1 if that failed).
int BindUdp(const char* address, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, address, &a.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// An orphan-mode server on kAddress (synchronised 1 s after start) and a
// client on 127.0.0.3 polling it with iburst, synchronised to it: the
// starting point of the reload and drift-file tests.
class NtpdClientTest : public NtpdTest {
 protected:
  void TearDown() override {
    if (client_.pid > 0) {
      kill(client_.pid, SIGKILL);
      Reap(client_.pid);
    }
    NtpdTest::TearDown();
  }

  void StartServer() {
    const std::string server_conf = TempDir() + "/orphan.conf";
    WriteFile(server_conf,
              "tos orphan 5 orphanwait 1\n"
              "restrict default nomodify notrap nopeer noquery\n"
              "restrict 127.0.0.0 mask 255.0.0.0\n");
    server_port_ = FreePort();
    daemon_ = Start({"-c", server_conf, "--listen", kAddress, "--port",
                     std::to_string(server_port_)},
                    "orphan-server");
    ASSERT_TRUE(WaitForOutput(daemon_, daemon_.err_path, "orphan mode, stratum 5"))
        << ReadFile(daemon_.err_path);
  }

  // Starts the client from `conf_text` and waits until it is synchronised.
  void StartClient(const std::string& conf_text, const std::string& name) {
    client_conf_ = TempDir() + "/" + name + ".conf";
    WriteFile(client_conf_, conf_text);
    client_ = Start({"-c", client_conf_, "--listen", "127.0.0.3", "--port",
                     std::to_string(FreePort()), "--server_port",
                     std::to_string(server_port_)},
                    name);
    ASSERT_TRUE(WaitForOutput(client_, client_.err_path, "synchronized to 127.0.0.2"))
        << ReadFile(client_.err_path);
  }

  uint16_t server_port_ = 0;
  std::string client_conf_;
  Daemon client_;
};

TEST_F(NtpdClientTest, SighupKeepsTheUnchangedAssociationAndAddsTheNewOne) {
  StartServer();
  // The second server is this test, listening at 127.0.0.3 on the servers'
  // port (free there too, or the test cannot run).
  const int second = BindUdp("127.0.0.3", server_port_);
  if (second < 0) GTEST_SKIP() << "port " << server_port_ << " is taken on 127.0.0.3";
  StartClient("server 127.0.0.2 iburst\n", "reload-client");

  WriteFile(client_conf_, "server 127.0.0.2 iburst\nserver 127.0.0.3 iburst\n");
  kill(client_.pid, SIGHUP);
  const bool reloaded = WaitForOutput(client_, client_.err_path,
                                      "reconfigured: 1 associations kept, 1 added, 0 removed");
  // The new association polls: its first request comes 1-1.5 s later.
  pollfd p{second, POLLIN, 0};
  const bool polled = poll(&p, 1, 5000) == 1;
  uint8_t request[128];
  const ssize_t n = polled ? recv(second, request, sizeof(request), 0) : 0;
  close(second);
  const int status = Stop(client_, SIGTERM);
  client_.pid = -1;
  const std::string err = ReadFile(client_.err_path);
  EXPECT_TRUE(reloaded) << err;
  EXPECT_NE(err.find("SIGHUP: reading configuration " + client_conf_), std::string::npos) << err;
  EXPECT_TRUE(polled) << err;
  EXPECT_EQ(n, 48);
  if (n == 48) EXPECT_EQ(request[0] & 7, 3);  // mode 3 (client)
  // Still synchronised to the first server: no second "synchronized" line
  // (the kept association kept its samples and stayed the system peer).
  const size_t first = err.find("synchronized to 127.0.0.2");
  EXPECT_EQ(err.find("synchronized to", first + 1), std::string::npos) << err;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(NtpdTest, SighupWithABrokenFileNamesFileAndLineAndKeepsServing) {
  const std::string conf = TempDir() + "/reload-broken.conf";
  WriteFile(conf, "tos orphan 7 orphanwait 0\n");
  const uint16_t port = FreePort();
  daemon_ = Start({"-c", conf, "--listen", kAddress, "--port", std::to_string(port)},
                  "reload-broken");
  ASSERT_TRUE(WaitForOutput(daemon_, daemon_.out_path, "serving on"))
      << ReadFile(daemon_.err_path);
  WriteFile(conf, "tos orphan 7 orphanwait 0\nfudge 127.127.1.0 stratum 99\n");
  kill(daemon_.pid, SIGHUP);
  ASSERT_TRUE(WaitForOutput(daemon_, daemon_.err_path, "keeping the running configuration"))
      << ReadFile(daemon_.err_path);
  const std::string err = ReadFile(daemon_.err_path);
  EXPECT_NE(err.find(conf + ":2:"), std::string::npos) << err;
  EXPECT_EQ(err.find("reconfigured:"), std::string::npos) << err;
  // Still serving, on the old configuration (orphan stratum 7 after the
  // zero wait).
  std::optional<Exchange> e;
  for (int i = 0; i < 30; ++i) {
    e = Query(port);
    ASSERT_TRUE(e.has_value());
    if (e->reply[1] != 0) break;
    usleep(100000);
  }
  EXPECT_EQ(e->reply[1], 7);
  const int status = Stop(daemon_, SIGTERM);
  daemon_.pid = -1;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(NtpdTest, SigquitExitsCleanlyWithNtpdsLine) {
  const std::string conf = TempDir() + "/quit.conf";
  WriteFile(conf, "tos orphan 7 orphanwait 0\n");
  daemon_ = Start({"-c", conf, "--listen", kAddress, "--port", std::to_string(FreePort())},
                  "quit");
  ASSERT_TRUE(WaitForOutput(daemon_, daemon_.out_path, "serving on"))
      << ReadFile(daemon_.err_path);
  const int status = Stop(daemon_, SIGQUIT);
  daemon_.pid = -1;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string err = ReadFile(daemon_.err_path);
  EXPECT_NE(err.find("ntpd exiting on signal 3 (Quit)"), std::string::npos) << err;
}

TEST_F(NtpdClientTest, SigtermWritesTheDriftFileAndACorruptOneIsKeptAsBad) {
  StartServer();
  // A corrupt drift file: reported, kept as .bad, the daemon starts fresh.
  const std::string drift = TempDir() + "/ntp.drift";
  unlink((drift + ".bad").c_str());
  WriteFile(drift, "not a number\n");
  StartClient("server 127.0.0.2 iburst\ndriftfile " + drift + "\n", "drift-client");
  const std::string started = ReadFile(client_.err_path);
  EXPECT_NE(started.find("frequency file " + drift + " is corrupt"), std::string::npos)
      << started;
  EXPECT_NE(started.find("starting without a known frequency"), std::string::npos) << started;
  EXPECT_EQ(ReadFile(drift + ".bad"), "not a number\n");

  // With the clock read-only the discipline still updates (the clock refuses
  // the operations, ClockSteering logs it once), so at shutdown
  // ClientEngine::Stop writes its frequency, about 0 ppm against a server on
  // the same clock, since no good value was read at start. The corrupt file
  // is replaced (atomically); its .bad copy is not.
  const int status = Stop(client_, SIGTERM);
  client_.pid = -1;
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string err = ReadFile(client_.err_path);
  EXPECT_NE(err.find("written to " + drift), std::string::npos) << err;
  const std::string text = ReadFile(drift);
  char* end = nullptr;
  const double ppm = std::strtod(text.c_str(), &end);
  EXPECT_NE(end, text.c_str()) << text;
  EXPECT_EQ(std::string(end), "\n") << text;
  EXPECT_LT(std::abs(ppm), 50.0) << text;
  EXPECT_EQ(ReadFile(drift + ".bad"), "not a number\n");  // the bad copy survives
}

// The `interface` rules applied to the machine's own interface list (only
// loopback addresses are named, so nothing binds beyond 127.0.0.0/8): IPv6
// ignored, 127.0.0.2 served, 127.0.0.1 bound but silent (`drop`), every
// other address implicitly ignored, as ntpd does once rules exist.
TEST_F(NtpdTest, InterfaceRulesChooseListenIgnoreAndDrop) {
  const std::string conf = TempDir() + "/interfaces.conf";
  WriteFile(conf,
            "server 127.127.1.0\n"
            "fudge 127.127.1.0 stratum 10\n"
            "interface ignore ipv6\n"
            "interface listen 127.0.0.2\n"
            "interface drop 127.0.0.1\n");
  const uint16_t port = FreePort();
  daemon_ = Start({"-c", conf, "--port", std::to_string(port)}, "interfaces");
  ASSERT_TRUE(WaitForOutput(daemon_, daemon_.out_path, "serving on"))
      << ReadFile(daemon_.err_path);
  const std::string out = ReadFile(daemon_.out_path);
  const std::string p = std::to_string(port);
  EXPECT_NE(out.find("serving on 127.0.0.2:" + p + " 127.0.0.1:" + p + " ("), std::string::npos)
      << out;
  EXPECT_EQ(out.find("[::"), std::string::npos) << out;
  EXPECT_TRUE(Query(port).has_value());  // 127.0.0.2 answers

  // 127.0.0.1 holds the port but drops the request.
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  uint8_t request[48] = {};
  request[0] = 0xE3;
  ASSERT_EQ(sendto(fd, request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof(to)),
            48);
  pollfd poll_fd{fd, POLLIN, 0};
  EXPECT_EQ(poll(&poll_fd, 1, 700), 0) << "127.0.0.1 answered despite `interface drop`";
  close(fd);
}

}  // namespace
