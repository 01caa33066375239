// nts_probe: one NTS-KE exchange (RFC 8915 §4) and one NTS-protected NTP
// request (§5) against a server, printing what happened. For interop tests
// and for checking a server by hand:
//   nts_probe --server ntp.example --ca ca.pem
//   nts_probe --server localhost --address 127.0.0.2 --ke_port 4460 --noval
// Exit status: 0 when a reply authenticated, 1 otherwise (the reason is
// printed), 2 on usage errors. Reads the clock only to time the exchange;
// never sets it.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clock/posix_file_reader.h"
#include "ntp/ntp_time.h"
#include "ntp/nts/client.h"
#include "ntp/nts/ke_session.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/wire/big_endian.h"
#include "ntp/wire/packet.h"
#include "tools/nts/ke_over_tcp.h"

ABSL_FLAG(std::string, server, "", "NTS-KE server name (certificate name, SNI)");
ABSL_FLAG(std::string, address, "", "address to connect to (default: --server)");
ABSL_FLAG(int, ke_port, 4460, "NTS-KE TCP port");
ABSL_FLAG(std::string, ca, "", "PEM file of CA certificates to trust");
ABSL_FLAG(bool, noval, false, "do not verify the certificate (tests only)");
ABSL_FLAG(int, ntp_port, 0, "NTP port (default: the server's Port record or 123)");
ABSL_FLAG(int, timeout_ms, 3000, "per-step timeout in milliseconds");

namespace {

int Fail(const std::string& why) {
  std::cout << "FAIL: " << why << std::endl;
  return 1;
}

// PEM and key files are small; anything larger is not one.
constexpr size_t kMaxFileOctets = 1 << 20;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  return clocks::PosixFileReader().Read(path, kMaxFileOctets);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("nts_probe --server NAME [--ca FILE | --noval]");
  absl::ParseCommandLine(argc, argv);
  const std::string server = absl::GetFlag(FLAGS_server);
  if (server.empty()) {
    std::cerr << "nts_probe: --server is required\n";
    return 2;
  }
  const std::string address =
      absl::GetFlag(FLAGS_address).empty() ? server : absl::GetFlag(FLAGS_address);
  const int timeout_ms = absl::GetFlag(FLAGS_timeout_ms);

  std::string ca_pem;
  if (!absl::GetFlag(FLAGS_noval)) {
    absl::StatusOr<std::string> ca = ReadFile(absl::GetFlag(FLAGS_ca));
    if (!ca.ok()) {
      std::cerr << "nts_probe: --ca: " << ca.status().message() << "\n";
      return 2;
    }
    ca_pem = *ca;
  }
  auto context = ntp::nts::KeTlsContext::ForClient(ca_pem, !absl::GetFlag(FLAGS_noval));
  if (!context.ok()) {
    std::cerr << "nts_probe: " << absl::GetFlag(FLAGS_ca) << ": "
              << context.status().message() << "\n";
    return 2;
  }

  // NTS-KE over TCP: the sans-I/O client, tools/nts/ke_over_tcp.cc moves
  // the bytes.
  const absl::Time ke_start = absl::Now();
  absl::StatusOr<ntp::nts::KeOutcome> ke = tools::RunKeyExchange(
      *context, server, address, absl::GetFlag(FLAGS_ke_port), timeout_ms);
  if (!ke.ok()) return Fail(absl::StrCat("NTS-KE: ", ke.status().message()));
  const ntp::nts::KeOutcome& outcome = *ke;
  const std::string ntp_host = outcome.server.value_or(address);
  int ntp_port = absl::GetFlag(FLAGS_ntp_port);
  if (ntp_port == 0) ntp_port = outcome.port.value_or(123);
  std::cout << "NTS-KE: ok in " << absl::FormatDuration(absl::Now() - ke_start)
            << ", " << outcome.cookies.size() << " cookies of "
            << (outcome.cookies.empty() ? 0 : outcome.cookies[0].size())
            << " octets, NTP server " << ntp_host << ":" << ntp_port << std::endl;

  // One NTS-protected request.
  auto client = ntp::nts::NtsClient::Create(outcome.keys, outcome.cookies);
  if (!client.ok()) return Fail(std::string(client.status().message()));
  const int udp = tools::ConnectTo(ntp_host, ntp_port, SOCK_DGRAM);
  if (udp < 0) return Fail(absl::StrCat("cannot reach ", ntp_host, ":", ntp_port));
  absl::BitGen gen;
  std::vector<uint8_t> header(ntp::kNtpHeaderOctets, 0);
  header[0] = (4 << 3) | 3;
  const absl::Time t1 = absl::Now();
  ntp::StoreBe64(header.data() + 40, ntp::NtpTimestamp::FromTime(t1).raw());
  std::vector<uint8_t> request(2048);
  auto n = client->BuildRequest(header, gen, absl::MakeSpan(request));
  if (!n.ok()) return Fail(std::string(n.status().message()));
  request.resize(*n);
  if (send(udp, request.data(), request.size(), 0) < 0) return Fail("NTP send failed");
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  while (true) {
    const int left = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    pollfd p{udp, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, left) <= 0) return Fail("no authenticated NTP reply");
    std::vector<uint8_t> reply(4096);
    const ssize_t got = recv(udp, reply.data(), reply.size(), 0);
    const absl::Time t4 = absl::Now();
    if (got <= 0) continue;
    reply.resize(static_cast<size_t>(got));
    const ntp::nts::NtsReplyCheck check = client->ProcessReply(reply);
    if (check.verdict == ntp::nts::NtsReplyVerdict::kNak) {
      return Fail("NTS NAK from the server");
    }
    if (check.verdict != ntp::nts::NtsReplyVerdict::kAccepted) {
      std::cout << "dropped a reply: " << ntp::nts::NtsClientDropName(check.drop)
                << std::endl;
      continue;
    }
    auto packet = ntp::ParsePacket(reply);
    if (!packet.ok()) return Fail("authenticated reply does not parse");
    const ntp::NtpPacket& p2 = packet.value();
    const double t2 = absl::ToDoubleSeconds(p2.receive_timestamp.ToTime(t4) - t1);
    const double t3 = absl::ToDoubleSeconds(p2.transmit_timestamp.ToTime(t4) - t1);
    const double t4s = absl::ToDoubleSeconds(t4 - t1);
    const double offset = ((t2 - 0) + (t3 - t4s)) / 2;
    const double delay = (t4s - 0) - (t3 - t2);
    std::cout << "NTS reply: authenticated, stratum " << int{p2.stratum}
              << ", offset " << offset << " s, delay " << delay << " s, "
              << check.new_cookies << " new cookies, " << reply.size()
              << " octets for a " << request.size() << "-octet request" << std::endl;
    close(udp);
    return 0;
  }
}
