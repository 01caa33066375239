#include "sim/attacker.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/ntp_time.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"

namespace sim {
namespace {

constexpr uint16_t kNtpPort = 123;
// A MAC trailer: key ID and a 16-octet (MD5-sized) digest.
constexpr size_t kMacDigestOctets = 16;

}  // namespace

Attacker::Attacker(const scenario::AttackerOptions& options, const SimHostEnvironment& env)
    : options_(options), env_(env), rng_(env.random_seed) {}

Attacker::~Attacker() { Stop(); }

absl::Status Attacker::Start() {
  if (started_) return absl::FailedPreconditionError("attacker already started");
  absl::StatusOr<net::IpAddress> victim = net::IpAddress::Parse(options_.victim());
  absl::StatusOr<net::IpAddress> server = net::IpAddress::Parse(options_.impersonate());
  if (!victim.ok() || !server.ok()) {
    return absl::InvalidArgumentError("attacker: victim and impersonate must be addresses");
  }
  if (!env_.spoof || !env_.tap || !env_.true_time_s) {
    return absl::FailedPreconditionError("attacker: the simulator gives no spoofing seam");
  }
  victim_ = *victim;
  server_ = net::SocketAddress(*server, kNtpPort);
  started_ = true;
  if (options_.mode() == scenario::AttackerOptions::OFF_PATH) {
    const double rate = options_.has_rate_per_s() ? options_.rate_per_s() : 10;
    guess_timer_ = env_.scheduler->RunAfter(absl::Seconds(1 / std::max(rate, 1e-6)),
                                            [this] { Guess(); });
  } else {
    env_.tap(victim_, 0,
             [this](const net::SocketAddress& source, const net::SocketAddress& destination,
                    absl::Span<const uint8_t> payload) {
               OnTapped(source, destination, payload);
             });
  }
  return absl::OkStatus();
}

void Attacker::Stop() {
  if (!started_) return;
  started_ = false;
  if (guess_timer_ != 0) env_.scheduler->Cancel(guess_timer_);
  guess_timer_ = 0;
  for (clocks::TimerId id : pending_) env_.scheduler->Cancel(id);
  pending_.clear();
  if (options_.mode() != scenario::AttackerOptions::OFF_PATH) env_.tap(victim_, 0, nullptr);
}

bool Attacker::Active() const {
  const double t = env_.true_time_s();
  return t >= options_.start_s() && (!options_.has_stop_s() || t < options_.stop_s());
}

std::vector<uint8_t> Attacker::Forge(uint64_t origin) {
  ntp::NtpPacket reply;
  reply.version = 4;
  reply.mode = ntp::Mode::kServer;
  reply.poll_log2_seconds = 6;
  reply.precision_log2_seconds = -20;
  reply.origin_timestamp = ntp::NtpTimestamp::FromRaw(origin);
  if (!options_.kiss_code().empty()) {
    reply.leap = ntp::LeapIndicator::kUnsynchronized;
    reply.stratum = 0;
    reply.reference_id = ntp::RefIdFromAscii(options_.kiss_code()).value_or(0);
    // RATE kisses carry a large poll to slow the victim down as far as it
    // lets them.
    reply.poll_log2_seconds = 17;
  } else {
    reply.leap = ntp::LeapIndicator::kNoWarning;
    reply.stratum = 1;
    reply.reference_id = ntp::AsciiRefId("GPS");
    reply.root_dispersion = ntp::NtpShort::FromSeconds(0.0001);
    const absl::Time now = env_.clock->Now() + absl::Seconds(options_.offset_s());
    reply.reference_timestamp = ntp::NtpTimestamp::FromTime(now - absl::Seconds(1));
    reply.receive_timestamp = ntp::NtpTimestamp::FromTime(now);
    reply.transmit_timestamp = ntp::NtpTimestamp::FromTime(now);
  }
  std::vector<uint8_t> bytes(ntp::kNtpHeaderOctets);
  if (!ntp::SerializePacket(reply, absl::MakeSpan(bytes)).ok()) return {};
  if (options_.has_mac_key_id()) {
    const uint32_t key = options_.mac_key_id();
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(uint8_t(key >> shift));
    for (size_t i = 0; i < kMacDigestOctets; ++i) bytes.push_back(uint8_t(rng_()));
  }
  return bytes;
}

void Attacker::Inject(std::vector<uint8_t> bytes, const net::SocketAddress& to,
                      double after_s) {
  if (bytes.empty()) return;
  auto send = [this, bytes = std::move(bytes), to] {
    if (env_.spoof(server_, bytes, to).ok()) ++forged_;
  };
  if (after_s <= 0) {
    send();
    return;
  }
  // Forget timers that have run (their ids are no longer pending).
  if (pending_.size() > 64) pending_.erase(pending_.begin(), pending_.end() - 32);
  pending_.push_back(env_.scheduler->RunAfter(absl::Seconds(after_s), std::move(send)));
}

void Attacker::OnTapped(const net::SocketAddress& source,
                        const net::SocketAddress& destination,
                        absl::Span<const uint8_t> payload) {
  if (!started_ || !Active()) return;
  if (options_.mode() == scenario::AttackerOptions::REPLAY) {
    // A genuine reply of the server to the victim, sent again later.
    if (!(source == server_) || !(destination.ip() == victim_)) return;
    const double delay = options_.has_replay_delay_s() ? options_.replay_delay_s() : 1;
    Inject(std::vector<uint8_t>(payload.begin(), payload.end()), destination, delay);
    return;
  }
  // ON_PATH: a request of the victim to the server, answered first.
  if (!(source.ip() == victim_) || !(destination == server_)) return;
  ntp::WireResult<ntp::NtpPacket, ntp::PacketError> request = ntp::ParsePacket(payload);
  if (!request.ok() || request->mode != ntp::Mode::kClient) return;
  uint64_t origin = request->transmit_timestamp.raw();
  if (options_.wrong_origin()) origin ^= (rng_() | 1);
  const double delay = options_.has_reply_delay_s() ? options_.reply_delay_s() : 0.0001;
  Inject(Forge(origin), source, delay);
}

void Attacker::Guess() {
  guess_timer_ = 0;
  if (!started_) return;
  if (Active()) {
    const uint32_t lo = options_.has_port_min() ? options_.port_min() : 32768;
    const uint32_t hi = std::max(lo, options_.has_port_max() ? options_.port_max() : 32868);
    const uint16_t port = static_cast<uint16_t>(lo + rng_.UniformInt(hi - lo + 1));
    Inject(Forge(rng_()), net::SocketAddress(victim_, port), 0);
  }
  const double rate = options_.has_rate_per_s() ? options_.rate_per_s() : 10;
  guess_timer_ = env_.scheduler->RunAfter(absl::Seconds(1 / std::max(rate, 1e-6)),
                                          [this] { Guess(); });
}

SimHostFactory AttackerHostFactory() {
  return [](const scenario::Host& host,
            const SimHostEnvironment& env) -> absl::StatusOr<std::unique_ptr<SimHost>> {
    return std::make_unique<Attacker>(host.attacker(), env);
  };
}

}  // namespace sim
