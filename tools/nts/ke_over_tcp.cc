// NTS-KE over a blocking TCP socket (see ke_over_tcp.h).
#include "tools/nts/ke_over_tcp.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tools {

int ConnectTo(const std::string& host, int port, int type) {
  addrinfo hints{};
  hints.ai_socktype = type;
  addrinfo* list = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list) != 0) {
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = list; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(list);
  return fd;
}

absl::StatusOr<ntp::nts::KeOutcome> RunKeyExchange(
    const ntp::nts::KeTlsContext& context, const std::string& server_name,
    const std::string& address, int port, int timeout_ms) {
  const int tcp = ConnectTo(address, port, SOCK_STREAM);
  if (tcp < 0) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", address, ":", port));
  }
  auto ke = ntp::nts::NtsKeClient::Start(context, server_name, absl::Now());
  if (!ke.ok()) {
    close(tcp);
    return ke.status();
  }
  bool timed_out = false;
  while (ke->state() == ntp::nts::KeState::kInProgress) {
    std::vector<uint8_t> out = ke->TakeOutgoing();
    if (!out.empty() && send(tcp, out.data(), out.size(), MSG_NOSIGNAL) < 0) break;
    pollfd p{tcp, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
      timed_out = true;
      break;
    }
    std::vector<uint8_t> buf(16384);
    const ssize_t n = recv(tcp, buf.data(), buf.size(), 0);
    if (n <= 0) {
      ke->ReceiveEof();
      break;
    }
    buf.resize(static_cast<size_t>(n));
    ke->Receive(buf);
  }
  std::vector<uint8_t> last = ke->TakeOutgoing();  // close_notify
  if (!last.empty()) send(tcp, last.data(), last.size(), MSG_NOSIGNAL);
  close(tcp);
  if (ke->state() == ntp::nts::KeState::kDone) return ke->outcome();
  if (timed_out) return absl::UnavailableError("NTS-KE timed out");
  if (ke->state() == ntp::nts::KeState::kFailed) return ke->error();
  return absl::UnavailableError("NTS-KE connection failed");
}

}  // namespace tools
