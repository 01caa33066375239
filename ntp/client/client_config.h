// The client's options from a parsed ntp.conf and the daemon flags: the one
// place that maps `server` lines, `tinker`, `tos` and -g/-x/-q onto
// ClientEngineOptions. ntp::Host (ntp/host.h) calls it when it builds an
// instance; nothing else needs to.
#ifndef NTP_CLIENT_CLIENT_CONFIG_H_
#define NTP_CLIENT_CLIENT_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ntp/client/client_engine.h"
#include "ntp/config/config.h"

namespace ntp {

// The daemon flags that shape the client (ntpd -g, -x, -q).
struct ClientFlags {
  bool allow_big_first_step = false;  // -g
  bool never_step = false;            // -x
  bool set_once_and_exit = false;     // -q
};

struct ClientConfigResult {
  ClientEngineOptions options;
  // Lines that could not be applied, ntpd-style ("test.conf:3: ..."): peer
  // and pool lines, host names (resolution is the daemon's job).
  std::vector<std::string> warnings;
};

// `server` lines with a numeric address (refclocks are the server side's),
// tinker step/stepout/panic/freq, tos minsane/minclock/maxclock/mindist/
// maxdist/floor/ceiling, the drift-file write threshold, -g/-x/-q.
ClientConfigResult ClientOptionsFromConfig(const NtpConfig& config, const ClientFlags& flags,
                                           uint64_t random_seed,
                                           uint16_t server_port = 123);

}  // namespace ntp

#endif  // NTP_CLIENT_CLIENT_CONFIG_H_
