// The blocking socket half shared by the NTS programs: connect, and run
// one NTS-KE exchange (ntp/nts/ke_session.h) over a TCP stream.
#ifndef TOOLS_NTS_KE_OVER_TCP_H_
#define TOOLS_NTS_KE_OVER_TCP_H_

#include <string>

#include "absl/status/statusor.h"
#include "ntp/nts/ke_session.h"
#include "ntp/nts/ke_tls.h"

namespace tools {

// A socket of `type` (SOCK_STREAM, SOCK_DGRAM) connected to host:port, or
// -1.
int ConnectTo(const std::string& host, int port, int type);

// One NTS-KE exchange with `address`:`port`, verifying the certificate for
// `server_name` (as of now). Unavailable: no connection or no answer within
// `timeout_ms` per step; otherwise the client's error.
absl::StatusOr<ntp::nts::KeOutcome> RunKeyExchange(
    const ntp::nts::KeTlsContext& context, const std::string& server_name,
    const std::string& address, int port, int timeout_ms);

}  // namespace tools

#endif  // TOOLS_NTS_KE_OVER_TCP_H_
