#include "ntp/client/testing/engine_fixture.h"

namespace ntp::testing {

int RecordingSink::Count(EventKind kind) const {
  int n = 0;
  for (const Event& e : events) n += e.kind == kind ? 1 : 0;
  return n;
}

std::vector<std::string> RecordingSink::Texts(EventKind kind) const {
  std::vector<std::string> out;
  for (const Event& e : events) {
    if (e.kind == kind) out.push_back(e.text);
  }
  return out;
}

EngineFixture::EngineFixture(const ModelClockParams& client_clock_params,
                             std::vector<FixtureServer> server_specs, uint64_t seed)
    : specs_(std::move(server_specs)) {
  network = std::make_unique<ModelNetwork>(&scheduler, seed * 7919 + 1);
  client_ip = net::IpAddress::V4(0x0A000001);
  ModelClockParams cp = client_clock_params;
  cp.seed = seed * 31 + 7;
  client_clock = std::make_unique<ModelClock>(&scheduler, cp);
  client_network = network->AddHost(client_ip, client_clock.get());
  for (size_t i = 0; i < specs_.size(); ++i) {
    const net::IpAddress ip = net::IpAddress::V4(0x0A000101 + static_cast<uint32_t>(i));
    server_ips.push_back(ip);
    ModelClockParams sp = specs_[i].clock;
    sp.seed = seed * 131 + i;
    server_clocks.push_back(std::make_unique<ModelClock>(&scheduler, sp));
    net::Network* view = network->AddHost(ip, server_clocks.back().get());
    servers.push_back(std::make_unique<TestServer>(view, server_clocks.back().get(), ip));
    servers.back()->params() = specs_[i].params;
    network->SetLink(client_ip, ip, specs_[i].to_server);
    network->SetLink(ip, client_ip, specs_[i].to_client);
  }
}

absl::Status EngineFixture::Start(ClientEngineOptions options) {
  for (size_t i = 0; i < specs_.size(); ++i) {
    AssociationConfig c = specs_[i].config;
    c.server = net::SocketAddress(server_ips[i], 123);
    if (c.name.empty()) c.name = server_ips[i].ToString();
    options.servers.push_back(c);
  }
  options.own_addresses = {client_ip};
  ClientEngineEnvironment env;
  env.clock = client_clock.get();
  env.network = client_network;
  env.scheduler = &scheduler;
  env.events = &events;
  env.drift_store = use_drift_store ? &drift : nullptr;
  env.system = &system;
  env.keys = keys;
  env.on_exit = [this] { ++exits; };
  absl::StatusOr<std::unique_ptr<ClientEngine>> e = ClientEngine::Create(options, env);
  if (!e.ok()) return e.status();
  engine = std::move(*e);
  return engine->Start();
}

void EngineFixture::RunFor(double seconds) {
  scheduler.AdvanceBy(absl::Seconds(seconds));
}

}  // namespace ntp::testing
