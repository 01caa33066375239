#include "sim/sim_nts_server.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sim/random.h"

namespace sim {
namespace {

constexpr uint16_t kDefaultKePort = 4460;  // RFC 8915 section 4

}  // namespace

SimNtsServer::SimNtsServer(const scenario::NtsServerOptions& options,
                           const SimHostEnvironment& env)
    : options_(options), env_(env), gen_(DeriveSeed(env.random_seed, "nts-keys")) {}

SimNtsServer::~SimNtsServer() { Stop(); }

absl::StatusOr<std::unique_ptr<SimNtsServer>> SimNtsServer::Create(
    const scenario::NtsServerOptions& options, const SimHostEnvironment& env) {
  if (env.nts_cert_pem.empty() || env.nts_key_pem.empty()) {
    return absl::InvalidArgumentError("nts_server: no certificate issued for this host");
  }
  if (env.streams == nullptr || env.scheduler == nullptr) {
    return absl::InvalidArgumentError("nts_server: the host has no streams");
  }
  auto server = std::unique_ptr<SimNtsServer>(new SimNtsServer(options, env));
  absl::StatusOr<std::unique_ptr<SimTlsLibrary>> tls =
      SimTlsLibrary::Create(DeriveSeed(env.random_seed, "nts-tls"));
  if (!tls.ok()) return tls.status();
  server->tls_ = *std::move(tls);
  absl::StatusOr<ntp::nts::KeTlsContext> context =
      ntp::nts::KeTlsContext::ForServer(env.nts_cert_pem, env.nts_key_pem, server->tls_->get());
  if (!context.ok()) {
    return absl::Status(context.status().code(),
                        absl::StrCat("nts_server: ", context.status().message()));
  }
  server->context_ = std::make_unique<ntp::nts::KeTlsContext>(*std::move(context));
  server->FirstKey();
  server->ke_server_ =
      std::make_unique<ntp::nts::KeServer>(server->context_.get(), &server->keyring_);
  return server;
}

void SimNtsServer::FirstKey() {
  // A key ID from the seed, not CookieKeyring::Rotate's 1: a server that
  // restarts (host_down / host_up) forgets its keys, and cookies under the
  // old ones must get an NTS NAK (RFC 8915 section 5.7), not look forged
  // under a new key with the same ID.
  std::array<uint8_t, ntp::nts::kAesSivCmac256KeyOctets> material;
  for (uint8_t& b : material) b = static_cast<uint8_t>(gen_());
  if (keyring_.AddKey(static_cast<uint32_t>(gen_()), material).ok()) ++rotations_;
}

void SimNtsServer::Rotate() {
  if (keyring_.Rotate(gen_).ok()) ++rotations_;
}

absl::Status SimNtsServer::Start() {
  Stop();
  const uint16_t port =
      options_.has_ke_port() ? static_cast<uint16_t>(options_.ke_port()) : kDefaultKePort;
  for (const net::IpAddress& ip : env_.addresses) {
    absl::StatusOr<std::unique_ptr<net::StreamListener>> listener =
        env_.streams->Listen(net::SocketAddress(ip, port), {});
    if (!listener.ok()) {
      Stop();
      return listener.status();
    }
    listeners_.push_back(std::make_unique<ntp::runtime::KeStreamServer>(
        ke_server_.get(), env_.scheduler, gen_, *std::move(listener)));
  }
  ArmPeriodicRotation();
  // Extra rotations at true times still ahead, on the host's timeline.
  const double now_s = env_.true_time_s ? env_.true_time_s() : 0;
  for (double at_s : options_.rotate_at_s()) {
    if (at_s < now_s) continue;
    timers_.push_back(
        env_.scheduler->RunAfter(absl::Seconds(at_s - now_s), [this] { Rotate(); }));
  }
  return absl::OkStatus();
}

void SimNtsServer::ArmPeriodicRotation() {
  const double interval_s = options_.has_rotation_interval_s()
                                ? options_.rotation_interval_s()
                                : ntp::nts::kDefaultRotationIntervalSeconds;
  periodic_ = env_.scheduler->RunAfter(absl::Seconds(interval_s), [this] {
    Rotate();
    ArmPeriodicRotation();
  });
}

void SimNtsServer::Stop() {
  listeners_.clear();
  for (clocks::TimerId id : timers_) env_.scheduler->Cancel(id);
  timers_.clear();
  if (periodic_.has_value()) env_.scheduler->Cancel(*periodic_);
  periodic_.reset();
}

}  // namespace sim
