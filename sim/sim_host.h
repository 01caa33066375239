// What the simulator runs on each simulated host, seen through a small
// adapter interface so the event core, models and runner build and test
// without the real daemon: built-in test hosts (builtin_hosts.h) and the
// adapter around ntp::Host (ntp_host_adapter.h) both implement SimHost.
// A host reaches the outside only through the seams in its environment.
#ifndef SIM_SIM_HOST_H_
#define SIM_SIM_HOST_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "clock/clock.h"
#include "clock/scheduler.h"
#include "net/address.h"
#include "net/network.h"
#include "net/stream.h"
#include "clock/drift_store.h"
#include "ntp/events.h"
#include "ntp/system_state.h"
#include "sim/scenario.pb.h"

namespace ntp::trace {
class TraceSink;  // ntp/trace/recorder.h
}  // namespace ntp::trace

namespace sim {

// Mirrors ntp::HostExit.
enum class HostExit { kRunning, kPanic, kDone, kError };
// "running", "panic", "done", "error".
const char* HostExitName(HostExit exit);

struct SimHostEnvironment {
  std::string name;
  clocks::Clock* clock = nullptr;
  net::Network* network = nullptr;
  clocks::Scheduler* scheduler = nullptr;
  // The host's simulated TCP streams (sim/sim_stream.h), for NTS-KE; null:
  // the host's key exchanges fail with a result saying so.
  net::StreamNetwork* streams = nullptr;
  ntp::EventSink* events = nullptr;
  uint64_t random_seed = 0;  // all of the host's randomness derives from it
  std::vector<net::IpAddress> addresses;  // the host's own addresses
  // The host's drift file (survives restarts); used by hosts whose
  // configuration asks for one.
  clocks::DriftStore* drift_store = nullptr;
  // True time (seconds since the scenario start), for hosts whose
  // behaviour a scenario scripts over time (responder scripts, attackers).
  std::function<double()> true_time_s;
  // Attackers only (sim/attacker.h): send a datagram with any source
  // address, and see the datagrams a victim sends and receives.
  using SpoofFunction = std::function<absl::Status(
      const net::SocketAddress& source, absl::Span<const uint8_t> payload,
      const net::SocketAddress& to)>;
  using TapFunction = std::function<void(
      const net::SocketAddress& source, const net::SocketAddress& destination,
      absl::Span<const uint8_t> payload)>;
  SpoofFunction spoof;
  // Starts (handler set) or ends (null handler) watching `victim`; each
  // datagram is shown `delay_s` after it was sent.
  std::function<void(const net::IpAddress& victim, double delay_s, TapFunction handler)> tap;
  // Record this host's trace here (ntpsim --trace_host; trace.proto, the
  // format ntpd --trace writes); null: no trace. Hosts of the NTPD role
  // honour it.
  ntp::trace::TraceSink* trace_sink = nullptr;
  // NTS (RFC 8915): the run's CA certificate, PEM (empty when no host of
  // the scenario serves NTS), which every host trusts; and for a host with
  // `nts_server`, its certificate and key, issued by that CA for the host's
  // name and addresses.
  std::string nts_ca_pem;
  std::string nts_cert_pem;
  std::string nts_key_pem;
};

// What a host did with NTS over its life (check `nts`, HOST_nts in the
// summary). Client counters are summed over the host's NTS associations.
struct NtsCounters {
  // Client.
  uint64_t ke_completed = 0;   // NTS-KE exchanges that gave keys and cookies
  uint64_t ke_failed = 0;      // exchanges that ended without
  uint64_t naks = 0;           // NTS NAKs received (RFC 8915 section 5.7)
  uint64_t authenticated = 0;  // samples accepted on NTS associations
  uint64_t dropped = 0;        // replies NTS refused: forged, replayed, unauthenticated
  // Server.
  uint64_t ke_served = 0;         // NTS-KE exchanges completed
  uint64_t ke_failed_server = 0;  // refused, failed, timed out or oversized
  uint64_t rotations = 0;         // master-key rotations (the first key included)
  uint64_t requests_served = 0;   // NTS requests answered
  uint64_t naks_sent = 0;         // cookies under a forgotten key

  NtsCounters& operator+=(const NtsCounters& o);
  // The counter named as in scenario.proto's NtsCount; null for a name
  // that is none.
  const uint64_t* Find(std::string_view name) const;
  // The names Find knows, in declaration order.
  static const std::vector<std::string>& Names();
};

// One client association at the end of a run (HOST_associations.csv).
struct AssociationRow {
  std::string server;  // address
  int poll_log2 = 0;
  int reach = 0;       // the reachability register
  char tally = ' ';    // ntpq's selection tally code
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t accepted = 0;  // samples handed to the filter
  // Replies dropped, by reason (the same reasons, in the same order, in
  // every row).
  std::vector<std::pair<std::string, uint64_t>> drops;
};

// One association (a configured server) of a host, as the simulator
// reports it (CSV `association_polls`, summary `requests_sent`, check
// `poll`).
struct AssociationPoll {
  int poll_log2 = 0;           // the poll interval in force, log2 s
  uint64_t requests_sent = 0;  // client requests sent so far
};

class SimHost {
 public:
  SimHost() = default;
  SimHost(const SimHost&) = delete;
  SimHost& operator=(const SimHost&) = delete;
  virtual ~SimHost() = default;

  // Binds sockets and arms timers. Errors are the host's (e.g.
  // AlreadyExists for a port in use); the runner reports them as exit
  // "error".
  virtual absl::Status Start() = 0;
  // Clean shutdown: sockets closed, timers cancelled. Idempotent.
  virtual void Stop() = 0;
  // The host's system variables now (a copy).
  virtual ntp::SystemVariables system() const = 0;
  virtual HostExit exit_state() const = 0;
  // The host's client associations with their counters, for
  // HOST_associations.csv (none for hosts without a client).
  virtual std::vector<AssociationRow> AssociationRows() const { return {}; }
  // The host's client associations in configuration order; empty for a
  // host that polls no server (a pure server).
  virtual std::vector<AssociationPoll> associations() const = 0;
  // NTS activity of this instance (zeros for hosts without NTS).
  virtual NtsCounters nts() const { return {}; }
};

// Builds the host for one (expanded) scenario entry. `host.ntp_conf` holds
// the configuration text with ${host:...} already expanded and any
// ntp_conf_file already read; prober servers are literal addresses.
using SimHostFactory = std::function<absl::StatusOr<std::unique_ptr<SimHost>>(
    const scenario::Host& host, const SimHostEnvironment& env)>;

// Factories by role. Roles without a factory are refused at setup with
// Unimplemented.
using SimHostFactories = std::map<scenario::Role, SimHostFactory>;

}  // namespace sim

#endif  // SIM_SIM_HOST_H_
