// What ntpq prints, as pure functions of the daemon's answers: the peers
// billboard (`ntpq -p`) byte for byte in ntpd 4.2.8's layout, the
// associations table (`-c as`) and variable lists (`-c rv`). Every value
// from the server is escaped (ntp/control/control_vars.h EscapeForDisplay).
//
// A DaemonState holds the answers (READSTAT, READVAR per association) and
// the time they were read; `ntpq --dumpstate` writes it as text, and the
// golden tests (testdata/ntpq/) format captured states.
#ifndef TOOLS_NTPQ_BILLBOARD_H_
#define TOOLS_NTPQ_BILLBOARD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ntp/ntp_time.h"

namespace ntp::tools {

struct PeerState {
  uint16_t id = 0;
  uint16_t status = 0;   // the peer status word
  std::string vars;      // READVAR's text, as received
};

struct DaemonState {
  NtpTimestamp now;  // the local clock when it was read (for `when`)
  uint16_t system_status = 0;
  std::string system_vars;
  std::vector<PeerState> peers;
};

// ntpq -p: header, 78 '=', one line per association. `numeric` (-n): the
// address instead of the configured name.
std::string FormatPeers(const DaemonState& state, bool numeric);
// ntpq -c as.
std::string FormatAssociations(const DaemonState& state);
// ntpq -c rv [ASSOC]: "associd=N status=XXXX <decoded status>," then the
// variables, ", " separated, lines broken before 72 columns; leap and reach
// shown as ntpq cooks them (binary, octal).
std::string FormatVariables(uint16_t association, uint16_t status, absl::string_view vars);

// ntpq's interval display for when/poll: "-", seconds up to 2048, then
// minutes "m" up to 300, hours "h" up to 96, days "d".
std::string PrettyInterval(int64_t seconds);

// The text form of a state (one item a line, values C-escaped) and back.
// ParseDaemonState: InvalidArgument "FILE:LINE: ..." for a bad line.
std::string SerializeDaemonState(const DaemonState& state);
absl::StatusOr<DaemonState> ParseDaemonState(absl::string_view text,
                                             absl::string_view file_name);

}  // namespace ntp::tools

#endif  // TOOLS_NTPQ_BILLBOARD_H_
