// A bare NTP responder for benchmarks only: one recvmsg() and one sendto()
// per packet, no access control, no rate limiting, no parsing beyond the
// mode check. It is the floor the real server is compared with in
// tools/bench_server.sh. Never steers the clock (it only reads it).
//
//   bare_responder ADDR PORT [--user-stamp]
// --user-stamp (or --user_stamp): take the receive timestamp with
// clock_gettime after recvmsg returns (as OpenNTPD does) instead of the
// kernel's SO_TIMESTAMPING stamp.
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "ntp/wire/big_endian.h"

ABSL_FLAG(bool, user_stamp, false,
          "stamp arrivals with clock_gettime after recvmsg, not SO_TIMESTAMPING");

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

constexpr uint64_t kNtpUnixOffset = 2208988800ull;

uint64_t ToNtp(const timespec& ts) {
  return ((static_cast<uint64_t>(ts.tv_sec) + kNtpUnixOffset) << 32) |
         ((static_cast<uint64_t>(ts.tv_nsec) << 32) / 1000000000ull);
}

constexpr char kUsage[] = "usage: bare_responder ADDR PORT [--user-stamp]\n";

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // Abseil flag names are identifiers; tools/bench_server.sh and users spell
  // this one with a dash.
  std::string user_stamp_flag = "--user_stamp";
  std::vector<char*> flags(argv, argv + argc);
  for (char*& flag : flags) {
    if (std::strcmp(flag, "--user-stamp") == 0) flag = user_stamp_flag.data();
  }
  const std::vector<char*> args =
      absl::ParseCommandLine(static_cast<int>(flags.size()), flags.data());
  uint32_t port = 0;
  if (args.size() != 3 || !absl::SimpleAtoi(args[2], &port) || port > 65535) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const bool user_stamp = absl::GetFlag(FLAGS_user_stamp);
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, args[1], &addr.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("bare_responder: bind");
    return 1;
  }
  if (!user_stamp) {
    const int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags));
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  uint8_t buf[1024];
  alignas(cmsghdr) char control[256];
  const uint8_t precision = static_cast<uint8_t>(-24);
  while (!g_stop) {
    sockaddr_in from{};
    iovec iov{buf, sizeof(buf)};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = recvmsg(fd, &msg, 0);
    if (n < 48) continue;
    timespec rx{};
    bool stamped = false;
    if (!user_stamp) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
          scm_timestamping ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
          rx = ts.ts[0];
          stamped = true;
        }
      }
    }
    if (!stamped) clock_gettime(CLOCK_REALTIME, &rx);
    if ((buf[0] & 7) != 3) continue;
    uint8_t reply[48] = {};
    reply[0] = static_cast<uint8_t>((buf[0] & 0x38) | 4);  // LI 0, VN echoed, mode 4
    reply[1] = 1;
    reply[2] = buf[2];
    reply[3] = precision;
    std::memcpy(reply + 12, "BARE", 4);
    std::memcpy(reply + 24, buf + 40, 8);  // origin = request transmit
    ntp::StoreBe64(reply + 16, ToNtp(rx));
    ntp::StoreBe64(reply + 32, ToNtp(rx));
    timespec tx{};
    clock_gettime(CLOCK_REALTIME, &tx);
    ntp::StoreBe64(reply + 40, ToNtp(tx));
    sendto(fd, reply, sizeof(reply), 0, reinterpret_cast<sockaddr*>(&from), msg.msg_namelen);
  }
  close(fd);
  return 0;
}
