#include "tools/ntpq/control_session.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/control/control_client.h"

namespace ntp::tools {

absl::StatusOr<std::unique_ptr<ControlSession>> ControlSession::Open(
    const net::SocketAddress& server, absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<UdpClient>> udp = UdpClient::Open(server);
  if (!udp.ok()) return udp.status();
  auto session = std::unique_ptr<ControlSession>(new ControlSession(std::move(*udp), timeout));
  // A random first sequence number, so replies to an earlier process's
  // requests are not taken for ours.
  session->sequence_ = static_cast<uint16_t>(std::random_device{}());
  return session;
}

absl::StatusOr<ControlReply> ControlSession::Query(uint8_t opcode, uint16_t association,
                                                   absl::string_view data) {
  const uint16_t sequence = ++sequence_;
  const std::vector<uint8_t> request = BuildControlRequest(opcode, sequence, association, data);
  absl::StatusOr<absl::Time> sent = udp_->Send(request);
  if (!sent.ok()) return sent.status();
  const absl::Time deadline = *sent + timeout_;
  ControlResponseAssembler assembler(opcode, sequence, association);
  bool got_any = false;
  while (true) {
    absl::StatusOr<UdpReply> reply = udp_->Receive(deadline);
    if (!reply.ok()) {
      if (absl::IsDeadlineExceeded(reply.status())) {
        return absl::DeadlineExceededError(got_any ? "timed out, incomplete response"
                                                   : "timed out, nothing received");
      }
      return reply.status();
    }
    if (reply->from != udp_->server()) {
      ++strays_;
      continue;
    }
    got_any = true;
    switch (assembler.Add(reply->bytes)) {
      case ControlResponseAssembler::Verdict::kNotOurs:
      case ControlResponseAssembler::Verdict::kIncomplete:
        continue;
      case ControlResponseAssembler::Verdict::kMalformed:
        return absl::DataLossError(
            absl::StrCat("malformed response: ", assembler.malformed_reason()));
      case ControlResponseAssembler::Verdict::kError:
        return absl::FailedPreconditionError(ControlErrorText(assembler.error_code()));
      case ControlResponseAssembler::Verdict::kComplete:
        return ControlReply{assembler.status(), assembler.data()};
    }
  }
}

absl::StatusOr<std::vector<AssociationStatus>> ControlSession::ReadStatus(
    uint16_t* system_status) {
  absl::StatusOr<ControlReply> reply = Query(1, 0, "");
  if (!reply.ok()) return reply.status();
  if (reply->data.size() % 4 != 0) {
    return absl::DataLossError(absl::StrCat("malformed response: READSTAT data of ",
                                            reply->data.size(), " octets"));
  }
  if (system_status != nullptr) *system_status = reply->status;
  std::vector<AssociationStatus> out;
  const auto octet = [&](size_t i) { return static_cast<uint8_t>(reply->data[i]); };
  for (size_t i = 0; i + 4 <= reply->data.size(); i += 4) {
    out.push_back({static_cast<uint16_t>(octet(i) << 8 | octet(i + 1)),
                   static_cast<uint16_t>(octet(i + 2) << 8 | octet(i + 3))});
  }
  return out;
}

absl::StatusOr<std::vector<ControlVariable>> ControlSession::ReadVariables(
    uint16_t association, absl::string_view names, uint16_t* status, std::string* raw) {
  absl::StatusOr<ControlReply> reply = Query(2, association, names);
  if (!reply.ok()) return reply.status();
  if (status != nullptr) *status = reply->status;
  if (raw != nullptr) *raw = reply->data;
  return ParseControlVariables(reply->data);
}

}  // namespace ntp::tools
