// ntp::Host: one NTP instance — server (responder, access control, rate
// limiting, LOCAL clock and orphan mode) and client (ClientEngine, when the
// configuration names upstream servers) — as a pure state machine. It takes
// one input at a time (ntp/actions.h) and returns the actions to carry out;
// it never calls the Clock, Network or Scheduler seams. The executor
// (ntp/runtime/executor.h) drives it in the daemon, the simulator and replay.
//
// Contract for whoever writes SystemVariables: root_dispersion is the value
// at reference_time; readers (the responder) add PHI * (now - reference_time).
#ifndef NTP_HOST_H_
#define NTP_HOST_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/address.h"
#include "ntp/actions.h"
#include "ntp/client/client_engine.h"
#include "ntp/leap_seconds_list.h"
#include "ntp/random.h"
#include "ntp/config/config.h"
#include "ntp/control/control_server.h"
#include "ntp/interface_selection.h"
#include "ntp/server/counters.h"
#include "ntp/server/local_reference.h"
#include "ntp/server/responder.h"
#include "ntp/system_state.h"

namespace ntp {

class KeyStore;  // ntp/auth/key_store.h
namespace nts {
class CookieKeyring;  // ntp/nts/cookie.h
class NtsServer;      // ntp/nts/server.h
}  // namespace nts

struct HostOptions {
  bool allow_big_first_step = false;  // ntpd -g: one correction beyond panic
  bool never_step = false;            // ntpd -x: slew only
  bool set_once_and_exit = false;     // ntpd -q: set the clock once, exit
  uint16_t port = 123;                // NTP port to listen on
  // Overrides the `interface` rules (ntpd --listen). An address with port
  // 0 gets `port`. Empty: the `interface` rules decide (interface_selection.h):
  // applied to `interfaces` when the daemon listed them, else to the
  // config's `interface listen` addresses or the wildcard addresses 0.0.0.0
  // and :: (the IPv6 wildcard skipped if the network has no IPv6).
  std::vector<net::SocketAddress> listen;
  // The machine's interface addresses with their names (the daemon's
  // getifaddrs); empty in the simulator and in tests.
  std::vector<NetworkInterface> interfaces;
  // The host's own addresses: requests to upstream servers leave from the
  // first of each family (else the wildcard), and they are the loop test's
  // refids (RFC 5905 §8, TEST12).
  std::vector<net::IpAddress> own_addresses;
  // Port of the upstream servers (123; tests on loopback use others).
  uint16_t server_port = 123;
  // All randomness of the instance derives from it.
  uint64_t random_seed = 0;
  // The verified `leapfile` (ntp/leap_seconds_list.h), read by the daemon
  // or the simulator; while not expired it decides the leap warning.
  std::optional<LeapSecondsList> leap_seconds;
  // NTS server (RFC 8915 §5): requests carrying NTS extension fields are
  // checked and answered under these master keys (a reply never larger
  // than its request; an NTS NAK for a cookie under an unknown key). The
  // owner (the daemon's NTS service, the simulator) fills and rotates it
  // and keeps it alive as long as the host. Null: NTS requests get plain
  // replies.
  nts::CookieKeyring* nts_keyring = nullptr;
};

enum class HostExit { kRunning, kPanic, kDone, kError };

class Host {
 public:
  // Builds the instance from a parsed configuration (nothing is bound or
  // armed until StartInput). `keys` may be null (no keys); it is copied.
  // InvalidArgument for an unusable server address or a `key N` that `keys`
  // lacks (the message names the configuration line); Internal if the MAC
  // library is unusable while keys are configured.
  static absl::StatusOr<std::unique_ptr<Host>> Create(const NtpConfig& config,
                                                      const HostOptions& options,
                                                      const KeyStore* keys);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Handles one input and returns the actions to carry out, in order. The
  // reference is valid until the next call. Inputs after a StartInput only;
  // a second StartInput is ignored.
  //
  // A ConfigChangeInput replaces the configuration as ntpd's SIGHUP does:
  // the client's associations whose `server` line is unchanged keep their
  // state, removed ones stop, new ones start polling (ClientEngine::
  // Reconfigure; a client side is created if there was none); `tos` and
  // `tinker` values apply; the server side's restrict, discard, monitor and
  // PHI settings are rebuilt, keeping the client table. Not reloaded (a
  // warning says so when they changed): the keys, `trustedkey` and
  // `driftfile` (the daemon opens them at start), the listen addresses, the
  // LOCAL clock (`fudge`) and orphan mode; nor the `mru` sizes. It logs
  // "reconfigured: N associations kept, M added, K removed" and the new
  // configuration's warnings (warnings() is replaced).
  const Actions& Handle(const Input& input);

  const SystemVariables& system() const { return system_; }
  HostExit exit_state() const;
  // Why the start failed (a listen address could not be bound: the daemon
  // prints ntpd's "the NTP socket is in use, exiting" for AlreadyExists);
  // OK otherwise.
  const absl::Status& start_status() const { return start_status_; }

  // Read-only views (ntpq, tests, the simulator's reports).
  const ClientEngine* client() const { return client_.get(); }
  const ServerCounters& server_counters() const { return responder_->counters(); }
  const ClientTable& clients() const { return responder_->clients(); }
  const AccessControl& access() const { return responder_->access(); }
  const LocalReference& local_reference() const { return *local_reference_; }
  // Addresses bound for serving (empty before the start results).
  std::vector<net::SocketAddress> bound_addresses() const;
  // Configuration items the instance could not apply ("FILE:LINE: warning:
  // ..."); also logged at start.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // The mode 6 control server (ntpq, ntpstat, the exporter).
  const ControlServer& control() const { return *control_; }
  // Mode 1/2/4/5 datagrams that reached the NTP port (the client receives
  // on its own ephemeral sockets).
  uint64_t ignored_packets() const { return ignored_packets_; }
  // RTC writes done and refused (`rtc write`).
  uint64_t rtc_writes() const { return rtc_writes_; }
  uint64_t rtc_write_failures() const { return rtc_write_failures_; }
  // Monotonic time of the last input.
  absl::Time now() const { return dispatch_.now.monotonic; }

 private:
  Host(const HostOptions& options);
  // What to bind: each address, and whether its packets are dropped
  // (`interface drop`).
  struct ListenChoice {
    net::SocketAddress address;
    bool drop = false;
    bool optional = false;  // the IPv6 wildcard on a host without IPv6
  };
  std::vector<ListenChoice> ListenAddresses() const;
  void OnStart(const StartInput& input);
  void OnDatagram(const DatagramInput& input);
  void OnServerDatagram(SocketId socket, const net::ReceivedDatagram& datagram);
  void OnControlDatagram(SocketId socket, const net::ReceivedDatagram& datagram);
  // An NTS request (RFC 8915 §5.7) on a server socket.
  void OnNtsRequest(SocketId socket, const net::ReceivedDatagram& datagram,
                    const ServerRequest& request);
  void OnTimer(const TimerInput& input);
  void OnSocketResult(const SocketResultInput& input);
  void OnSendResult(const SendResultInput& input);
  void OnShutdown();
  void OnConfigChange(const ConfigChangeInput& input);
  // Builds client_ for `options` (servers non-empty).
  absl::Status CreateClient(ClientEngineOptions options);
  void FailStart(const absl::Status& status);
  void SetUpstreamSystemPeer(bool has_peer);
  // The hardware clock (`rtc` directive, RtcConfig in ntp/config/config.h).
  void StartRtc(const StartInput& input);
  void OnRtcTimer();
  void OnRtcWriteResult(const RtcWriteResultInput& input);

  // A listen socket: what was asked and, once bound, what we got.
  struct ListenSocket {
    SocketId id = 0;
    net::SocketAddress requested;
    std::optional<net::SocketAddress> bound;
    bool optional = false;  // the IPv6 wildcard on a host without IPv6
    bool drop = false;      // `interface drop`: bound, every packet dropped
  };

  const HostOptions options_;
  // Kept for a configuration change: the configuration in effect, without
  // provenance (to tell what changed), a copy of the keys (null: none) and
  // the start input (a client side created later starts from it).
  NtpConfig config_;
  std::unique_ptr<KeyStore> keys_;
  std::optional<StartInput> start_input_;
  Dispatch dispatch_;
  Actions actions_;
  DispatchEventSink events_{&dispatch_};
  std::vector<InterfaceRule> interface_rules_;
  std::vector<std::string> warnings_;
  SystemVariables system_;
  std::unique_ptr<Responder> responder_;
  std::unique_ptr<LocalReference> local_reference_;
  std::unique_ptr<ClientEngine> client_;
  std::unique_ptr<ControlServer> control_;
  absl::Time started_at_;  // monotonic time of the StartInput
  std::vector<ListenSocket> listen_;
  bool started_ = false;
  bool stopped_ = false;
  absl::Status start_status_;
  uint64_t ignored_packets_ = 0;
  bool upstream_ = false;  // the client side has a system peer
  uint64_t rtc_writes_ = 0;
  uint64_t rtc_write_failures_ = 0;
  bool rtc_failure_reported_ = false;
  std::array<uint8_t, Responder::kMaxReplyOctets> reply_buffer_{};
  // The NTS server (null without options_.nts_keyring), its random numbers
  // (Unique Identifier echo needs none; cookie nonces do) and reply buffer.
  std::unique_ptr<nts::NtsServer> nts_server_;
  SplitMix64 nts_rng_{0};
  std::vector<uint8_t> nts_reply_;

 public:
  // NTS server counters (null: no NTS server).
  const nts::NtsServer* nts_server() const { return nts_server_.get(); }
};

}  // namespace ntp

#endif  // NTP_HOST_H_
