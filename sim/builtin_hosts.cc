#include "sim/builtin_hosts.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/random.h"

namespace sim {
namespace {

// RFC 5905 §7.3 header layout (48 octets).
constexpr size_t kHeaderOctets = 48;
constexpr uint8_t kModeClient = 3;
constexpr uint8_t kModeServer = 4;
constexpr uint8_t kVersion = 4;
constexpr uint16_t kNtpPort = 123;

struct RawPacket {
  uint8_t leap = 0;
  uint8_t version = kVersion;
  uint8_t mode = kModeClient;
  uint8_t stratum = 0;
  int8_t poll = 0;
  int8_t precision = 0;
  uint32_t root_delay = 0;
  uint32_t root_dispersion = 0;
  uint32_t reference_id = 0;
  uint64_t reference = 0;
  uint64_t origin = 0;
  uint64_t receive = 0;
  uint64_t transmit = 0;
};

void Put32(uint8_t* p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}
void Put64(uint8_t* p, uint64_t v) {
  Put32(p, static_cast<uint32_t>(v >> 32));
  Put32(p + 4, static_cast<uint32_t>(v));
}
uint32_t Get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint64_t Get64(const uint8_t* p) { return (uint64_t{Get32(p)} << 32) | Get32(p + 4); }

std::array<uint8_t, kHeaderOctets> Encode(const RawPacket& r) {
  std::array<uint8_t, kHeaderOctets> b{};
  b[0] = static_cast<uint8_t>((r.leap << 6) | ((r.version & 7) << 3) | (r.mode & 7));
  b[1] = r.stratum;
  b[2] = static_cast<uint8_t>(r.poll);
  b[3] = static_cast<uint8_t>(r.precision);
  Put32(&b[4], r.root_delay);
  Put32(&b[8], r.root_dispersion);
  Put32(&b[12], r.reference_id);
  Put64(&b[16], r.reference);
  Put64(&b[24], r.origin);
  Put64(&b[32], r.receive);
  Put64(&b[40], r.transmit);
  return b;
}

std::optional<RawPacket> Decode(absl::Span<const uint8_t> b) {
  if (b.size() < kHeaderOctets) return std::nullopt;
  RawPacket r;
  r.leap = b[0] >> 6;
  r.version = (b[0] >> 3) & 7;
  r.mode = b[0] & 7;
  r.stratum = b[1];
  r.poll = static_cast<int8_t>(b[2]);
  r.precision = static_cast<int8_t>(b[3]);
  r.root_delay = Get32(&b[4]);
  r.root_dispersion = Get32(&b[8]);
  r.reference_id = Get32(&b[12]);
  r.reference = Get64(&b[16]);
  r.origin = Get64(&b[24]);
  r.receive = Get64(&b[32]);
  r.transmit = Get64(&b[40]);
  if (r.version < 1 || r.version > 4) return std::nullopt;
  return r;
}

int8_t PrecisionLog2(absl::Duration precision) {
  const double seconds = std::max(absl::ToDoubleSeconds(precision), 1e-18);
  return static_cast<int8_t>(std::clamp(std::ceil(std::log2(seconds)), -127.0, 0.0));
}

uint32_t RefId(const std::string& text) {
  uint32_t id = 0;
  for (size_t i = 0; i < 4; ++i) {
    id = (id << 8) | (i < text.size() ? static_cast<uint8_t>(text[i]) : 0);
  }
  return id;
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

Responder::Responder(const scenario::ResponderOptions& options, const SimHostEnvironment& env)
    : env_(env) {
  const bool unsync = options.unsynchronized();
  system_.leap = unsync ? ntp::Leap::kUnsynchronized : ntp::Leap::kNoWarning;
  system_.stratum = unsync ? ntp::kMaxStratum
                           : static_cast<int>(options.has_stratum() ? options.stratum() : 1);
  system_.reference_id = RefId(options.refid().empty() ? "SIM" : options.refid());
  system_.precision_log2 = PrecisionLog2(env.clock->Precision());
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

void Responder::OnDatagram(net::DatagramSocket* socket, const net::ReceivedDatagram& d) {
  const std::optional<RawPacket> request = Decode(d.payload);
  if (!request.has_value() || request->mode != kModeClient) return;
  RawPacket reply;
  reply.leap = static_cast<uint8_t>(system_.leap);
  reply.version = request->version;
  reply.mode = kModeServer;
  reply.stratum = system_.stratum >= ntp::kMaxStratum ? 0 : system_.stratum;
  reply.poll = request->poll;
  reply.precision = system_.precision_log2;
  reply.root_dispersion = ntp::NtpShort::FromSeconds(0.0001).raw();
  reply.reference_id = system_.reference_id;
  reply.origin = request->transmit;
  reply.receive = ntp::NtpTimestamp::FromTime(d.rx_time).raw();
  const absl::Time now = env_.clock->Now();
  reply.reference = ntp::NtpTimestamp::FromTime(now - absl::Seconds(1)).raw();
  reply.transmit = ntp::NtpTimestamp::FromTime(now).raw();
  const auto bytes = Encode(reply);
  if (socket->SendTo(bytes, d.source).ok()) ++answered_;
}

// ---------------------------------------------------------------------------
// Prober

Prober::Prober(const scenario::ProberOptions& options, const ProberFlags& flags,
               const SimHostEnvironment& env)
    : options_(options), flags_(flags), env_(env), rng_state_(env.random_seed) {
  system_.precision_log2 = PrecisionLog2(env.clock->Precision());
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
  RawPacket request;
  request.leap = synchronized_once_ ? 0 : 3;
  request.mode = kModeClient;
  request.poll = static_cast<int8_t>(system_.poll_log2);
  request.precision = system_.precision_log2;
  server.t1 = env_.clock->Now();
  const ntp::NtpTimestamp transmit = ntp::NtpTimestamp::FromTime(server.t1);
  request.transmit = transmit.raw();
  server.outstanding = transmit;
  if (!socket->SendTo(Encode(request), server.address).ok()) server.outstanding.reset();
}

void Prober::OnDatagram(const net::ReceivedDatagram& d) {
  const std::optional<RawPacket> reply = Decode(d.payload);
  if (!reply.has_value() || reply->mode != kModeServer) return;
  for (Server& s : servers_) {
    if (s.address != d.source) continue;
    // RFC 5905 §8: the origin timestamp must match the request (bogus /
    // duplicate replies are dropped).
    if (!s.outstanding.has_value() || reply->origin != s.outstanding->raw()) return;
    s.outstanding.reset();
    if (reply->stratum == 0) {
      Emit(ntp::EventKind::kKissOfDeath,
           absl::StrCat("kiss code ", std::string{static_cast<char>(reply->reference_id >> 24),
                                                  static_cast<char>(reply->reference_id >> 16),
                                                  static_cast<char>(reply->reference_id >> 8),
                                                  static_cast<char>(reply->reference_id)},
                        " from ", s.address.ToString()));
      return;
    }
    if (reply->leap == 3) return;  // server not synchronised
    const ntp::NtpTimestamp t1 = ntp::NtpTimestamp::FromTime(s.t1);
    const ntp::NtpTimestamp t2 = ntp::NtpTimestamp::FromRaw(reply->receive);
    const ntp::NtpTimestamp t3 = ntp::NtpTimestamp::FromRaw(reply->transmit);
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
    return std::make_unique<Responder>(host.responder(), env);
  };
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
