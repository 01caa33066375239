// Plugs the ClientEngine into ntp::Host (ntp/host.h): builds the engine's
// options from the parsed ntp.conf and the daemon flags (-g, -x, -q), wraps
// the engine as the Host's HostClient, and offers CreateHost(), which the
// daemon and the simulator call instead of Host::Create to get a host with
// its client side. Kept out of ntp/host.h because ntp/client depends on the
// Host's HostClient interface (the other way round would be a cycle).
#ifndef NTP_CLIENT_HOST_CLIENT_H_
#define NTP_CLIENT_HOST_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/address.h"
#include "ntp/client/client_engine.h"
#include "ntp/config/config.h"
#include "ntp/host.h"

namespace ntp {

struct ClientConfigResult {
  ClientEngineOptions options;
  // Lines that could not be applied, ntpd-style ("test.conf:3: ..."): peer
  // and pool lines, host names (resolution is the daemon's job).
  std::vector<std::string> warnings;
};

// The client's options from a parsed configuration and the daemon flags:
// `server` lines with a numeric address (refclocks are the server side's),
// tinker step/stepout/panic/freq, tos minsane/minclock/maxclock/mindist/
// maxdist/floor/ceiling, the drift-file write threshold, -g/-x/-q.
ClientConfigResult ClientOptionsFromConfig(const NtpConfig& config,
                                           const HostOptions& host_options,
                                           uint64_t random_seed,
                                           uint16_t server_port = 123);

// The engine as the Host's client side. OnPacket ignores what arrives on the
// NTP port: every association receives on its own ephemeral socket.
class EngineHostClient final : public HostClient {
 public:
  explicit EngineHostClient(std::unique_ptr<ClientEngine> engine)
      : engine_(std::move(engine)) {}
  absl::Status Start() override { return engine_->Start(); }
  void Stop() override { engine_->Stop(); }
  void OnPacket(const net::ReceivedDatagram&, RestrictMask) override { ++ignored_packets_; }
  HostExit exit_state() const override;

  const ClientEngine& engine() const { return *engine_; }
  uint64_t ignored_packets() const { return ignored_packets_; }

 private:
  std::unique_ptr<ClientEngine> engine_;
  uint64_t ignored_packets_ = 0;
};

// Builds the client side of `host` and attaches it (before host.Start()).
// `own_addresses`: the host's addresses (for binding requests and the loop
// test); empty: the wildcard address. Does nothing (OK) if the
// configuration has no network server. Configuration items that cannot be
// applied are reported to env.events as warnings.
absl::Status AttachClientEngine(Host& host, const NtpConfig& config,
                                const HostOptions& options, const HostEnvironment& env,
                                const std::vector<net::IpAddress>& own_addresses = {},
                                uint16_t server_port = 123);

// Host::Create followed by AttachClientEngine: a complete NTP instance.
absl::StatusOr<std::unique_ptr<Host>> CreateHost(
    const NtpConfig& config, const HostOptions& options, const HostEnvironment& env,
    const std::vector<net::IpAddress>& own_addresses = {}, uint16_t server_port = 123);

}  // namespace ntp

#endif  // NTP_CLIENT_HOST_CLIENT_H_
