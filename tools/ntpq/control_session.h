// Mode 6 queries over UDP: one request, its fragments reassembled
// (ntp/control/control_client.h). Only datagrams from the server's address
// and port are considered; the rest are counted as strays.
#ifndef TOOLS_NTPQ_CONTROL_SESSION_H_
#define TOOLS_NTPQ_CONTROL_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ntp/control/control_vars.h"
#include "tools/ntpq/udp_client.h"

namespace ntp::tools {

struct ControlReply {
  uint16_t status = 0;
  std::string data;
};

// One association as READSTAT lists it.
struct AssociationStatus {
  uint16_t id = 0;
  uint16_t status = 0;
};

class ControlSession {
 public:
  // `timeout`: how long one request waits for all of its fragments.
  static absl::StatusOr<std::unique_ptr<ControlSession>> Open(const net::SocketAddress& server,
                                                              absl::Duration timeout);

  // Errors, with ntpq's wording in the message:
  //   DeadlineExceeded "timed out, nothing received" (or "timed out,
  //     incomplete response" when some fragments came),
  //   DataLoss "malformed response: ..." for a short or inconsistent reply,
  //   FailedPrecondition with the server's error code text
  //     (ControlErrorText), Unavailable for socket errors.
  absl::StatusOr<ControlReply> Query(uint8_t opcode, uint16_t association,
                                     absl::string_view data);

  // READSTAT: the system status word and the associations.
  absl::StatusOr<std::vector<AssociationStatus>> ReadStatus(uint16_t* system_status);
  // READVAR of one association (0: the system), all or the named variables.
  absl::StatusOr<std::vector<ControlVariable>> ReadVariables(uint16_t association,
                                                             absl::string_view names,
                                                             uint16_t* status,
                                                             std::string* raw = nullptr);

  uint64_t strays() const { return strays_; }

 private:
  ControlSession(std::unique_ptr<UdpClient> udp, absl::Duration timeout)
      : udp_(std::move(udp)), timeout_(timeout) {}
  std::unique_ptr<UdpClient> udp_;
  absl::Duration timeout_;
  uint16_t sequence_ = 0;
  uint64_t strays_ = 0;
};

}  // namespace ntp::tools

#endif  // TOOLS_NTPQ_CONTROL_SESSION_H_
