// ntp::Host: one NTP instance (server and, once plugged in, client) running
// only on the seams. The daemon (tools/ntpd_main.cc) builds it on
// SystemClock (read-only in server-only mode) + UdpNetwork + PollLoop; the
// simulator builds one per simulated host on its clock model, network model
// and event queue. See /work/helpers/host_api.md for the agreed shape.
//
// Additions to host_api.md (all optional, defaults keep the agreed shape):
//  - HostEnvironment::keys: the parsed keys file (the core reads no files);
//  - Host::AttachClient / HostClient: where ntp/client's ClientEngine plugs
//    in (it writes mutable_system() and calls SetUpstreamSystemPeer());
//  - Host::SetControlHandler / ControlHandler: where mode 6 (ntpq) plugs in;
//  - read-only views: server_counters(), clients(), local_reference(),
//    bound_addresses(), warnings().
// Contract for whoever writes SystemVariables: root_dispersion is the value
// at reference_time; readers (the responder) add PHI * (now - reference_time).
#ifndef NTP_HOST_H_
#define NTP_HOST_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clock/clock.h"
#include "clock/scheduler.h"
#include "net/address.h"
#include "net/network.h"
#include "ntp/config/config.h"
#include "ntp/events.h"
#include "ntp/server/counters.h"
#include "ntp/server/local_reference.h"
#include "ntp/server/responder.h"
#include "ntp/system_state.h"

namespace ntp {

class DriftStore;  // ntp/client/drift_store.h
class KeyStore;    // ntp/auth/key_store.h
class Host;

struct HostOptions {
  bool allow_big_first_step = false;  // ntpd -g: one correction beyond panic
  bool never_step = false;            // ntpd -x: slew only
  bool set_once_and_exit = false;     // ntpd -q: set the clock once, exit
  uint16_t port = 123;                // NTP port to listen on
  // Overrides `interface listen ADDRESS`. An address with port 0 gets
  // `port`. Empty: the config's `interface listen` addresses, else the
  // wildcard addresses 0.0.0.0 and :: (the latter skipped if the network
  // has no IPv6).
  std::vector<net::SocketAddress> listen;
};

struct HostEnvironment {
  clocks::Clock* clock = nullptr;          // this host's clock
  net::Network* network = nullptr;         // this host's network
  clocks::Scheduler* scheduler = nullptr;  // timers
  EventSink* events = nullptr;             // may be null
  uint64_t random_seed = 0;  // all randomness of the host derives from it
  DriftStore* drift_store = nullptr;       // may be null
  const KeyStore* keys = nullptr;          // may be null (no keys); copied
};

enum class HostExit { kRunning, kPanic, kDone, kError };

// The client side as the Host sees it: implemented by ntp/client's
// ClientEngine (issue 6). It owns its associations (and their sockets, if
// it wants per-association ephemeral ports); the Host hands it the packets
// that arrive on the NTP port and are not client requests.
class HostClient {
 public:
  virtual ~HostClient() = default;
  virtual absl::Status Start() = 0;
  virtual void Stop() = 0;
  // A mode 1/2/4/5 datagram that passed restrict (ignore, noserve, version)
  // and, for mode 1, comes from a configured peer. `restrictions` are the
  // matching restrict flags (notrust, nopeer...).
  virtual void OnPacket(const net::ReceivedDatagram& datagram,
                        RestrictMask restrictions) = 0;
  // kPanic (exit 255), kDone (-q finished) or kRunning.
  virtual HostExit exit_state() const = 0;
};

// Mode 6 (ntpq/ntpstat), a later issue. Replies go out through `socket`.
class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  virtual void OnControl(const net::ReceivedDatagram& datagram,
                         RestrictMask restrictions,
                         net::DatagramSocket& socket) = 0;
};

class Host {
 public:
  // Builds the instance from a parsed configuration (no sockets yet).
  // InvalidArgument if clock, network or scheduler is null; Internal if the
  // MAC library is unusable while keys are configured.
  static absl::StatusOr<std::unique_ptr<Host>> Create(
      const NtpConfig& config, const HostOptions& options,
      const HostEnvironment& env);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Binds the listen sockets and starts timers (LOCAL clock, orphan wait)
  // and the client side. Errors from Network::Bind, with the address in the
  // message: AlreadyExists if a port is in use (the daemon then prints
  // ntpd's "the NTP socket is in use, exiting"); nothing stays bound.
  // FailedPrecondition if already started.
  absl::Status Start();
  // Clean shutdown: client stopped, timers cancelled, sockets closed.
  void Stop();

  const SystemVariables& system() const { return system_; }
  HostExit exit_state() const;

  // --- Client side plug-in point -------------------------------------
  // Installs the client side. REQUIRES: before Start().
  void AttachClient(std::unique_ptr<HostClient> client);
  // For the client side only: the system variables it owns while it has a
  // system peer.
  SystemVariables* mutable_system() { return &system_; }
  // The client side reports gaining/losing its upstream system peer; the
  // LOCAL clock / orphan fallback stays quiet while it has one.
  void SetUpstreamSystemPeer(bool has_peer);
  // --------------------------------------------------------------------

  // Installs the mode 6 handler (may be null: mode 6 is then dropped and
  // counted as control_not_served).
  void SetControlHandler(ControlHandler* handler) { control_ = handler; }

  const ServerCounters& server_counters() const { return responder_->counters(); }
  const ClientTable& clients() const { return responder_->clients(); }
  const AccessControl& access() const { return responder_->access(); }
  const LocalReference& local_reference() const { return *local_reference_; }
  // Addresses actually bound (empty before Start()).
  std::vector<net::SocketAddress> bound_addresses() const;
  // Configuration items the host could not apply ("FILE:LINE: warning: ");
  // complete after Start() (network servers with no client side attached).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Host(const HostOptions& options, const HostEnvironment& env);
  std::vector<net::SocketAddress> ListenAddresses() const;
  void OnDatagram(net::DatagramSocket& socket, const net::ReceivedDatagram& datagram);

  const HostOptions options_;
  const HostEnvironment env_;
  std::vector<net::SocketAddress> config_listen_;
  std::vector<std::string> warnings_;
  std::vector<std::string> pending_client_warnings_;
  SystemVariables system_;
  std::unique_ptr<Responder> responder_;
  std::unique_ptr<LocalReference> local_reference_;
  std::unique_ptr<HostClient> client_;
  ControlHandler* control_ = nullptr;
  std::vector<std::unique_ptr<net::DatagramSocket>> sockets_;
  bool started_ = false;
  bool stopped_ = false;
  std::array<uint8_t, Responder::kMaxReplyOctets> reply_buffer_{};
};

}  // namespace ntp

#endif  // NTP_HOST_H_
