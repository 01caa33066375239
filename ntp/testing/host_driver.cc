#include "ntp/testing/host_driver.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <variant>

#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"

namespace ntp::testing {

Peer UpstreamServer(absl::Duration offset, int stratum) {
  return [offset, stratum](const SentDatagram& request,
                           absl::Time true_time) -> std::optional<ScriptedReply> {
    WireResult<NtpPacket, PacketError> parsed = ParsePacket(request.bytes);
    if (!parsed.ok() || parsed->mode != Mode::kClient) return std::nullopt;
    ScriptedReply reply;
    NtpPacket p;
    p.mode = Mode::kServer;
    p.stratum = static_cast<uint8_t>(stratum);
    p.poll_log2_seconds = parsed->poll_log2_seconds;
    p.precision_log2_seconds = -20;
    p.root_delay = NtpShort::FromSeconds(0.001);
    p.root_dispersion = NtpShort::FromSeconds(0.001);
    p.reference_id = stratum == 1 ? AsciiRefId("GPS") : 0xC0000263;
    const absl::Time server_time = true_time + reply.delay + offset;
    p.reference_timestamp = NtpTimestamp::FromTime(server_time - absl::Seconds(8));
    p.origin_timestamp = parsed->transmit_timestamp;
    p.receive_timestamp = NtpTimestamp::FromTime(server_time);
    p.transmit_timestamp = NtpTimestamp::FromTime(server_time + absl::Microseconds(10));
    reply.bytes.resize(kNtpHeaderOctets);
    if (!SerializePacket(p, absl::MakeSpan(reply.bytes)).ok()) return std::nullopt;
    return reply;
  };
}

HostDriver::HostDriver(Host* host, Options options)
    : host_(host),
      options_(std::move(options)),
      monotonic_(options_.monotonic_start),
      clock_offset_(options_.clock_offset) {}

absl::Time HostDriver::true_time() const {
  return options_.true_start + (monotonic_ - options_.monotonic_start);
}

Readings HostDriver::Now() const { return Readings{monotonic_, clock_time()}; }

int HostDriver::Count(EventKind kind) const {
  return static_cast<int>(std::count_if(events.begin(), events.end(),
                                        [kind](const Event& e) { return e.kind == kind; }));
}

std::vector<std::string> HostDriver::Texts(EventKind kind) const {
  std::vector<std::string> out;
  for (const Event& e : events) {
    if (e.kind == kind) out.push_back(e.text);
  }
  return out;
}

void HostDriver::AddPeer(const net::SocketAddress& address, Peer peer) {
  peers_.emplace_back(address, std::move(peer));
}

void HostDriver::Start() {
  StartInput input;
  input.now = Now();
  input.clock = options_.clock;
  input.drift = options_.drift;
  input.rtc_time = options_.rtc_time;
  if (options_.rtc_time.has_value()) input.rtc_where = "test RTC";
  Deliver(input);
}

void HostDriver::Shutdown() { Deliver(ShutdownInput{Now()}); }

void HostDriver::Reconfigure(const NtpConfig& config) {
  Deliver(ConfigChangeInput{Now(), std::make_shared<const NtpConfig>(config)});
}

void HostDriver::Receive(SocketId socket, absl::Span<const uint8_t> bytes,
                         const net::SocketAddress& from) {
  if (open_sockets.find(socket) == open_sockets.end()) return;  // closed: dropped
  DatagramInput input;
  input.now = Now();
  input.socket = socket;
  input.datagram.payload = bytes;
  input.datagram.source = from;
  input.datagram.destination = open_sockets[socket];
  input.datagram.rx_time = clock_time();
  input.datagram.rx_source = net::RxTimestampSource::kSimulated;
  Deliver(input);
}

void HostDriver::Elapse(absl::Time to) {
  if (to <= monotonic_) return;
  const absl::Duration dt = to - monotonic_;
  monotonic_ = to;
  clock_offset_ += dt * ((options_.oscillator_ppm + frequency_ppm_) * 1e-6);
  if (slew_remaining_ != absl::ZeroDuration()) {
    const absl::Duration most = dt * (options_.clock.slew_rate_ppm * 1e-6);
    const absl::Duration slewed = std::clamp(slew_remaining_, -most, most);
    clock_offset_ += slewed;
    slew_remaining_ -= slewed;
  }
}

bool HostDriver::Step(absl::Time target) {
  // The earliest of the next timer and the next delivery, timers first on a
  // tie (as a scheduler that queued them earlier would).
  std::optional<absl::Time> next;
  TimerKey timer_key = 0;
  for (const auto& [key, when] : timers) {
    if (!next.has_value() || when < *next) {
      next = when;
      timer_key = key;
    }
  }
  auto delivery = std::min_element(deliveries_.begin(), deliveries_.end(),
                                   [](const Delivery& a, const Delivery& b) {
                                     return a.at != b.at ? a.at < b.at : a.sequence < b.sequence;
                                   });
  const bool use_delivery =
      delivery != deliveries_.end() && (!next.has_value() || delivery->at < *next);
  if (use_delivery) next = delivery->at;
  if (!next.has_value() || *next > target) return false;
  Elapse(*next);
  if (use_delivery) {
    Delivery d = std::move(*delivery);
    deliveries_.erase(delivery);
    Receive(d.socket, d.bytes, d.from);
  } else {
    timers.erase(timer_key);
    Deliver(TimerInput{Now(), timer_key});
  }
  return true;
}

void HostDriver::AdvanceTo(absl::Time target) {
  while (Step(target)) {
  }
  Elapse(target);
}

bool HostDriver::AdvanceUntilSent(absl::Time limit) {
  const size_t before = sent.size();
  while (sent.size() == before && Step(limit)) {
  }
  if (sent.size() > before) return true;
  Elapse(limit);
  return false;
}

void HostDriver::CompleteKeyExchange(KeyExchangeResultInput result) {
  result.now = Now();
  Deliver(result);
}

void HostDriver::Deliver(const Input& first) {
  std::vector<Input> pending{first};
  for (size_t i = 0; i < pending.size(); ++i) {
    const Input input = pending[i];
    std::vector<Input> results;
    const Actions& actions = host_->Handle(input);
    if (observe) observe(input, actions);
    Carry(actions, &results);
    pending.insert(pending.end(), results.begin(), results.end());
  }
}

void HostDriver::Carry(const Actions& actions, std::vector<Input>* results) {
  std::vector<SentDatagram> to_answer;
  for (const Action& action : actions.list()) {
    if (const auto* open = std::get_if<OpenSocket>(&action)) {
      SocketResultInput r;
      r.now = Now();
      r.socket = open->socket;
      auto failure = options_.bind_failures.find(open->local);
      if (failure != options_.bind_failures.end()) {
        r.status = failure->second;
      } else {
        r.bound = open->local.port() != 0 ? open->local
                                          : net::SocketAddress(open->local.ip(), next_port_++);
        open_sockets[open->socket] = r.bound;
      }
      if (!r.status.ok() || open->report_bound) results->push_back(r);
    } else if (const auto* close = std::get_if<CloseSocket>(&action)) {
      open_sockets.erase(close->socket);
    } else if (const auto* send = std::get_if<SendDatagram>(&action)) {
      SentDatagram d;
      d.socket = send->socket;
      auto it = open_sockets.find(send->socket);
      d.from = it != open_sockets.end() ? it->second : net::SocketAddress();
      d.to = send->to;
      const absl::Span<const uint8_t> payload = actions.payload(*send);
      d.bytes.assign(payload.begin(), payload.end());
      d.monotonic = monotonic_;
      d.clock_time = clock_time();
      const bool open = it != open_sockets.end();
      if (open) {
        sent.push_back(d);
        to_answer.push_back(d);
      }
      if (send->token != 0 || !open) {
        SendResultInput r;
        r.now = Now();
        r.socket = send->socket;
        r.token = send->token;
        r.transmit_time = d.clock_time;
        if (!open) r.status = absl::FailedPreconditionError("socket not open");
        results->push_back(r);
      }
    } else if (const auto* timer = std::get_if<SetTimer>(&action)) {
      timers[timer->key] = timer->when;
    } else if (const auto* cancel = std::get_if<CancelTimer>(&action)) {
      timers.erase(cancel->key);
    } else if (const auto* peer = std::get_if<PeerStatsRecord>(&action)) {
      peer_stats.push_back(*peer);
    } else if (const auto* loop = std::get_if<LoopStatsRecord>(&action)) {
      loop_stats.push_back(*loop);
    } else if (const auto* op = std::get_if<ClockOperation>(&action)) {
      clock_operations.push_back(*op);
      ClockResultInput r;
      r.now = Now();
      r.id = op->id;
      r.kind = op->kind;
      if (options_.clock_read_only) {
        r.status = absl::FailedPreconditionError("the clock is read-only");
      } else {
        r.applied_offset = op->offset;
        r.applied_ppm = op->ppm;
        switch (op->kind) {
          case ClockOpKind::kStep:
            clock_offset_ += op->offset;
            slew_remaining_ = absl::ZeroDuration();  // a step ends a slew
            steps.push_back(op->offset);
            break;
          case ClockOpKind::kSlew:
            slew_remaining_ = op->offset;
            break;
          case ClockOpKind::kFrequency:
            frequency_ppm_ = op->ppm;
            break;
          case ClockOpKind::kSyncStatus:
            break;
        }
      }
      // As the executor: a sync status comes back only when refused.
      if (!r.status.ok() || op->kind != ClockOpKind::kSyncStatus) results->push_back(r);
    } else if (const auto* log = std::get_if<LogEvent>(&action)) {
      events.push_back(log->event);
    } else if (const auto* drift = std::get_if<WriteDrift>(&action)) {
      drift_writes.push_back(drift->frequency_ppm);
      DriftWriteResultInput r;
      r.now = Now();
      r.frequency_ppm = drift->frequency_ppm;
      r.status = options_.drift_write_status;
      results->push_back(r);
    } else if (const auto* run = std::get_if<RunKeyExchange>(&action)) {
      key_exchanges.push_back({monotonic_, *run});
      if (key_exchange) {
        std::optional<KeyExchangeResultInput> r = key_exchange(*run);
        if (r.has_value()) {
          r->now = Now();
          r->id = run->id;
          results->push_back(*std::move(r));
        }
      }
    } else if (std::holds_alternative<WriteRtc>(action)) {
      RtcWriteResultInput r;
      r.now = Now();
      r.written = clock_time();
      r.status = options_.rtc_write_status;
      if (r.status.ok()) rtc_writes.push_back(r.written);
      results->push_back(r);
    }
  }
  for (const SentDatagram& d : to_answer) Answer(d);
}

void HostDriver::Answer(const SentDatagram& datagram) {
  for (const auto& [address, peer] : peers_) {
    if (!(address.ip() == datagram.to.ip())) continue;
    if (address.port() != 0 && address.port() != datagram.to.port()) continue;
    // The peer is asked when the request leaves (it adds the one-way delay
    // to the timestamps it writes); its answer arrives two delays later.
    std::optional<ScriptedReply> reply = peer(datagram, true_time());
    if (!reply.has_value()) return;
    Delivery d;
    d.at = monotonic_ + 2 * reply->delay;
    d.sequence = ++sequence_;
    d.socket = datagram.socket;
    d.from = reply->from.value_or(datagram.to);
    d.bytes = std::move(reply->bytes);
    deliveries_.push_back(std::move(d));
    return;
  }
}

}  // namespace ntp::testing
