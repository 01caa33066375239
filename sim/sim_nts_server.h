// The NTS-KE half of a simulated NTS server (RFC 8915 sections 4 and 6):
// an NTS-KE server on every address of the host over its simulated
// streams (ntp/runtime/nts_ke_stream.h on sim/sim_stream.h), with the
// certificate the simulator issued for the host, and the cookie master-key
// ring that the host's NTP server (ntp::HostOptions::nts_keyring) opens
// cookies with. The ring starts with one key (its ID drawn from the seed)
// and rotates on the host's scheduler every rotation interval and at the
// scenario's extra times.
// Key material, cookie nonces and TLS draw from the host's seed only.
#ifndef SIM_SIM_NTS_SERVER_H_
#define SIM_SIM_NTS_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "absl/status/statusor.h"
#include "clock/scheduler.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/ke_session.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/runtime/nts_ke_stream.h"
#include "sim/sim_host.h"
#include "sim/sim_tls.h"

namespace sim {

class SimNtsServer {
 public:
  // InvalidArgument: the environment has no certificate for this host or
  // no streams; what the TLS set-up returns otherwise.
  static absl::StatusOr<std::unique_ptr<SimNtsServer>> Create(
      const scenario::NtsServerOptions& options, const SimHostEnvironment& env);
  ~SimNtsServer();
  SimNtsServer(const SimNtsServer&) = delete;
  SimNtsServer& operator=(const SimNtsServer&) = delete;

  // For HostOptions::nts_keyring; holds one key from Create on.
  ntp::nts::CookieKeyring* keyring() { return &keyring_; }
  // Listens on every address of the host and arms the rotations. Errors
  // as StreamNetwork::Listen (nothing stays listening then).
  absl::Status Start();
  // Stops listening and rotating; sessions in progress end. Idempotent.
  void Stop();

  uint64_t rotations() const { return rotations_; }
  const ntp::nts::KeServerCounters& ke_counters() const { return ke_server_->counters(); }

 private:
  SimNtsServer(const scenario::NtsServerOptions& options, const SimHostEnvironment& env);
  void FirstKey();
  void Rotate();
  void ArmPeriodicRotation();

  const scenario::NtsServerOptions options_;
  const SimHostEnvironment env_;
  std::mt19937_64 gen_;
  std::unique_ptr<SimTlsLibrary> tls_;
  std::unique_ptr<ntp::nts::KeTlsContext> context_;
  ntp::nts::CookieKeyring keyring_;
  std::unique_ptr<ntp::nts::KeServer> ke_server_;
  std::vector<std::unique_ptr<ntp::runtime::KeStreamServer>> listeners_;
  std::vector<clocks::TimerId> timers_;  // rotate_at_s
  std::optional<clocks::TimerId> periodic_;
  uint64_t rotations_ = 0;
};

}  // namespace sim

#endif  // SIM_SIM_NTS_SERVER_H_
