// nts_serve: an NTS server (RFC 8915) over real sockets, for interop tests
// until the daemon carries NTS itself: NTS-KE on TCP (KeServer), NTP on UDP
// (the daemon's Responder builds each reply header, NtsServer adds the
// Unique Identifier, fresh cookies and the authenticator). Serves its own
// clock as a local reference at --stratum; reads the clock, never sets it.
// IPv4 only. Cookie master keys live in --key_file (created 0600 and
// rewritten atomically on each rotation, every --rotate_s seconds).
//   nts_serve --address 127.0.15.3 --ntp_port 12123 --ke_port 14460
//     --cert server.pem --key server.key --key_file nts.keys
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clock/posix_file_reader.h"
#include "clock/atomic_file.h"
#include "net/address.h"
#include "ntp/ntp_time.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/fields.h"
#include "ntp/nts/ke_session.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/nts/server.h"
#include "ntp/server/responder.h"
#include "ntp/system_state.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"

ABSL_FLAG(std::string, address, "127.0.0.1", "IPv4 address to serve on");
ABSL_FLAG(int, ntp_port, 123, "UDP port for NTP");
ABSL_FLAG(int, ke_port, 4460, "TCP port for NTS-KE");
ABSL_FLAG(std::string, cert, "", "PEM certificate chain (server first)");
ABSL_FLAG(std::string, key, "", "PEM private key of the certificate");
ABSL_FLAG(std::string, key_file, "", "cookie master keys (created if missing)");
ABSL_FLAG(int, rotate_s, 86400, "master key rotation interval in seconds");
ABSL_FLAG(int, stratum, 8, "stratum announced (local reference)");
ABSL_FLAG(int, duration_s, 0, "exit after this many seconds (0: run until SIGTERM)");

namespace {

volatile sig_atomic_t stop = 0;
void OnSignal(int) { stop = 1; }

// PEM and key files are small; anything larger is not one.
constexpr size_t kMaxFileOctets = 1 << 20;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  return clocks::PosixFileReader().Read(path, kMaxFileOctets);
}

int Bound(int type, const std::string& address, int port) {
  const int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (fd < 0 || inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      (type == SOCK_STREAM && listen(fd, 64) != 0)) {
    std::cerr << "nts_serve: cannot bind " << address << ":" << port << ": "
              << std::strerror(errno) << "\n";
    std::exit(1);
  }
  return fd;
}

ntp::NtpTimestamp NowNtp() { return ntp::NtpTimestamp::FromTime(absl::Now()); }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  const std::string address = absl::GetFlag(FLAGS_address);
  const std::string key_file = absl::GetFlag(FLAGS_key_file);
  absl::BitGen gen;

  absl::StatusOr<std::string> cert = ReadFile(absl::GetFlag(FLAGS_cert));
  absl::StatusOr<std::string> key = ReadFile(absl::GetFlag(FLAGS_key));
  for (const auto* file : {&cert, &key}) {
    if (!file->ok()) {
      std::cerr << "nts_serve: " << file->status().message() << "\n";
      return 2;
    }
  }
  auto tls = ntp::nts::KeTlsContext::ForServer(*cert, *key);
  if (!tls.ok()) {
    std::cerr << "nts_serve: " << absl::GetFlag(FLAGS_cert) << ": "
              << tls.status().message() << "\n";
    return 2;
  }

  // Master keys: the file's, or a first one written 0600.
  ntp::nts::CookieKeyring keyring;
  auto save = [&]() {
    if (key_file.empty()) return;
    absl::Status s =
        clocks::WriteFileAtomically(key_file, keyring.SerializeKeyFile(), 0600);
    if (!s.ok()) std::cerr << "nts_serve: " << s.message() << "\n";
  };
  absl::StatusOr<std::string> text =
      key_file.empty() ? absl::NotFoundError("no key file") : ReadFile(key_file);
  if (!text.ok() && text.status().code() != absl::StatusCode::kNotFound) {
    std::cerr << "nts_serve: " << text.status().message() << "\n";
    return 2;
  }
  if (text.ok()) {
    auto parsed = ntp::nts::CookieKeyring::ParseKeyFile(*text, key_file);
    if (!parsed.ok()) {
      std::cerr << "nts_serve: " << parsed.status().message() << "\n";
      return 2;
    }
    keyring = std::move(parsed).value();
  } else {
    (void)keyring.Rotate(gen);
    save();
  }

  ntp::nts::KeServerOptions ke_options;
  if (absl::GetFlag(FLAGS_ntp_port) != 123) {
    ke_options.ntp_port = static_cast<uint16_t>(absl::GetFlag(FLAGS_ntp_port));
  }
  ntp::nts::KeServer ke(&*tls, &keyring, ke_options);
  auto nts = ntp::nts::NtsServer::Create(&keyring);
  if (!nts.ok()) return 2;
  ntp::Responder responder(ntp::ResponderSettings{}, nullptr);
  ntp::SystemVariables system;
  system.leap = ntp::Leap::kNoWarning;
  system.stratum = absl::GetFlag(FLAGS_stratum);
  system.reference_id = ntp::AsciiRefId("LOCL");
  system.reference_time = NowNtp();

  const int udp = Bound(SOCK_DGRAM, address, absl::GetFlag(FLAGS_ntp_port));
  const int tcp = Bound(SOCK_STREAM, address, absl::GetFlag(FLAGS_ke_port));
  std::cout << "nts_serve: NTP on " << address << ":" << absl::GetFlag(FLAGS_ntp_port)
            << ", NTS-KE on " << absl::GetFlag(FLAGS_ke_port) << std::endl;

  std::map<int, uint64_t> connections;  // fd -> KeServer id
  // Datagrams move in batches, as the daemon's sockets move them
  // (net/udp_socket.h): one recvmmsg reads up to kBatch requests, one
  // sendmmsg sends their replies. Buffers are allocated once.
  constexpr int kBatch = 64;
  constexpr size_t kDatagramOctets = 4096;
  std::vector<uint8_t> requests(kBatch * kDatagramOctets);
  std::vector<uint8_t> replies(kBatch * kDatagramOctets);
  std::vector<uint8_t> header(ntp::Responder::kMaxReplyOctets);
  std::vector<mmsghdr> rx(kBatch), tx(kBatch);
  std::vector<iovec> rx_iov(kBatch), tx_iov(kBatch);
  std::vector<sockaddr_in> from(kBatch);
  std::vector<pollfd> fds;
  uint64_t next_id = 1;
  const absl::Time start = absl::Now();
  absl::Time next_rotation = start + absl::Seconds(absl::GetFlag(FLAGS_rotate_s));
  uint64_t plain = 0;
  while (!stop) {
    const absl::Time now = absl::Now();
    if (absl::GetFlag(FLAGS_duration_s) > 0 &&
        now - start > absl::Seconds(absl::GetFlag(FLAGS_duration_s))) {
      break;
    }
    if (now >= next_rotation) {
      (void)keyring.Rotate(gen);
      save();
      next_rotation = now + absl::Seconds(absl::GetFlag(FLAGS_rotate_s));
      std::cout << "nts_serve: master key " << keyring.current_id() << std::endl;
    }
    for (uint64_t id : ke.Expire(now)) {
      for (auto it = connections.begin(); it != connections.end(); ++it) {
        if (it->second == id) {
          close(it->first);
          connections.erase(it);
          break;
        }
      }
    }
    fds.assign({{udp, POLLIN, 0}, {tcp, POLLIN, 0}});
    for (const auto& [fd, id] : connections) fds.push_back({fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), 200) <= 0) continue;

    if (fds[1].revents & POLLIN) {
      const int fd = accept4(tcp, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        if (ke.Accept(next_id, absl::Now())) {
          connections[fd] = next_id++;
        } else {
          close(fd);
        }
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int fd = fds[i].fd;
      std::vector<uint8_t> buf(16384);
      const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      bool close_it = n <= 0;
      if (n > 0) {
        buf.resize(static_cast<size_t>(n));
        ntp::nts::KeServer::Step step =
            ke.Receive(connections[fd], buf, absl::Now(), gen);
        if (!step.send.empty()) send(fd, step.send.data(), step.send.size(), MSG_NOSIGNAL);
        close_it = step.close;
      } else {
        ke.Closed(connections[fd]);
      }
      if (close_it) {
        close(fd);
        connections.erase(fd);
      }
    }

    // One batch per wakeup, so NTS-KE connections still get turns.
    if (!(fds[0].revents & POLLIN)) continue;
    for (int i = 0; i < kBatch; ++i) {
      rx_iov[i] = {requests.data() + i * kDatagramOctets, kDatagramOctets};
      rx[i].msg_hdr = {};
      rx[i].msg_hdr.msg_name = &from[i];
      rx[i].msg_hdr.msg_namelen = sizeof(from[i]);
      rx[i].msg_hdr.msg_iov = &rx_iov[i];
      rx[i].msg_hdr.msg_iovlen = 1;
    }
    const int received = recvmmsg(udp, rx.data(), kBatch, MSG_DONTWAIT, nullptr);
    int replying = 0;
    for (int i = 0; i < received; ++i) {
      const absl::Span<const uint8_t> request(requests.data() + i * kDatagramOctets,
                                              rx[i].msg_len);
      uint8_t* const reply = replies.data() + replying * kDatagramOctets;
      const absl::Span<uint8_t> out(reply, kDatagramOctets);
      ntp::ServerRequest in;
      in.payload = request;
      in.source = net::SocketAddress(net::IpAddress::V4(ntohl(from[i].sin_addr.s_addr)),
                                     ntohs(from[i].sin_port));
      const absl::Time arrival = absl::Now();
      in.receive_time = ntp::NtpTimestamp::FromTime(arrival);
      in.monotonic_now = arrival;
      ntp::nts::NtsFieldError field_error;
      const bool is_nts = ntp::nts::ParseNtsFields(request, &field_error).has_value();
      size_t out_octets = 0;
      if (is_nts) {
        ntp::nts::NtsCheck check = nts->CheckRequest(request);
        if (check.verdict == ntp::nts::NtsVerdict::kDrop) continue;
        if (check.verdict == ntp::nts::NtsVerdict::kNak) {
          auto parsed = ntp::ParsePacket(request);
          if (!parsed.ok()) continue;
          ntp::NtpPacket kod = ntp::MakeKissOfDeath(parsed.value(), ntp::KissCode::kNtsn,
                                                    ntp::Mode::kServer, 6);
          kod.extension_fields = {};
          if (!ntp::SerializePacket(kod, absl::MakeSpan(header)).ok()) continue;
          auto nak = ntp::nts::NtsServer::EncodeNak(check.request.unique_identifier,
                                                    absl::MakeSpan(header).first(48), out);
          if (!nak.ok()) continue;
          out_octets = *nak;
        } else {
          // The responder answers the header; extension fields are ours.
          in.transmit_time = NowNtp();
          ntp::ServerOutcome outcome =
              responder.Handle(in, system, absl::MakeSpan(header));
          if (outcome.action != ntp::ServerAction::kReply ||
              outcome.reply_octets != ntp::kNtpHeaderOctets) {
            continue;
          }
          auto sealed = nts->SealReply(check.request, absl::MakeSpan(header).first(48),
                                       gen, out);
          if (!sealed.ok()) continue;
          out_octets = *sealed;
        }
      } else {
        in.transmit_time = NowNtp();
        ntp::ServerOutcome outcome = responder.Handle(in, system, out);
        if (outcome.action != ntp::ServerAction::kReply) continue;
        out_octets = outcome.reply_octets;
        ++plain;
      }
      tx_iov[replying] = {reply, out_octets};
      tx[replying].msg_hdr = {};
      tx[replying].msg_hdr.msg_name = &from[i];
      tx[replying].msg_hdr.msg_namelen = rx[i].msg_hdr.msg_namelen;
      tx[replying].msg_hdr.msg_iov = &tx_iov[replying];
      tx[replying].msg_hdr.msg_iovlen = 1;
      ++replying;
    }
    // A failed send loses the rest of the batch: the clients retry.
    for (int sent = 0; sent < replying;) {
      const int n = sendmmsg(udp, tx.data() + sent, replying - sent, 0);
      if (n <= 0) break;
      sent += n;
    }
  }
  const auto& c = nts->counters();
  uint64_t drops = 0;
  for (uint64_t d : c.drops) drops += d;
  std::cout << "nts_serve: NTS requests answered " << c.accepted << ", NAKs " << c.naks
            << ", dropped " << drops << ", plain requests " << plain
            << "; NTS-KE completed " << ke.counters().completed << ", failed "
            << ke.counters().failed << std::endl;
  return 0;
}
