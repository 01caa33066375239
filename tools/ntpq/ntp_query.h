// One NTP client exchange over UDP (RFC 5905 §8), with the daemon's own
// reply checks and statistics (ntp/client/reply_check.h: CheckReply,
// ComputeSample): a data-minimised mode 3 request with a random transmit
// timestamp, and a reply accepted only from the server's address and port,
// in mode 4, with the request's version and our nonce as its origin.
// Shared by ntpdate and `ntp_loadgen --query`.
#ifndef TOOLS_NTPQ_NTP_QUERY_H_
#define TOOLS_NTPQ_NTP_QUERY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "net/address.h"
#include "ntp/client/exchange_types.h"
#include "ntp/wire/packet.h"
#include "tools/ntpq/udp_client.h"

namespace ntp::tools {

struct NtpQueryResult {
  enum class Outcome {
    kAccepted,   // `sample` and `reply` are set
    kRejected,   // a reply that failed the checks (`verdict`, `reply` set)
    kMalformed,  // a datagram from the server that is no NTP packet
    kNoReply,    // nothing from the server before the timeout
    kError,      // the socket failed (`detail`)
  };
  Outcome outcome = Outcome::kNoReply;
  ReplyVerdict verdict = ReplyVerdict::kAccept;
  std::optional<NtpPacket> reply;  // the header fields (spans not kept)
  ExchangeSample sample;
  // Human-readable detail: the malformation ("47 octets, too_short"), the
  // rejection ("bogus"), or the kiss code, escaped.
  std::string detail;
  // Datagrams from other addresses/ports, or replies to other requests.
  int strays = 0;
};

// Sends one request on `socket` (whose server() is the server) and waits up
// to `timeout` for its reply. `version`: 1..4.
NtpQueryResult QueryNtpServer(UdpClient& socket, int version, absl::Duration timeout,
                              uint64_t nonce);

// "accepted", "rejected (bogus)", "malformed reply (47 octets: too_short)",
// "no reply", "error: ..."
std::string DescribeOutcome(const NtpQueryResult& result);

}  // namespace ntp::tools

#endif  // TOOLS_NTPQ_NTP_QUERY_H_
