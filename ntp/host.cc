#include "ntp/host.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/random.h"
#include "ntp/server/request_auth.h"
#include "ntp/server/server_config.h"

namespace ntp {
namespace {

// RFC 5905 §7.3: precision as a signed log2 of seconds, rounded up (a clock
// read every 1.5 us has precision -19: 2^-19 s = 1.9 us).
int8_t PrecisionLog2(absl::Duration precision) {
  const double seconds = std::max(absl::ToDoubleSeconds(precision), 1e-9);
  return static_cast<int8_t>(std::clamp(std::ceil(std::log2(seconds)), -30.0, 0.0));
}

}  // namespace

Host::Host(const HostOptions& options, const HostEnvironment& env)
    : options_(options), env_(env) {}

Host::~Host() { Stop(); }

absl::StatusOr<std::unique_ptr<Host>> Host::Create(const NtpConfig& config,
                                                   const HostOptions& options,
                                                   const HostEnvironment& env) {
  if (env.clock == nullptr || env.network == nullptr || env.scheduler == nullptr) {
    return absl::InvalidArgumentError(
        "Host::Create: clock, network and scheduler are required");
  }
  auto host = std::unique_ptr<Host>(new Host(options, env));
  ServerSetup setup = BuildServerSetup(config, SplitMix64(env.random_seed).Next());
  host->warnings_ = std::move(setup.warnings);
  // Until the client side is plugged in (AttachClient), upstream servers
  // are configured but not polled: say so rather than fail silently.
  for (const ServerConfig* server : config.NetworkServers()) {
    host->pending_client_warnings_.push_back(absl::StrCat(
        server->location.file, ":", server->location.line, ": warning: ",
        server->kind == AssociationKind::kPeer ? "peer " : "server ", server->host,
        ": this build serves time only; upstream servers are not polled yet"));
  }
  host->system_.precision_log2 = PrecisionLog2(env.clock->Precision());

  for (const InterfaceRule& rule : config.interfaces) {
    if (rule.action == InterfaceRule::Action::kListen &&
        rule.match == InterfaceRule::Match::kAddress && rule.address.has_value() &&
        rule.prefix_length < 0) {
      host->config_listen_.emplace_back(*rule.address, options.port);
    }
  }

  absl::StatusOr<std::unique_ptr<RequestAuthenticator>> auth =
      RequestAuthenticator::Create(env.keys, setup.trusted_key_ranges);
  if (!auth.ok()) return auth.status();
  host->responder_ =
      std::make_unique<Responder>(std::move(setup.responder), std::move(*auth));
  host->local_reference_ = std::make_unique<LocalReference>(
      setup.local_reference, env.clock, env.scheduler, &host->system_, env.events);

  // --- Client side plug-in point (issue 6) ---------------------------------
  // When ntp/client's ClientEngine lands, build it here from `config`,
  // `options` (-g, -x, -q) and `env` (clock, scheduler, drift_store) and
  // hand it over with host->AttachClient(...). Until then the Host is a
  // server only: network `server` lines are not polled.
  // --------------------------------------------------------------------------
  return host;
}

void Host::AttachClient(std::unique_ptr<HostClient> client) {
  client_ = std::move(client);
}

void Host::SetUpstreamSystemPeer(bool has_peer) {
  local_reference_->SetUpstreamSystemPeer(has_peer);
}

std::vector<net::SocketAddress> Host::ListenAddresses() const {
  std::vector<net::SocketAddress> out;
  if (!options_.listen.empty()) {
    for (const net::SocketAddress& a : options_.listen) {
      out.emplace_back(a.ip(), a.port() == 0 ? options_.port : a.port());
    }
  } else if (!config_listen_.empty()) {
    out = config_listen_;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::Status Host::Start() {
  if (started_) return absl::FailedPreconditionError("Host already started");
  std::vector<net::SocketAddress> listen = ListenAddresses();
  const bool wildcard = listen.empty();
  if (wildcard) {
    listen = {net::SocketAddress(net::IpAddress::AnyV4(), options_.port),
              net::SocketAddress(net::IpAddress::AnyV6(), options_.port)};
  }
  std::vector<std::unique_ptr<net::DatagramSocket>> sockets;
  for (const net::SocketAddress& address : listen) {
    absl::StatusOr<std::unique_ptr<net::DatagramSocket>> socket =
        env_.network->Bind(address);
    if (!socket.ok()) {
      // A host without IPv6 still serves IPv4 on the wildcard.
      if (wildcard && address.ip().is_v6() &&
          (absl::IsInvalidArgument(socket.status()) ||
           absl::IsNotFound(socket.status()))) {
        continue;
      }
      return socket.status();  // `sockets` closes what was bound
    }
    sockets.push_back(std::move(*socket));
  }
  sockets_ = std::move(sockets);
  for (const auto& socket : sockets_) {
    const net::SocketAddress local = socket->local_address();
    // ntpd's built-in entry: never answer our own port-123 packets.
    if (!local.ip().IsUnspecified() && local.port() == 123) {
      responder_->access().AddInterfaceAddress(local.ip());
    }
    net::DatagramSocket* raw = socket.get();
    raw->SetReceiveHandler(
        [this, raw](const net::ReceivedDatagram& d) { OnDatagram(*raw, d); });
  }
  started_ = true;
  stopped_ = false;
  if (client_ == nullptr) {
    warnings_.insert(warnings_.end(), pending_client_warnings_.begin(),
                     pending_client_warnings_.end());
    pending_client_warnings_.clear();
  }
  local_reference_->Start();
  if (client_ != nullptr) {
    absl::Status status = client_->Start();
    if (!status.ok()) {
      Stop();
      return status;
    }
  }
  return absl::OkStatus();
}

void Host::Stop() {
  if (!started_) return;
  started_ = false;
  stopped_ = true;
  if (client_ != nullptr) client_->Stop();
  local_reference_->Stop();
  sockets_.clear();
}

HostExit Host::exit_state() const {
  if (client_ != nullptr) {
    const HostExit client_state = client_->exit_state();
    if (client_state != HostExit::kRunning) return client_state;
  }
  return stopped_ ? HostExit::kDone : HostExit::kRunning;
}

std::vector<net::SocketAddress> Host::bound_addresses() const {
  std::vector<net::SocketAddress> out;
  for (const auto& socket : sockets_) out.push_back(socket->local_address());
  return out;
}

void Host::OnDatagram(net::DatagramSocket& socket,
                      const net::ReceivedDatagram& datagram) {
  ServerRequest request;
  request.payload = datagram.payload;
  request.source = datagram.source;
  request.receive_time = NtpTimestamp::FromTime(datagram.rx_time);
  request.monotonic_now = env_.scheduler->Now();
  const ServerOutcome outcome = responder_->Handle(
      request, system_, *env_.clock, absl::MakeSpan(reply_buffer_));
  switch (outcome.action) {
    case ServerAction::kReply:
      if (!socket
               .SendTo(absl::MakeConstSpan(reply_buffer_.data(),
                                           outcome.reply_octets),
                       datagram.source)
               .ok()) {
        responder_->CountDrop(ServerDropReason::kSendFailed);
      }
      return;
    case ServerAction::kControl:
      if (control_ != nullptr) {
        control_->OnControl(datagram, outcome.restrictions, socket);
      } else {
        responder_->CountDrop(ServerDropReason::kControlNotServed);
      }
      return;
    case ServerAction::kClientPacket:
      if (client_ != nullptr) {
        client_->OnPacket(datagram, outcome.restrictions);
      } else {
        responder_->CountDrop(ServerDropReason::kUnexpectedMode);
      }
      return;
    case ServerAction::kDrop:
      return;
  }
}

}  // namespace ntp
