#include "ntp/testing/nts_peer.h"

#include <memory>
#include <utility>
#include <vector>

#include "ntp/random.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"

namespace ntp::testing {

Peer NtsUpstreamServer(nts::NtsServer* server, absl::Duration offset, uint64_t seed) {
  Peer plain = UpstreamServer(offset);
  auto rng = std::make_shared<SplitMix64>(seed);
  return [server, plain, rng](const SentDatagram& request,
                              absl::Time true_time) -> std::optional<ScriptedReply> {
    const nts::NtsCheck check = server->CheckRequest(request.bytes);
    if (check.verdict == nts::NtsVerdict::kDrop) return std::nullopt;
    SentDatagram header = request;
    header.bytes.resize(kNtpHeaderOctets);
    std::optional<ScriptedReply> reply = plain(header, true_time);
    if (!reply.has_value()) return std::nullopt;
    std::vector<uint8_t> out(request.bytes.size());
    absl::StatusOr<size_t> octets;
    if (check.verdict == nts::NtsVerdict::kNak) {
      WireResult<NtpPacket, PacketError> parsed = ParsePacket(header.bytes);
      if (!parsed.ok()) return std::nullopt;
      const NtpPacket kod = MakeKissOfDeath(*parsed, KissCode::kNtsn, Mode::kServer, 6);
      std::vector<uint8_t> kod_bytes(kNtpHeaderOctets);
      if (!SerializePacket(kod, absl::MakeSpan(kod_bytes)).ok()) return std::nullopt;
      octets = nts::NtsServer::EncodeNak(check.request.unique_identifier, kod_bytes,
                                         absl::MakeSpan(out));
    } else {
      octets = server->SealReply(check.request, reply->bytes, *rng, absl::MakeSpan(out));
    }
    if (!octets.ok()) return std::nullopt;
    out.resize(*octets);
    reply->bytes = std::move(out);
    return reply;
  };
}

KeyExchangeResultInput NtsKeyExchange(nts::CookieKeyring& keyring, uint64_t seed,
                                      uint16_t ntp_port, int cookies) {
  SplitMix64 rng(seed);
  nts::SessionKeys keys;
  for (uint8_t& b : keys.c2s) b = static_cast<uint8_t>(rng.Next());
  for (uint8_t& b : keys.s2c) b = static_cast<uint8_t>(rng.Next());
  KeyExchangeResultInput result;
  result.aead = keys.aead;
  result.c2s_key.assign(keys.c2s.begin(), keys.c2s.end());
  result.s2c_key.assign(keys.s2c.begin(), keys.s2c.end());
  for (int i = 0; i < cookies; ++i) {
    std::vector<uint8_t> cookie(nts::kCookieOctets);
    if (keyring.Seal(keys, rng, absl::MakeSpan(cookie)).ok()) result.cookies.push_back(cookie);
  }
  result.ntp_port = ntp_port;
  return result;
}

}  // namespace ntp::testing
