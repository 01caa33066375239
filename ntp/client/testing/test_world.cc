#include "ntp/client/testing/test_world.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/refid.h"

namespace ntp::testing {
namespace {

// Wall-clock time at true time 0: 2024-01-01T00:00:00Z.
const absl::Time kEpoch = absl::FromUnixSeconds(1704067200);

}  // namespace

double Gaussian::Next() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = rng_.Uniform();
  const double u2 = rng_.Uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(2 * M_PI * u2);
  has_spare_ = true;
  return r * std::cos(2 * M_PI * u2);
}

double Gaussian::Exponential(double mean) {
  return -mean * std::log(1.0 - rng_.Uniform());
}

ModelClock::ModelClock(clocks::ManualScheduler* scheduler, const ModelClockParams& params)
    : scheduler_(scheduler),
      params_(params),
      noise_(params.seed),
      start_(scheduler->Now()),
      offset_(params.offset_seconds),
      osc_ppm_(params.freq_ppm) {}

void ModelClock::Advance() {
  const double now = absl::ToDoubleSeconds(scheduler_->Now() - start_);
  while (t_ < now) {
    const bool wander = params_.wander_ppm_per_sqrt_s > 0;
    const double end = wander ? std::min(now, next_wander_) : now;
    const double dt = end - t_;
    const double du = dt * (1 + osc_ppm_ * 1e-6);
    double advance = du * (1 + (frozen_ ? 0.0 : freq_ppm_) * 1e-6);
    const double max_slew = clocks::kSlewRatePpm * 1e-6 * du;
    const double slew = std::clamp(slew_remaining_, -max_slew, max_slew);
    slew_remaining_ -= slew;
    if (!frozen_) advance += slew;
    offset_ += advance - dt;
    t_ = end;
    if (wander && end >= next_wander_) {
      osc_ppm_ += params_.wander_ppm_per_sqrt_s * noise_.Next();
      next_wander_ += 1.0;
    }
  }
}

absl::Time ModelClock::Now() {
  Advance();
  return kEpoch + absl::Seconds(t_) + absl::Seconds(offset_);
}

double ModelClock::TrueOffset() {
  Advance();
  return offset_;
}

void ModelClock::Inject(double seconds) {
  Advance();
  offset_ += seconds;
}

absl::StatusOr<absl::Duration> ModelClock::StepBy(absl::Duration offset) {
  Advance();
  ++steps_;
  step_amounts_.push_back(absl::ToDoubleSeconds(offset));
  if (frozen_) return offset;
  offset_ += absl::ToDoubleSeconds(offset);
  slew_remaining_ = 0;
  return offset;
}

absl::StatusOr<absl::Duration> ModelClock::SlewBy(absl::Duration offset) {
  Advance();
  slew_remaining_ = absl::ToDoubleSeconds(offset);
  return offset;
}

absl::StatusOr<double> ModelClock::SetFrequencyPpm(double ppm) {
  if (!(std::fabs(ppm) <= params_.max_frequency_ppm)) {
    return absl::InvalidArgumentError("frequency out of range");
  }
  Advance();
  freq_ppm_ = ppm;
  return ppm;
}

absl::Status ModelClock::SetSyncStatus(const clocks::ClockSyncStatus& status) {
  sync_ = status;
  return absl::OkStatus();
}

absl::StatusOr<clocks::ClockStatus> ModelClock::ReadStatus() {
  Advance();
  clocks::ClockStatus s;
  s.frequency_ppm = freq_ppm_;
  s.slew_remaining = absl::Seconds(slew_remaining_);
  s.sync = sync_;
  s.state = clocks::KernelTimeState::kOk;
  return s;
}

// --- network ---------------------------------------------------------------

class ModelNetwork::Socket final : public net::DatagramSocket {
 public:
  Socket(ModelNetwork* network, net::SocketAddress local) : network_(network), local_(local) {}
  ~Socket() override { network_->sockets_.erase(local_); }
  net::SocketAddress local_address() const override { return local_; }
  absl::Status SendTo(absl::Span<const uint8_t> payload, const net::SocketAddress& to) override {
    network_->Send(local_, to, payload);
    return absl::OkStatus();
  }
  void SetReceiveHandler(ReceiveHandler handler) override { handler_ = std::move(handler); }
  void Receive(const net::ReceivedDatagram& d) {
    if (handler_) handler_(d);
  }

 private:
  ModelNetwork* const network_;
  const net::SocketAddress local_;
  ReceiveHandler handler_;
};

class ModelNetwork::HostNetwork final : public net::Network {
 public:
  HostNetwork(ModelNetwork* network, net::IpAddress ip, clocks::Clock* clock)
      : network_(network), ip_(ip), clock_(clock) {}
  absl::StatusOr<std::unique_ptr<net::DatagramSocket>> Bind(
      const net::SocketAddress& local) override {
    net::IpAddress ip = local.ip().IsUnspecified() ? ip_ : local.ip();
    if (!(ip == ip_)) return absl::NotFoundError("address not on this host");
    uint16_t port = local.port();
    if (port == 0) {
      port = next_port_;
      next_port_ = next_port_ >= 60999 ? 32768 : next_port_ + 1;
    }
    const net::SocketAddress bound(ip, port);
    if (network_->sockets_.contains(bound)) {
      return absl::AlreadyExistsError(absl::StrCat("bind ", bound.ToString(), ": in use"));
    }
    auto socket = std::make_unique<Socket>(network_, bound);
    network_->sockets_[bound] = socket.get();
    return std::unique_ptr<net::DatagramSocket>(std::move(socket));
  }
  clocks::Clock* clock() const { return clock_; }

 private:
  ModelNetwork* const network_;
  const net::IpAddress ip_;
  clocks::Clock* const clock_;
  uint16_t next_port_ = 40000;
};

ModelNetwork::~ModelNetwork() {
  for (clocks::TimerId id : pending_) scheduler_->Cancel(id);
}

net::Network* ModelNetwork::AddHost(const net::IpAddress& ip, clocks::Clock* clock) {
  auto host = std::make_shared<HostNetwork>(this, ip, clock);
  net::Network* view = host.get();
  hosts_[ip] = std::move(host);
  return view;
}

void ModelNetwork::SetLink(const net::IpAddress& from, const net::IpAddress& to,
                           const LinkParams& p) {
  links_[{from, to}] = p;
}

LinkParams& ModelNetwork::Link(const net::IpAddress& from, const net::IpAddress& to) {
  return links_[{from, to}];
}

void ModelNetwork::Send(const net::SocketAddress& from, const net::SocketAddress& to,
                        absl::Span<const uint8_t> payload) {
  std::vector<uint8_t> bytes(payload.begin(), payload.end());
  sent_.push_back(Sent{from, to, bytes, scheduler_->Now()});
  const LinkParams& link = links_[{from.ip(), to.ip()}];
  // Draw every random number whether or not it is used, so that changing
  // one parameter does not reshuffle the others.
  const double loss_draw = noise_.Uniform();
  const double jitter = noise_.Exponential(1.0);
  const double pareto_u = noise_.Uniform();
  if (link.down || loss_draw < link.loss) return;
  double delay = link.delay_seconds + link.jitter_mean_seconds * jitter;
  if (link.pareto_scale_seconds > 0) {
    delay += link.pareto_scale_seconds * (std::pow(1.0 - pareto_u, -1.0 / 1.5) - 1.0);
  }
  pending_.push_back(scheduler_->RunAfter(
      absl::Seconds(delay),
      [this, from, to, bytes = std::move(bytes)] { Deliver(from, to, bytes); }));
  if (pending_.size() > 1024) pending_.erase(pending_.begin(), pending_.begin() + 512);
}

void ModelNetwork::Inject(const net::SocketAddress& from, const net::SocketAddress& to,
                          std::vector<uint8_t> payload, absl::Duration delay) {
  pending_.push_back(scheduler_->RunAfter(
      delay, [this, from, to, bytes = std::move(payload)] { Deliver(from, to, bytes); }));
}

void ModelNetwork::Deliver(const net::SocketAddress& from, const net::SocketAddress& to,
                           const std::vector<uint8_t>& payload) {
  auto it = sockets_.find(to);
  if (it == sockets_.end()) return;
  auto host = hosts_.find(to.ip());
  net::ReceivedDatagram d;
  d.payload = absl::MakeConstSpan(payload);
  d.source = from;
  d.destination = to;
  d.rx_time = host != hosts_.end() ? host->second->clock()->Now() : scheduler_->Now();
  d.rx_source = net::RxTimestampSource::kSimulated;
  it->second->Receive(d);
}

// --- server ----------------------------------------------------------------

TestServer::TestServer(net::Network* network, clocks::Clock* clock,
                       const net::IpAddress& ip, uint16_t port)
    : clock_(clock) {
  absl::StatusOr<std::unique_ptr<net::DatagramSocket>> s =
      network->Bind(net::SocketAddress(ip, port));
  if (s.ok()) {
    socket_ = std::move(*s);
    socket_->SetReceiveHandler([this](const net::ReceivedDatagram& d) { OnRequest(d); });
  }
}

void TestServer::OnRequest(const net::ReceivedDatagram& d) {
  ++requests_;
  request_bytes_.emplace_back(d.payload.begin(), d.payload.end());
  request_sources_.push_back(d.source);
  if (params_.silent) return;
  WireResult<NtpPacket, PacketError> parsed = ParsePacket(d.payload);
  if (!parsed.ok() || parsed->mode != Mode::kClient) return;
  const NtpPacket& request = *parsed;
  NtpPacket reply;
  if (params_.kiss.has_value()) {
    absl::StatusOr<uint32_t> code = RefIdFromAscii(*params_.kiss);
    reply = MakeKissOfDeath(request, KissCodeFromRefId(code.ok() ? *code : 0),
                            Mode::kServer, params_.kiss_poll);
    reply.reference_id = code.ok() ? *code : 0;
  } else {
    const absl::Duration lie = absl::Seconds(params_.extra_offset_seconds);
    reply.leap = params_.leap;
    reply.version = request.version;
    reply.mode = Mode::kServer;
    reply.stratum = static_cast<uint8_t>(params_.stratum);
    reply.poll_log2_seconds = std::max<int8_t>(request.poll_log2_seconds, 3);
    reply.precision_log2_seconds = params_.precision_log2;
    reply.root_delay = NtpShort::FromSeconds(params_.root_delay_seconds);
    reply.root_dispersion = NtpShort::FromSeconds(params_.root_dispersion_seconds);
    reply.reference_id = params_.reference_id;
    reply.origin_timestamp = request.transmit_timestamp;
    if (params_.bad_origin) {
      reply.origin_timestamp = NtpTimestamp::FromRaw(request.transmit_timestamp.raw() ^ 0x5555);
    }
    reply.receive_timestamp = NtpTimestamp::FromTime(d.rx_time + lie);
    const absl::Time t3 = clock_->Now() + lie;
    reply.reference_timestamp = NtpTimestamp::FromTime(t3 - absl::Seconds(16));
    reply.transmit_timestamp = NtpTimestamp::FromTime(t3 + absl::Nanoseconds(1));
  }
  std::vector<uint8_t> bytes(kNtpHeaderOctets);
  if (!SerializePacket(reply, absl::MakeSpan(bytes)).ok()) return;
  if (params_.signer != nullptr && !params_.signer->Sign(params_.sign_key_id, &bytes).ok()) {
    return;
  }
  (void)socket_->SendTo(bytes, d.source);
}

OffsetStats RunAndMeasure(clocks::ManualScheduler* scheduler, ModelClock* clock,
                          double duration_seconds, double threshold_seconds) {
  OffsetStats stats;
  const absl::Time start = scheduler->Now();
  const int n = static_cast<int>(duration_seconds);
  stats.offsets.reserve(n);
  for (int k = 1; k <= n; ++k) {
    scheduler->AdvanceTo(start + absl::Seconds(k));
    stats.offsets.push_back(clock->TrueOffset());
  }
  int last_bad = -1;
  for (int k = 0; k < n; ++k) {
    if (std::fabs(stats.offsets[k]) > threshold_seconds) last_bad = k;
  }
  if (n > 0) stats.final_offset_seconds = stats.offsets.back();
  if (last_bad + 1 < n) {
    stats.converge_seconds = last_bad + 2;  // sample k is taken at k+1 s
    double sum = 0;
    int count = 0;
    for (int k = last_bad + 1; k < n; ++k) {
      sum += stats.offsets[k] * stats.offsets[k];
      stats.max_abs_after_converge_seconds =
          std::max(stats.max_abs_after_converge_seconds, std::fabs(stats.offsets[k]));
      ++count;
    }
    stats.rms_seconds = std::sqrt(sum / count);
  }
  return stats;
}

}  // namespace ntp::testing
