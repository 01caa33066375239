// An NTS server for HostDriver tests (ntp/testing/host_driver.h): the NTS
// packet path (ntp/nts/server.h) around UpstreamServer's header, and key
// exchange results with cookies under the same keyring. Test-only.
#ifndef NTP_TESTING_NTS_PEER_H_
#define NTP_TESTING_NTS_PEER_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "ntp/actions.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/server.h"
#include "ntp/testing/host_driver.h"

namespace ntp::testing {

// Answers NTS requests that authenticate under `server`'s keyring with
// UpstreamServer(offset)'s header, sealed (new cookies inside); a cookie
// under a forgotten master key gets an NTS NAK; anything else no answer.
// `seed` drives the reply nonces, so runs repeat byte for byte.
// REQUIRES: `server` outlives the peer.
Peer NtsUpstreamServer(nts::NtsServer* server, absl::Duration offset, uint64_t seed = 1);

// A successful key exchange: keys from `seed`, `cookies` cookies sealed
// under `keyring`'s current key, and `ntp_port` (0: none named).
KeyExchangeResultInput NtsKeyExchange(nts::CookieKeyring& keyring, uint64_t seed,
                                      uint16_t ntp_port, int cookies = 8);

}  // namespace ntp::testing

#endif  // NTP_TESTING_NTS_PEER_H_
