#include "ntp/client/host_client.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace ntp {
namespace {

std::string Where(const SourceLocation& location) {
  if (location.file.empty()) return "";
  return absl::StrCat(location.file, ":", location.line, ": ");
}

}  // namespace

ClientConfigResult ClientOptionsFromConfig(const NtpConfig& config,
                                           const HostOptions& host_options,
                                           uint64_t random_seed, uint16_t server_port) {
  ClientConfigResult result;
  ClientEngineOptions& o = result.options;
  for (const ServerConfig* s : config.NetworkServers()) {
    if (s->kind != AssociationKind::kServer) {
      result.warnings.push_back(absl::StrCat(
          Where(s->location), s->kind == AssociationKind::kPeer ? "peer" : "pool", " ",
          s->host, ": not supported by this client, ignored"));
      continue;
    }
    if (!s->address.has_value()) {
      result.warnings.push_back(absl::StrCat(Where(s->location), "server ", s->host,
                                             ": not a numeric address, ignored"));
      continue;
    }
    AssociationConfig a;
    a.server = net::SocketAddress(*s->address, server_port);
    a.name = s->host;
    a.prefer = s->prefer;
    a.iburst = s->iburst;
    a.burst = s->burst;
    a.noselect = s->noselect;
    a.truechimer = s->truechimer;
    a.minpoll = s->minpoll;
    a.maxpoll = s->maxpoll;
    a.key_id = s->key_id;
    a.version = s->version;
    o.servers.push_back(a);
  }
  // tinker (ntpd 4.2.8 semantics; ref 3.9).
  o.discipline.step_threshold_seconds = config.tinker.step_seconds;
  o.discipline.stepout_seconds = config.tinker.stepout_seconds;
  o.discipline.panic_threshold_seconds = config.tinker.panic_seconds;
  o.discipline.allow_big_first_step = host_options.allow_big_first_step;
  o.discipline.never_step = host_options.never_step;
  o.set_once_and_exit = host_options.set_once_and_exit;
  o.initial_frequency_ppm = config.tinker.freq_ppm;
  // tos.
  o.minsane = config.tos.minsane;
  o.minclock = config.tos.minclock;
  o.maxclock = config.tos.maxclock;
  o.mindist_seconds = config.tos.mindist_seconds;
  o.maxdist_seconds = config.tos.maxdist_seconds;
  o.stratum_floor = config.tos.floor;
  o.stratum_ceiling = config.tos.ceiling;
  if (config.drift_wander_threshold.has_value()) {
    o.drift_write_threshold_ppm = *config.drift_wander_threshold * 1e6;
  }
  o.random_seed = random_seed;
  return result;
}

HostExit EngineHostClient::exit_state() const {
  switch (engine_->exit_state()) {
    case ClientExit::kRunning: return HostExit::kRunning;
    case ClientExit::kPanic: return HostExit::kPanic;
    case ClientExit::kDone: return HostExit::kDone;
  }
  return HostExit::kRunning;
}

absl::Status AttachClientEngine(Host& host, const NtpConfig& config,
                                const HostOptions& options, const HostEnvironment& env,
                                const std::vector<net::IpAddress>& own_addresses,
                                uint16_t server_port) {
  ClientConfigResult client =
      ClientOptionsFromConfig(config, options, env.random_seed, server_port);
  if (env.events != nullptr) {
    for (const std::string& w : client.warnings) {
      env.events->OnEvent(Event{EventKind::kWarning, w});
    }
  }
  if (client.options.servers.empty()) return absl::OkStatus();
  client.options.own_addresses = own_addresses;
  ClientEngineEnvironment cenv;
  cenv.clock = env.clock;
  cenv.network = env.network;
  cenv.scheduler = env.scheduler;
  cenv.events = env.events;
  cenv.drift_store = env.drift_store;
  cenv.keys = env.keys;
  cenv.system = host.mutable_system();
  Host* h = &host;
  cenv.on_upstream_change = [h](bool has_peer) { h->SetUpstreamSystemPeer(has_peer); };
  absl::StatusOr<std::unique_ptr<ClientEngine>> engine =
      ClientEngine::Create(client.options, cenv);
  if (!engine.ok()) return engine.status();
  host.AttachClient(std::make_unique<EngineHostClient>(std::move(*engine)));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Host>> CreateHost(
    const NtpConfig& config, const HostOptions& options, const HostEnvironment& env,
    const std::vector<net::IpAddress>& own_addresses, uint16_t server_port) {
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(config, options, env);
  if (!host.ok()) return host.status();
  if (absl::Status s =
          AttachClientEngine(**host, config, options, env, own_addresses, server_port);
      !s.ok()) {
    return s;
  }
  return host;
}

}  // namespace ntp
