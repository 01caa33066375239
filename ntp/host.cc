#include "ntp/host.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ntp/auth/key_store.h"
#include "ntp/client/client_config.h"
#include "ntp/nts/fields.h"
#include "ntp/nts/server.h"
#include "ntp/precision.h"
#include "ntp/random.h"
#include "ntp/server/request_auth.h"
#include "ntp/server/server_config.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"

namespace ntp {
namespace {

// Timer keys: the LOCAL clock's two, then the client's range.
constexpr TimerKey kLocalPollTimer = 1;
constexpr TimerKey kOrphanTimer = 2;
constexpr TimerKey kRtcTimer = 3;
constexpr TimerKey kClientTimerBase = 16;
// Socket ids: listen sockets count from 1; the client's ids start at 2^32.
constexpr SocketId kClientSocketBase = 0;

std::string PathOf(const std::optional<ConfigPath>& path) {
  return path.has_value() ? path->path : std::string();
}

}  // namespace

Host::Host(const HostOptions& options) : options_(options) {}

Host::~Host() = default;

absl::StatusOr<std::unique_ptr<Host>> Host::Create(const NtpConfig& config,
                                                   const HostOptions& options,
                                                   const KeyStore* keys) {
  // ntp.conf(5) `key`: the association signs with that key, so a key the
  // keys file lacks is a configuration error, refused before anything runs.
  for (const ServerConfig& server : config.servers) {
    if (!server.key_id.has_value()) continue;
    if (keys != nullptr && keys->Find(*server.key_id) != nullptr) continue;
    const std::string keys_file =
        config.keys.has_value() && !config.keys->path.empty()
            ? absl::StrCat("the keys file ", config.keys->path)
            : std::string("the keys (no keys file is configured)");
    return absl::InvalidArgumentError(
        absl::StrCat(server.location.file, ":", server.location.line, ": ", server.host,
                     " key ", *server.key_id, ": key ", *server.key_id, " is not in ",
                     keys_file));
  }

  auto host = std::unique_ptr<Host>(new Host(options));
  if (options.nts_keyring != nullptr) {
    absl::StatusOr<nts::NtsServer> nts_server = nts::NtsServer::Create(options.nts_keyring);
    if (!nts_server.ok()) return nts_server.status();
    host->nts_server_ = std::make_unique<nts::NtsServer>(*std::move(nts_server));
    host->nts_rng_ = SplitMix64(SplitMix64(options.random_seed ^ 0x6e7473ull).Next());
  }
  host->config_ = WithoutProvenance(config);
  if (keys != nullptr) host->keys_ = std::make_unique<KeyStore>(*keys);
  ServerSetup setup = BuildServerSetup(config, SplitMix64(options.random_seed).Next());
  host->warnings_ = std::move(setup.warnings);

  host->interface_rules_ = config.interfaces;
  if (options.listen.empty() && !options.interfaces.empty()) {
    for (const InterfaceRule* rule :
         UnmatchedInterfaceRules(config.interfaces, options.interfaces)) {
      host->warnings_.push_back(absl::StrCat(rule->location.file, ":", rule->location.line,
                                             ": warning: interface: the rule matches no "
                                             "address of this machine"));
    }
  }

  absl::StatusOr<std::unique_ptr<RequestAuthenticator>> auth =
      RequestAuthenticator::Create(keys, setup.trusted_key_ranges);
  if (!auth.ok()) return auth.status();
  host->responder_ =
      std::make_unique<Responder>(std::move(setup.responder), std::move(*auth));
  // The mode 6 server (ntp/control/control_server.h): `controlkey` may ask
  // for writes (all refused as restricted); nonces keyed from the seed.
  ControlServerSettings control_settings;
  if (config.controlkey.has_value()) control_settings.control_key = config.controlkey->key_id;
  control_settings.nonce_secret = SplitMix64(options.random_seed ^ 0x6d6f646536ull).Next();
  absl::StatusOr<std::unique_ptr<ControlServer>> control =
      ControlServer::Create(control_settings, host->keys_.get());
  if (!control.ok()) return control.status();
  host->control_ = std::move(*control);
  host->local_reference_ = std::make_unique<LocalReference>(
      setup.local_reference, &host->dispatch_, kLocalPollTimer, kOrphanTimer, &host->system_,
      &host->events_);

  // The client side, when the configuration names upstream servers.
  ClientFlags flags;
  flags.allow_big_first_step = options.allow_big_first_step;
  flags.never_step = options.never_step;
  flags.set_once_and_exit = options.set_once_and_exit;
  ClientConfigResult client =
      ClientOptionsFromConfig(config, flags, options.random_seed, options.server_port);
  client.options.leap_seconds = options.leap_seconds;
  host->warnings_.insert(host->warnings_.end(), client.warnings.begin(),
                         client.warnings.end());
  if (!client.options.servers.empty()) {
    if (absl::Status status = host->CreateClient(std::move(client.options)); !status.ok()) {
      return status;
    }
  }
  return host;
}

absl::Status Host::CreateClient(ClientEngineOptions options) {
  options.own_addresses = options_.own_addresses;
  ClientEngineEnvironment env;
  env.dispatch = &dispatch_;
  env.events = &events_;
  env.keys = keys_.get();
  env.system = &system_;
  env.timer_base = kClientTimerBase;
  env.socket_base = kClientSocketBase;
  env.on_upstream_change = [this](bool has_peer) { SetUpstreamSystemPeer(has_peer); };
  absl::StatusOr<std::unique_ptr<ClientEngine>> engine = ClientEngine::Create(options, env);
  if (!engine.ok()) return engine.status();
  client_ = *std::move(engine);
  return absl::OkStatus();
}

void Host::SetUpstreamSystemPeer(bool has_peer) {
  upstream_ = has_peer;
  local_reference_->SetUpstreamSystemPeer(has_peer);
}

void Host::StartRtc(const StartInput& input) {
  if (input.rtc_time.has_value()) {
    const absl::Duration rtc_minus_clock = *input.rtc_time - input.now.clock;
    events_.OnEvent(Event{
        EventKind::kInfo,
        absl::StrFormat("RTC %s reads %s, %+.0f s from the system clock", input.rtc_where,
                        absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", *input.rtc_time,
                                         absl::UTCTimeZone()),
                        absl::ToDoubleSeconds(rtc_minus_clock))});
    if (client_ != nullptr) client_->SetRtcReading(*input.rtc_time, input.now.clock);
  }
  if (config_.rtc.mode == RtcConfig::Mode::kWrite) {
    actions_.Arm(kRtcTimer,
                 input.now.monotonic + absl::Seconds(config_.rtc.write_interval_seconds));
  }
}

void Host::OnRtcTimer() {
  if (stopped_ || config_.rtc.mode != RtcConfig::Mode::kWrite) return;
  // Only a clock synchronised to an upstream server is worth copying into
  // the RTC (`hwclock -w` after ntpd has synchronised).
  if (upstream_) actions_.SetRtc();
  actions_.Arm(kRtcTimer, dispatch_.now.monotonic +
                              absl::Seconds(config_.rtc.write_interval_seconds));
}

void Host::OnRtcWriteResult(const RtcWriteResultInput& input) {
  if (!input.status.ok()) {
    ++rtc_write_failures_;
    if (!rtc_failure_reported_) {
      rtc_failure_reported_ = true;
      events_.OnEvent(Event{EventKind::kWarning,
                            absl::StrCat("cannot set the RTC: ", input.status.message())});
    }
    return;
  }
  ++rtc_writes_;
  if (rtc_failure_reported_ || rtc_writes_ == 1) {
    events_.OnEvent(Event{EventKind::kInfo,
                          absl::StrCat("RTC set from the system clock (",
                                       absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                                                        input.written, absl::UTCTimeZone()),
                                       ")")});
  }
  rtc_failure_reported_ = false;
}

std::vector<Host::ListenChoice> Host::ListenAddresses() const {
  std::vector<ListenChoice> out;
  if (!options_.listen.empty()) {
    for (const net::SocketAddress& a : options_.listen) {
      out.push_back({net::SocketAddress(a.ip(), a.port() == 0 ? options_.port : a.port())});
    }
    std::sort(out.begin(), out.end(), [](const ListenChoice& a, const ListenChoice& b) {
      return a.address < b.address;
    });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const ListenChoice& a, const ListenChoice& b) {
                            return a.address == b.address;
                          }),
              out.end());
    return out;
  }
  const bool listed = !options_.interfaces.empty();
  const ListenPlan plan = listed ? PlanListenAddresses(interface_rules_, options_.interfaces)
                                 : PlanWithoutInterfaceList(interface_rules_);
  for (const net::IpAddress& ip : plan.listen) {
    out.push_back({net::SocketAddress(ip, options_.port), false, !listed && ip.IsUnspecified() && ip.is_v6()});
  }
  for (const net::IpAddress& ip : plan.drop) {
    out.push_back({net::SocketAddress(ip, options_.port), true, !listed && ip.IsUnspecified() && ip.is_v6()});
  }
  return out;
}

const Actions& Host::Handle(const Input& input) {
  actions_.Clear();
  dispatch_.now = InputReadings(input);
  dispatch_.out = &actions_;
  ++dispatch_.serial;
  if (const auto* start = std::get_if<StartInput>(&input)) {
    OnStart(*start);
  } else if (!started_) {
    // Nothing but a start is meaningful before one.
  } else if (const auto* datagram = std::get_if<DatagramInput>(&input)) {
    OnDatagram(*datagram);
  } else if (const auto* timer = std::get_if<TimerInput>(&input)) {
    OnTimer(*timer);
  } else if (const auto* socket = std::get_if<SocketResultInput>(&input)) {
    OnSocketResult(*socket);
  } else if (const auto* send = std::get_if<SendResultInput>(&input)) {
    OnSendResult(*send);
  } else if (const auto* clock = std::get_if<ClockResultInput>(&input)) {
    if (client_ != nullptr) client_->OnClockResult(*clock);
  } else if (const auto* drift = std::get_if<DriftWriteResultInput>(&input)) {
    if (client_ != nullptr) client_->OnDriftWriteResult(*drift);
  } else if (std::holds_alternative<ShutdownInput>(input)) {
    OnShutdown();
  } else if (const auto* change = std::get_if<ConfigChangeInput>(&input)) {
    OnConfigChange(*change);
  } else if (const auto* rtc = std::get_if<RtcWriteResultInput>(&input)) {
    OnRtcWriteResult(*rtc);
  } else if (const auto* ke = std::get_if<KeyExchangeResultInput>(&input)) {
    if (client_ != nullptr && client_->OwnsSocket(ke->id)) client_->OnKeyExchangeResult(*ke);
  }
  dispatch_.out = nullptr;
  return actions_;
}

void Host::OnStart(const StartInput& input) {
  if (started_) return;
  started_ = true;
  start_input_ = input;
  started_at_ = dispatch_.now.monotonic;
  system_.precision_log2 = PrecisionLog2(input.clock.precision);
  for (const std::string& warning : warnings_) events_.OnEvent(Event{EventKind::kWarning, warning});

  for (const ListenChoice& choice : ListenAddresses()) {
    ListenSocket socket;
    socket.id = listen_.size() + 1;
    socket.requested = choice.address;
    socket.optional = choice.optional;
    socket.drop = choice.drop;
    listen_.push_back(socket);
    actions_.Open(socket.id, choice.address, /*report_bound=*/true);
  }
  local_reference_->Start();
  if (client_ != nullptr) {
    if (absl::Status status = client_->Start(input); !status.ok()) FailStart(status);
  }
  StartRtc(input);
}

void Host::FailStart(const absl::Status& status) {
  if (!start_status_.ok()) return;
  start_status_ = status;
  OnShutdown();
}

void Host::OnShutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (client_ != nullptr) client_->Stop();
  local_reference_->Stop();
  for (ListenSocket& socket : listen_) {
    if (socket.bound.has_value()) actions_.Close(socket.id);
    socket.bound.reset();
  }
}

void Host::OnConfigChange(const ConfigChangeInput& input) {
  if (stopped_ || input.config == nullptr) return;
  const NtpConfig& config = *input.config;
  std::vector<std::string> warnings;

  // The server side: restrict, discard, monitor, PHI, peers.
  ServerSetup setup = BuildServerSetup(config, SplitMix64(options_.random_seed).Next());
  warnings = std::move(setup.warnings);
  responder_->Reconfigure(std::move(setup.responder));
  for (const ListenSocket& socket : listen_) {
    if (socket.bound.has_value() && !socket.bound->ip().IsUnspecified() &&
        socket.bound->port() == 123) {
      responder_->access().AddInterfaceAddress(socket.bound->ip());
    }
  }

  // The client side.
  ClientFlags flags;
  flags.allow_big_first_step = options_.allow_big_first_step;
  flags.never_step = options_.never_step;
  flags.set_once_and_exit = options_.set_once_and_exit;
  ClientConfigResult client =
      ClientOptionsFromConfig(config, flags, options_.random_seed, options_.server_port);
  client.options.leap_seconds = options_.leap_seconds;
  warnings.insert(warnings.end(), client.warnings.begin(), client.warnings.end());
  ReconfigureCounts counts;
  if (client_ != nullptr) {
    client.options.own_addresses = options_.own_addresses;
    counts = client_->Reconfigure(client.options);
  } else if (!client.options.servers.empty()) {
    const int servers = static_cast<int>(client.options.servers.size());
    absl::Status status = CreateClient(std::move(client.options));
    if (status.ok()) {
      StartInput start = *start_input_;
      start.now = input.now;
      status = client_->Start(start);
    }
    if (status.ok()) {
      counts.added = servers;
    } else {
      client_.reset();
      warnings.push_back(absl::StrCat("cannot start the client side: ", status.message()));
    }
  }

  // What takes a restart (wherever the lines moved to).
  NtpConfig now = WithoutProvenance(config);
  if (now.fudges != config_.fudges || now.tos.orphan_stratum != config_.tos.orphan_stratum ||
      now.tos.orphanwait_seconds != config_.tos.orphanwait_seconds) {
    warnings.push_back("the LOCAL clock (fudge) and orphan mode change at restart only");
  }
  if (now.interfaces != config_.interfaces) {
    warnings.push_back("listen addresses change at restart only");
  }
  if (PathOf(now.keys) != PathOf(config_.keys) || now.trusted_keys != config_.trusted_keys ||
      PathOf(now.driftfile) != PathOf(config_.driftfile)) {
    warnings.push_back("keys, trustedkey and driftfile change at restart only");
  }
  if (now.trace != config_.trace) {
    // The daemon opens the trace once (tools/trace_setup.h).
    warnings.push_back("trace changes at restart only");
  }
  config_ = std::move(now);
  warnings_ = warnings;
  for (const std::string& warning : warnings_) events_.OnEvent(Event{EventKind::kWarning, warning});
  events_.OnEvent(Event{EventKind::kInfo,
                        absl::StrCat("reconfigured: ", counts.kept, " associations kept, ",
                                     counts.added, " added, ", counts.removed, " removed")});
}

HostExit Host::exit_state() const {
  if (!start_status_.ok()) return HostExit::kError;
  if (client_ != nullptr) {
    switch (client_->exit_state()) {
      case ClientExit::kRunning: break;
      case ClientExit::kPanic: return HostExit::kPanic;
      case ClientExit::kDone: return HostExit::kDone;
    }
  }
  return stopped_ ? HostExit::kDone : HostExit::kRunning;
}

std::vector<net::SocketAddress> Host::bound_addresses() const {
  std::vector<net::SocketAddress> out;
  for (const ListenSocket& socket : listen_) {
    if (socket.bound.has_value()) out.push_back(*socket.bound);
  }
  return out;
}

void Host::OnSocketResult(const SocketResultInput& input) {
  if (client_ != nullptr && client_->OwnsSocket(input.socket)) {
    client_->OnSocketResult(input);
    return;
  }
  if (input.socket == 0 || input.socket > listen_.size()) return;
  ListenSocket& socket = listen_[input.socket - 1];
  if (!input.status.ok()) {
    // A host without IPv6 still serves IPv4 on the wildcard.
    if (socket.optional && (absl::IsInvalidArgument(input.status) ||
                            absl::IsNotFound(input.status))) {
      return;
    }
    FailStart(input.status);
    return;
  }
  if (stopped_) {
    actions_.Close(socket.id);
    return;
  }
  socket.bound = input.bound;
  // ntpd's built-in entry: never answer our own port-123 packets.
  if (!input.bound.ip().IsUnspecified() && input.bound.port() == 123) {
    responder_->access().AddInterfaceAddress(input.bound.ip());
  }
}

void Host::OnSendResult(const SendResultInput& input) {
  if (client_ != nullptr && client_->OwnsSocket(input.socket)) {
    client_->OnSendResult(input);
    return;
  }
  if (!input.status.ok()) responder_->CountDrop(ServerDropReason::kSendFailed);
}

void Host::OnTimer(const TimerInput& input) {
  if (input.key == kLocalPollTimer || input.key == kOrphanTimer) {
    local_reference_->OnTimer(input.key);
  } else if (input.key == kRtcTimer) {
    OnRtcTimer();
  } else if (client_ != nullptr && client_->OwnsTimer(input.key)) {
    client_->OnTimer(input.key);
  }
}

void Host::OnDatagram(const DatagramInput& input) {
  if (client_ != nullptr && client_->OwnsSocket(input.socket)) {
    client_->OnDatagram(input.socket, input.datagram);
    return;
  }
  OnServerDatagram(input.socket, input.datagram);
}

void Host::OnServerDatagram(SocketId socket, const net::ReceivedDatagram& datagram) {
  if (stopped_) return;
  if (socket >= 1 && socket <= listen_.size() && listen_[socket - 1].drop) {
    responder_->CountDrop(ServerDropReason::kInterfaceDrop);
    return;
  }
  ServerRequest request;
  request.payload = datagram.payload;
  request.source = datagram.source;
  request.receive_time = NtpTimestamp::FromTime(datagram.rx_time);
  request.monotonic_now = dispatch_.now.monotonic;
  request.transmit_time = NtpTimestamp::FromTime(dispatch_.now.clock);
  nts::NtsFieldError field_error;
  if (nts_server_ != nullptr && datagram.payload.size() > kNtpHeaderOctets &&
      nts::ParseNtsFields(datagram.payload, &field_error).has_value()) {
    OnNtsRequest(socket, datagram, request);
    return;
  }
  const ServerOutcome outcome =
      responder_->Handle(request, system_, absl::MakeSpan(reply_buffer_));
  switch (outcome.action) {
    case ServerAction::kReply:
      actions_.Send(socket, datagram.source,
                    absl::MakeConstSpan(reply_buffer_.data(), outcome.reply_octets));
      return;
    case ServerAction::kControl:
      OnControlDatagram(socket, datagram);
      return;
    case ServerAction::kClientPacket:
      ++ignored_packets_;
      return;
    case ServerAction::kDrop:
      return;
  }
}

void Host::OnNtsRequest(SocketId socket, const net::ReceivedDatagram& datagram,
                        const ServerRequest& request) {
  const nts::NtsCheck check = nts_server_->CheckRequest(datagram.payload);
  if (check.verdict == nts::NtsVerdict::kDrop) return;  // counted by the NtsServer
  nts_reply_.resize(datagram.payload.size());
  if (check.verdict == nts::NtsVerdict::kNak) {
    // RFC 8915 §5.7: a kiss-o'-death NTSN with the request's Unique
    // Identifier, unauthenticated.
    WireResult<NtpPacket, PacketError> parsed =
        ParsePacket(datagram.payload.first(kNtpHeaderOctets));
    if (!parsed.ok()) return;
    NtpPacket kod = MakeKissOfDeath(*parsed, KissCode::kNtsn, Mode::kServer, 6);
    if (!SerializePacket(kod, absl::MakeSpan(reply_buffer_).first(kNtpHeaderOctets)).ok()) {
      return;
    }
    absl::StatusOr<size_t> nak = nts::NtsServer::EncodeNak(
        check.request.unique_identifier, absl::MakeConstSpan(reply_buffer_).first(kNtpHeaderOctets),
        absl::MakeSpan(nts_reply_));
    if (!nak.ok()) return;
    actions_.Send(socket, datagram.source, absl::MakeConstSpan(nts_reply_).first(*nak));
    return;
  }
  // The responder answers the header (access control, rate limiting,
  // kisses); the extension fields are the NtsServer's.
  ServerRequest header_request = request;
  header_request.payload = datagram.payload.first(kNtpHeaderOctets);
  const ServerOutcome outcome =
      responder_->Handle(header_request, system_, absl::MakeSpan(reply_buffer_));
  if (outcome.action != ServerAction::kReply || outcome.reply_octets != kNtpHeaderOctets) {
    return;
  }
  absl::StatusOr<size_t> sealed = nts_server_->SealReply(
      check.request, absl::MakeConstSpan(reply_buffer_).first(kNtpHeaderOctets), nts_rng_,
      absl::MakeSpan(nts_reply_));
  if (!sealed.ok()) return;
  actions_.Send(socket, datagram.source, absl::MakeConstSpan(nts_reply_).first(*sealed));
}

void Host::OnControlDatagram(SocketId socket, const net::ReceivedDatagram& datagram) {
  ControlView view;
  view.system = &system_;
  view.server = &responder_->counters();
  view.client = client_.get();
  view.local = local_reference_.get();
  view.clients = &responder_->clients();
  view.monotonic_now = dispatch_.now.monotonic;
  view.clock_now = NtpTimestamp::FromTime(dispatch_.now.clock);
  view.uptime = dispatch_.now.monotonic - started_at_;
  if (socket >= 1 && socket <= listen_.size() && listen_[socket - 1].bound.has_value()) {
    view.local_address = listen_[socket - 1].bound;
  }
  view.phi = responder_->settings().dispersion_rate_ppm * 1e-6;
  control_->Handle(datagram.payload, datagram.source, view,
                   [&](absl::Span<const uint8_t> reply) {
                     actions_.Send(socket, datagram.source, reply);
                   });
}

}  // namespace ntp
