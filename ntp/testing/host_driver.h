// HostDriver: drives an ntp::Host directly in unit tests — inputs in,
// actions out, no sockets, no scheduler, no Clock. It keeps a virtual
// monotonic time and a model clock, answers the host's actions the way an
// executor would (sockets bind at once, transmit times are the model clock,
// clock operations are applied as asked unless the clock is read-only,
// drift writes succeed), fires the timers the host armed in time order, and
// records everything the host asked for so that tests can assert on it.
// Optional scripted peers answer the datagrams the host sends, after a
// delay. Test-only.
//
// The model clock is noise-free and exact: clock minus true time starts at
// `clock_offset` and moves by the steps applied, by the oscillator error
// plus the frequency correction applied (ppm of elapsed time), and by the
// slew applied, at the clock's slew rate until it is done (a new slew
// replaces the rest of the old one, as adjtime does). Accuracy under noise
// is the simulator's business (sim/, testdata/scenarios/).
#ifndef NTP_TESTING_HOST_DRIVER_H_
#define NTP_TESTING_HOST_DRIVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "ntp/actions.h"
#include "ntp/host.h"

namespace ntp::testing {

struct SentDatagram {
  SocketId socket = 0;
  net::SocketAddress from;  // the socket's bound address
  net::SocketAddress to;
  std::vector<uint8_t> bytes;
  absl::Time monotonic;   // when it was sent
  absl::Time clock_time;  // the model clock then (the transmit time)
};

// A scripted peer's answer to one datagram: the bytes and when they arrive.
// The peer is called when the request is sent, with the true time then: a
// peer that stamps its reply adds `delay` itself (the request reaches it one
// delay later, its answer reaches the host one delay after that).
struct ScriptedReply {
  std::vector<uint8_t> bytes;
  absl::Duration delay = absl::Microseconds(200);  // one way, both ways alike
  std::optional<net::SocketAddress> from;          // default: the request's `to`
};
using Peer = std::function<std::optional<ScriptedReply>(const SentDatagram& request,
                                                        absl::Time true_time)>;

// An upstream NTP server for the host's client side: answers each mode 3
// request with its own clock (true time + `offset`) at stratum `stratum`
// (refid GPS at stratum 1, an address above), root delay and dispersion
// 1 ms; other datagrams go unanswered.
Peer UpstreamServer(absl::Duration offset, int stratum = 1);

class HostDriver {
 public:
  struct Options {
    absl::Time monotonic_start = absl::FromUnixSeconds(1000);
    // The model clock at the start, and its offset from true time.
    absl::Time true_start = absl::FromUnixSeconds(1700000000);
    absl::Duration clock_offset;
    // Frequency error of the free-running clock (ppm; positive: runs fast).
    double oscillator_ppm = 0;
    ClockCapabilities clock;
    DriftReading drift;
    bool clock_read_only = false;
    // Binding fails for these addresses (e.g. a port in use).
    std::map<net::SocketAddress, absl::Status> bind_failures;
    absl::Status drift_write_status;
    // The hardware clock read at start (none: no RTC), and how writes end.
    std::optional<absl::Time> rtc_time;
    absl::Status rtc_write_status;
  };

  explicit HostDriver(Host* host) : HostDriver(host, Options{}) {}
  HostDriver(Host* host, Options options);

  void Start();
  void Shutdown();
  // Hands the host a new configuration now (ConfigChangeInput).
  void Reconfigure(const NtpConfig& config);
  // Fires the due timers and peer replies, in time order, up to `t`.
  void AdvanceTo(absl::Time monotonic);
  void AdvanceBy(absl::Duration d) { AdvanceTo(monotonic_ + d); }
  // Fires the due timers and peer replies in time order until one of them
  // makes the host send a datagram (then stops right after it: a test can
  // race a forged reply against the peer's), but not beyond `limit`.
  // Returns whether a datagram was sent.
  bool AdvanceUntilSent(absl::Time limit);
  // Delivers a datagram on `socket` now, received at the model clock.
  void Receive(SocketId socket, absl::Span<const uint8_t> bytes, const net::SocketAddress& from);

  // Answers datagrams sent to `address` (any port if 0).
  void AddPeer(const net::SocketAddress& address, Peer peer);

  absl::Time monotonic() const { return monotonic_; }
  absl::Time true_time() const;
  absl::Time clock_time() const { return true_time() + clock_offset_; }
  absl::Duration clock_offset() const { return clock_offset_; }
  // The frequency correction the clock applied last (ppm).
  double frequency_ppm() const { return frequency_ppm_; }
  // Moves the model clock (an outside step the host did not ask for).
  void InjectClockStep(absl::Duration d) { clock_offset_ += d; }

  // Answers the host's RunKeyExchange actions, at once (the id and the
  // readings are filled in here). Unset, or returning nullopt: the exchange
  // stays open until the test calls CompleteKeyExchange.
  std::function<std::optional<KeyExchangeResultInput>(const RunKeyExchange&)> key_exchange;
  // Delivers the result of an exchange now.
  void CompleteKeyExchange(KeyExchangeResultInput result);

  // Called with every input handed to the host and the actions it returned
  // (a trace recorder's view, as the executor's ExecutionObserver).
  std::function<void(const Input&, const Actions&)> observe;

  // What the host asked for.
  std::vector<SentDatagram> sent;
  std::vector<ClockOperation> clock_operations;
  std::vector<Event> events;
  std::vector<double> drift_writes;
  std::vector<PeerStatsRecord> peer_stats;
  std::vector<LoopStatsRecord> loop_stats;
  // The model clock at each WriteRtc.
  std::vector<absl::Time> rtc_writes;
  std::map<SocketId, net::SocketAddress> open_sockets;
  // The key exchanges the host asked for, and when.
  struct KeyExchangeRequest {
    absl::Time monotonic;
    RunKeyExchange run;
  };
  std::vector<KeyExchangeRequest> key_exchanges;
  std::map<TimerKey, absl::Time> timers;
  int Count(EventKind kind) const;
  std::vector<std::string> Texts(EventKind kind) const;
  // The steps that were applied.
  std::vector<absl::Duration> steps;

 private:
  struct Delivery {
    absl::Time at;
    uint64_t sequence;
    SocketId socket;
    net::SocketAddress from;
    std::vector<uint8_t> bytes;
  };
  Readings Now() const;
  // Processes the earliest timer or delivery due at or before `target`;
  // false if there is none.
  bool Step(absl::Time target);
  // Moves the monotonic time forward, and the model clock with it.
  void Elapse(absl::Time to);
  void Deliver(const Input& input);
  void Carry(const Actions& actions, std::vector<Input>* results);
  void Answer(const SentDatagram& datagram);

  Host* const host_;
  const Options options_;
  absl::Time monotonic_;
  absl::Duration clock_offset_;
  double frequency_ppm_ = 0;
  absl::Duration slew_remaining_;
  uint16_t next_port_ = 40000;
  uint64_t sequence_ = 0;
  std::vector<Delivery> deliveries_;
  std::vector<std::pair<net::SocketAddress, Peer>> peers_;
};

}  // namespace ntp::testing

#endif  // NTP_TESTING_HOST_DRIVER_H_
