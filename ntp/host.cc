#include "ntp/host.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "ntp/auth/key_store.h"
#include "ntp/client/client_config.h"
#include "ntp/precision.h"
#include "ntp/random.h"
#include "ntp/server/request_auth.h"
#include "ntp/server/server_config.h"

namespace ntp {
namespace {

// Timer keys: the LOCAL clock's two, then the client's range.
constexpr TimerKey kLocalPollTimer = 1;
constexpr TimerKey kOrphanTimer = 2;
constexpr TimerKey kClientTimerBase = 16;
// Socket ids: listen sockets count from 1; the client's ids start at 2^32.
constexpr SocketId kClientSocketBase = 0;

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
  host->warnings_.insert(host->warnings_.end(), client.warnings.begin(),
                         client.warnings.end());
  if (!client.options.servers.empty()) {
    client.options.own_addresses = options.own_addresses;
    ClientEngineEnvironment env;
    env.dispatch = &host->dispatch_;
    env.events = &host->events_;
    env.keys = keys;
    env.system = &host->system_;
    env.timer_base = kClientTimerBase;
    env.socket_base = kClientSocketBase;
    Host* h = host.get();
    env.on_upstream_change = [h](bool has_peer) { h->SetUpstreamSystemPeer(has_peer); };
    absl::StatusOr<std::unique_ptr<ClientEngine>> engine =
        ClientEngine::Create(client.options, env);
    if (!engine.ok()) return engine.status();
    host->client_ = *std::move(engine);
  }
  return host;
}

void Host::SetUpstreamSystemPeer(bool has_peer) {
  local_reference_->SetUpstreamSystemPeer(has_peer);
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
  }
  dispatch_.out = nullptr;
  return actions_;
}

void Host::OnStart(const StartInput& input) {
  if (started_) return;
  started_ = true;
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
  const ServerOutcome outcome =
      responder_->Handle(request, system_, absl::MakeSpan(reply_buffer_));
  switch (outcome.action) {
    case ServerAction::kReply:
      actions_.Send(socket, datagram.source,
                    absl::MakeConstSpan(reply_buffer_.data(), outcome.reply_octets));
      return;
    case ServerAction::kControl:
      // Mode 6 (ntpq) is not served yet.
      responder_->CountDrop(ServerDropReason::kControlNotServed);
      return;
    case ServerAction::kClientPacket:
      ++ignored_packets_;
      return;
    case ServerAction::kDrop:
      return;
  }
}

}  // namespace ntp
