// Built-in simulated hosts written directly against the seams with plain
// 48-octet NTP packets (RFC 5905 §7.3, encoded by ntp/wire/packet.h), so the
// simulator can be exercised and validated without the project's daemon:
//   Responder  a stateless server answering client requests (mode 3) from
//              its own clock, like a reference server;
//   Prober     a client polling its servers and computing offset and delay
//              from the four timestamps (RFC 5905 §8), optionally steering
//              its clock with a deliberately simple discipline (step or slew
//              on the first sample, then phase slews plus a proportional
//              frequency correction on the median of the servers' offsets).
// The discipline ignores "popcorn" samples whose delay exceeds twice the
// smallest of the server's last eight delays plus 100 us (queueing spikes).
// Neither is the production protocol: the daemon's own code runs through the
// ntp::Host adapter.
#ifndef SIM_BUILTIN_HOSTS_H_
#define SIM_BUILTIN_HOSTS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ntp/client/packet_auth.h"
#include "ntp/ntp_time.h"
#include "sim/sim_host.h"

namespace sim {

// One offset/delay measurement of the prober (RFC 5905 §8).
struct ProbeSample {
  net::SocketAddress server;
  double offset_s = 0;  // theta: server time minus local time
  double delay_s = 0;   // delta: round trip minus server processing
  absl::Time local_rx_time;  // T4 on the prober's clock
};

class Responder final : public SimHost {
 public:
  // `keys`: answers requests with a MAC under the same key (null: no
  // keys; such requests get unauthenticated replies).
  Responder(const scenario::ResponderOptions& options, const SimHostEnvironment& env,
            std::unique_ptr<ntp::ClientAuthenticator> keys = nullptr);
  ~Responder() override;

  absl::Status Start() override;
  void Stop() override;
  ntp::SystemVariables system() const override { return system_; }
  HostExit exit_state() const override { return HostExit::kRunning; }
  std::vector<AssociationPoll> associations() const override { return {}; }  // polls nobody
  uint64_t requests_answered() const { return answered_; }

 private:
  void OnDatagram(net::DatagramSocket* socket, const net::ReceivedDatagram& d);
  // The script's overrides in force now (true time).
  scenario::ResponderScript ScriptNow() const;
  // Arms or disarms the own clock's leap second for the scripted LI.
  void ArmLeap(const scenario::ResponderScript& script);

  SimHostEnvironment env_;
  std::vector<scenario::ResponderScript> script_;  // by at_s
  std::unique_ptr<ntp::ClientAuthenticator> keys_;
  clocks::LeapStatus armed_ = clocks::LeapStatus::kNone;
  ntp::SystemVariables system_;
  std::vector<std::unique_ptr<net::DatagramSocket>> sockets_;
  uint64_t answered_ = 0;
};

struct ProberFlags {
  bool allow_big_first_step = false;  // -g
  bool never_step = false;            // -x
  bool set_once_and_exit = false;     // -q
};

class Prober final : public SimHost {
 public:
  // REQUIRES: every options.servers entry is a literal address (checked by
  // Start: InvalidArgument otherwise).
  Prober(const scenario::ProberOptions& options, const ProberFlags& flags,
         const SimHostEnvironment& env);
  ~Prober() override;

  absl::Status Start() override;
  void Stop() override;
  ntp::SystemVariables system() const override { return system_; }
  HostExit exit_state() const override { return exit_; }
  std::vector<AssociationPoll> associations() const override;

  const std::vector<ProbeSample>& samples() const { return samples_; }
  int steps() const { return steps_; }

 private:
  struct Server {
    net::SocketAddress address;
    std::string name;  // address.ip().ToString()
    std::optional<ntp::NtpTimestamp> outstanding;  // transmit of the open request
    absl::Time t1;  // local send time of the open request
    std::optional<ProbeSample> latest;  // accepted reply of this round
    uint8_t stratum = 0;
    std::vector<double> recent_delays_s;  // last 8 round-trip delays
    uint64_t requests_sent = 0;
  };
  void Poll();
  void SendRequest(Server& server);
  void OnDatagram(const net::ReceivedDatagram& d);
  void Discipline();
  void Correct(const ProbeSample& sample, const std::string& server, uint8_t stratum);
  void Exit(HostExit exit, ntp::EventKind kind, const std::string& text);
  void Emit(ntp::EventKind kind, const std::string& text);

  scenario::ProberOptions options_;
  ProberFlags flags_;
  SimHostEnvironment env_;
  ntp::SystemVariables system_;
  HostExit exit_ = HostExit::kRunning;
  std::vector<Server> servers_;
  std::unique_ptr<net::DatagramSocket> socket_v4_;
  std::unique_ptr<net::DatagramSocket> socket_v6_;
  clocks::TimerId timer_ = 0;
  bool started_ = false;
  bool synchronized_once_ = false;
  int spikes_ = 0;
  int steps_ = 0;
  double frequency_ppm_ = 0;
  absl::Time last_correction_;  // scheduler time
  std::vector<ProbeSample> samples_;
  uint64_t rng_state_;
};

// Factories for the two built-in roles.
SimHostFactories BuiltinHostFactories();

// Parses "-g", "-x", "-q". InvalidArgument names an unknown flag.
absl::StatusOr<ProberFlags> ParseDaemonFlags(const std::vector<std::string>& flags);

}  // namespace sim

#endif  // SIM_BUILTIN_HOSTS_H_
