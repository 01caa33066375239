#include "tools/ntpq/ntp_query.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "ntp/client/reply_check.h"
#include "ntp/control/control_vars.h"
#include "ntp/wire/packet_error.h"

namespace ntp::tools {

NtpQueryResult QueryNtpServer(UdpClient& socket, int version, absl::Duration timeout,
                              uint64_t nonce) {
  NtpQueryResult result;
  if (nonce == 0) nonce = 1;
  NtpPacket request;
  request.version = static_cast<uint8_t>(version);
  request.mode = Mode::kClient;
  request.transmit_timestamp = NtpTimestamp::FromRaw(nonce);
  std::array<uint8_t, kNtpHeaderOctets> bytes{};
  if (!SerializePacket(request, absl::MakeSpan(bytes)).ok()) {
    result.outcome = NtpQueryResult::Outcome::kError;
    result.detail = "cannot build the request";
    return result;
  }
  absl::StatusOr<absl::Time> t1 = socket.Send(bytes);
  if (!t1.ok()) {
    result.outcome = NtpQueryResult::Outcome::kError;
    result.detail = std::string(t1.status().message());
    return result;
  }
  const absl::Time deadline = *t1 + timeout;
  ReplyCheckContext context;
  context.expected_origin = request.transmit_timestamp;
  while (true) {
    absl::StatusOr<UdpReply> reply = socket.Receive(deadline);
    if (!reply.ok()) {
      if (absl::IsDeadlineExceeded(reply.status())) return result;  // as it stands
      result.outcome = NtpQueryResult::Outcome::kError;
      result.detail = std::string(reply.status().message());
      return result;
    }
    if (reply->from != socket.server()) {
      ++result.strays;
      continue;
    }
    const auto parsed = ParsePacket(reply->bytes);
    if (!parsed.ok()) {
      // Reported as such, and the wait goes on: the genuine reply may follow.
      result.outcome = NtpQueryResult::Outcome::kMalformed;
      result.detail = absl::StrCat(reply->bytes.size(), " octets: ",
                                   PacketErrorName(parsed.error()));
      continue;
    }
    NtpPacket packet = parsed.value();
    packet.extension_fields = {};
    packet.mac.reset();
    ReplyVerdict verdict = CheckReply(packet, context);
    if (verdict == ReplyVerdict::kAccept && packet.version != request.version) {
      verdict = ReplyVerdict::kWrongMode;
      result.detail = absl::StrCat("version ", packet.version, " reply to a version ",
                                   request.version, " request");
    }
    if (verdict == ReplyVerdict::kBogus || verdict == ReplyVerdict::kWrongMode) {
      // Not an answer to this request: a forgery or a stray. Keep waiting.
      ++result.strays;
      result.outcome = NtpQueryResult::Outcome::kRejected;
      result.verdict = verdict;
      result.reply = packet;
      if (result.detail.empty()) result.detail = ReplyVerdictName(verdict);
      continue;
    }
    result.reply = packet;
    result.verdict = verdict;
    if (verdict != ReplyVerdict::kAccept) {
      result.outcome = NtpQueryResult::Outcome::kRejected;
      result.detail = ReplyVerdictName(verdict);
      if (packet.stratum == 0) {
        absl::StrAppend(&result.detail, ", kiss code ",
                        EscapeForDisplay(FormatControlRefId(packet.reference_id, 0)));
      }
      return result;
    }
    result.outcome = NtpQueryResult::Outcome::kAccepted;
    result.detail.clear();
    result.sample = ComputeSample(NtpTimestamp::FromTime(*t1), packet.receive_timestamp,
                                  packet.transmit_timestamp,
                                  NtpTimestamp::FromTime(reply->received),
                                  packet.precision_log2_seconds, 1e-6);
    return result;
  }
}

std::string DescribeOutcome(const NtpQueryResult& result) {
  switch (result.outcome) {
    case NtpQueryResult::Outcome::kAccepted:
      return "accepted";
    case NtpQueryResult::Outcome::kRejected:
      return absl::StrCat("rejected (", result.detail, ")");
    case NtpQueryResult::Outcome::kMalformed:
      return absl::StrCat("malformed reply (", result.detail, ")");
    case NtpQueryResult::Outcome::kNoReply:
      return "no reply";
    case NtpQueryResult::Outcome::kError:
      return absl::StrCat("error: ", result.detail);
  }
  return "unknown";
}

}  // namespace ntp::tools
