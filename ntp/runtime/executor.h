// The executor: the one place where an NTP instance (ntp::Host, a pure state
// machine) meets the world. It reads the Scheduler's time and the Clock into
// the Readings every input carries, hands the host one input at a time, and
// carries out the actions it returns through the Clock, Network and
// Scheduler seams and the drift store port, feeding each result back as a
// further input. The daemon (tools/ntpd_main.cc) runs it on Linux, the
// simulator (sim/ntp_host_adapter.cc) on its models; every input and every
// action passes through Deliver(), where an ExecutionObserver (a trace
// recorder) sees them.
//
// Single-threaded: call it, and let the scheduler run its callbacks, from
// one thread.
#ifndef NTP_RUNTIME_EXECUTOR_H_
#define NTP_RUNTIME_EXECUTOR_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "clock/clock.h"
#include "clock/drift_store.h"
#include "clock/file_reader.h"
#include "clock/rtc.h"
#include "clock/scheduler.h"
#include "net/network.h"
#include "net/stream.h"
#include "ntp/actions.h"
#include "ntp/events.h"
#include "ntp/host.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/runtime/nts_ke_stream.h"

namespace ntp::runtime {

// The world an executor acts on. Pointers must outlive the executor.
struct Seams {
  clocks::Clock* clock = nullptr;          // required
  net::Network* network = nullptr;         // required
  clocks::Scheduler* scheduler = nullptr;  // required
  clocks::DriftStore* drift_store = nullptr;  // may be null: no drift file
  clocks::Rtc* rtc = nullptr;                 // may be null: no RTC
  EventSink* events = nullptr;             // LogEvent actions; may be null
  // NTS-KE (RunKeyExchange) runs over these streams; null: every key
  // exchange fails with a result saying so.
  net::StreamNetwork* streams = nullptr;
  // Reads the CA files key exchanges name; null: only `noval` exchanges
  // can run.
  clocks::FileReader* files = nullptr;
  // The OpenSSL library context key exchanges run in (null: OpenSSL's
  // default; the simulator passes a seeded one, sim/sim_tls.h).
  OSSL_LIB_CTX* tls_library = nullptr;
};

// The CA bundle a key exchange trusts when its server line names none.
inline constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";

// Sees every input handed to the host and the actions it returned, in
// order (the hook a trace recorder implements).
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  virtual void OnInput(const Input& input) = 0;
  virtual void OnActions(const Actions& actions) = 0;
};

// Where statistics records go (ntpd's loopstats/peerstats files).
class StatsSink {
 public:
  virtual ~StatsSink() = default;
  virtual void OnLoopStats(const LoopStatsRecord& record) = 0;
  virtual void OnPeerStats(const PeerStatsRecord& record) = 0;
};

// Carries one clock operation out on `clock` and says what it applied (the
// result's readings are left for the caller to fill in).
ClockResultInput ApplyClockOperation(clocks::Clock& clock, const ClockOperation& op);

class Executor {
 public:
  // REQUIRES: host and the required seams are non-null and outlive this.
  Executor(Host* host, const Seams& seams);
  // Closes the sockets and cancels the timers still held (no input).
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void set_observer(ExecutionObserver* observer) { observer_ = observer; }
  void set_stats(StatsSink* stats) { stats_ = stats; }
  // Called once, from inside a delivery, when the host leaves kRunning
  // (panic, -q done, failed start).
  void set_on_exit(std::function<void(HostExit)> on_exit) { on_exit_ = std::move(on_exit); }

  // Reads the drift store and the clock's capabilities and starts the host.
  // Returns the host's start status (e.g. AlreadyExists when a listen port
  // is taken; nothing stays bound then).
  absl::Status Start();
  // Orderly shutdown: the host stops (drift written, sockets closed).
  // Idempotent.
  void Shutdown();
  // Hands the host a new configuration (a ConfigChangeInput: ntpd's SIGHUP
  // re-read; see Host::Handle for what changes). Ignored before Start and
  // after Shutdown.
  void Reconfigure(const NtpConfig& config);

  const Host& host() const { return *host_; }
  // Counts of what the executor carried out.
  struct Counters {
    uint64_t inputs = 0;
    uint64_t datagrams_sent = 0;
    uint64_t send_failures = 0;
    uint64_t clock_operations = 0;
    uint64_t clock_refusals = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  Readings Read();
  // Hands `input` to the host, carries out its actions, then the results.
  void Deliver(const Input& input);
  // One input: the host's Handle and the actions carried out.
  void Handle(const Input& input);
  void Execute(const Actions& actions);
  void Carry(const Actions& actions, const OpenSocket& open);
  void Carry(const Actions& actions, const CloseSocket& close);
  void Carry(const Actions& actions, const SendDatagram& send);
  void Carry(const Actions& actions, const SetTimer& timer);
  void Carry(const Actions& actions, const CancelTimer& timer);
  void Carry(const Actions& actions, const ClockOperation& op);
  void Carry(const Actions& actions, const LogEvent& log);
  void Carry(const Actions& actions, const WriteDrift& write);
  void Carry(const Actions& actions, const LoopStatsRecord& record);
  void Carry(const Actions& actions, const PeerStatsRecord& record);
  void Carry(const Actions& actions, const WriteRtc& write);
  void Carry(const Actions& actions, const RunKeyExchange& run);
  // The TLS client context for `run` (built once per CA file), or why not.
  absl::StatusOr<const nts::KeTlsContext*> KeContext(const RunKeyExchange& run);
  void OnKeyExchangeDone(uint64_t id, absl::StatusOr<nts::KeOutcome> outcome);
  void OnDatagram(SocketId socket, const net::ReceivedDatagram& datagram);
  void OnTimer(TimerKey key);
  void CheckExit();
  void ReleaseClosedSockets();

  Host* const host_;
  const Seams seams_;
  ExecutionObserver* observer_ = nullptr;
  StatsSink* stats_ = nullptr;
  std::function<void(HostExit)> on_exit_;
  bool exit_reported_ = false;
  bool started_ = false;
  bool shut_down_ = false;

  // Looked up per action; iterated only to release everything, where the
  // order does not matter.
  absl::flat_hash_map<SocketId, std::unique_ptr<net::DatagramSocket>> sockets_;
  absl::flat_hash_map<TimerKey, clocks::TimerId> timers_;
  // The socket whose receive handler is running (0: none), while open.
  SocketId receiving_socket_ = 0;
  net::DatagramSocket* receiving_ = nullptr;
  // Closed sockets, destroyed from the loop (one may be running its own
  // receive handler when it is closed).
  std::vector<std::unique_ptr<net::DatagramSocket>> graveyard_;
  clocks::TimerId graveyard_timer_ = 0;
  // Key exchanges that reported, destroyed from the loop with the sockets.
  std::vector<std::unique_ptr<KeStreamClient>> finished_key_exchanges_;
  // Results of the actions being carried out, delivered after them.
  std::vector<Input> results_;
  std::vector<Input> batch_;  // the results being handled
  // Key exchanges in progress, by id, and the TLS contexts by CA file
  // ("" with verification off: noval).
  absl::flat_hash_map<uint64_t, std::unique_ptr<KeStreamClient>> key_exchanges_;
  std::map<std::pair<std::string, bool>, std::unique_ptr<nts::KeTlsContext>> ke_contexts_;
  // The readings of the input being handled (results reuse them).
  Readings current_;
  Counters counters_;
};

}  // namespace ntp::runtime

#endif  // NTP_RUNTIME_EXECUTOR_H_
