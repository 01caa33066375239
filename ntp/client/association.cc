#include "ntp/client/association.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ntp/client/reply_check.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"

namespace ntp {
namespace {

// ntpd NTP_RETRY: polls at minpoll while iburst waits for a first reply.
constexpr int kIburstRetries = 3;

}  // namespace

Association::Association(int id, const AssociationConfig& config,
                         const AssociationEnvironment& env, uint64_t seed,
                         TimerKey poll_timer, SocketId socket_base, SampleCallback on_sample,
                         StateCallback on_state_change)
    : id_(id),
      config_(config),
      env_(env),
      rng_(seed),
      on_sample_(std::move(on_sample)),
      on_state_change_(std::move(on_state_change)),
      filter_(env.local_precision_seconds, env.phi),
      tracker_(env.tracker),
      poll_timer_key_(poll_timer),
      socket_base_(socket_base),
      minpoll_(std::clamp(config.minpoll, kProtocolMinPoll, kProtocolMaxPoll)),
      maxpoll_(std::clamp(std::max(config.maxpoll, config.minpoll), kProtocolMinPoll,
                          kProtocolMaxPoll)),
      hpoll_(minpoll_),
      ppoll_(maxpoll_),
      desired_poll_(minpoll_) {
  if (config.nts.has_value()) {
    nts_ = std::make_unique<NtsSession>(
        *config.nts, config.name.empty() ? config.server.ip().ToString() : config.name,
        config.server.ip(), config.server.port());
  }
}

SocketId Association::NextSocketId() {
  return socket_base_ + (++sockets_opened_ & 0xFFFFFFFFull);
}

net::IpAddress Association::LocalAddressFor(const net::IpAddress& remote) const {
  return remote.is_v4() ? env_.bind_v4.value_or(net::IpAddress::AnyV4())
                        : env_.bind_v6.value_or(net::IpAddress::AnyV6());
}

void Association::CloseSocket() {
  if (socket_ == 0) return;
  env_.dispatch->out->Close(socket_);
  socket_ = 0;
}

double Association::Now() const {
  return absl::ToDoubleSeconds(env_.dispatch->now.monotonic - env_.origin);
}

std::string Association::Name() const {
  return config_.name.empty() ? config_.server.ip().ToString() : config_.name;
}

void Association::Report(EventKind kind, std::string text) {
  if (env_.events != nullptr) env_.events->OnEvent(Event{kind, std::move(text)});
}

void Association::Start(absl::Duration first_poll_delay) {
  if (started_ || disabled_) return;
  started_ = true;
  NotePeerEvent(PeerEvent::kMobilize);
  ScheduleAt(Now() + std::max(0.0, absl::ToDoubleSeconds(first_poll_delay)));
}

void Association::NotePeerEvent(PeerEvent event) {
  last_peer_event_ = event;
  if (peer_event_count_ < 15) ++peer_event_count_;
}

void Association::Stop() {
  CancelPoll();
  started_ = false;
  outstanding_nonce_.reset();
  awaiting_transmit_time_ = false;
  CloseSocket();
  // A key exchange still running is forgotten: its result finds nothing.
  if (nts_ != nullptr) nts_->AbandonKeyExchange();
}

void Association::CancelPoll() {
  if (!poll_armed_) return;
  poll_armed_ = false;
  env_.dispatch->out->Disarm(poll_timer_key_);
}

void Association::OnTimer() {
  if (!poll_armed_) return;
  poll_armed_ = false;
  Poll();
}

void Association::ResetAfterStep() {
  filter_.Reset();
  outstanding_nonce_.reset();
  if (config_.iburst && started_ && !disabled_) {
    // As ntpd's peer_clear: re-acquire quickly with a burst.
    retry_ = kIburstRetries;
    burst_ = 0;
    ScheduleAt(std::min(next_poll_, Now() + 1.0 + rng_.Uniform()));
  }
}

void Association::SetDesiredPoll(int poll_log2) {
  desired_poll_ = std::clamp(poll_log2, minpoll_, maxpoll_);
  // Back-off rules while silent, unless the loss is only partial.
  if ((reach_ == 0 || unreach_ > 0) && !PartialLoss()) return;
  if (desired_poll_ == hpoll_) return;
  hpoll_ = desired_poll_;
  if (started_ && !disabled_ && burst_ == 0 && retry_ == 0 && poll_armed_) {
    const double interval = std::ldexp(1.0, std::min(ppoll_, hpoll_));
    if (last_send_ + interval < next_poll_) ScheduleAt(std::max(Now(), last_send_ + interval));
  }
}

std::optional<double> Association::EstimatedOffset(double now_seconds) const {
  if (!tracker_.has_estimate()) return std::nullopt;
  return tracker_.RawOffsetAt(now_seconds) - env_.steering->CorrectionAt(now_seconds);
}

void Association::ScheduleAt(double when_seconds) {
  next_poll_ = when_seconds;
  poll_armed_ = true;
  env_.dispatch->out->Arm(poll_timer_key_, env_.origin + absl::Seconds(when_seconds));
}

void Association::ScheduleNextPoll() {
  double interval;
  if (burst_ > 0) {
    interval = kBurstSpacingSeconds;
  } else {
    // RFC 5905 §13.2 poll_update: never undersample the server's poll;
    // minpoll while iburst waits for the first reply. ntpd dithers the
    // interval by up to 1/16 so that clients do not synchronise.
    int exponent = retry_ > 0 ? minpoll_ : std::min(ppoll_, hpoll_);
    exponent = std::clamp(exponent, minpoll_, maxpoll_);
    interval = std::ldexp(1.0, exponent) * (1.0 + rng_.Below(256) / 4096.0);
  }
  ScheduleAt(std::max(Now(), last_send_) + interval);
}

void Association::KeyExchangeOrWait() {
  if (nts_->exchange_running()) return;  // its result schedules the poll
  const absl::Time now = env_.dispatch->now.monotonic;
  if (now < nts_->not_before()) {
    ScheduleAt(absl::ToDoubleSeconds(nts_->not_before() - env_.origin));
    return;
  }
  env_.dispatch->out->KeyExchange(
      nts_->StartKeyExchange(NextSocketId(), LocalAddressFor(config_.server.ip())));
}

void Association::OnKeyExchangeResult(const KeyExchangeResultInput& result) {
  if (nts_ == nullptr || !nts_->Expects(result.id)) return;
  const absl::Status status = nts_->OnKeyExchangeResult(result, env_.dispatch->now.monotonic);
  if (!started_ || disabled_) return;
  if (!status.ok()) {
    Report(EventKind::kWarning, std::string(status.message()));
    ScheduleAt(absl::ToDoubleSeconds(nts_->not_before() - env_.origin));
    return;
  }
  Report(EventKind::kInfo,
         absl::StrCat("NTS-KE with ", Name(), ": ", nts_->cookie_count(),
                      " cookies, NTP server ", nts_->ntp_server().ToString()));
  ScheduleAt(Now());
}

void Association::Poll() {
  if (disabled_ || !started_) return;
  // RFC 8915 §5.7: no keys, no cookie left, or an NTS NAK: NTS-KE first.
  if (nts_ != nullptr && !nts_->ready()) {
    KeyExchangeOrWait();
    return;
  }
  if (burst_ > 0) {
    --burst_;
  } else {
    // RFC 5905 §13.2: shift the reach register at every (non-burst) poll.
    const uint8_t before = reach_;
    reach_ = static_cast<uint8_t>(reach_ << 1);
    long_reach_ <<= 1;
    // RFC 5905 §10: three polls without a valid reply -> a dummy sample.
    if ((reach_ & 0x07) == 0 && before != 0) {
      filter_.AddDummy(Now(), env_.max_distance_seconds, std::ldexp(1.0, hpoll_));
    }
    if (reach_ == 0) {
      if (before != 0) {
        NotePeerEvent(PeerEvent::kUnreachable);
        Report(EventKind::kInfo, absl::StrCat(Name(), " unreachable"));
        if (on_state_change_) on_state_change_(*this);
      }
      // iburst arms on the first poll and whenever the server becomes
      // unreachable: the next reply starts a burst; until then polls go at
      // minpoll for kIburstRetries polls.
      if (config_.iburst && retry_ == 0 && (before != 0 || counters_.sent == 0)) {
        retry_ = kIburstRetries;
      }
      // Unreachable back-off (ntpd NTP_UNREACH = 10 silent polls), but not
      // for a server that answered within the last 64 polls: backing off
      // there would starve the client of the few samples heavy loss leaves.
      ++unreach_;
      if (PartialLoss()) {
        hpoll_ = desired_poll_;
      } else if (unreach_ >= kUnreachLimit) {
        hpoll_ = std::min(hpoll_ + 1, maxpoll_);
      }
    } else {
      unreach_ = 0;
      hpoll_ = desired_poll_;
      // `burst`: arm a burst for the reply to this poll (ntpd: retry =
      // NTP_RETRY while reachable).
      if (config_.burst && retry_ == 0) retry_ = kIburstRetries;
    }
  }
  if (retry_ > 0 && burst_ == 0) --retry_;
  SendRequest();
  ScheduleNextPoll();
  if (on_state_change_) on_state_change_(*this);
}

void Association::SendRequest() {
  // RFC 9109: a fresh ephemeral source port per request. The previous
  // socket goes with its request; late replies to it are never seen.
  outstanding_nonce_.reset();
  awaiting_transmit_time_ = false;
  CloseSocket();
  last_send_ = Now();

  // Data-minimised request (draft-ietf-ntp-data-minimization; ntpsec): only
  // version, mode, poll and a random transmit timestamp; the real send time
  // stays here.
  NtpPacket request;
  request.leap = LeapIndicator::kNoWarning;
  request.version = static_cast<uint8_t>(std::clamp(config_.version, 1, 4));
  request.mode = Mode::kClient;
  request.poll_log2_seconds = static_cast<int8_t>(hpoll_);
  uint64_t nonce = rng_.Next();
  if (nonce == 0) nonce = 1;
  request.transmit_timestamp = NtpTimestamp::FromRaw(nonce);
  std::vector<uint8_t> bytes(kNtpHeaderOctets);
  if (!SerializePacket(request, absl::MakeSpan(bytes)).ok()) {
    ++counters_.send_errors;
    return;
  }
  if (nts_ != nullptr) {
    // RFC 8915 §5.7: Unique Identifier, a cookie, placeholders, and the
    // authenticator after the header.
    std::vector<uint8_t> header = std::move(bytes);
    bytes.assign(nts_->RequestOctets(), 0);
    absl::StatusOr<size_t> octets = nts_->BuildRequest(header, rng_, absl::MakeSpan(bytes));
    if (!octets.ok()) {
      ++counters_.send_errors;
      Report(EventKind::kWarning,
             absl::StrCat("cannot build an NTS request for ", Name(), ": ",
                          octets.status().message()));
      return;
    }
    bytes.resize(*octets);
  } else if (config_.key_id.has_value()) {
    if (env_.auth == nullptr || !env_.auth->Sign(*config_.key_id, &bytes).ok()) {
      ++counters_.send_errors;
      Report(EventKind::kWarning,
             absl::StrCat("key ", *config_.key_id, " for ", Name(), " is not in the keys file"));
      return;
    }
  }
  const net::SocketAddress& to = destination();
  socket_ = NextSocketId();
  Actions& out = *env_.dispatch->out;
  out.Open(socket_, net::SocketAddress(LocalAddressFor(to.ip()), 0));
  // T1 is read by the executor just before the send and comes back in
  // OnSendResult.
  out.Send(socket_, to, bytes, /*token=*/1);
  outstanding_nonce_ = request.transmit_timestamp;
  awaiting_transmit_time_ = true;
  outstanding_send_seconds_ = last_send_;
  // Counted as sent now; OnSendResult takes it back if the send failed.
  ++counters_.sent;
  ++unanswered_;
}

void Association::OnSocketResult(const SocketResultInput& result) {
  if (result.socket != socket_ || result.status.ok()) return;
  Report(EventKind::kWarning, absl::StrCat("cannot bind a socket for ", Name(), ": ",
                                           result.status.message()));
  // The send on this socket fails as well and is counted there.
}

void Association::OnSendResult(const SendResultInput& result) {
  if (result.socket != socket_ || !awaiting_transmit_time_) return;
  awaiting_transmit_time_ = false;
  if (!result.status.ok()) {
    ++counters_.send_errors;
    --counters_.sent;
    --unanswered_;
    outstanding_nonce_.reset();
    return;
  }
  outstanding_t1_ = NtpTimestamp::FromTime(result.transmit_time);
}

void Association::HandleKiss(ReplyVerdict verdict, int8_t packet_poll, uint32_t refid) {
  outstanding_nonce_.reset();
  if (verdict == ReplyVerdict::kKissRate) {
    // RFC 5905 §7.4: reduce the polling rate, again at every RATE: one
    // step per kiss (a single kiss, possibly forged, cannot push the poll
    // to the cap at once; the poll the kiss names is not trusted). Bounded:
    // never beyond max(maxpoll, 10) (ntpsec caps at 10).
    (void)packet_poll;
    const int cap = std::min(kProtocolMaxPoll, std::max(config_.maxpoll, kKissRatePollCap));
    const int raised = std::min(cap, std::max(minpoll_, hpoll_) + 1);
    minpoll_ = std::max(minpoll_, raised);
    maxpoll_ = std::max(maxpoll_, minpoll_);
    hpoll_ = std::max(hpoll_, minpoll_);
    desired_poll_ = std::max(desired_poll_, minpoll_);
    burst_ = 0;
    retry_ = 0;
    NotePeerEvent(PeerEvent::kRateExceeded);
    Report(EventKind::kKissOfDeath,
           absl::StrFormat("kiss code RATE from %s: rate exceeded, poll raised to %d s",
                           Name(), 1 << hpoll_));
    ScheduleAt(std::max(Now(), last_send_ + std::ldexp(1.0, hpoll_)));
    return;
  }
  // DENY / RSTR: stop using the server (RFC 5905 §7.4: demobilize).
  disabled_ = true;
  CancelPoll();
  reach_ = 0;
  long_reach_ = 0;
  NotePeerEvent(PeerEvent::kAccessDenied);
  Report(EventKind::kKissOfDeath,
         absl::StrCat("kiss code ", RefIdToText(refid), " from ", Name(),
                      ": access denied, server no longer used"));
  if (on_state_change_) on_state_change_(*this);
}

// A DENY or RSTR kiss without a MAC proves nothing: anyone on the path can
// send one with the right origin (RFC 8633 §4.3). It counts as no reply:
// the request stays armed for a genuine reply, and a server that really
// refuses us turns unreachable and is polled with the unreachable back-off
// (as chrony does). Only an authenticated kiss demobilises.
void Association::IgnoreUnauthenticatedDeny(uint32_t refid) {
  NotePeerEvent(PeerEvent::kAccessDenied);
  if (unauthenticated_deny_reported_) return;
  unauthenticated_deny_reported_ = true;
  Report(EventKind::kKissOfDeath,
         absl::StrCat("kiss code ", RefIdToText(refid), " from ", Name(),
                      " without authentication: counted as no reply"));
}

void Association::OnDatagram(const net::ReceivedDatagram& datagram) {
  if (!started_ || disabled_) return;
  if (!(datagram.source == destination())) {
    ++counters_.wrong_source;
    return;
  }
  ++counters_.received;
  // NTS: the reply must authenticate under the session's S2C key and
  // answer the request in flight (RFC 8915 §5.7); anything else is
  // dropped, counted, and changes nothing. Only the header is parsed
  // below: the extension fields are the NtsClient's.
  absl::Span<const uint8_t> packet = datagram.payload;
  if (nts_ != nullptr) {
    const nts::NtsReplyCheck check = nts_->ProcessReply(datagram.payload);
    if (check.verdict == nts::NtsReplyVerdict::kDropped) {
      ++counters_.nts_dropped;
      ++counters_.auth_failed;
      return;
    }
    if (check.verdict == nts::NtsReplyVerdict::kNak) {
      // The request is answered; the next poll runs NTS-KE again.
      ++counters_.nts_naks;
      outstanding_nonce_.reset();
      Report(EventKind::kKissOfDeath,
             absl::StrCat("NTS NAK from ", Name(), ": new NTS-KE at the next poll"));
      return;
    }
    packet = packet.first(kNtpHeaderOctets);
  }
  WireResult<NtpPacket, PacketError> parsed = ParsePacket(packet);
  if (!parsed.ok()) {
    ++counters_.malformed;
    return;
  }
  const NtpPacket& reply = *parsed;

  // TEST5: with a key, the reply must carry a good MAC under that key
  // (NTS replies that reach here have authenticated).
  bool authentic = true;
  if (config_.key_id.has_value() && nts_ == nullptr) {
    authentic = false;
    if (env_.auth != nullptr) {
      const bool has_mac = reply.mac.has_value();
      const ReplyAuthResult result = env_.auth->Check(
          *config_.key_id, has_mac, has_mac ? reply.mac->key_id : 0,
          has_mac ? reply.mac->digest : absl::Span<const uint8_t>(),
          datagram.payload.first(std::min(datagram.payload.size(), AuthenticatedOctets(reply))));
      authentic = result == ReplyAuthResult::kOk;
    }
  }

  ReplyCheckContext context;
  context.expected_origin = outstanding_nonce_;
  context.last_accepted_transmit = last_accepted_transmit_;
  context.stratum_floor = env_.stratum_floor;
  context.stratum_ceiling = env_.stratum_ceiling;
  const ReplyVerdict verdict = CheckReply(reply, context);
  // Unauthenticated replies are dropped, except a RATE kiss that matched
  // our nonce: it only slows us down (servers send KoDs without MACs).
  if (!authentic && verdict != ReplyVerdict::kKissRate) {
    ++counters_.auth_failed;
    return;
  }
  ++counters_.verdicts[static_cast<size_t>(verdict)];
  if (verdict == ReplyVerdict::kKissDeny && !config_.key_id.has_value() && nts_ == nullptr) {
    IgnoreUnauthenticatedDeny(reply.reference_id);
    return;
  }
  if (verdict == ReplyVerdict::kKissRate || verdict == ReplyVerdict::kKissDeny) {
    HandleKiss(verdict, reply.poll_log2_seconds, reply.reference_id);
    return;
  }
  if (verdict != ReplyVerdict::kAccept) return;

  const NtpTimestamp t4 = NtpTimestamp::FromTime(datagram.rx_time);
  const ExchangeSample exchange =
      ComputeSample(outstanding_t1_, reply.receive_timestamp, reply.transmit_timestamp,
                    t4, reply.precision_log2_seconds, env_.local_precision_seconds,
                    env_.phi);
  // The reply is genuine: disarm, so a replay of it is bogus (RFC 5905 §8).
  outstanding_nonce_.reset();
  last_accepted_transmit_ = reply.transmit_timestamp;
  if (exchange.delay_seconds > env_.max_distance_seconds) {
    // ntpsec BOGON14: a sample this far away is useless.
    --counters_.verdicts[static_cast<size_t>(ReplyVerdict::kAccept)];
    ++counters_.verdicts[static_cast<size_t>(ReplyVerdict::kTooFar)];
    return;
  }

  const double now = Now();
  unanswered_ = 0;
  unauthenticated_deny_reported_ = false;
  const bool was_reachable = reach_ != 0;
  reach_ |= 1;
  long_reach_ |= 1;
  Header header;
  header.leap = static_cast<Leap>(reply.leap);
  header.stratum = InternalStratum(reply.stratum);
  header.precision_log2 = reply.precision_log2_seconds;
  header.root_delay_seconds = reply.root_delay.ToSeconds();
  header.root_dispersion_seconds = reply.root_dispersion.ToSeconds();
  header.reference_id = reply.reference_id;
  header.reference_time = reply.reference_timestamp;
  header_ = header;
  ppoll_ = std::clamp(static_cast<int>(reply.poll_log2_seconds), minpoll_, maxpoll_);
  loop_ = header.stratum > 1 &&
          std::find(own_refids_.begin(), own_refids_.end(), header.reference_id) !=
              own_refids_.end();
  if (!was_reachable) NotePeerEvent(PeerEvent::kReachable);
  if (!was_reachable && counters_.sent > 1) {
    Report(EventKind::kInfo, absl::StrCat(Name(), " reachable"));
  }

  // iburst / burst: the first reply after arming starts the burst (ntpd
  // 4.2.8: 6 packets in all for iburst, 2 s apart).
  if (retry_ > 0) {
    retry_ = 0;
    burst_ = was_reachable
                 ? std::min(1 << std::max(0, hpoll_ - minpoll_), kBurstMaxCount) - 1
                 : kIburstCount - 1;
    if (burst_ > 0) ScheduleAt(std::max(now, last_send_ + kBurstSpacingSeconds));
  }

  AcceptedSample sample;
  sample.time_seconds = (outstanding_send_seconds_ + now) / 2;
  sample.exchange = exchange;
  sample.filter = filter_.AddSample(exchange.offset_seconds, exchange.delay_seconds,
                                    exchange.dispersion_seconds, now,
                                    env_.max_distance_seconds, std::ldexp(1.0, hpoll_));
  TrackerSample ts;
  ts.time_seconds = sample.time_seconds;
  ts.raw_offset_seconds =
      exchange.offset_seconds + env_.steering->CorrectionAt(sample.time_seconds);
  ts.delay_seconds = exchange.delay_seconds;
  const double server_precision = std::ldexp(1.0, reply.precision_log2_seconds);
  ts.extra_variance = (server_precision * server_precision +
                       env_.local_precision_seconds * env_.local_precision_seconds) / 12.0;
  sample.tracker = tracker_.Add(ts);
  if (sample.tracker == TrackerVerdict::kOutlier) ++counters_.outliers;
  last_reply_ = now;
  if (on_sample_) on_sample_(*this, sample);
}

}  // namespace ntp
