#include "ntp/runtime/instance.h"

namespace ntp::runtime {

absl::StatusOr<std::unique_ptr<Instance>> Instance::Create(const NtpConfig& config,
                                                           const HostOptions& options,
                                                           const KeyStore* keys,
                                                           const Seams& seams) {
  if (seams.clock == nullptr || seams.network == nullptr || seams.scheduler == nullptr) {
    return absl::InvalidArgumentError(
        "Instance::Create: clock, network and scheduler are required");
  }
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(config, options, keys);
  if (!host.ok()) return host.status();
  auto instance = std::unique_ptr<Instance>(new Instance());
  instance->host_ = *std::move(host);
  instance->executor_ = std::make_unique<Executor>(instance->host_.get(), seams);
  return instance;
}

Instance::~Instance() {
  // The executor goes first: it holds sockets and timers that call into it.
  executor_.reset();
}

}  // namespace ntp::runtime
