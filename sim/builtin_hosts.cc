#include "sim/builtin_hosts.h"

#include "sim/attacker.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ntp/auth/keys_file.h"
#include "ntp/precision.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"
#include "sim/random.h"

namespace sim {
namespace {

constexpr uint16_t kNtpPort = 123;
constexpr uint32_t kDefaultRefId = ntp::AsciiRefId("SIM");

// Parses a datagram of `mode` (RFC 5905 §7.3); nullopt for anything else.
std::optional<ntp::NtpPacket> ParseMode(absl::Span<const uint8_t> payload, ntp::Mode mode) {
  ntp::WireResult<ntp::NtpPacket, ntp::PacketError> packet = ntp::ParsePacket(payload);
  if (!packet.ok() || packet->mode != mode) return std::nullopt;
  return std::move(packet).value();
}

// Sends the 48-octet header `packet`; false if it could not be sent.
bool SendPacket(net::DatagramSocket& socket, const ntp::NtpPacket& packet,
                const net::SocketAddress& to) {
  std::array<uint8_t, ntp::kNtpHeaderOctets> bytes;
  return ntp::SerializePacket(packet, absl::MakeSpan(bytes)).ok() &&
         socket.SendTo(bytes, to).ok();
}

double Seconds(ntp::NtpDuration d) { return d.ToSeconds(); }

}  // namespace

absl::StatusOr<ProberFlags> ParseDaemonFlags(const std::vector<std::string>& flags) {
  ProberFlags out;
  for (const std::string& f : flags) {
    if (f == "-g") {
      out.allow_big_first_step = true;
    } else if (f == "-x") {
      out.never_step = true;
    } else if (f == "-q") {
      out.set_once_and_exit = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown daemon flag \"", f, "\" (known: -g, -x, -q)"));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Responder

Responder::Responder(const scenario::ResponderOptions& options, const SimHostEnvironment& env,
                     std::unique_ptr<ntp::ClientAuthenticator> keys)
    : env_(env),
      script_(options.script().begin(), options.script().end()),
      keys_(std::move(keys)) {
  std::stable_sort(script_.begin(), script_.end(),
                   [](const scenario::ResponderScript& a, const scenario::ResponderScript& b) {
                     return a.at_s() < b.at_s();
                   });
  const bool unsync = options.unsynchronized();
  system_.leap = unsync ? ntp::Leap::kUnsynchronized : ntp::Leap::kNoWarning;
  system_.stratum = unsync ? ntp::kMaxStratum
                           : static_cast<int>(options.has_stratum() ? options.stratum() : 1);
  // The loader admits only refids RefIdFromAscii accepts (scenario_loader.cc).
  system_.reference_id = options.refid().empty()
                             ? kDefaultRefId
                             : ntp::RefIdFromAscii(options.refid()).value_or(kDefaultRefId);
  system_.precision_log2 = ntp::PrecisionLog2(env.clock->Precision());
  system_.system_peer = unsync ? "" : "SIM(0)";
}

Responder::~Responder() { Stop(); }

absl::Status Responder::Start() {
  for (const net::IpAddress& ip : env_.addresses) {
    auto socket = env_.network->Bind(net::SocketAddress(ip, kNtpPort));
    if (!socket.ok()) {
      Stop();
      return socket.status();
    }
    net::DatagramSocket* raw = socket->get();
    raw->SetReceiveHandler(
        [this, raw](const net::ReceivedDatagram& d) { OnDatagram(raw, d); });
    sockets_.push_back(*std::move(socket));
  }
  return absl::OkStatus();
}

void Responder::Stop() { sockets_.clear(); }

scenario::ResponderScript Responder::ScriptNow() const {
  scenario::ResponderScript now;
  if (script_.empty() || !env_.true_time_s) return now;
  const double t = env_.true_time_s();
  for (const scenario::ResponderScript& s : script_) {
    if (s.at_s() > t) break;
    now.MergeFrom(s);
  }
  return now;
}

void Responder::ArmLeap(const scenario::ResponderScript& script) {
  if (!script.has_leap()) return;
  const clocks::LeapStatus want = script.leap() == 1   ? clocks::LeapStatus::kInsert
                                  : script.leap() == 2 ? clocks::LeapStatus::kDelete
                                                       : clocks::LeapStatus::kNone;
  if (want == armed_) return;
  clocks::ClockSyncStatus status;
  status.synchronized = true;
  status.leap = want;
  status.max_error = absl::Milliseconds(1);
  status.est_error = absl::Microseconds(1);
  if (env_.clock->SetSyncStatus(status).ok()) armed_ = want;
}

void Responder::OnDatagram(net::DatagramSocket* socket, const net::ReceivedDatagram& d) {
  const std::optional<ntp::NtpPacket> request = ParseMode(d.payload, ntp::Mode::kClient);
  if (!request.has_value()) return;
  const scenario::ResponderScript script = ScriptNow();
  ArmLeap(script);
  ntp::NtpPacket reply;
  reply.leap = static_cast<ntp::LeapIndicator>(system_.leap);
  reply.version = request->version;
  reply.mode = ntp::Mode::kServer;
  reply.stratum =
      static_cast<uint8_t>(system_.stratum >= ntp::kMaxStratum ? 0 : system_.stratum);
  reply.poll_log2_seconds = request->poll_log2_seconds;
  reply.precision_log2_seconds = system_.precision_log2;
  reply.root_dispersion = ntp::NtpShort::FromSeconds(0.0001);
  reply.reference_id = system_.reference_id;
  reply.origin_timestamp = request->transmit_timestamp;
  reply.receive_timestamp = ntp::NtpTimestamp::FromTime(d.rx_time);
  const absl::Time now = env_.clock->Now();
  reply.reference_timestamp = ntp::NtpTimestamp::FromTime(now - absl::Seconds(1));
  reply.transmit_timestamp = ntp::NtpTimestamp::FromTime(now);
  // Scripted wire fields.
  if (script.has_offset_s()) {
    const absl::Duration lie = absl::Seconds(script.offset_s());
    reply.receive_timestamp = ntp::NtpTimestamp::FromTime(d.rx_time + lie);
    reply.reference_timestamp = ntp::NtpTimestamp::FromTime(now + lie - absl::Seconds(1));
    reply.transmit_timestamp = ntp::NtpTimestamp::FromTime(now + lie);
  }
  if (script.has_leap()) reply.leap = static_cast<ntp::LeapIndicator>(script.leap() & 3);
  if (script.has_stratum()) reply.stratum = static_cast<uint8_t>(script.stratum());
  if (script.has_root_delay_s()) {
    reply.root_delay = ntp::NtpShort::FromSeconds(script.root_delay_s());
  }
  if (script.has_root_dispersion_s()) {
    reply.root_dispersion = ntp::NtpShort::FromSeconds(script.root_dispersion_s());
  }
  if (script.zero_timestamps()) {
    reply.receive_timestamp = ntp::NtpTimestamp();
    reply.transmit_timestamp = ntp::NtpTimestamp();
  }
  if (!script.kiss_code().empty()) {
    reply.stratum = 0;
    reply.leap = ntp::LeapIndicator::kUnsynchronized;
    reply.reference_id = ntp::RefIdFromAscii(script.kiss_code()).value_or(0);
  }
  std::vector<uint8_t> bytes(ntp::kNtpHeaderOctets);
  if (!ntp::SerializePacket(reply, absl::MakeSpan(bytes)).ok()) return;
  if (request->mac.has_value() && keys_ != nullptr) {
    // Answered under the request's key, or the script's other key ID.
    const uint32_t key_id = script.has_key_id() ? script.key_id() : request->mac->key_id;
    if (!keys_->Sign(key_id, &bytes).ok()) return;
  }
  if (socket->SendTo(bytes, d.source).ok()) ++answered_;
}

// ---------------------------------------------------------------------------
// Prober

Prober::Prober(const scenario::ProberOptions& options, const ProberFlags& flags,
               const SimHostEnvironment& env)
    : options_(options), flags_(flags), env_(env), rng_state_(env.random_seed) {
  system_.precision_log2 = ntp::PrecisionLog2(env.clock->Precision());
  const double poll_s = options_.has_poll_s() ? options_.poll_s() : 16;
  system_.poll_log2 = static_cast<int>(std::lround(std::log2(std::max(poll_s, 1.0))));
}

Prober::~Prober() { Stop(); }

absl::Status Prober::Start() {
  if (started_) return absl::FailedPreconditionError("prober already started");
  servers_.clear();
  for (const std::string& s : options_.servers()) {
    absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(s);
    if (!ip.ok()) return ip.status();
    Server server;
    server.address = net::SocketAddress(*ip, kNtpPort);
    server.name = ip->ToString();
    servers_.push_back(server);
  }
  if (servers_.empty()) return absl::InvalidArgumentError("prober has no servers");
  for (const Server& s : servers_) {
    auto& socket = s.address.ip().is_v4() ? socket_v4_ : socket_v6_;
    if (socket != nullptr) continue;
    auto bound = env_.network->Bind(net::SocketAddress(
        s.address.ip().is_v4() ? net::IpAddress::AnyV4() : net::IpAddress::AnyV6(), 0));
    if (!bound.ok()) {
      Stop();
      return bound.status();
    }
    socket = *std::move(bound);
    socket->SetReceiveHandler([this](const net::ReceivedDatagram& d) { OnDatagram(d); });
  }
  started_ = true;
  last_correction_ = env_.scheduler->Now();
  // First poll at a random instant within the first second.
  Rng rng(rng_state_);
  timer_ = env_.scheduler->RunAfter(absl::Nanoseconds(rng.UniformInt(1'000'000'000)),
                                    [this] { Poll(); });
  return absl::OkStatus();
}

void Prober::Stop() {
  if (timer_ != 0) env_.scheduler->Cancel(timer_);
  timer_ = 0;
  socket_v4_.reset();
  socket_v6_.reset();
  started_ = false;
}

void Prober::Emit(ntp::EventKind kind, const std::string& text) {
  if (env_.events != nullptr) env_.events->OnEvent(ntp::Event{kind, text});
}

void Prober::Exit(HostExit exit, ntp::EventKind kind, const std::string& text) {
  exit_ = exit;
  Emit(kind, text);
  Stop();
}

void Prober::Poll() {
  timer_ = 0;
  for (Server& s : servers_) {
    s.latest.reset();
    SendRequest(s);
  }
  const double poll_s = options_.has_poll_s() ? options_.poll_s() : 16;
  const absl::Time next = env_.scheduler->Now() + absl::Seconds(poll_s);
  if (options_.discipline() == scenario::ProberOptions::SIMPLE) {
    // Act on the round's replies shortly after they arrived, well before
    // the next round measures the result.
    timer_ = env_.scheduler->RunAfter(absl::Seconds(std::min(1.0, poll_s / 2)), [this, next] {
      timer_ = 0;
      Discipline();
      if (exit_ != HostExit::kRunning) return;
      timer_ = env_.scheduler->RunAt(next, [this] { Poll(); });
    });
    return;
  }
  timer_ = env_.scheduler->RunAt(next, [this] { Poll(); });
}

void Prober::SendRequest(Server& server) {
  auto& socket = server.address.ip().is_v4() ? socket_v4_ : socket_v6_;
  ntp::NtpPacket request;
  request.leap = synchronized_once_ ? ntp::LeapIndicator::kNoWarning
                                    : ntp::LeapIndicator::kUnsynchronized;
  request.mode = ntp::Mode::kClient;
  request.poll_log2_seconds = static_cast<int8_t>(system_.poll_log2);
  request.precision_log2_seconds = system_.precision_log2;
  server.t1 = env_.clock->Now();
  request.transmit_timestamp = ntp::NtpTimestamp::FromTime(server.t1);
  server.outstanding = request.transmit_timestamp;
  if (!SendPacket(*socket, request, server.address)) {
    server.outstanding.reset();
    return;
  }
  ++server.requests_sent;
}

std::vector<AssociationPoll> Prober::associations() const {
  std::vector<AssociationPoll> out;
  for (const Server& s : servers_) out.push_back({system_.poll_log2, s.requests_sent});
  return out;
}

void Prober::OnDatagram(const net::ReceivedDatagram& d) {
  const std::optional<ntp::NtpPacket> reply = ParseMode(d.payload, ntp::Mode::kServer);
  if (!reply.has_value()) return;
  for (Server& s : servers_) {
    if (s.address != d.source) continue;
    // RFC 5905 §8: the origin timestamp must match the request (bogus /
    // duplicate replies are dropped).
    if (!s.outstanding.has_value() || reply->origin_timestamp.raw() != s.outstanding->raw()) {
      return;
    }
    s.outstanding.reset();
    if (reply->stratum == 0) {
      Emit(ntp::EventKind::kKissOfDeath,
           absl::StrCat("kiss code ", ntp::RefIdToText(reply->reference_id), " from ",
                        s.address.ToString()));
      return;
    }
    if (reply->leap == ntp::LeapIndicator::kUnsynchronized) return;
    const ntp::NtpTimestamp t1 = ntp::NtpTimestamp::FromTime(s.t1);
    const ntp::NtpTimestamp t2 = reply->receive_timestamp;
    const ntp::NtpTimestamp t3 = reply->transmit_timestamp;
    const ntp::NtpTimestamp t4 = ntp::NtpTimestamp::FromTime(d.rx_time);
    ProbeSample sample;
    sample.server = s.address;
    sample.offset_s = (Seconds(t2 - t1) + Seconds(t3 - t4)) / 2;
    sample.delay_s = Seconds(t4 - t1) - Seconds(t3 - t2);
    sample.local_rx_time = d.rx_time;
    samples_.push_back(sample);
    const bool popcorn =
        !s.recent_delays_s.empty() &&
        sample.delay_s > 2 * *std::min_element(s.recent_delays_s.begin(),
                                               s.recent_delays_s.end()) + 100e-6;
    s.recent_delays_s.push_back(sample.delay_s);
    if (s.recent_delays_s.size() > 8) s.recent_delays_s.erase(s.recent_delays_s.begin());
    if (popcorn) return;
    s.latest = sample;
    s.stratum = reply->stratum;
    if (options_.discipline() == scenario::ProberOptions::NONE) {
      system_.offset_seconds = sample.offset_s;
      if (system_.system_peer != s.name) system_.system_peer = s.name;
      system_.stratum = std::min(reply->stratum + 1, ntp::kMaxStratum);
    }
    return;
  }
}

void Prober::Discipline() {
  // The median of this round's offsets (a crude guard against one
  // falseticker among three or more servers).
  std::vector<std::pair<double, size_t>> offsets;
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i].latest.has_value()) offsets.push_back({servers_[i].latest->offset_s, i});
  }
  if (offsets.empty()) return;
  std::sort(offsets.begin(), offsets.end());
  const size_t chosen = offsets[(offsets.size() - 1) / 2].second;
  const ProbeSample sample = *servers_[chosen].latest;
  const uint8_t stratum = servers_[chosen].stratum;
  for (Server& s : servers_) s.latest.reset();
  Correct(sample, servers_[chosen].name, stratum);
}

void Prober::Correct(const ProbeSample& sample, const std::string& server,
                     uint8_t stratum) {
  const double theta = sample.offset_s;
  const double step_threshold =
      options_.has_step_threshold_s() ? options_.step_threshold_s() : 0.128;
  const double panic_threshold =
      options_.has_panic_threshold_s() ? options_.panic_threshold_s() : 1000;
  const bool first = !synchronized_once_;
  if (panic_threshold > 0 && std::fabs(theta) > panic_threshold &&
      !(first && flags_.allow_big_first_step)) {
    Exit(HostExit::kPanic, ntp::EventKind::kPanic,
         absl::StrFormat("%+.6f s; set clock manually within %.0f s.", theta,
                         panic_threshold));
    return;
  }
  const absl::Time now = env_.scheduler->Now();
  const double interval_s = absl::ToDoubleSeconds(now - last_correction_);
  const bool may_step = !flags_.never_step;
  if (std::fabs(theta) > step_threshold && may_step) {
    if (!first && ++spikes_ < 2) return;  // a single spike is ignored
    spikes_ = 0;
    if (env_.clock->StepBy(absl::Seconds(theta)).ok()) {
      ++steps_;
      Emit(ntp::EventKind::kClockStep,
           absl::StrFormat("step time server %s offset %+.6f s", server, theta));
    }
  } else {
    spikes_ = 0;
    // The part of the previous slew not applied yet is still in theta; what
    // is left once it completes (theta - remaining) accrued from the
    // frequency error over the interval.
    const absl::StatusOr<clocks::ClockStatus> status = env_.clock->ReadStatus();
    const double remaining_s =
        status.ok() ? absl::ToDoubleSeconds(status->slew_remaining) : 0.0;
    if (std::fabs(theta) <= 2000) (void)env_.clock->SlewBy(absl::Seconds(theta));
    if (!first && interval_s > 0) {
      const double gain = options_.has_frequency_gain() ? options_.frequency_gain() : 0.3;
      frequency_ppm_ = std::clamp(frequency_ppm_ + gain * (theta - remaining_s) / interval_s * 1e6,
                                  -clocks::kMaxFrequencyPpm, clocks::kMaxFrequencyPpm);
      (void)env_.clock->SetFrequencyPpm(frequency_ppm_);
    }
  }
  last_correction_ = now;
  if (server != system_.system_peer) {
    Emit(ntp::EventKind::kSync, absl::StrCat("new system peer ", server));
    system_.system_peer = server;
  }
  synchronized_once_ = true;
  system_.offset_seconds = theta;
  system_.frequency_ppm = frequency_ppm_;
  system_.leap = ntp::Leap::kNoWarning;
  system_.stratum = std::min(stratum + 1, ntp::kMaxStratum);
  (void)env_.clock->SetSyncStatus(clocks::ClockSyncStatus{
      .synchronized = true,
      .leap = clocks::LeapStatus::kNone,
      .max_error = absl::Seconds(sample.delay_s / 2 + 0.001),
      .est_error = absl::Seconds(std::fabs(theta))});
  if (flags_.set_once_and_exit) {
    Exit(HostExit::kDone, ntp::EventKind::kExit, absl::StrFormat("time set %+.6fs", theta));
  }
}

SimHostFactories BuiltinHostFactories() {
  SimHostFactories factories;
  factories[scenario::RESPONDER] = [](const scenario::Host& host, const SimHostEnvironment& env)
      -> absl::StatusOr<std::unique_ptr<SimHost>> {
    std::unique_ptr<ntp::ClientAuthenticator> keys;
    if (!host.responder().keys_file().empty()) {
      auto file = host.files().find(host.responder().keys_file());
      if (file == host.files().end()) {
        return absl::NotFoundError(absl::StrCat("keys_file \"", host.responder().keys_file(),
                                                "\" is not in the host's files"));
      }
      ntp::ParsedKeysFile parsed = ntp::ParseKeysFile(file->first, file->second);
      if (parsed.HasErrors()) {
        return absl::InvalidArgumentError(parsed.diagnostics.front().ToString());
      }
      absl::StatusOr<std::unique_ptr<ntp::ClientAuthenticator>> auth =
          ntp::ClientAuthenticator::Create(&parsed.keys);
      if (!auth.ok()) return auth.status();
      keys = *std::move(auth);
    }
    return std::make_unique<Responder>(host.responder(), env, std::move(keys));
  };
  factories[scenario::ATTACKER] = AttackerHostFactory();
  factories[scenario::PROBER] = [](const scenario::Host& host, const SimHostEnvironment& env)
      -> absl::StatusOr<std::unique_ptr<SimHost>> {
    absl::StatusOr<ProberFlags> flags = ParseDaemonFlags(
        std::vector<std::string>(host.flags().begin(), host.flags().end()));
    if (!flags.ok()) return flags.status();
    return std::make_unique<Prober>(host.prober(), *flags, env);
  };
  return factories;
}

}  // namespace sim
