#include "ntp/server/local_reference.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/filter_dispersion.h"
#include "ntp/wire/refid.h"

namespace ntp {
namespace {

// ntpd's LOCAL driver: every sample has offset 0 and the driver reports a
// dispersion of 10 ms as the association's root dispersion
// (ntpd/refclock_local.c, DISPERSION).
constexpr double kLocalDriverDispersionSeconds = 0.01;
// RFC 5905 §7.2 MAXDISP: a filter stage with no sample.
constexpr double kMaxDispersionSeconds = 16.0;
// First refclock poll after start (ntpd: association index seconds).
constexpr absl::Duration kFirstPollDelay = absl::Seconds(1);
// Reference-time refresh period while in orphan mode.
constexpr absl::Duration kOrphanRefresh = absl::Seconds(64);
// 127.0.0.1 (ntpd LOOPBACKADR), the orphan refid above stratum 1.
constexpr uint32_t kLoopbackRefId = 0x7F000001;

}  // namespace

LocalReference::LocalReference(const LocalReferenceSettings& settings,
                               const Dispatch* dispatch, TimerKey poll_timer,
                               TimerKey orphan_timer, SystemVariables* system,
                               EventSink* events)
    : settings_(settings),
      dispatch_(dispatch),
      poll_key_(poll_timer),
      orphan_key_(orphan_timer),
      system_(system),
      events_(events) {}

absl::Time LocalReference::Now() const { return dispatch_->now.monotonic; }

void LocalReference::ArmPoll(absl::Time when) {
  poll_armed_ = true;
  dispatch_->out->Arm(poll_key_, when);
}

void LocalReference::ArmOrphan(absl::Time when) {
  orphan_armed_ = true;
  dispatch_->out->Arm(orphan_key_, when);
}

void LocalReference::DisarmOrphan() {
  if (!orphan_armed_) return;
  orphan_armed_ = false;
  dispatch_->out->Disarm(orphan_key_);
}

void LocalReference::Start() {
  if (started_) return;
  started_ = true;
  const absl::Time now = Now();
  orphan_wait_end_ = now + settings_.orphan_wait;
  if (settings_.local_clock) ArmPoll(now + kFirstPollDelay);
  if (settings_.orphan_stratum < kMaxStratum) {
    // ntpd's once-a-second timer acts at the first second past the wait.
    ArmOrphan(orphan_wait_end_ + absl::Seconds(1));
  }
}

void LocalReference::Stop() {
  if (poll_armed_) dispatch_->out->Disarm(poll_key_);
  DisarmOrphan();
  poll_armed_ = false;
  started_ = false;
}

void LocalReference::OnTimer(TimerKey key) {
  if (key == poll_key_ && poll_armed_) {
    poll_armed_ = false;
    LocalPoll();
  } else if (key == orphan_key_ && orphan_armed_) {
    orphan_armed_ = false;
    OrphanTick();
  }
}

void LocalReference::SetUpstreamSystemPeer(bool has_peer) {
  if (has_peer == upstream_) return;
  upstream_ = has_peer;
  if (has_peer) {
    source_ = ReferenceSource::kUpstream;
    DisarmOrphan();
    return;
  }
  // Lost the upstream system peer: wait again before any fallback.
  source_ = ReferenceSource::kNone;
  orphan_wait_end_ = Now() + settings_.orphan_wait;
  if (started_ && settings_.orphan_stratum < kMaxStratum) {
    ArmOrphan(orphan_wait_end_ + absl::Seconds(1));
  }
}

NtpTimestamp LocalReference::ClockNow() const {
  return NtpTimestamp::FromTime(dispatch_->now.clock);
}

double LocalReference::FilterDispersion(absl::Time now) const {
  // Stages newest first; empty stages (MAXDISP) sort last. ntpd:
  // disp = sum over the sorted stages of disp_i / 2^(i+1).
  std::array<double, 8> sorted;
  size_t n = 0;
  for (size_t k = 0; k < stages_.size(); ++k) {
    const Stage& s = stages_[(next_stage_ + stages_.size() - 1 - k) % stages_.size()];
    if (!s.valid) continue;
    const double age = std::max(0.0, absl::ToDoubleSeconds(now - s.epoch));
    sorted[n++] = std::min(kMaxDispersionSeconds,
                           s.dispersion_seconds + settings_.phi_ppm * 1e-6 * age);
  }
  while (n < sorted.size()) sorted[n++] = kMaxDispersionSeconds;
  return ::ntp::FilterDispersion(sorted);
}

void LocalReference::LocalPoll() {
  const absl::Time now = Now();
  reach_ = static_cast<uint8_t>(reach_ << 1);
  // ntpd's LOCAL driver samples only while there is no system peer or it is
  // the system peer itself.
  if (!upstream_) {
    stages_[next_stage_] = Stage{0.0, true, now};
    next_stage_ = (next_stage_ + 1) % stages_.size();
    reach_ |= 1;
    last_sample_ = now;
    // clock_select(): a LOCAL clock without `prefer` is a fallback only
    // once current_time > orphwait.
    if (source_ == ReferenceSource::kLocalClock || settings_.local_prefer ||
        now > orphan_wait_end_) {
      BecomeLocalClockPeer();
    }
  }
  const absl::Duration interval =
      absl::Seconds(int64_t{1} << std::clamp(settings_.local_poll_log2, 0, 17));
  ArmPoll(now + interval);
}

void LocalReference::BecomeLocalClockPeer() {
  const bool first = source_ != ReferenceSource::kLocalClock;
  source_ = ReferenceSource::kLocalClock;
  const absl::Time now = Now();
  const int stratum = std::min(settings_.local_stratum + 1, kMaxStratum);
  const double precision_seconds = std::ldexp(1.0, system_->precision_log2);
  system_->leap = stratum < kMaxStratum ? Leap::kNoWarning : Leap::kUnsynchronized;
  system_->stratum = stratum;
  // ntpd clock_update(): a peer at stratum 0 (a true refclock) lends its
  // text refid; otherwise the refid is the peer's address, 127.127.1.u.
  system_->reference_id =
      settings_.local_stratum == 0
          ? settings_.local_refid.value_or(AsciiRefId("LOCL"))
          : 0x7F7F0100u | static_cast<uint32_t>(settings_.local_unit & 0xFF);
  system_->root_delay = NtpShort::FromRaw(0);
  // Root dispersion = peer root dispersion (10 ms) + filter dispersion +
  // jitter (floored at the precision) + |offset| (0), at least mindist.
  system_->root_dispersion = NtpShort::FromSeconds(std::max(
      settings_.mindist_seconds,
      kLocalDriverDispersionSeconds + FilterDispersion(now) + precision_seconds));
  system_->reference_time = ClockNow();
  system_->system_peer = absl::StrCat("LOCAL(", settings_.local_unit, ")");
  system_->offset_seconds = 0;
  system_->jitter_seconds = precision_seconds;
  system_->poll_log2 = settings_.local_poll_log2;
  if (first) {
    Emit(EventKind::kSync,
         absl::StrCat("synchronized to LOCAL(", settings_.local_unit,
                      "), stratum ", stratum));
  }
}

void LocalReference::OrphanTick() {
  if (upstream_ || source_ == ReferenceSource::kLocalClock) return;
  BecomeOrphan();
  ArmOrphan(Now() + kOrphanRefresh);
}

void LocalReference::BecomeOrphan() {
  const bool first = source_ != ReferenceSource::kOrphan;
  source_ = ReferenceSource::kOrphan;
  const int stratum = settings_.orphan_stratum;
  system_->leap = Leap::kNoWarning;
  system_->stratum = stratum;
  system_->reference_id = stratum > 1 ? kLoopbackRefId : AsciiRefId("LOOP");
  system_->root_delay = NtpShort::FromRaw(0);
  system_->root_dispersion = NtpShort::FromRaw(0);
  system_->reference_time = ClockNow();  // deliberate deviation, see header
  system_->system_peer.clear();
  system_->offset_seconds = 0;
  if (first) {
    Emit(EventKind::kSync, absl::StrCat("orphan mode, stratum ", stratum));
  }
}

LocalReference::LocalClockStatus LocalReference::local_clock_status(absl::Time now) const {
  LocalClockStatus s;
  s.configured = settings_.local_clock;
  s.selected = source_ == ReferenceSource::kLocalClock;
  s.reach = reach_;
  s.stratum = settings_.local_stratum;
  s.refid = settings_.local_refid.value_or(AsciiRefId("LOCL"));
  s.poll_log2 = settings_.local_poll_log2;
  s.last_sample = last_sample_;
  s.dispersion_seconds = FilterDispersion(now);
  return s;
}

void LocalReference::Emit(EventKind kind, std::string text) {
  if (events_ == nullptr) return;
  Event e;
  e.kind = kind;
  e.text = std::move(text);
  events_->OnEvent(e);
}

}  // namespace ntp
