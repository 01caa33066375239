// Turns the parsed ntp.conf model (ntp/config/config.h) into the server
// side's settings: the restrict table, `discard`/`mru` rate limiting, keys
// trusted for authenticated replies, `peer` addresses, and the LOCAL clock /
// orphan mode fallback. Pure: no I/O, no name resolution.
#ifndef NTP_SERVER_SERVER_CONFIG_H_
#define NTP_SERVER_SERVER_CONFIG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ntp/config/config.h"
#include "ntp/server/local_reference.h"
#include "ntp/server/responder.h"

namespace ntp {

struct ServerSetup {
  ResponderSettings responder;
  LocalReferenceSettings local_reference;
  // `trustedkey` IDs as closed ranges.
  std::vector<std::pair<uint32_t, uint32_t>> trusted_key_ranges;
  // "FILE:LINE: warning: ..." for what the server cannot apply (restrict
  // lines naming hosts, unsupported reference clocks).
  std::vector<std::string> warnings;
};

// The RestrictFlags of one line as a mask (ntpport excluded: it is a match
// modifier, see AccessControl).
RestrictMask RestrictFlagsToMask(const RestrictFlags& flags);

// Builds the server settings. `hash_seed` keys the client table's hash.
ServerSetup BuildServerSetup(const NtpConfig& config, uint64_t hash_seed);

}  // namespace ntp

#endif  // NTP_SERVER_SERVER_CONFIG_H_
