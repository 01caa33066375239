// Shows that the server's per-client table has bounded memory: 1 M (then
// 2 M) requests from distinct source addresses go through the responder
// with the default table size (ntpd's `mru maxmem` 1024 KiB), and the
// process's resident set size is printed before and after.
//
//   bazel run -c opt //tools:client_table_rss [-- CLIENTS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "clock/fake_clock.h"
#include "ntp/server/responder.h"

namespace {

long RssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("usage: client_table_rss [CLIENTS] (default 1000000)");
  const std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  uint32_t clients = 1000000;
  if (args.size() > 2 || (args.size() == 2 && (!absl::SimpleAtoi(args[1], &clients) ||
                                               clients == 0))) {
    std::fprintf(stderr, "usage: client_table_rss [CLIENTS] (default 1000000)\n");
    return 2;
  }
  const long rss_start = RssKib();
  ntp::ResponderSettings settings;
  settings.access.AddDefault(net::IpAddress::Family::kV4,
                             ntp::kRestrictLimited | ntp::kRestrictKod);
  auto auth = ntp::RequestAuthenticator::Create(nullptr, {});
  ntp::Responder responder(std::move(settings), std::move(*auth));
  clocks::FakeClock clock(absl::FromUnixSeconds(1704067200));
  ntp::SystemVariables system;
  std::vector<uint8_t> request(48, 0);
  request[0] = 0xE3;
  std::array<uint8_t, ntp::Responder::kMaxReplyOctets> reply{};
  const long rss_built = RssKib();
  std::printf("client table: capacity %zu entries, %zu bytes (%zu per entry)\n",
              responder.clients().capacity(), responder.clients().memory_bytes(),
              ntp::ClientTable::BytesPerEntry());
  std::printf("RSS at start %ld KiB, after building the responder %ld KiB\n", rss_start,
              rss_built);
  for (int round = 1; round <= 2; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (uint32_t i = 0; i < clients; ++i) {
      ntp::ServerRequest r;
      r.payload = request;
      // 10.0.0.0/8 and up: every address distinct within the round.
      r.source = net::SocketAddress(net::IpAddress::V4(0x0A000000u + i + (round - 1) * clients),
                                    40000);
      r.receive_time = ntp::NtpTimestamp::FromTime(clock.Now());
      r.monotonic_now = absl::FromUnixSeconds(1000) + absl::Microseconds(i);
      r.transmit_time = ntp::NtpTimestamp::FromTime(clock.Now());
      responder.Handle(r, system, absl::MakeSpan(reply));
    }
    const double ns = std::chrono::duration<double, std::nano>(
                          std::chrono::steady_clock::now() - t0).count() / clients;
    std::printf("after %u M distinct clients: RSS %ld KiB, table %zu entries, %llu evictions, "
                "%.0f ns/request\n",
                round * clients / 1000000, RssKib(), responder.clients().size(),
                static_cast<unsigned long long>(responder.clients().evictions()), ns);
  }
  return 0;
}
