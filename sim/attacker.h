// The ATTACKER role: a simulated host that forges NTP server replies with
// the impersonated server's address and port as their source, towards one
// victim (scenario.proto AttackerOptions):
//   OFF_PATH  blind guessing: forged replies to guessed ephemeral ports with
//             guessed origin timestamps, at a fixed rate;
//   ON_PATH   it sees each request of the victim to the server (a network
//             tap) and answers it first, with the right origin timestamp
//             (or a wrong one), a kiss code or a lie about the time;
//   REPLAY    it sees the server's genuine replies and sends each again,
//             unchanged, some time later.
// What a client must survive (RFC 5905 §8 origin and duplicate tests, RFC
// 9109 port randomisation, RFC 8633 §4 on unauthenticated kisses).
#ifndef SIM_ATTACKER_H_
#define SIM_ATTACKER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "net/address.h"
#include "sim/random.h"
#include "sim/sim_host.h"

namespace sim {

class Attacker final : public SimHost {
 public:
  // REQUIRES: options.victim and options.impersonate hold literal
  // addresses (the scenario loader resolves host names); Start() returns
  // InvalidArgument otherwise.
  Attacker(const scenario::AttackerOptions& options, const SimHostEnvironment& env);
  ~Attacker() override;

  absl::Status Start() override;
  void Stop() override;
  ntp::SystemVariables system() const override { return {}; }
  HostExit exit_state() const override { return HostExit::kRunning; }
  std::vector<AssociationPoll> associations() const override { return {}; }
  // Forged datagrams sent so far.
  uint64_t forged() const { return forged_; }

 private:
  bool Active() const;
  void OnTapped(const net::SocketAddress& source, const net::SocketAddress& destination,
                absl::Span<const uint8_t> payload);
  void Guess();
  // A forged server reply with origin timestamp `origin`.
  std::vector<uint8_t> Forge(uint64_t origin);
  void Inject(std::vector<uint8_t> bytes, const net::SocketAddress& to, double after_s);

  scenario::AttackerOptions options_;
  SimHostEnvironment env_;
  Rng rng_;
  net::IpAddress victim_;
  net::SocketAddress server_;
  bool started_ = false;
  clocks::TimerId guess_timer_ = 0;
  std::vector<clocks::TimerId> pending_;
  uint64_t forged_ = 0;
};

// The factory for scenario::ATTACKER.
SimHostFactory AttackerHostFactory();

}  // namespace sim

#endif  // SIM_ATTACKER_H_
