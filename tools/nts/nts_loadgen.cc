// nts_loadgen: NTS-protected requests per second a server answers, closed
// loop on loopback, for comparing NTS servers (ours: nts_serve; chronyd's)
// on the same load. One NTS-KE exchange, then a pool of valid requests
// (each its own Unique Identifier; NTS servers are stateless, so a request
// may be sent again) kept --inflight outstanding for --duration seconds.
// The first reply to each pooled request is authenticated with NtsClient
// before the timed run, and must carry --cookies fresh cookies. Prints:
// req_per_s, sent, received, verified, cookies. tools/bench_server.sh --nts
// runs it against our NTS server and chronyd's.
//   nts_loadgen --server ntp.test --address 127.0.15.3 --ke_port 4460
//     --ca ca.pem --inflight 64 --duration 3 --cookies 8
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clock/posix_file_reader.h"
#include "ntp/nts/client.h"
#include "ntp/nts/ke_session.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/wire/packet.h"
#include "tools/nts/ke_over_tcp.h"

ABSL_FLAG(std::string, server, "", "NTS-KE server name (certificate name, SNI)");
ABSL_FLAG(std::string, address, "", "address to connect to (default: --server)");
ABSL_FLAG(int, ke_port, 4460, "NTS-KE TCP port");
ABSL_FLAG(std::string, ca, "", "PEM file of CA certificates to trust");
ABSL_FLAG(int, inflight, 64, "requests kept outstanding");
ABSL_FLAG(int, pool, 64, "distinct requests (1..1024)");
ABSL_FLAG(double, duration, 3, "seconds of load (at most 60)");
ABSL_FLAG(int, cookies, 1,
          "cookies each reply carries (1..8): each request has its cookie and "
          "cookies - 1 placeholders");

namespace {

int Fail(const std::string& why) {
  std::cerr << "nts_loadgen: " << why << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string server = absl::GetFlag(FLAGS_server);
  const std::string address =
      absl::GetFlag(FLAGS_address).empty() ? server : absl::GetFlag(FLAGS_address);
  const int pool_size = std::clamp(absl::GetFlag(FLAGS_pool), 1, 1024);
  const absl::Duration duration =
      absl::Seconds(std::clamp(absl::GetFlag(FLAGS_duration), 0.1, 60.0));
  auto ca = clocks::PosixFileReader().Read(absl::GetFlag(FLAGS_ca), 1 << 20);
  if (!ca.ok()) return Fail(std::string(ca.status().message()));
  auto context = ntp::nts::KeTlsContext::ForClient(*ca);
  if (!context.ok()) return Fail(std::string(context.status().message()));

  // One key exchange.
  absl::StatusOr<ntp::nts::KeOutcome> ke = tools::RunKeyExchange(
      *context, server, address, absl::GetFlag(FLAGS_ke_port), 3000);
  if (!ke.ok()) return Fail(absl::StrCat("NTS-KE failed: ", ke.status().message()));
  const ntp::nts::KeOutcome& outcome = *ke;
  const int udp = tools::ConnectTo(outcome.server.value_or(address), outcome.port.value_or(123),
                          SOCK_DGRAM);
  if (udp < 0) return Fail("cannot reach the NTP port");

  // The pool: one client per request. A client holding 9 - N cookies sends
  // one of them with N - 1 placeholders (NtsClient refills to 8), so the
  // reply carries N cookies. Servers are stateless, so the clients may
  // share the exchange's cookies.
  const size_t wanted = static_cast<size_t>(
      std::clamp<int>(absl::GetFlag(FLAGS_cookies), 1, static_cast<int>(ntp::nts::kMaxCookies)));
  if (outcome.cookies.empty()) return Fail("NTS-KE gave no cookie");
  absl::BitGen gen;
  std::vector<ntp::nts::NtsClient> clients;
  std::vector<std::vector<uint8_t>> pool;
  std::map<std::vector<uint8_t>, size_t> by_uid;
  std::vector<uint8_t> header(ntp::kNtpHeaderOctets, 0);
  header[0] = (4 << 3) | 3;
  for (int i = 0; i < pool_size; ++i) {
    std::vector<std::vector<uint8_t>> jar;
    for (size_t j = 0; j < ntp::nts::kMaxCookies + 1 - wanted; ++j) {
      jar.push_back(outcome.cookies[(i + j) % outcome.cookies.size()]);
    }
    auto client = ntp::nts::NtsClient::Create(outcome.keys, jar);
    if (!client.ok()) return Fail(std::string(client.status().message()));
    std::vector<uint8_t> request(2048);
    auto n = client->BuildRequest(header, gen, absl::MakeSpan(request));
    if (!n.ok()) return Fail(std::string(n.status().message()));
    request.resize(*n);
    by_uid[std::vector<uint8_t>(request.begin() + 52, request.begin() + 84)] = pool.size();
    pool.push_back(std::move(request));
    clients.push_back(std::move(client).value());
  }

  // Verification round: every pooled request once, every reply checked.
  int verified = 0;
  for (const auto& request : pool) send(udp, request.data(), request.size(), 0);
  std::vector<uint8_t> reply(4096);
  for (int got = 0; got < pool_size;) {
    pollfd p{udp, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) break;
    const ssize_t n = recv(udp, reply.data(), reply.size(), 0);
    if (n < 84) continue;
    ++got;
    auto it = by_uid.find(std::vector<uint8_t>(reply.begin() + 52, reply.begin() + 84));
    if (it == by_uid.end()) continue;
    const ntp::nts::NtsReplyCheck check = clients[it->second].ProcessReply(
        absl::MakeConstSpan(reply.data(), static_cast<size_t>(n)));
    if (check.verdict == ntp::nts::NtsReplyVerdict::kAccepted &&
        check.new_cookies == wanted) {
      ++verified;
    }
  }

  // Timed closed loop: every batch of replies read (one recvmmsg) is
  // answered with as many new requests (one sendmmsg), so the load
  // generator spends few system calls per request.
  constexpr int kBatch = 64;
  uint64_t sent = 0, received = 0;
  size_t next = 0;
  const int inflight = std::max(1, absl::GetFlag(FLAGS_inflight));
  std::vector<uint8_t> replies(kBatch * 2048);
  std::vector<mmsghdr> rx(kBatch), tx(kBatch);
  std::vector<iovec> rx_iov(kBatch), tx_iov(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    rx_iov[i] = {replies.data() + i * 2048, 2048};
    rx[i].msg_hdr.msg_iov = &rx_iov[i];
    rx[i].msg_hdr.msg_iovlen = 1;
    tx[i].msg_hdr.msg_iov = &tx_iov[i];
    tx[i].msg_hdr.msg_iovlen = 1;
  }
  auto send_some = [&](int count) {
    while (count > 0) {
      const int n = std::min(count, kBatch);
      for (int i = 0; i < n; ++i) {
        const auto& r = pool[next++ % pool.size()];
        tx_iov[i] = {const_cast<uint8_t*>(r.data()), r.size()};
      }
      const int done = sendmmsg(udp, tx.data(), n, 0);
      if (done <= 0) return;
      sent += done;
      count -= done;
    }
  };
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  send_some(inflight);
  while (absl::Now() < end) {
    pollfd p{udp, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) {
      // Lost replies: refill the window.
      send_some(inflight);
      continue;
    }
    const int n = recvmmsg(udp, rx.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    received += n;
    send_some(n);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("req_per_s %.0f sent %llu received %llu verified %d/%d cookies %zu "
              "request_octets %zu\n",
              received / seconds, static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(received), verified, pool_size,
              wanted, pool.front().size());
  return verified == pool_size ? 0 : 1;
}
