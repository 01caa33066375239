// ClientEngine: the client side of one NTP instance (RFC 5905 §9-§13). It
// owns one Association per configured server, runs the system process on
// every accepted sample (fitness -> selection -> cluster -> combine, with
// `minsane`/`minclock`/`maxclock`/`prefer`/`true`), drives the clock
// discipline (step/slew/panic, -g/-x/-q), keeps the drift store, votes on
// leap seconds, and writes the host's SystemVariables for the server side.
//
// The discipline is a hybrid: ntpd's outward behaviour (thresholds, state
// machine, messages, drift file) around per-server Kalman trackers of the
// oscillator (oscillator_estimator.h) whose estimates are applied at once through
// ClockSteering; see discipline.h and README.md in this folder.
//
// Sans I/O: it takes its inputs from the host (ntp/host.h) and appends its
// actions (requests, timers, clock operations, drift writes, log events) to
// the current Dispatch (ntp/actions.h). No threads; every decision is a
// function of the inputs and the seed.
#ifndef NTP_CLIENT_CLIENT_ENGINE_H_
#define NTP_CLIENT_CLIENT_ENGINE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/address.h"
#include "ntp/actions.h"
#include "ntp/client/association.h"
#include "ntp/client/clock_steering.h"
#include "ntp/client/cluster.h"
#include "ntp/client/combine.h"
#include "ntp/client/discipline.h"
#include "ntp/client/packet_auth.h"
#include "ntp/client/selection.h"
#include "ntp/events.h"
#include "ntp/leap_seconds_list.h"
#include "ntp/random.h"
#include "ntp/system_state.h"

namespace ntp {

class KeyStore;

struct ClientEngineOptions {
  std::vector<AssociationConfig> servers;
  DisciplineOptions discipline;  // tinker step/stepout/panic, -g, -x
  bool set_once_and_exit = false;  // ntpd -q (forces iburst)
  // `tos` (RFC 5905 §11.2: CMIN, NMIN; ntpd maxclock, mindist, maxdist).
  int minsane = 1;
  int minclock = 3;
  int maxclock = 10;
  double mindist_seconds = kDefaultMinDistance;
  double maxdist_seconds = kDefaultMaxDistance;
  // `tos budget S budgetwindow W`: once synchronised, at most S seconds of
  // net correction (beyond the frequency estimate) within any W seconds;
  // past it the client stops following and says so. 0: no budget.
  double budget_seconds = 0;
  double budget_window_seconds = 86400;
  // The verified leap-seconds file: while not expired, it (not the
  // servers' vote) decides the leap warning, as in ntpd.
  std::optional<LeapSecondsList> leap_seconds;
  // The dispersion rate (s/s): RFC 5905 PHI, ntpd's `tinker dispersion`
  // (in ppm there).
  double phi = kPhi;
  int stratum_floor = 0;
  int stratum_ceiling = 15;
  // `tinker freq`: initial frequency instead of the drift file.
  std::optional<double> initial_frequency_ppm;
  // Drift-file write threshold (ntpd `nonvolatile`, 1e-7 s/s = 0.1 ppm).
  double drift_write_threshold_ppm = 0.1;
  double drift_write_interval_seconds = 3600;
  SteeringOptions steering;
  OscillatorEstimatorOptions tracker;
  uint64_t random_seed = 0;
  // The host's own addresses: bound for requests (first of each family,
  // else the wildcard) and used for the loop test (TEST12).
  std::vector<net::IpAddress> own_addresses;
};

struct ClientEngineEnvironment {
  const Dispatch* dispatch = nullptr;      // the input being handled
  EventSink* events = nullptr;             // may be null
  const KeyStore* keys = nullptr;          // may be null: no keys
  // Timer keys [timer_base, timer_base + 2 + servers) and socket ids from
  // socket_base + 2^32 on belong to the engine (the host routes them).
  TimerKey timer_base = 0;
  SocketId socket_base = 0;
  SystemVariables* system = nullptr;       // written while we have a peer
  // Told when the engine gains (true) or loses (false) a system peer (the
  // host's LOCAL clock / orphan fallback listens). May be empty.
  std::function<void(bool)> on_upstream_change;
  // Told once when the engine wants the process to end (panic, -q done).
  std::function<void()> on_exit;
};

enum class ClientExit { kRunning, kPanic, kDone };

// What a configuration change did to the associations.
struct ReconfigureCounts {
  int kept = 0;
  int added = 0;
  int removed = 0;
};

// ntpq's select codes of an association (the peer status word's selection
// field, RFC 9327).
enum class PeerSelect : uint8_t {
  kReject = 0,       // ' ' unfit / no data
  kFalseticker = 1,  // 'x'
  kExcess = 2,       // '.'
  kOutlier = 3,      // '-'
  kCandidate = 4,    // '+'
  kBackup = 5,       // '#'
  kSystemPeer = 6,   // '*'
};
char PeerSelectTally(PeerSelect select);

class ClientEngine {
 public:
  // InvalidArgument for a missing dispatch/system or an unusable server
  // list entry; Internal if keys exist but the MAC library is unusable.
  static absl::StatusOr<std::unique_ptr<ClientEngine>> Create(
      const ClientEngineOptions& options, const ClientEngineEnvironment& env);
  ~ClientEngine();
  ClientEngine(const ClientEngine&) = delete;
  ClientEngine& operator=(const ClientEngine&) = delete;

  // Takes the drift value and the clock's capabilities, sets the initial
  // frequency, starts the associations and the drift-file timer.
  // FailedPrecondition if started.
  absl::Status Start(const StartInput& input);
  // Clean shutdown: associations stopped, correction in progress ended, the
  // frequency written to the drift store if it changed. Idempotent.
  void Stop();

  // A new configuration (ntpd's SIGHUP re-read). An association whose
  // AssociationConfig is unchanged keeps all its state (filter, estimator,
  // reach, poll, the request in flight); the others are stopped (socket
  // closed, timer cancelled) and dropped; new ones are added and start
  // polling one second apart, as at start. The `tos` values, the
  // discipline's thresholds and the drift-write threshold take the new
  // values; the frequency, the discipline state, the drift store, the
  // steering and estimator options and the seed are kept (`tinker freq`
  // applies only at start). Before Start(), the options are replaced.
  ReconfigureCounts Reconfigure(const ClientEngineOptions& options);

  // The hardware clock read at start (`rtc_time`) and the system clock at
  // that moment. A first correction beyond the panic threshold (ntpd -g)
  // must then bring the clock within the panic threshold of the RTC's time,
  // unless the RTC itself reads earlier than kRtcPlausibleAfter (a dead
  // battery): a guard against an era error, or a server far off.
  void SetRtcReading(absl::Time rtc_time, absl::Time clock_time);

  // Inputs the host routes here (by timer key / socket id ranges).
  bool OwnsTimer(TimerKey key) const;
  bool OwnsSocket(SocketId socket) const;
  void OnTimer(TimerKey key);
  void OnDatagram(SocketId socket, const net::ReceivedDatagram& datagram);
  void OnSocketResult(const SocketResultInput& result);
  void OnSendResult(const SendResultInput& result);
  // Routed by OwnsSocket(result.id): key exchange ids are socket ids.
  void OnKeyExchangeResult(const KeyExchangeResultInput& result);
  void OnClockResult(const ClockResultInput& result);
  void OnDriftWriteResult(const DriftWriteResultInput& result);

  ClientExit exit_state() const { return exit_; }
  const std::vector<std::unique_ptr<Association>>& associations() const {
    return associations_;
  }
  PeerSelect select_status(int association_id) const;
  // Index of the system peer in associations(), if any.
  std::optional<int> system_peer() const { return system_peer_; }
  const Discipline& discipline() const { return *discipline_; }
  const ClockSteering& steering() const { return *steering_; }
  // Seconds since Start() on the monotonic timeline.
  double Now() const;
  // Number of clock updates (slews and steps) so far.
  int updates() const { return updates_; }
  // ntpd's clk_jitter (seconds) and clk_wander (ppm): the RMS of the
  // offset and frequency changes between clock updates (as loopstats).
  double clock_jitter_seconds() const { return clock_jitter_seconds_; }
  double clock_wander_ppm() const { return wander_ppm_; }

 private:
  ClientEngine(const ClientEngineOptions& options, const ClientEngineEnvironment& env);
  void OnSample(Association& association, const AcceptedSample& sample);
  // ntpd's peerstats line for an accepted sample.
  void RecordPeerStats(const Association& association, const AcceptedSample& sample);
  void OnAssociationState(Association& association);
  // The system process; `update` false: only re-evaluate (lost peers).
  void SelectAndUpdate(bool update);
  // Its stages (RFC 5905 §11), in order.
  struct Combined {
    CombineResult combined;
    double frequency_ppm = 0;
    double rate_sigma = 0;  // of the combined rate estimate (s/s)
  };
  void CollectCandidates(double now);
  bool FirstUpdateQuorum() const;
  // Servers whose agreement a first update needs (a majority of those
  // that may still answer, at least minsane).
  int FirstUpdateRequired() const;
  bool FirstUpdateAgreement() const;
  bool IntersectAndCluster();
  void DropBiasedSurvivors();
  int ChooseSystemPeer() const;
  Combined CombineSurvivors(int peer);
  void UpdateClock(int peer, const Combined& combined, bool new_peer, double now);
  void AfterStep(double offset_seconds);
  // False (and ntpd-style panic reported) when a first correction beyond
  // the panic threshold disagrees with the RTC read at start.
  bool FirstCorrectionAgreesWithRtc(double offset_seconds);
  // RFC 5905 §6: the offset is known modulo 2^32 s; returns the one that
  // lands the clock within 68 years of the pivot (a plausible RTC's time,
  // else the drift file's last write, else kEraPivotUnixSeconds), moving
  // the trackers when that is another era), or nullopt (panic reported)
  // when none can, or when it would land more than 1000 s before the
  // drift file was written.
  std::optional<double> ResolveEra(double offset_seconds);
  void LoseSystemPeer();
  void UpdateSystemVariables(const Association& peer, double offset,
                             double system_jitter, double now);
  void ApplyLeapVote(const std::vector<int>& survivors);
  // False (and the refusal reported once) when applying `offset` would take
  // the net correction of the budget window beyond the budget.
  bool WithinBudget(double offset, double now);
  // True when `sample` completed the evidence of a clock step by another
  // process (the clock has then been updated).
  bool DetectExternalStep(Association& association, const AcceptedSample& sample);
  // The rate (s/s) and its standard deviation from a straight line through
  // the recent raw offsets of all servers not cast off as falsetickers
  // (PooledRate); nullopt when they are too few, too close in time, or do
  // not lie on a line.
  struct PooledRate {
    double rate = 0;
    double sigma = 0;
  };
  std::optional<PooledRate> PooledRateEstimate() const;
  // Remembers the discipline's frequency as the rate in use, known to
  // within rate_sigma (s/s).
  void NoteAppliedRate(double rate_sigma);
  void AdaptPolls(Association& association, TrackerVerdict verdict);
  void Exit(ClientExit how);
  void StartDrift(const DriftReading& drift, std::optional<double>* initial);
  void BuildAssociations(const StartInput& input, std::optional<double> initial);
  // A new association in the next slot (its timer key and socket ids).
  std::unique_ptr<Association> NewAssociation(AssociationConfig config);
  Association* AssociationForSocket(SocketId socket);
  void DriftTimer();
  void WriteDrift(bool at_shutdown);
  void Report(EventKind kind, std::string text);
  void CheckNoServers();

  ClientEngineOptions options_;
  const ClientEngineEnvironment env_;
  absl::Time origin_;
  bool started_ = false;
  bool stopped_ = false;
  ClientExit exit_ = ClientExit::kRunning;

  std::unique_ptr<ClientAuthenticator> auth_;
  std::unique_ptr<ClockSteering> steering_;
  std::unique_ptr<Discipline> discipline_;
  std::vector<std::unique_ptr<Association>> associations_;
  // Association slots (timer key and socket ids) by slot number; null for
  // an association a configuration change removed. Slots are never reused,
  // so a late result for a removed association finds nothing.
  std::vector<Association*> slots_;
  size_t slot_count_ = 0;
  // What new associations are built with (set at Start).
  AssociationEnvironment association_env_;
  std::vector<uint32_t> own_refids_;
  SplitMix64 seeds_{0};
  std::vector<PeerSelect> select_;
  // For loopstats' clock jitter and wander: the offset and frequency at the
  // last clock update and the running RMS of their changes.
  double last_update_offset_seconds_ = 0;
  double clock_jitter_seconds_ = 0;  // 0: not started
  double last_update_frequency_ppm_ = 0;
  double wander_ppm_ = 0;
  // Accepted samples since each association's poll last changed, by slot.
  std::vector<int> samples_at_poll_;
  std::optional<int> system_peer_;
  bool ever_synced_ = false;
  bool reported_no_majority_ = false;
  int updates_ = 0;
  Leap leap_vote_ = Leap::kNoWarning;
  // The system peer's address and its text, kept so that each clock
  // update need not format it again.
  std::optional<net::IpAddress> system_peer_ip_;
  std::string system_peer_text_;
  // SelectAndUpdate's working storage, kept so that a selection does not
  // allocate (contents are meaningful only during a call).
  std::vector<SelectionCandidate> candidates_;
  std::vector<double> lambda_;
  std::vector<double> theta_;
  IntersectionScratch intersection_scratch_;
  IntersectionResult intersection_;
  std::vector<ClusterCandidate> cluster_in_;
  ClusterScratch cluster_scratch_;
  ClusterResult cluster_;
  std::vector<CombineInput> combine_in_;
  // Association id -> its offset jump (s) in its last sample, while that
  // sample was a tracker outlier (DetectExternalStep).
  std::map<int, double> step_suspects_;
  // The last accepted samples of every server in raw coordinates (measured
  // offset plus this client's corrections; OscillatorEstimator): (time,
  // raw offset, association id). Cleared when the raw coordinates jump
  // (an external step, the era).
  std::deque<std::tuple<double, double, int>> pooled_;
  // The rate (s/s) behind the frequency last applied and its standard
  // deviation (infinite before the first): CollectCandidates extrapolates
  // a server whose own rate is vague with it.
  double applied_rate_ = 0;
  double applied_rate_sigma_ = std::numeric_limits<double>::infinity();
  // The correction budget: (time, net correction added) of each update in
  // the window, and whether the refusal was reported.
  std::deque<std::pair<double, double>> budget_log_;
  bool budget_exhausted_ = false;
  bool reported_leapfile_expired_ = false;

  // RTC minus system clock at start (seconds), when the RTC is plausible.
  std::optional<double> rtc_minus_clock_;
  // The plausible RTC reading at start (the era pivot, ResolveEra).
  std::optional<absl::Time> rtc_at_start_;
  bool has_drift_store_ = false;
  std::string drift_where_;
  // When the drift value read at start was written (an era pivot).
  std::optional<absl::Time> drift_written_;
  bool drift_timer_armed_ = false;
  std::optional<double> drift_written_ppm_;
  double drift_threshold_ppm_ = 0.1;
};

}  // namespace ntp

#endif  // NTP_CLIENT_CLIENT_ENGINE_H_
