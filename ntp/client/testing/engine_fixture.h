// Builds a ClientEngine in the test world (test_world.h): one client with a
// ModelClock and any number of TestServers, each on its own link. Test-only.
#ifndef NTP_CLIENT_TESTING_ENGINE_FIXTURE_H_
#define NTP_CLIENT_TESTING_ENGINE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "clock/manual_scheduler.h"
#include "ntp/client/client_engine.h"
#include "ntp/client/memory_drift_store.h"
#include "ntp/client/testing/test_world.h"
#include "ntp/events.h"
#include "ntp/system_state.h"

namespace ntp::testing {

class RecordingSink final : public EventSink {
 public:
  void OnEvent(const Event& event) override { events.push_back(event); }
  int Count(EventKind kind) const;
  // Texts of the events of `kind`.
  std::vector<std::string> Texts(EventKind kind) const;
  std::vector<Event> events;
};

struct FixtureServer {
  ModelClockParams clock;            // the server's clock (default perfect)
  LinkParams to_server, to_client;   // link directions
  TestServerParams params;
  AssociationConfig config;          // server address/port filled in
};

class EngineFixture {
 public:
  // Client at 10.0.0.1; servers at 10.0.1.1, 10.0.1.2, ...
  EngineFixture(const ModelClockParams& client_clock, std::vector<FixtureServer> servers,
                uint64_t seed = 1);

  // Creates and starts the engine. REQUIRES: called once.
  absl::Status Start(ClientEngineOptions options = {});
  void RunFor(double seconds);
  OffsetStats Measure(double seconds, double threshold = 1e-3) {
    return RunAndMeasure(&scheduler, client_clock.get(), seconds, threshold);
  }

  clocks::ManualScheduler scheduler{absl::FromUnixSeconds(100000)};
  std::unique_ptr<ModelNetwork> network;
  std::unique_ptr<ModelClock> client_clock;
  std::vector<std::unique_ptr<ModelClock>> server_clocks;
  std::vector<std::unique_ptr<TestServer>> servers;
  std::vector<net::IpAddress> server_ips;
  net::IpAddress client_ip;
  net::Network* client_network = nullptr;
  SystemVariables system;
  RecordingSink events;
  MemoryDriftStore drift;
  bool use_drift_store = true;
  const KeyStore* keys = nullptr;
  int exits = 0;
  std::unique_ptr<ClientEngine> engine;

 private:
  std::vector<FixtureServer> specs_;
};

}  // namespace ntp::testing

#endif  // NTP_CLIENT_TESTING_ENGINE_FIXTURE_H_
