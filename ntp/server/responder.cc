#include "ntp/server/responder.h"

#include <algorithm>
#include <utility>

#include "ntp/wire/big_endian.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"

namespace ntp {
namespace {

// RFC 5905 §7.3, Figure 8: octet offset of the transmit timestamp.
constexpr size_t kTransmitOffset = 40;
constexpr size_t kRootDispersionOffset = 8;

bool IsMulticastOrBroadcast(const net::IpAddress& a) {
  if (a.is_v4()) {
    const uint32_t v = a.v4();
    return (v >> 28) == 0xE || v == 0xFFFFFFFFu;  // 224.0.0.0/4, limited bcast
  }
  return a.bytes()[0] == 0xFF;  // ff00::/8
}

// RFC 5905 §7.3: stratum 16 (unsynchronised) is sent as 0.
// The era pivot for turning served timestamps into UTC days (RFC 5905 §6;
// the client's kEraPivotUnixSeconds, 2026-01-01).
constexpr int64_t kLeapSmearEraPivot = 1767225600;

uint8_t StratumToPacket(const SystemVariables& system) {
  if (!system.synchronized() || system.stratum <= 0 ||
      system.stratum >= kMaxStratum) {
    return 0;
  }
  return static_cast<uint8_t>(system.stratum);
}

// Root dispersion grows by PHI per second since the last update (RFC 5905
// §11.2 / ntpd adj_host_clock()): announced = value at reference time +
// PHI * (T2 - reference time).
NtpShort AgedRootDispersion(const SystemVariables& system, NtpTimestamp t2,
                            double phi_ppm) {
  if (!system.synchronized() || system.reference_time.IsZero()) {
    return system.root_dispersion;
  }
  const int64_t age_raw = (t2 - system.reference_time).raw();  // 2^-32 s
  if (age_raw <= 0) return system.root_dispersion;
  // 2^-32 s -> 2^-16 s units, times PHI.
  const double add = static_cast<double>(age_raw) * (phi_ppm * 1e-6 / 65536.0);
  const double total = static_cast<double>(system.root_dispersion.raw()) + add;
  if (!(total < 4294967295.0)) return NtpShort::Max();
  return NtpShort::FromRaw(static_cast<uint32_t>(total));
}

// ntpsec leapsmearinterval: the correction (s) to the time served at `t`
// while an inserted (deleted) leap second at the next UTC midnight is
// smeared over the `interval` before it: 0 at its start, -1 (+1) s at the
// leap, when the server's own kernel inserts (deletes) the second.
double LeapSmear(const SystemVariables& system, NtpTimestamp t, double interval) {
  if (interval <= 0 || !system.synchronized() ||
      (system.leap != Leap::kInsertSecond && system.leap != Leap::kDeleteSecond)) {
    return 0;
  }
  const absl::Time now = t.ToTime(absl::FromUnixSeconds(kLeapSmearEraPivot));
  const int64_t second = absl::ToUnixSeconds(now);
  const int64_t leap = (second / 86400 + 1) * 86400;
  const double before = static_cast<double>(leap) - absl::ToDoubleSeconds(now - absl::UnixEpoch());
  if (before > interval) return 0;
  const double fraction = std::clamp(1.0 - before / interval, 0.0, 1.0);
  return system.leap == Leap::kInsertSecond ? -fraction : fraction;
}

int8_t ReplyPoll(int8_t request_poll, int average_log2) {
  const int floor = std::clamp(average_log2, -128, 127);
  return static_cast<int8_t>(std::max<int>(request_poll, floor));
}

}  // namespace

Responder::Responder(ResponderSettings settings,
                     std::unique_ptr<RequestAuthenticator> authenticator)
    : settings_(std::move(settings)),
      authenticator_(std::move(authenticator)),
      clients_(std::make_unique<ClientTable>(settings_.client_table_capacity,
                                             settings_.rate,
                                             settings_.hash_seed)) {
  std::sort(settings_.configured_peers.begin(), settings_.configured_peers.end());
}

Responder::~Responder() = default;

void Responder::Reconfigure(ResponderSettings settings) {
  settings.client_table_capacity = settings_.client_table_capacity;
  settings.hash_seed = settings_.hash_seed;
  settings_ = std::move(settings);
  std::sort(settings_.configured_peers.begin(), settings_.configured_peers.end());
  clients_->set_rate_settings(settings_.rate);
}

ServerOutcome Responder::Drop(ServerDropReason reason, RestrictMask flags) {
  ++counters_.drops[static_cast<size_t>(reason)];
  ServerOutcome out;
  out.action = ServerAction::kDrop;
  out.drop_reason = reason;
  out.restrictions = flags;
  return out;
}

ServerOutcome Responder::Reply(ServerReplyKind kind, size_t octets,
                               RestrictMask flags) {
  ++counters_.replies[static_cast<size_t>(kind)];
  ServerOutcome out;
  out.action = ServerAction::kReply;
  out.reply_kind = kind;
  out.reply_octets = octets;
  out.restrictions = flags;
  return out;
}

bool Responder::IsConfiguredPeer(const net::IpAddress& address) const {
  return std::binary_search(settings_.configured_peers.begin(),
                            settings_.configured_peers.end(), address);
}

ServerOutcome Responder::Handle(const ServerRequest& request,
                                const SystemVariables& system,
                                absl::Span<uint8_t> reply_buffer) {
  ++counters_.received;
  const absl::Span<const uint8_t> bytes = request.payload;

  // 1. Source checks (ntpd never answers port 0 or
  //    multicast sources).
  if (request.source.port() == 0) return Drop(ServerDropReason::kBadSourcePort, 0);
  if (bytes.empty()) return Drop(ServerDropReason::kEmpty, 0);
  if (IsMulticastOrBroadcast(request.source.ip())) {
    return Drop(ServerDropReason::kMulticastSource, 0);
  }

  // 2. restrict: the most specific entry decides.
  const RestrictMask flags =
      settings_.access.Lookup(request.source.ip(), request.source.port());
  if (flags & kRestrictIgnore) return Drop(ServerDropReason::kIgnored, flags);

  // 3. Modes 6 and 7 before anything else (classic order).
  const uint8_t mode = bytes[0] & 0x7;
  if (mode == static_cast<uint8_t>(Mode::kControl)) {
    if (flags & kRestrictNoQuery) return Drop(ServerDropReason::kNoQuery, flags);
    ++counters_.control_requests;
    ServerOutcome out;
    out.action = ServerAction::kControl;
    out.restrictions = flags;
    return out;
  }
  if (mode == static_cast<uint8_t>(Mode::kPrivate)) {
    return Drop((flags & kRestrictNoQuery) ? ServerDropReason::kNoQuery
                                           : ServerDropReason::kPrivateMode,
                flags);
  }

  // 4. noserve: time service denied.
  if (flags & kRestrictNoServe) return Drop(ServerDropReason::kNoServe, flags);

  // 5. Parse (length, version, extension fields / MAC split).
  WireResult<NtpPacket, PacketError> parsed = ParsePacket(bytes);
  if (!parsed.ok()) {
    switch (parsed.error()) {
      case PacketError::kTooShort:
        return Drop(ServerDropReason::kTooShort, flags);
      case PacketError::kBadVersion:
        return Drop(ServerDropReason::kBadVersion, flags);
      default:
        return Drop(ServerDropReason::kBadTrailer, flags);
    }
  }
  const NtpPacket& packet = *parsed;
  if ((flags & kRestrictVersion) && packet.version != kNtpVersion) {
    return Drop(ServerDropReason::kVersionRestricted, flags);
  }

  // 6. Dispatch on mode (RFC 5905 §9, Figure 20).
  bool is_client_request = packet.mode == Mode::kClient;
  if (packet.mode == Mode::kReserved) {
    // ntpd: an NTPv1 packet with mode 0 is a client request.
    if (packet.version != 1) return Drop(ServerDropReason::kUnexpectedMode, flags);
    is_client_request = true;
  }
  if (!is_client_request) {
    if (packet.mode == Mode::kSymmetricActive &&
        !IsConfiguredPeer(request.source.ip())) {
      // Never mobilise an association from an unknown symmetric peer.
      return Drop(ServerDropReason::kSymmetricUnknownPeer, flags);
    }
    ++counters_.client_packets;
    ServerOutcome out;
    out.action = ServerAction::kClientPacket;
    out.restrictions = flags;
    return out;
  }
  ++counters_.time_requests;

  // 7. notrust: a MAC is mandatory.
  const bool has_mac = packet.mac.has_value();
  if ((flags & kRestrictNoTrust) && !has_mac) {
    return Drop(ServerDropReason::kNotTrusted, flags);
  }

  const int8_t reply_poll =
      ReplyPoll(packet.poll_log2_seconds, settings_.rate.average_log2_seconds);

  // 8. Rate limiting (ntpd/ntp_monitor.c): the client table sees every request while
  //    monitoring is on; its verdict matters only with `limited`.
  const bool limited = (flags & kRestrictLimited) != 0;
  if (limited || settings_.monitor) {
    const RateVerdict verdict = clients_->Record(
        request.source.ip(), request.source.port(), mode, packet.version,
        request.monotonic_now);
    if (limited && verdict != RateVerdict::kAccept) {
      if (verdict == RateVerdict::kLimitedKod && (flags & kRestrictKod)) {
        if (!clients_->TakeKodToken(request.monotonic_now)) {
          return Drop(ServerDropReason::kKodRateLimited, flags);
        }
        const NtpPacket kod =
            MakeKissOfDeath(packet, KissCode::kRate, Mode::kServer, reply_poll);
        absl::StatusOr<size_t> n = SerializePacket(kod, reply_buffer);
        if (!n.ok()) return Drop(ServerDropReason::kInternalError, flags);
        if (*n > bytes.size()) return Drop(ServerDropReason::kWouldAmplify, flags);
        return Reply(ServerReplyKind::kKissOfDeath, *n, flags);
      }
      return Drop(ServerDropReason::kRateLimited, flags);
    }
  }

  // 9. Authentication (RFC 5905 §9.2; ntpd AUTH() rules).
  ServerReplyKind kind = ServerReplyKind::kPlain;
  uint32_t reply_key_id = 0;
  if (has_mac) {
    const MacTrailer& mac = *packet.mac;
    if (mac.IsCryptoNak()) return Drop(ServerDropReason::kCryptoNakRequest, flags);
    const RequestAuthResult auth =
        authenticator_ == nullptr
            ? RequestAuthResult::kUntrustedKey
            : authenticator_->Check(
                  mac.key_id, mac.digest,
                  bytes.first(AuthenticatedOctets(packet)), request.source.ip());
    switch (auth) {
      case RequestAuthResult::kOk:
        kind = ServerReplyKind::kAuthenticated;
        reply_key_id = mac.key_id;
        break;
      case RequestAuthResult::kUntrustedKey:
        kind = ServerReplyKind::kCryptoNak;
        break;
      case RequestAuthResult::kBadMac:
        return Drop(ServerDropReason::kBadMac, flags);
    }
  }

  // 10. The reply (RFC 5905 §7.3, §8).
  size_t reply_octets = kNtpHeaderOctets;
  if (kind == ServerReplyKind::kCryptoNak) reply_octets += kCryptoNakOctets;
  if (kind == ServerReplyKind::kAuthenticated) {
    reply_octets += authenticator_->MacOctets(reply_key_id);
  }
  if (reply_octets > bytes.size()) return Drop(ServerDropReason::kWouldAmplify, flags);
  if (reply_buffer.size() < reply_octets) {
    return Drop(ServerDropReason::kInternalError, flags);
  }

  NtpPacket reply;
  reply.leap = system.synchronized()
                   ? static_cast<LeapIndicator>(system.leap)
                   : LeapIndicator::kUnsynchronized;
  NtpDuration smear;
  if (settings_.leap_smear_seconds > 0 && system.synchronized()) {
    // A smearing server never announces the leap it smears away.
    reply.leap = LeapIndicator::kNoWarning;
    smear = NtpDuration::FromSeconds(
        LeapSmear(system, request.receive_time, settings_.leap_smear_seconds));
  }
  reply.version = packet.version;
  reply.mode = Mode::kServer;
  reply.stratum = StratumToPacket(system);
  reply.poll_log2_seconds = reply_poll;
  reply.precision_log2_seconds = system.precision_log2;
  reply.root_delay = system.root_delay;
  reply.root_dispersion = system.root_dispersion;
  reply.reference_id = system.reference_id;
  reply.reference_timestamp = system.reference_time;
  reply.origin_timestamp = packet.transmit_timestamp;  // bit for bit
  reply.receive_timestamp = request.receive_time + smear;
  absl::StatusOr<size_t> written = SerializePacket(reply, reply_buffer);
  if (!written.ok()) return Drop(ServerDropReason::kInternalError, flags);
  uint8_t* const out = reply_buffer.data();
  StoreBe32(out + kRootDispersionOffset,
            AgedRootDispersion(system, request.receive_time,
                               settings_.dispersion_rate_ppm)
                .raw());

  // Transmit timestamp: the reading taken as late as possible, strictly
  // after T2 (classic ntpdate ignores replies whose T3 is not later than T2).
  NtpTimestamp transmit = request.transmit_time + smear;
  if (!reply.receive_timestamp.IsBefore(transmit)) {
    transmit = reply.receive_timestamp + NtpDuration::FromRaw(1);
  }
  StoreBe64(out + kTransmitOffset, transmit.raw());

  if (kind == ServerReplyKind::kCryptoNak) {
    StoreBe32(out + kNtpHeaderOctets, 0);  // key ID 0, no digest
  } else if (kind == ServerReplyKind::kAuthenticated) {
    const size_t mac_octets = authenticator_->Sign(
        reply_key_id, absl::MakeConstSpan(out, kNtpHeaderOctets),
        reply_buffer.subspan(kNtpHeaderOctets));
    if (mac_octets == 0) return Drop(ServerDropReason::kInternalError, flags);
  }
  return Reply(kind, reply_octets, flags);
}

}  // namespace ntp
