// One client association (RFC 5905 §9 peer process and §13 poll process for
// a configured `server`, mode 3): the poll timer with poll adaptation,
// reachability register, iburst/burst, unreachable back-off and Kiss-o'-
// Death handling; data-minimised requests (random transmit-timestamp nonce,
// every other field zero, the real send time kept locally) sent from a fresh
// ephemeral socket per request (RFC 9109); the reply tests of
// reply_check.h; and per-server statistics: the RFC 5905 §10 clock filter
// and the OscillatorEstimator that feeds the discipline.
//
// Sans I/O: it reads the time from the current Dispatch (ntp/actions.h) and
// asks for sockets, datagrams and timers by appending actions to it; the
// host routes the results (socket opened, transmit time, reply, timer) back
// to it. Not thread-safe.
#ifndef NTP_CLIENT_ASSOCIATION_H_
#define NTP_CLIENT_ASSOCIATION_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "net/address.h"
#include "net/datagram.h"
#include "ntp/actions.h"
#include "ntp/client/clock_filter.h"
#include "ntp/client/clock_steering.h"
#include "ntp/client/oscillator_estimator.h"
#include "ntp/client/packet_auth.h"
#include "ntp/random.h"
#include "ntp/client/exchange_types.h"
#include "ntp/client/nts_session.h"
#include "ntp/events.h"
#include "ntp/ntp_time.h"
#include "ntp/system_state.h"

namespace ntp {

// What `server ADDRESS [options]` asks for (ntp/config ServerConfig, resolved).
struct AssociationConfig {
  net::SocketAddress server;  // address and port (123)
  std::string name;           // as written, for logs
  bool prefer = false;
  bool iburst = false;
  bool burst = false;
  bool noselect = false;
  bool truechimer = false;  // `true`
  int minpoll = 6;
  int maxpoll = 10;
  std::optional<uint32_t> key_id;
  int version = 4;
  // `nts` (RFC 8915): requests and replies are NTS-protected, after an
  // NTS-KE with `name` (the certificate's name) at `server`'s address.
  std::optional<NtsAssociationConfig> nts;

  friend bool operator==(const AssociationConfig&, const AssociationConfig&) = default;
};

// Shared by all associations of one engine. Pointers must outlive them.
struct AssociationEnvironment {
  const Dispatch* dispatch = nullptr;     // the input being handled
  ClockSteering* steering = nullptr;      // CorrectionAt for raw offsets
  ClientAuthenticator* auth = nullptr;    // null: no keys
  EventSink* events = nullptr;            // may be null
  absl::Time origin;                      // engine timeline origin (monotonic)
  // Local address to bind per family (unset: the wildcard address).
  std::optional<net::IpAddress> bind_v4;
  std::optional<net::IpAddress> bind_v6;
  double local_precision_seconds = 1e-6;
  int stratum_floor = 0;
  int stratum_ceiling = 15;
  double max_distance_seconds = kDefaultMaxDistance;
  double phi = kPhi;  // dispersion rate (RFC 5905 PHI, `tinker dispersion`)
  OscillatorEstimatorOptions tracker;
};

// Counters of what happened to replies (and requests), for tests and ntpq.
struct AssociationCounters {
  uint64_t sent = 0;
  uint64_t send_errors = 0;
  uint64_t received = 0;        // datagrams from the server's address
  uint64_t malformed = 0;       // did not parse
  uint64_t wrong_source = 0;    // from another address/port
  uint64_t auth_failed = 0;     // TEST5; NTS: did not authenticate (nts_dropped too)
  uint64_t nts_dropped = 0;     // NTS: refused by the NtsClient (forged, replayed, truncated)
  uint64_t nts_naks = 0;        // NTS NAKs (RFC 8915 §5.7)
  std::array<uint64_t, static_cast<size_t>(ReplyVerdict::kCount)> verdicts{};
  uint64_t outliers = 0;        // tracker outliers
};

// An accepted sample, as handed to the engine.
struct AcceptedSample {
  double time_seconds = 0;  // engine timeline, midpoint of the exchange
  ExchangeSample exchange;
  FilterResult filter;
  TrackerVerdict tracker = TrackerVerdict::kAccepted;
};

// The peer events an association records (RFC 9327 peer event codes), for
// the low byte of the peer status word.
enum class PeerEvent : uint8_t {
  kMobilize = 1,
  kUnreachable = 3,
  kReachable = 4,
  kRateExceeded = 7,
  kAccessDenied = 8,
  kSystemPeer = 10,
};

class Association {
 public:
  using SampleCallback = std::function<void(Association&, const AcceptedSample&)>;
  // Called on reachability changes, a DENY kiss, and after every poll.
  using StateCallback = std::function<void(Association&)>;

  // REQUIRES: env pointers (except auth/events) are non-null and outlive
  // the association. `seed` feeds its nonces and poll dither. The poll
  // timer uses key `poll_timer`; sockets get ids from `socket_base` + 1 on
  // (the host routes ids below socket_base + 2^32 to this association).
  Association(int id, const AssociationConfig& config,
              const AssociationEnvironment& env, uint64_t seed, TimerKey poll_timer,
              SocketId socket_base, SampleCallback on_sample, StateCallback on_state_change);
  ~Association() = default;
  Association(const Association&) = delete;
  Association& operator=(const Association&) = delete;

  // Schedules the first poll `first_poll_delay` from now.
  void Start(absl::Duration first_poll_delay);
  // Cancels timers and closes the socket.
  void Stop();

  // Inputs routed here by the host.
  void OnTimer();
  void OnSocketResult(const SocketResultInput& result);
  void OnSendResult(const SendResultInput& result);
  void OnDatagram(const net::ReceivedDatagram& datagram);
  // The result of the association's RunKeyExchange (ids are in its socket
  // id range, so the host routes them as socket ids).
  void OnKeyExchangeResult(const KeyExchangeResultInput& result);
  // After a clock step (RFC 5905 §11.2.3: all associations are reset):
  // forgets the request in flight and the filter; the offset tracker is
  // kept (it works in raw offsets, which a step does not disturb). With
  // iburst, the next reply starts a new burst.
  void ResetAfterStep();
  // The poll exponent the engine would like (clamped to [minpoll, maxpoll]).
  void SetDesiredPoll(int poll_log2);
  // Whether a burst is in progress (more replies expected within seconds).
  bool in_burst() const { return burst_ > 0; }
  // Engine-timeline seconds of the next poll (meaningful while started).
  double next_poll_seconds() const { return next_poll_; }

  int id() const { return id_; }
  const AssociationConfig& config() const { return config_; }
  // NTS state (null: not an NTS association).
  const NtsSession* nts() const { return nts_.get(); }
  // Where requests go: the configured server, or NTS's negotiated one.
  const net::SocketAddress& destination() const {
    return nts_ != nullptr ? nts_->ntp_server() : config_.server;
  }
  // False after an authenticated DENY/RSTR kiss.
  bool enabled() const { return !disabled_; }
  uint8_t reach() const { return reach_; }
  int unreach() const { return unreach_; }
  // Silent for the last 8 polls but answered within the last 64: heavy
  // loss rather than an outage (chrony keeps polling such a server).
  bool PartialLoss() const { return reach_ == 0 && long_reach_ != 0; }
  int hpoll() const { return hpoll_; }
  int ppoll() const { return ppoll_; }
  int minpoll() const { return minpoll_; }
  int maxpoll() const { return maxpoll_; }
  // Requests sent since the last accepted reply (for "seems dead").
  int unanswered() const { return unanswered_; }
  bool has_reply() const { return header_.has_value(); }
  // Server header variables of the last accepted reply (RFC 5905 Figure 21).
  struct Header {
    Leap leap = Leap::kUnsynchronized;
    int stratum = 16;
    int8_t precision_log2 = 0;
    double root_delay_seconds = 0;
    double root_dispersion_seconds = 0;
    uint32_t reference_id = 0;
    NtpTimestamp reference_time;
  };
  const std::optional<Header>& header() const { return header_; }
  const ClockFilter& filter() const { return filter_; }
  const OscillatorEstimator& tracker() const { return tracker_; }
  OscillatorEstimator& mutable_tracker() { return tracker_; }
  const AssociationCounters& counters() const { return counters_; }
  // Engine-timeline seconds of the last accepted reply (nullopt: none).
  std::optional<double> last_reply_seconds() const { return last_reply_; }
  // Records a peer event: the count (saturating at 15) and the last code.
  void NotePeerEvent(PeerEvent event);
  // The peer status word's low byte: event count << 4 | last event code.
  uint8_t event_bits() const {
    return static_cast<uint8_t>(peer_event_count_ << 4 | static_cast<uint8_t>(last_peer_event_));
  }
  // The refid the server would see for us is one of ours (TEST12).
  bool loop_detected() const { return loop_; }
  void set_own_refids(std::vector<uint32_t> refids) { own_refids_ = std::move(refids); }

  // The tracker's estimate of the clock offset now (positive: behind),
  // nullopt without samples.
  std::optional<double> EstimatedOffset(double now_seconds) const;

 private:
  void Poll();
  // NTS without usable keys: starts a key exchange, or waits for the one
  // running or for the back-off to end.
  void KeyExchangeOrWait();
  // The next socket id (also used for key exchange ids).
  SocketId NextSocketId();
  net::IpAddress LocalAddressFor(const net::IpAddress& remote) const;
  void SendRequest();
  void ScheduleNextPoll();
  void ScheduleAt(double when_seconds);
  void CancelPoll();
  void HandleKiss(ReplyVerdict verdict, int8_t packet_poll, uint32_t refid);
  void IgnoreUnauthenticatedDeny(uint32_t refid);
  void Report(EventKind kind, std::string text);
  void CloseSocket();
  double Now() const;
  std::string Name() const;

  const int id_;
  const AssociationConfig config_;
  const AssociationEnvironment env_;
  SplitMix64 rng_;
  SampleCallback on_sample_;
  StateCallback on_state_change_;

  ClockFilter filter_;
  OscillatorEstimator tracker_;
  AssociationCounters counters_;
  std::unique_ptr<NtsSession> nts_;

  const TimerKey poll_timer_key_;
  const SocketId socket_base_;
  uint64_t sockets_opened_ = 0;
  // The socket of the request in flight (0: none).
  SocketId socket_ = 0;
  bool poll_armed_ = false;
  double next_poll_ = 0;
  double last_send_ = -1e9;
  bool started_ = false;
  bool disabled_ = false;

  // Poll process (RFC 5905 §13; ntpd 4.2.8 names).
  int minpoll_;
  int maxpoll_;
  int hpoll_;
  int ppoll_;
  int desired_poll_;
  uint8_t reach_ = 0;
  // The reach register's long form: one bit per poll over the last 64
  // polls. A server that answered within them has partial loss, not an
  // outage, and keeps its poll (PartialLoss).
  uint64_t long_reach_ = 0;
  int unreach_ = 0;
  int unanswered_ = 0;
  int burst_ = 0;
  int retry_ = 0;

  // The request in flight (its T1 arrives with the send result).
  std::optional<NtpTimestamp> outstanding_nonce_;
  bool awaiting_transmit_time_ = false;
  NtpTimestamp outstanding_t1_;
  double outstanding_send_seconds_ = 0;

  NtpTimestamp last_accepted_transmit_;
  std::optional<Header> header_;
  std::optional<double> last_reply_;
  std::vector<uint32_t> own_refids_;
  bool loop_ = false;
  bool unauthenticated_deny_reported_ = false;
  uint8_t peer_event_count_ = 0;
  PeerEvent last_peer_event_ = PeerEvent::kMobilize;
};

}  // namespace ntp

#endif  // NTP_CLIENT_ASSOCIATION_H_
