// An NTP instance ready to run in a world: the Host (ntp/host.h) built from
// a parsed configuration and the daemon's flags, and the Executor that
// drives it through the seams. This is the one way to build one: the daemon
// (tools/ntpd_main.cc) and the simulator (sim/ntp_host_adapter.cc) both call
// Instance::Create.
#ifndef NTP_RUNTIME_INSTANCE_H_
#define NTP_RUNTIME_INSTANCE_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ntp/config/config.h"
#include "ntp/host.h"
#include "ntp/runtime/executor.h"

namespace ntp::runtime {

class Instance {
 public:
  // `keys` may be null (no keys file) and is copied. InvalidArgument if a
  // required seam is missing; otherwise what Host::Create returns.
  static absl::StatusOr<std::unique_ptr<Instance>> Create(const NtpConfig& config,
                                                          const HostOptions& options,
                                                          const KeyStore* keys,
                                                          const Seams& seams);
  // Stops without a shutdown input if Shutdown() was not called: sockets
  // closed and timers cancelled, nothing written.
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Binds, arms the timers, reads the drift store. Errors as
  // Executor::Start (AlreadyExists for a port in use).
  absl::Status Start() { return executor_->Start(); }
  // Orderly shutdown (the drift value is written). Idempotent.
  void Shutdown() { executor_->Shutdown(); }
  // A new configuration (ntpd's SIGHUP): Executor::Reconfigure.
  void Reconfigure(const NtpConfig& config) { executor_->Reconfigure(config); }

  const Host& host() const { return *host_; }
  Executor& executor() { return *executor_; }

 private:
  Instance() = default;
  std::unique_ptr<Host> host_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace ntp::runtime

#endif  // NTP_RUNTIME_INSTANCE_H_
