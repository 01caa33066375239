// A tiny deterministic world for the client's unit tests and accuracy
// benchmarks: clocks with a free-running oscillator error and random-walk
// wander (ModelClock), a network with per-direction delay, jitter,
// asymmetry and loss (ModelNetwork), and a scriptable NTP server
// (TestServer), all on one ManualScheduler whose time is true time. The
// full-fidelity simulator lives in sim/; this one exists so that ntp/client
// can be tested without depending on it. Test-only.
#ifndef NTP_CLIENT_TESTING_TEST_WORLD_H_
#define NTP_CLIENT_TESTING_TEST_WORLD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "clock/clock.h"
#include "clock/manual_scheduler.h"
#include "net/address.h"
#include "net/network.h"
#include "ntp/client/packet_auth.h"
#include "ntp/random.h"
#include "ntp/ntp_time.h"
#include "ntp/wire/packet.h"

namespace ntp::testing {

// Gaussian numbers from SplitMix64 (Box-Muller).
class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : rng_(seed) {}
  double Next();
  double Uniform() { return rng_.Uniform(); }
  double Exponential(double mean);

 private:
  SplitMix64 rng_;
  bool has_spare_ = false;
  double spare_ = 0;
};

struct ModelClockParams {
  double offset_seconds = 0;     // clock minus true time at the start
  double freq_ppm = 0;           // oscillator error (positive: runs fast)
  double wander_ppm_per_sqrt_s = 0;  // random walk of the oscillator error
  double precision_seconds = 1e-9;
  // Largest |frequency| SetFrequencyPpm accepts (a kernel that also adjusts
  // its tick accepts more than the seam's 500 ppm).
  double max_frequency_ppm = clocks::kMaxFrequencyPpm;
  uint64_t seed = 1;
};

// A Clock whose time is computed lazily from the scheduler's (true) time:
// the oscillator runs at (1 + e(t)), the frequency correction scales it,
// SlewBy runs at 500 ppm of oscillator time, steps are immediate.
class ModelClock final : public clocks::Clock {
 public:
  ModelClock(clocks::ManualScheduler* scheduler, const ModelClockParams& params);

  absl::Time Now() override;
  absl::Duration Precision() const override { return absl::Seconds(params_.precision_seconds); }
  absl::StatusOr<absl::Duration> StepBy(absl::Duration offset) override;
  absl::StatusOr<absl::Duration> SlewBy(absl::Duration offset) override;
  absl::StatusOr<double> SetFrequencyPpm(double ppm) override;
  absl::Status SetSyncStatus(const clocks::ClockSyncStatus& status) override;
  absl::StatusOr<clocks::ClockStatus> ReadStatus() override;

  // Clock minus true time now (seconds).
  double TrueOffset();
  double frequency_ppm() const { return freq_ppm_; }
  double oscillator_ppm() const { return osc_ppm_; }
  int steps() const { return steps_; }
  const std::vector<double>& step_amounts() const { return step_amounts_; }
  const clocks::ClockSyncStatus& sync_status() const { return sync_; }
  // Makes the clock ignore every write from now on (a falseticker's).
  void set_frozen(bool frozen) { frozen_ = frozen; }
  // Jumps the clock (a fault, not counted as a step by the host).
  void Inject(double seconds);

 private:
  void Advance();

  clocks::ManualScheduler* const scheduler_;
  const ModelClockParams params_;
  Gaussian noise_;
  absl::Time start_;
  double t_ = 0;        // true seconds since start, of the state below
  double offset_ = 0;   // clock minus true time
  double osc_ppm_ = 0;
  double freq_ppm_ = 0;
  double slew_remaining_ = 0;
  double next_wander_ = 1;
  int steps_ = 0;
  std::vector<double> step_amounts_;
  clocks::ClockSyncStatus sync_;
  bool frozen_ = false;
};

// Delay model of one direction of a link.
struct LinkParams {
  double delay_seconds = 100e-6;   // fixed one-way delay
  double jitter_mean_seconds = 0;  // Exp(mean) added
  double pareto_scale_seconds = 0; // Lomax(scale, shape 1.5) added (heavy tail)
  double loss = 0;                 // probability
  bool down = false;
};

class ModelNetwork {
 public:
  explicit ModelNetwork(clocks::ManualScheduler* scheduler, uint64_t seed = 1)
      : scheduler_(scheduler), noise_(seed) {}
  ~ModelNetwork();

  // Registers a host: its address and the clock that stamps what it
  // receives. Returns its Network view (owned by this object).
  net::Network* AddHost(const net::IpAddress& ip, clocks::Clock* clock);
  // Model of the direction from -> to (default: 100 us, no jitter).
  void SetLink(const net::IpAddress& from, const net::IpAddress& to, const LinkParams& p);
  LinkParams& Link(const net::IpAddress& from, const net::IpAddress& to);
  // Injects a datagram as if `from` had sent it (spoofing tests).
  void Inject(const net::SocketAddress& from, const net::SocketAddress& to,
              std::vector<uint8_t> payload, absl::Duration delay);
  // Every datagram sent (after injection too), in order.
  struct Sent {
    net::SocketAddress from, to;
    std::vector<uint8_t> payload;
    absl::Time at;
  };
  const std::vector<Sent>& sent() const { return sent_; }

 private:
  class HostNetwork;
  class Socket;
  friend class HostNetwork;
  friend class Socket;
  void Send(const net::SocketAddress& from, const net::SocketAddress& to,
            absl::Span<const uint8_t> payload);
  void Deliver(const net::SocketAddress& from, const net::SocketAddress& to,
               const std::vector<uint8_t>& payload);

  clocks::ManualScheduler* const scheduler_;
  Gaussian noise_;
  std::map<net::IpAddress, std::shared_ptr<HostNetwork>> hosts_;
  std::map<std::pair<net::IpAddress, net::IpAddress>, LinkParams> links_;
  std::map<net::SocketAddress, Socket*> sockets_;
  std::vector<Sent> sent_;
  std::vector<clocks::TimerId> pending_;
};

// A scriptable NTP server answering on ip:123 from its own clock.
struct TestServerParams {
  int stratum = 1;
  LeapIndicator leap = LeapIndicator::kNoWarning;
  uint32_t reference_id = 0x47505300;  // "GPS"
  double root_delay_seconds = 0;
  double root_dispersion_seconds = 0.0001;
  int8_t precision_log2 = -20;
  // Behaviour switches.
  bool silent = false;             // answer nothing
  std::optional<std::string> kiss; // answer every request with this KoD code
  int8_t kiss_poll = 0;            // poll field of the KoD
  bool bad_origin = false;         // reply with a wrong origin
  double extra_offset_seconds = 0; // lie by this much
  // MAC replies with this key (null: no MAC).
  ClientAuthenticator* signer = nullptr;
  uint32_t sign_key_id = 0;
};

class TestServer {
 public:
  TestServer(net::Network* network, clocks::Clock* clock, const net::IpAddress& ip,
             uint16_t port = 123);
  TestServerParams& params() { return params_; }
  int requests() const { return requests_; }
  // Every request received, raw.
  const std::vector<std::vector<uint8_t>>& request_bytes() const { return request_bytes_; }
  const std::vector<net::SocketAddress>& request_sources() const { return request_sources_; }

 private:
  void OnRequest(const net::ReceivedDatagram& d);

  clocks::Clock* const clock_;
  std::unique_ptr<net::DatagramSocket> socket_;
  TestServerParams params_;
  int requests_ = 0;
  std::vector<std::vector<uint8_t>> request_bytes_;
  std::vector<net::SocketAddress> request_sources_;
};

// Samples a clock's true offset once per second from `start` to `end` and
// reports convergence (first time after which |offset| <= threshold for the
// rest of the run) and the RMS from then on.
struct OffsetStats {
  std::optional<double> converge_seconds;
  double rms_seconds = 0;
  double max_abs_after_converge_seconds = 0;
  double final_offset_seconds = 0;
  std::vector<double> offsets;  // one per second
};
OffsetStats RunAndMeasure(clocks::ManualScheduler* scheduler, ModelClock* clock,
                          double duration_seconds, double threshold_seconds = 1e-3);

}  // namespace ntp::testing

#endif  // NTP_CLIENT_TESTING_TEST_WORLD_H_
