#include "ntp/control/control_server.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ntp/auth/key_store.h"
#include "ntp/auth/mac.h"
#include "ntp/client/client_engine.h"
#include "ntp/control/control_vars.h"
#include "ntp/server/client_table.h"
#include "ntp/server/counters.h"
#include "ntp/server/local_reference.h"
#include "ntp/wire/control_message.h"

namespace ntp {

struct ControlServer::Request {
  ControlMessage message;
  bool authenticated = false;
  std::optional<uint32_t> mac_key_id;  // the key to sign the reply with
};

namespace {

// RFC 9327 §2.4 peer status word, high octet (ntpd's CTL_PST_*).
constexpr uint16_t kPeerConfigured = 0x8000;
constexpr uint16_t kPeerAuthEnabled = 0x4000;
constexpr uint16_t kPeerAuthentic = 0x2000;
constexpr uint16_t kPeerReachable = 0x1000;
// RFC 9327 §2.4 system status word clock source (ntpd's CTL_SST_TS_*).
constexpr uint16_t kSourceUnspecified = 0;
constexpr uint16_t kSourceLocal = 5;
constexpr uint16_t kSourceNtp = 6;
// Nonces are good for this long (ntpd's read_mru_list accepts 16 s).
constexpr int64_t kNonceLifetimeSeconds = 16;

// One row of READSTAT: an upstream association or the LOCAL clock.
struct PeerRef {
  uint16_t id = 0;
  const Association* association = nullptr;  // null: the LOCAL clock
  int index = 0;                              // in ClientEngine::associations()
};

std::vector<PeerRef> Peers(const ControlView& view) {
  std::vector<PeerRef> peers;
  if (view.client != nullptr) {
    const auto& all = view.client->associations();
    for (size_t i = 0; i < all.size(); ++i) {
      peers.push_back({static_cast<uint16_t>(all[i]->id() + 1), all[i].get(),
                       static_cast<int>(i)});
    }
  }
  if (view.local != nullptr && view.local->local_clock_status(view.monotonic_now).configured) {
    peers.push_back({kLocalClockAssociationId, nullptr, 0});
  }
  return peers;
}

uint16_t PeerStatus(const ControlView& view, const PeerRef& peer) {
  if (peer.association == nullptr) {
    const LocalReference::LocalClockStatus local =
        view.local->local_clock_status(view.monotonic_now);
    uint16_t status = kPeerConfigured;
    if (local.reach != 0) status |= kPeerReachable;
    const PeerSelect select = local.selected  ? PeerSelect::kSystemPeer
                              : local.reach != 0 ? PeerSelect::kCandidate
                                                 : PeerSelect::kReject;
    return status | static_cast<uint16_t>(static_cast<uint16_t>(select) << 8);
  }
  const Association& a = *peer.association;
  // As ClientEngine::RecordPeerStats builds it for peerstats.
  uint16_t status = kPeerConfigured | a.event_bits();
  if (a.reach() != 0) status |= kPeerReachable;
  if (a.config().key_id.has_value()) {
    status |= kPeerAuthEnabled;
    if (a.has_reply()) status |= kPeerAuthentic;
  }
  status |= static_cast<uint16_t>(
      static_cast<uint16_t>(view.client->select_status(peer.index)) << 8);
  return status;
}

uint16_t SystemStatus(const ControlView& view) {
  const SystemVariables& s = *view.system;
  uint16_t source = kSourceUnspecified;
  if (s.synchronized()) {
    const bool local = view.local != nullptr &&
                       (view.local->source() == ReferenceSource::kLocalClock ||
                        view.local->source() == ReferenceSource::kOrphan);
    source = local ? kSourceLocal : kSourceNtp;
  }
  // The event count and code (low octet) stay 0: system events are not
  // recorded.
  return static_cast<uint16_t>(static_cast<uint16_t>(s.leap) << 14 | source << 8);
}

// NTP time of a monotonic instant, through the clock reading of this input.
NtpTimestamp ClockAt(const ControlView& view, absl::Time monotonic) {
  return view.clock_now - NtpDuration::FromAbsl(view.monotonic_now - monotonic);
}

std::string SystemVariablesText(const ControlView& view, const std::vector<PeerRef>& peers,
                                const std::string& version) {
  const SystemVariables& s = *view.system;
  ControlVarWriter w;
  w.AddQuoted("version", version);
  w.AddInt("leap", static_cast<int>(s.leap));
  w.AddInt("stratum", s.stratum);
  w.AddInt("precision", s.precision_log2);
  w.AddDouble("rootdelay", s.root_delay.ToSeconds() * 1e3, 3);
  double rootdisp = s.root_dispersion.ToSeconds();
  if (!s.reference_time.IsZero()) {
    rootdisp += view.phi * std::max(0.0, (view.clock_now - s.reference_time).ToSeconds());
  }
  w.AddDouble("rootdisp", rootdisp * 1e3, 3);
  w.Add("refid", FormatControlRefId(s.reference_id, s.stratum));
  w.AddTimestamp("reftime", s.reference_time);
  w.AddTimestamp("clock", view.clock_now);
  int peer_id = 0;
  if (view.client != nullptr && view.client->system_peer().has_value()) {
    peer_id = view.client->associations()[*view.client->system_peer()]->id() + 1;
  } else if (view.local != nullptr && view.local->source() == ReferenceSource::kLocalClock) {
    peer_id = kLocalClockAssociationId;
  }
  (void)peers;
  w.AddInt("peer", peer_id);
  w.AddInt("tc", s.poll_log2);
  w.AddInt("mintc", 3);
  w.AddDouble("offset", s.offset_seconds * 1e3, 6);
  w.AddDouble("frequency", s.frequency_ppm, 3);
  w.AddDouble("sys_jitter", s.jitter_seconds * 1e3, 6);
  double clk_jitter = 0;
  double clk_wander = 0;
  if (view.client != nullptr) {
    clk_jitter = view.client->clock_jitter_seconds();
    clk_wander = view.client->clock_wander_ppm();
  }
  w.AddDouble("clk_jitter", clk_jitter * 1e3, 3);
  w.AddDouble("clk_wander", clk_wander, 3);
  return w.Release();
}

// The counters, asked for by name only (ntpsec's `ntpq -c sysstats` names
// the ss_* ones).
std::string CounterVariablesText(const ControlView& view, const ControlCounters& control) {
  const ServerCounters& c = *view.server;
  auto drop = [&](ServerDropReason r) { return c.drop_count(r); };
  ControlVarWriter w;
  w.AddInt("ss_uptime", absl::ToInt64Seconds(view.uptime));
  w.AddInt("ss_received", static_cast<int64_t>(c.received));
  w.AddInt("ss_processed", static_cast<int64_t>(c.time_requests));
  w.AddInt("ss_answered", static_cast<int64_t>(c.total_replies()));
  w.AddInt("ss_dropped", static_cast<int64_t>(c.total_drops()));
  w.AddInt("ss_badformat", static_cast<int64_t>(drop(ServerDropReason::kTooShort) +
                                                drop(ServerDropReason::kBadVersion) +
                                                drop(ServerDropReason::kBadTrailer)));
  w.AddInt("ss_badauth", static_cast<int64_t>(drop(ServerDropReason::kBadMac) +
                                              drop(ServerDropReason::kNotTrusted)));
  w.AddInt("ss_restricted", static_cast<int64_t>(drop(ServerDropReason::kIgnored) +
                                                 drop(ServerDropReason::kNoQuery) +
                                                 drop(ServerDropReason::kNoServe) +
                                                 drop(ServerDropReason::kVersionRestricted)));
  w.AddInt("ss_limited", static_cast<int64_t>(drop(ServerDropReason::kRateLimited) +
                                              drop(ServerDropReason::kKodRateLimited)));
  w.AddInt("ss_kodsent", static_cast<int64_t>(c.reply_count(ServerReplyKind::kKissOfDeath)));
  for (size_t i = 0; i < kServerReplyKindCount; ++i) {
    w.AddInt(absl::StrCat("ss_reply_", ServerReplyKindName(static_cast<ServerReplyKind>(i))),
             static_cast<int64_t>(c.replies[i]));
  }
  for (size_t i = 0; i < kServerDropReasonCount; ++i) {
    w.AddInt(absl::StrCat("ss_drop_", ServerDropReasonName(static_cast<ServerDropReason>(i))),
             static_cast<int64_t>(c.drops[i]));
  }
  w.AddInt("cs_received", static_cast<int64_t>(control.received));
  w.AddInt("cs_answered", static_cast<int64_t>(control.answered));
  w.AddInt("cs_errors", static_cast<int64_t>(control.errors));
  w.AddInt("cs_malformed", static_cast<int64_t>(control.malformed));
  w.AddInt("cs_ratelimited", static_cast<int64_t>(control.rate_limited));
  w.AddInt("cs_writes_refused", static_cast<int64_t>(control.writes_refused));
  return w.Release();
}

void AddAddressVars(ControlVarWriter& w, const ControlView& view) {
  if (view.local_address.has_value()) {
    w.Add("dstadr", view.local_address->ip().ToString());
    w.AddInt("dstport", view.local_address->port());
  } else {
    w.Add("dstadr", "0.0.0.0");
    w.AddInt("dstport", 123);
  }
}

std::string LocalClockVariablesText(const ControlView& view) {
  const LocalReference::LocalClockStatus local =
      view.local->local_clock_status(view.monotonic_now);
  ControlVarWriter w;
  w.Add("srcadr", "127.127.1.0");
  w.AddInt("srcport", 123);
  w.AddQuoted("srchost", "LOCAL(0)");
  AddAddressVars(w, view);
  w.AddInt("leap", 0);
  w.AddInt("stratum", local.stratum);
  w.AddInt("precision", view.system->precision_log2);
  w.AddDouble("rootdelay", 0, 3);
  w.AddDouble("rootdisp", 0, 3);
  w.Add("refid", FormatControlRefId(local.refid, 0));
  const NtpTimestamp rec =
      local.last_sample.has_value() ? ClockAt(view, *local.last_sample) : NtpTimestamp();
  w.AddTimestamp("reftime", rec);
  w.AddTimestamp("rec", rec);
  w.AddHex("reach", local.reach);
  w.AddInt("unreach", 0);
  w.AddInt("hmode", 3);
  w.AddInt("pmode", 4);
  w.AddInt("hpoll", local.poll_log2);
  w.AddInt("ppoll", local.poll_log2);
  w.AddInt("headway", 0);
  w.AddHex("flash", local.reach == 0 ? 0x1000 : 0);
  w.AddInt("keyid", 0);
  w.AddDouble("offset", 0, 6);
  w.AddDouble("delay", 0, 6);
  w.AddDouble("dispersion", local.dispersion_seconds * 1e3, 6);
  w.AddDouble("jitter", 0, 6);
  return w.Release();
}

std::string PeerVariablesText(const ControlView& view, const PeerRef& peer) {
  if (peer.association == nullptr) return LocalClockVariablesText(view);
  const Association& a = *peer.association;
  const std::optional<Association::Header>& h = a.header();
  ControlVarWriter w;
  w.Add("srcadr", a.config().server.ip().ToString());
  w.AddInt("srcport", a.config().server.port());
  if (a.config().name != a.config().server.ip().ToString()) {
    w.AddQuoted("srchost", a.config().name);
  }
  AddAddressVars(w, view);
  const int stratum = h.has_value() ? h->stratum : kMaxStratum;
  w.AddInt("leap", static_cast<int>(h.has_value() ? h->leap : Leap::kUnsynchronized));
  w.AddInt("stratum", stratum);
  w.AddInt("precision", h.has_value() ? h->precision_log2 : 0);
  w.AddDouble("rootdelay", h.has_value() ? h->root_delay_seconds * 1e3 : 0, 3);
  w.AddDouble("rootdisp", h.has_value() ? h->root_dispersion_seconds * 1e3 : 0, 3);
  // Before any reply ntpd shows the state as the refid: INIT.
  w.Add("refid", h.has_value() ? FormatControlRefId(h->reference_id, stratum) : "INIT");
  w.AddTimestamp("reftime", h.has_value() ? h->reference_time : NtpTimestamp());
  NtpTimestamp rec;
  if (a.last_reply_seconds().has_value()) {
    const double age = view.client->Now() - *a.last_reply_seconds();
    rec = view.clock_now - NtpDuration::FromSeconds(std::max(0.0, age));
  }
  w.AddTimestamp("rec", rec);
  w.AddHex("reach", a.reach());
  w.AddInt("unreach", a.unreach());
  w.AddInt("hmode", 3);
  w.AddInt("pmode", 4);
  w.AddInt("hpoll", a.hpoll());
  w.AddInt("ppoll", a.ppoll());
  w.AddInt("headway", 0);
  // ntpd's peer flash bits (RFC 5905 §9.2 tests): TEST10 bad
  // synchronisation, TEST12 loop, TEST13 unreachable.
  uint64_t flash = 0;
  if (h.has_value() && (h->leap == Leap::kUnsynchronized || h->stratum >= kMaxStratum)) {
    flash |= 0x0200;
  }
  if (a.loop_detected()) flash |= 0x0800;
  if (a.reach() == 0) flash |= 0x1000;
  w.AddHex("flash", flash);
  w.AddInt("keyid", a.config().key_id.value_or(0));
  const ClockFilter& f = a.filter();
  w.AddDouble("offset", f.offset_seconds() * 1e3, 6);
  w.AddDouble("delay", f.delay_seconds() * 1e3, 6);
  w.AddDouble("dispersion", f.dispersion_seconds() * 1e3, 6);
  w.AddDouble("jitter", f.jitter_seconds() * 1e3, 6);
  const auto stages = f.StagesNewestFirst();
  std::array<double, kFilterStages> delay{};
  std::array<double, kFilterStages> offset{};
  std::array<double, kFilterStages> disp{};
  for (size_t i = 0; i < stages.size(); ++i) {
    delay[i] = stages[i].delay_seconds * 1e3;
    offset[i] = stages[i].offset_seconds * 1e3;
    disp[i] = stages[i].dispersion_seconds * 1e3;
  }
  w.AddDoubles("filtdelay", delay.data(), delay.size(), 2);
  w.AddDoubles("filtoffset", offset.data(), offset.size(), 2);
  w.AddDoubles("filtdisp", disp.data(), disp.size(), 2);
  return w.Release();
}

// The variables of `all` that `request_data` names, in the request's order
// ("" when it names none: all). False (with the unknown name) if one is
// missing from both lists.
bool SelectVariables(absl::string_view request_data, const std::string& all,
                     const std::string& extra, std::string* out) {
  const std::vector<ControlVariable> wanted = ParseControlVariables(request_data);
  if (wanted.empty()) {
    *out = all;
    return true;
  }
  const std::vector<ControlVariable> have = ParseControlVariables(all);
  const std::vector<ControlVariable> have_extra = ParseControlVariables(extra);
  ControlVarWriter w;
  for (const ControlVariable& name : wanted) {
    const ControlVariable* v = FindControlVariable(have, name.name);
    if (v == nullptr) v = FindControlVariable(have_extra, name.name);
    if (v == nullptr) return false;
    if (v->quoted) {
      w.AddQuoted(v->name, v->value);
    } else {
      w.AddVerbatim(v->name, v->value);  // written by this server
    }
  }
  *out = w.Release();
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Create(
    const ControlServerSettings& settings, const KeyStore* keys) {
  std::unique_ptr<MacContext> mac;
  if (keys != nullptr && !keys->empty()) {
    absl::StatusOr<MacContext> context = MacContext::Create();
    if (!context.ok()) return context.status();
    mac = std::make_unique<MacContext>(std::move(*context));
  }
  return std::unique_ptr<ControlServer>(new ControlServer(settings, keys, std::move(mac)));
}

ControlServer::ControlServer(const ControlServerSettings& settings, const KeyStore* keys,
                             std::unique_ptr<MacContext> mac)
    : settings_(settings), keys_(keys), mac_(std::move(mac)), tokens_(settings.burst) {}

ControlServer::~ControlServer() = default;

bool ControlServer::TakeToken(absl::Time now) {
  if (last_refill_.has_value() && now > *last_refill_) {
    tokens_ = std::min<double>(settings_.burst,
                               tokens_ + absl::ToDoubleSeconds(now - *last_refill_) *
                                             settings_.per_second);
  }
  if (!last_refill_.has_value() || now > *last_refill_) last_refill_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void ControlServer::SendData(const Request& request, uint16_t status,
                             absl::Span<const uint8_t> data, int max_fragments,
                             SendFunction send) {
  std::array<uint8_t, kMaxDatagramOctets> buffer{};
  std::array<uint8_t, kMaxDigestLength> digest_space{};
  const SymmetricKey* key = nullptr;
  if (request.mac_key_id.has_value() && keys_ != nullptr) {
    key = keys_->Find(*request.mac_key_id);
  }
  size_t offset = 0;
  int fragments = 0;
  do {
    const size_t count = std::min(kMaxControlDataOctets, data.size() - offset);
    ControlMessage reply;
    reply.leap = request.message.leap;
    reply.version = request.message.version;
    reply.is_response = true;
    reply.opcode = request.message.opcode;
    reply.sequence = request.message.sequence;
    reply.status = status;
    reply.association_id = request.message.association_id;
    reply.offset = static_cast<uint16_t>(offset);
    reply.data = data.subspan(offset, count);
    reply.has_more = offset + count < data.size() && fragments + 1 < max_fragments;
    if (key != nullptr) {
      MacTrailer trailer;
      trailer.key_id = key->key_id();
      trailer.digest = absl::MakeConstSpan(digest_space.data(), key->digest_length());
      reply.mac = trailer;
    }
    absl::StatusOr<size_t> written = SerializeControlMessage(reply, absl::MakeSpan(buffer));
    if (!written.ok()) return;  // cannot happen: sizes are bounded above
    if (key != nullptr) {
      const size_t signed_octets = *written - kKeyIdOctets - key->digest_length();
      if (!mac_->ComputeDigest(*key, absl::MakeConstSpan(buffer.data(), signed_octets),
                               absl::MakeSpan(buffer.data() + signed_octets + kKeyIdOctets,
                                              key->digest_length()))
               .ok()) {
        return;
      }
    }
    send(absl::MakeConstSpan(buffer.data(), *written));
    ++counters_.fragments;
    ++fragments;
    offset += count;
  } while (offset < data.size() && fragments < max_fragments);
}

void ControlServer::SendError(const Request& request, uint8_t code, SendFunction send) {
  ++counters_.errors;
  std::array<uint8_t, kMaxDatagramOctets> buffer{};
  ControlMessage reply;
  reply.leap = request.message.leap;
  reply.version = request.message.version;
  reply.is_response = true;
  reply.is_error = true;
  reply.opcode = request.message.opcode;
  reply.sequence = request.message.sequence;
  reply.status = static_cast<uint16_t>(code << 8);
  reply.association_id = request.message.association_id;
  absl::StatusOr<size_t> written = SerializeControlMessage(reply, absl::MakeSpan(buffer));
  if (!written.ok()) return;
  send(absl::MakeConstSpan(buffer.data(), *written));
  ++counters_.fragments;
}

std::string ControlServer::Nonce(const net::IpAddress& address, NtpTimestamp when) const {
  // A keyed mix of the address and the issue time (SplitMix64 finaliser):
  // only a host that received the nonce at that address can present it.
  uint64_t h = settings_.nonce_secret ^ when.raw();
  for (uint8_t octet : address.bytes()) {
    h = (h ^ octet) * 0x100000001B3ull;
  }
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return absl::StrFormat("%08x%08x%08x", when.seconds(), when.fraction(),
                         static_cast<uint32_t>(h));
}

bool ControlServer::NonceValid(absl::string_view nonce, const net::IpAddress& address,
                               NtpTimestamp now) const {
  if (nonce.size() != 24) return false;
  uint32_t seconds = 0;
  uint32_t fraction = 0;
  if (!absl::SimpleHexAtoi(nonce.substr(0, 8), &seconds) ||
      !absl::SimpleHexAtoi(nonce.substr(8, 8), &fraction)) {
    return false;
  }
  const NtpTimestamp issued = NtpTimestamp::FromParts(seconds, fraction);
  const double age = (now - issued).ToSeconds();
  if (age < 0 || age > kNonceLifetimeSeconds) return false;
  return Nonce(address, issued) == nonce;
}

namespace {

bool IsWriteOpcode(uint8_t opcode) {
  switch (static_cast<ControlOpcode>(opcode)) {
    case ControlOpcode::kWriteVariables:
    case ControlOpcode::kWriteClockVariables:
    case ControlOpcode::kSetTrap:
    case ControlOpcode::kConfigure:
    case ControlOpcode::kSaveConfig:
    case ControlOpcode::kUnsetTrap:
      return true;
    default:
      return false;
  }
}

absl::string_view AsText(absl::Span<const uint8_t> data) {
  return absl::string_view(reinterpret_cast<const char*>(data.data()), data.size());
}

absl::Span<const uint8_t> AsBytes(const std::string& text) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// The MRU list (ntpd 4.2.8 read_mru_list), oldest first, resuming after the
// entry the request's last.N / addr.N name.
std::string MruText(const ControlView& view, const std::vector<ControlVariable>& args,
                    const std::string& nonce, size_t budget) {
  std::vector<ClientTable::ClientView> entries;
  if (view.clients != nullptr) entries = view.clients->MostRecent(view.clients->size());
  std::reverse(entries.begin(), entries.end());
  // Resume: entries seen after the newest `last.N` the client already has.
  std::optional<NtpTimestamp> after;
  std::vector<std::string> have_addresses;
  for (const ControlVariable& v : args) {
    if (absl::StartsWith(v.name, "last.")) {
      std::optional<NtpTimestamp> t = ParseControlTimestamp(v.value);
      if (t.has_value() && (!after.has_value() || after->IsBefore(*t))) after = t;
    } else if (absl::StartsWith(v.name, "addr.")) {
      have_addresses.push_back(v.value);
    }
  }
  ControlVarWriter w;
  w.Add("nonce", nonce);
  int n = 0;
  bool complete = true;
  for (const ClientTable::ClientView& e : entries) {
    const NtpTimestamp last = ClockAt(view, e.last_seen);
    const std::string address =
        net::SocketAddress(e.address, e.last_port).ToString();
    if (after.has_value()) {
      if (last.IsBefore(*after)) continue;
      if (last == *after && std::find(have_addresses.begin(), have_addresses.end(),
                                      address) != have_addresses.end()) {
        continue;
      }
    }
    ControlVarWriter item;
    item.Add(absl::StrCat("addr.", n), address);
    item.AddTimestamp(absl::StrCat("last.", n), last);
    item.AddTimestamp(absl::StrCat("first.", n), ClockAt(view, e.first_seen));
    item.AddInt(absl::StrCat("ct.", n), static_cast<int64_t>(e.count));
    item.AddInt(absl::StrCat("mv.", n), e.last_version << 3 | e.last_mode);
    item.AddHex(absl::StrCat("rs.", n), 0);
    // Room for this item and the closing now= / last.newest= (~60 octets).
    if (w.text().size() + 2 + item.text().size() + 64 > budget) {
      complete = false;
      break;
    }
    w.AddList(item);
    ++n;
  }
  if (complete) {
    w.AddTimestamp("now", view.clock_now);
    if (!entries.empty()) w.AddTimestamp("last.newest", ClockAt(view, entries.back().last_seen));
  }
  return w.Release();
}

}  // namespace

void ControlServer::Handle(absl::Span<const uint8_t> bytes, const net::SocketAddress& source,
                           const ControlView& view, SendFunction send) {
  ++counters_.received;
  const WireResult<ControlMessage, ControlError> parsed = ParseControlMessage(bytes);
  if (!parsed.ok() || parsed.value().is_response || parsed.value().is_error ||
      parsed.value().has_more) {
    ++counters_.malformed;
    return;
  }
  if (!TakeToken(view.monotonic_now)) {
    ++counters_.rate_limited;
    return;
  }
  Request request;
  request.message = parsed.value();
  const ControlMessage& m = request.message;

  // A MAC covers everything before it (ntpd process_control).
  bool bad_mac = false;
  if (m.mac.has_value() && !m.mac->IsCryptoNak()) {
    const SymmetricKey* key = keys_ != nullptr ? keys_->Find(m.mac->key_id) : nullptr;
    const size_t signed_octets = bytes.size() - m.mac->size_octets();
    if (key != nullptr && mac_ != nullptr &&
        keys_->IsUsableFrom(m.mac->key_id, source.ip()) &&
        mac_->CheckDigest(*key, bytes.first(signed_octets), m.mac->digest) == MacVerdict::kOk) {
      request.authenticated = settings_.control_key.has_value() &&
                              *settings_.control_key == m.mac->key_id;
      request.mac_key_id = m.mac->key_id;
    } else {
      bad_mac = true;
      ++counters_.auth_failed;
    }
  }

  const std::vector<PeerRef> peers = Peers(view);
  auto find_peer = [&](uint16_t id) -> const PeerRef* {
    for (const PeerRef& p : peers) {
      if (p.id == id) return &p;
    }
    return nullptr;
  };
  const auto error = [&](ControlErrorCode code) {
    SendError(request, static_cast<uint8_t>(code), send);
  };

  if (IsWriteOpcode(m.opcode)) {
    ++counters_.writes_refused;
    error(request.authenticated ? ControlErrorCode::kRestricted
                                : ControlErrorCode::kPermissionDenied);
    return;
  }
  if (bad_mac) {
    error(ControlErrorCode::kPermissionDenied);
    return;
  }
  switch (static_cast<ControlOpcode>(m.opcode)) {
    case ControlOpcode::kReadStatus: {
      if (m.association_id == 0) {
        std::vector<uint8_t> data;
        data.reserve(peers.size() * 4);
        for (const PeerRef& p : peers) {
          const uint16_t status = PeerStatus(view, p);
          data.push_back(static_cast<uint8_t>(p.id >> 8));
          data.push_back(static_cast<uint8_t>(p.id));
          data.push_back(static_cast<uint8_t>(status >> 8));
          data.push_back(static_cast<uint8_t>(status));
        }
        ++counters_.answered;
        SendData(request, SystemStatus(view), data, kMaxReplyFragments, send);
        return;
      }
      const PeerRef* p = find_peer(m.association_id);
      if (p == nullptr) return error(ControlErrorCode::kUnknownAssociation);
      ++counters_.answered;
      SendData(request, PeerStatus(view, *p), {}, kMaxReplyFragments, send);
      return;
    }
    case ControlOpcode::kReadVariables: {
      std::string all;
      std::string extra;
      uint16_t status = 0;
      if (m.association_id == 0) {
        all = SystemVariablesText(view, peers, settings_.version);
        extra = CounterVariablesText(view, counters_);
        status = SystemStatus(view);
      } else {
        const PeerRef* p = find_peer(m.association_id);
        if (p == nullptr) return error(ControlErrorCode::kUnknownAssociation);
        all = PeerVariablesText(view, *p);
        status = PeerStatus(view, *p);
      }
      std::string text;
      if (!SelectVariables(AsText(m.data), all, extra, &text)) {
        return error(ControlErrorCode::kUnknownVariable);
      }
      ++counters_.answered;
      SendData(request, status, AsBytes(text), kMaxReplyFragments, send);
      return;
    }
    case ControlOpcode::kRequestNonce: {
      const std::string text = absl::StrCat("nonce=", Nonce(source.ip(), view.clock_now));
      ++counters_.answered;
      SendData(request, 0, AsBytes(text), 1, send);
      return;
    }
    case ControlOpcode::kReadMru: {
      const std::vector<ControlVariable> args = ParseControlVariables(AsText(m.data));
      const ControlVariable* nonce = FindControlVariable(args, "nonce");
      if (nonce == nullptr || !NonceValid(nonce->value, source.ip(), view.clock_now)) {
        return error(ControlErrorCode::kBadValue);
      }
      int frags = kMaxReplyFragments;
      if (const ControlVariable* f = FindControlVariable(args, "frags"); f != nullptr) {
        int asked = 0;
        if (!absl::SimpleAtoi(f->value, &asked) || asked < 1) {
          return error(ControlErrorCode::kBadValue);
        }
        frags = std::min(asked, kMaxReplyFragments);
      }
      const std::string text =
          MruText(view, args, Nonce(source.ip(), view.clock_now),
                  static_cast<size_t>(frags) * kMaxControlDataOctets);
      ++counters_.answered;
      SendData(request, 0, AsBytes(text), frags, send);
      return;
    }
    case ControlOpcode::kReadClockVariables:
      // No reference clock has clock variables (ntpd: BADASSOC).
      return error(ControlErrorCode::kUnknownAssociation);
    default:
      return error(ControlErrorCode::kBadOpcode);
  }
}

}  // namespace ntp
