// ntpstat: is the clock synchronised? The classic tool's output and exit
// codes, read over mode 6 (READVAR of the system variables, RFC 9327):
//
//   ntpstat [--timeout_ms=N] [HOST[:PORT]]      (default 127.0.0.1:123)
//
//   0  synchronised to NTP server (ADDR) at stratum N
//         time correct to within X ms
//         polling server every N s
//   1  unsynchronised
//   2  Unable to talk to NTP daemon. Is it running?
//
// The clock source comes from the system status word (leap indicator and
// source field), the rest from the variables stratum, refid, rootdelay,
// rootdisp and tc; values are printed escaped.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "ntp/control/control_vars.h"
#include "tools/ntpq/control_session.h"

namespace ntp::tools {
namespace {

// ntpstat's names for the system status word's clock source field.
const char* const kSources[] = {"unspecified", "atomic clock", "VLF radio", "HF radio",
                                "UHF radio",   "local net",    "NTP server", "UDP/TIME",
                                "wristwatch",  "modem"};

double Number(const std::vector<ControlVariable>& vars, absl::string_view name) {
  const ControlVariable* v = FindControlVariable(vars, name);
  double value = 0;
  if (v == nullptr || !absl::SimpleAtod(v->value, &value) || !std::isfinite(value)) return 0;
  return value;
}

int Main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int timeout_ms = 3000;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--timeout_ms=")) {
      if (!absl::SimpleAtoi(arg, &timeout_ms) || timeout_ms <= 0) {
        std::cerr << "usage: ntpstat [--timeout_ms=N] [HOST[:PORT]]\n";
        return 2;
      }
    } else if (!arg.empty() && arg[0] != '-') {
      host = std::string(arg);
    } else {
      std::cerr << "usage: ntpstat [--timeout_ms=N] [HOST[:PORT]]\n";
      return 2;
    }
  }
  absl::StatusOr<net::SocketAddress> server = ParseServerAddress(host, 123);
  if (!server.ok()) {
    std::cerr << "ntpstat: " << server.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<ControlSession>> session =
      ControlSession::Open(*server, absl::Milliseconds(timeout_ms));
  uint16_t status = 0;
  absl::StatusOr<std::vector<ControlVariable>> vars =
      session.ok() ? (*session)->ReadVariables(0, "", &status)
                   : absl::StatusOr<std::vector<ControlVariable>>(session.status());
  if (!vars.ok()) {
    if (absl::IsDataLoss(vars.status())) {
      std::cerr << "ntpstat: " << vars.status().message() << "\n";
    }
    std::cout << "Unable to talk to NTP daemon. Is it running?\n";
    return 2;
  }
  const int leap = status >> 14;
  const int source = status >> 8 & 0x3f;
  const int tc = std::clamp(static_cast<int>(Number(*vars, "tc")), 0, 17);
  if (leap == 3) {
    std::cout << "unsynchronised\n";
    std::cout << absl::StrFormat("   polling server every %d s\n", 1 << tc);
    return 1;
  }
  std::string line = absl::StrCat("synchronised to ", source < 10 ? kSources[source] : "unknown");
  const ControlVariable* refid = FindControlVariable(*vars, "refid");
  if (source == 6 && refid != nullptr) {
    absl::StrAppend(&line, " (", EscapeForDisplay(refid->value), ")");
  }
  const int stratum = static_cast<int>(Number(*vars, "stratum"));
  std::cout << line << absl::StrFormat(" at stratum %d\n", stratum);
  const double within_ms = Number(*vars, "rootdelay") / 2 + Number(*vars, "rootdisp");
  std::cout << absl::StrFormat("   time correct to within %.0f ms\n", within_ms);
  std::cout << absl::StrFormat("   polling server every %d s\n", 1 << tc);
  return 0;
}

}  // namespace
}  // namespace ntp::tools

int main(int argc, char** argv) { return ntp::tools::Main(argc, argv); }
