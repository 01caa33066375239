#include "ntp/client/nts_session.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ntp/nts/aead.h"
#include "ntp/nts/cookie.h"

namespace ntp {

NtsSession::NtsSession(const NtsAssociationConfig& config, std::string ke_name,
                       net::IpAddress ke_ip, uint16_t ntp_port)
    : config_(config),
      ke_name_(std::move(ke_name)),
      ke_ip_(ke_ip),
      ntp_port_(ntp_port),
      ntp_server_(ke_ip, ntp_port) {}

RunKeyExchange NtsSession::StartKeyExchange(uint64_t id, const net::IpAddress& local) {
  running_id_ = id;
  ++counters_.key_exchanges;
  RunKeyExchange run;
  run.id = id;
  run.server_name = ke_name_;
  run.server = net::SocketAddress(ke_ip_, config_.ke_port);
  run.local = local;
  run.ca_file = config_.ca_file;
  run.verify = config_.verify;
  return run;
}

absl::Status NtsSession::Fail(absl::Status status, absl::Time now) {
  ++counters_.key_exchange_failures;
  not_before_ = now + backoff_;
  const absl::Duration used = backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  return absl::Status(status.code(),
                      absl::StrCat("NTS-KE with ", ke_name_, " failed: ", status.message(),
                                   "; retry in ", absl::ToInt64Seconds(used), " s"));
}

absl::Status NtsSession::OnKeyExchangeResult(const KeyExchangeResultInput& result,
                                             absl::Time now) {
  running_id_.reset();
  if (!result.status.ok()) return Fail(result.status, now);
  nts::SessionKeys keys;
  keys.aead = result.aead;
  if (result.c2s_key.size() != keys.c2s.size() || result.s2c_key.size() != keys.s2c.size()) {
    return Fail(absl::InvalidArgumentError("the exported keys have the wrong size"), now);
  }
  std::copy(result.c2s_key.begin(), result.c2s_key.end(), keys.c2s.begin());
  std::copy(result.s2c_key.begin(), result.s2c_key.end(), keys.s2c.begin());
  if (result.cookies.empty()) {
    return Fail(absl::InvalidArgumentError("the server sent no cookie"), now);
  }
  absl::StatusOr<nts::NtsClient> client = nts::NtsClient::Create(keys, result.cookies);
  if (!client.ok()) return Fail(client.status(), now);
  // RFC 8915 §4.1.7: the server record names where to send NTP; a name
  // other than an address must be the KE server's own (this core resolves
  // no names).
  net::IpAddress ip = ke_ip_;
  if (!result.ntp_server.empty() && result.ntp_server != ke_name_) {
    absl::StatusOr<net::IpAddress> parsed = net::IpAddress::Parse(result.ntp_server);
    if (!parsed.ok()) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
                      "the NTP server it names, ", result.ntp_server,
                      ", is neither an address nor the NTS-KE server's name")),
                  now);
    }
    ip = *parsed;
  }
  ntp_server_ = net::SocketAddress(ip, result.ntp_port != 0 ? result.ntp_port : ntp_port_);
  client_.emplace(*std::move(client));
  not_before_ = absl::InfinitePast();
  backoff_ = kFirstBackoff;
  return absl::OkStatus();
}

absl::StatusOr<size_t> NtsSession::BuildRequest(absl::Span<const uint8_t> header,
                                                absl::BitGenRef gen, absl::Span<uint8_t> out) {
  if (!client_.has_value()) return absl::FailedPreconditionError("no NTS keys");
  return client_->BuildRequest(header, gen, out);
}

nts::NtsReplyCheck NtsSession::ProcessReply(absl::Span<const uint8_t> datagram) {
  if (!client_.has_value()) {
    ++counters_.dropped;
    return nts::NtsReplyCheck{};
  }
  nts::NtsReplyCheck check = client_->ProcessReply(datagram);
  if (check.verdict == nts::NtsReplyVerdict::kDropped) ++counters_.dropped;
  if (check.verdict == nts::NtsReplyVerdict::kNak) ++counters_.naks;
  return check;
}

}  // namespace ntp
