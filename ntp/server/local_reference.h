// The server's fallback time references when no upstream server is
// selected, as ntpd 4.2.8 behaves (ntpd/refclock_local.c, ntp_proto.c):
//  - the LOCAL clock driver (`server 127.127.1.u` + `fudge ... stratum N`):
//    an undisciplined local clock sampled every 2^minpoll s (offset 0,
//    dispersion 10 ms). Without `prefer` it is only a fallback, chosen at its
//    first poll after the orphan wait (`tos orphanwait`, 300 s) since start
//    or since the last upstream system peer was lost. Then the system is
//    synchronised at stratum N + 1 with refid 127.127.1.u (shown LOCAL(u)
//    by ntpq on clients); with fudge stratum 0, stratum 1 and refid LOCL.
//  - orphan mode (`tos orphan N`, N < 16), used only if there is no LOCAL
//    clock: after the orphan wait with no system peer, stratum N, refid
//    127.0.0.1 (or LOOP for N <= 1), zero root delay/dispersion. Deliberate
//    deviation: the reference time is refreshed every 64 s so that
//    classic ntpdate does not reject the server as "too long without sync".
//
// It writes the host's SystemVariables only while it is the reference
// (never while the client side reports an upstream system peer). It takes
// the host clock's reading (reference timestamps) from the current Dispatch
// and asks for timers as actions; it never steers the clock: the local clock
// is, by definition, the reference.
#ifndef NTP_SERVER_LOCAL_REFERENCE_H_
#define NTP_SERVER_LOCAL_REFERENCE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "ntp/actions.h"
#include "ntp/events.h"
#include "ntp/system_state.h"

namespace ntp {

struct LocalReferenceSettings {
  // LOCAL driver (type 1).
  bool local_clock = false;
  int local_unit = 0;             // 0..3
  int local_stratum = 5;          // fudge stratum; driver default 5 (refclock_local.c)
  std::optional<uint32_t> local_refid;  // fudge refid; default "LOCL"
  bool local_prefer = false;      // `prefer`: a normal candidate, no wait
  int local_poll_log2 = 6;        // minpoll; refclock maxpoll = minpoll
  // Orphan mode.
  int orphan_stratum = kMaxStratum;  // `tos orphan`; 16 = off
  absl::Duration orphan_wait = absl::Seconds(300);  // `tos orphanwait`
  double mindist_seconds = 0.001;    // `tos mindist` (floor of root disp.)
  double phi_ppm = 15.0;             // `tinker dispersion`
};

// What currently writes the system variables.
enum class ReferenceSource : uint8_t {
  kNone,        // unsynchronised (waiting)
  kUpstream,    // the client side has a system peer
  kLocalClock,  // the LOCAL driver is the system peer
  kOrphan,      // orphan mode
};

class LocalReference {
 public:
  // LOCAL(u) as ntpq -p shows it on the server.
  struct LocalClockStatus {
    bool configured = false;
    bool selected = false;       // it is the system peer
    uint8_t reach = 0;           // 8-bit shift register
    int stratum = 0;             // fudge stratum as the association shows it
    uint32_t refid = 0;          // "LOCL" or the fudge refid
    int poll_log2 = 6;
    std::optional<absl::Time> last_sample;  // monotonic time
    double dispersion_seconds = 16.0;       // filter dispersion
  };

  // REQUIRES: dispatch and system outlive this object; events may be null.
  // The host routes the timer keys `poll_timer` and `orphan_timer` back to
  // OnTimer().
  LocalReference(const LocalReferenceSettings& settings, const Dispatch* dispatch,
                 TimerKey poll_timer, TimerKey orphan_timer, SystemVariables* system,
                 EventSink* events);
  LocalReference(const LocalReference&) = delete;
  LocalReference& operator=(const LocalReference&) = delete;

  // Starts the orphan wait and the LOCAL poll timer (first poll 1 s later,
  // as ntpd's first refclock poll). Idempotent.
  void Start();
  // Cancels all timers.
  void Stop();
  // One of its timers fired.
  void OnTimer(TimerKey key);

  // Called by the client side when it gains (true) or loses (false) an
  // upstream system peer. Losing one restarts the orphan wait (ntpd
  // clock_select: orphwait = now + orphanwait).
  void SetUpstreamSystemPeer(bool has_peer);

  ReferenceSource source() const { return source_; }
  // As of monotonic time `now`.
  LocalClockStatus local_clock_status(absl::Time now) const;
  // When the orphan wait ends (monotonic time).
  absl::Time orphan_wait_end() const { return orphan_wait_end_; }

 private:
  // 8-stage clock filter of the LOCAL association (RFC 5905 §10, ntpd
  // clock_filter for a refclock: samples with zero delay and dispersion,
  // dummy stages at MAXDISP).
  struct Stage {
    double dispersion_seconds = 16.0;
    bool valid = false;
    absl::Time epoch;
  };

  void LocalPoll();
  void OrphanTick();
  void BecomeLocalClockPeer();
  void BecomeOrphan();
  double FilterDispersion(absl::Time now) const;
  void Emit(EventKind kind, std::string text);
  absl::Time Now() const;
  NtpTimestamp ClockNow() const;
  void ArmPoll(absl::Time when);
  void ArmOrphan(absl::Time when);
  void DisarmOrphan();

  const LocalReferenceSettings settings_;
  const Dispatch* const dispatch_;
  const TimerKey poll_key_;
  const TimerKey orphan_key_;
  SystemVariables* const system_;
  EventSink* const events_;

  bool started_ = false;
  bool upstream_ = false;
  ReferenceSource source_ = ReferenceSource::kNone;
  absl::Time orphan_wait_end_;
  bool poll_armed_ = false;
  bool orphan_armed_ = false;
  uint8_t reach_ = 0;
  std::array<Stage, 8> stages_{};
  size_t next_stage_ = 0;
  std::optional<absl::Time> last_sample_;
};

}  // namespace ntp

#endif  // NTP_SERVER_LOCAL_REFERENCE_H_
