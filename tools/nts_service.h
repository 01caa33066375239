// The daemon's NTS server side (RFC 8915): from `nts enable`, `nts cert`,
// `nts key` and `nts cookie` (ntp/config/config.h NtsConfig) it loads the
// TLS certificate and key, owns the cookie master keys (the key file is
// read at start, written atomically with mode 0600 at start and at every
// rotation), serves NTS-KE on a stream listener (KeStreamServer over the
// Network seam's streams), and rotates the master key on a Scheduler timer.
// The host answers NTS-protected NTP under keyring() (HostOptions::
// nts_keyring).
//
// Errors name the configuration line: a missing certificate or key file,
// a key of the wrong type, a certificate that does not match its key, an
// unreadable or malformed cookie key file.
#ifndef TOOLS_NTS_SERVICE_H_
#define TOOLS_NTS_SERVICE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/file_reader.h"
#include "clock/scheduler.h"
#include "net/address.h"
#include "net/stream.h"
#include "ntp/config/config.h"
#include "ntp/events.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/ke_session.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/runtime/nts_ke_stream.h"

namespace tools {

struct NtsServiceOptions {
  // Where NTS-KE listens (the daemon's --nts_ke_port on its listen address).
  net::SocketAddress listen;
  // The NTP port the exchange names when it is not 123 (RFC 8915 §4.1.8).
  uint16_t ntp_port = 123;
  absl::Duration rotate_interval = absl::Seconds(ntp::nts::kDefaultRotationIntervalSeconds);
};

class NtsService {
 public:
  // Loads the certificate, key and cookie key file named in `config`
  // through `files` (a missing key file is created with a first key).
  // InvalidArgument / NotFound with "FILE:LINE: ..." of the line at fault.
  // REQUIRES: config.enabled.
  static absl::StatusOr<std::unique_ptr<NtsService>> Create(const ntp::NtsConfig& config,
                                                            clocks::FileReader* files,
                                                            const NtsServiceOptions& options);
  ~NtsService();
  NtsService(const NtsService&) = delete;
  NtsService& operator=(const NtsService&) = delete;

  // The master keys the host seals and opens cookies with.
  ntp::nts::CookieKeyring* keyring() { return &keyring_; }

  // Opens the NTS-KE listener and arms the rotation timer. `events` (may be
  // null) hears of rotations and key file write failures.
  // REQUIRES: `streams`, `scheduler` and `events` outlive the service.
  absl::Status Start(net::StreamNetwork* streams, clocks::Scheduler* scheduler,
                     ntp::EventSink* events);

  // Rotates the master key now and writes the key file.
  absl::Status Rotate();

  const ntp::nts::KeServerCounters& ke_counters() const { return ke_server_->counters(); }
  const net::StreamListener* listener() const {
    return stream_server_ != nullptr ? &stream_server_->listener() : nullptr;
  }
  uint64_t rotations() const { return rotations_; }

 private:
  NtsService(const NtsServiceOptions& options, ntp::nts::KeTlsContext tls)
      : options_(options), tls_(std::move(tls)) {}
  absl::Status SaveKeys();
  void ArmRotation();

  const NtsServiceOptions options_;
  ntp::nts::KeTlsContext tls_;
  std::string cookie_file_;  // empty: keys live in memory only
  ntp::nts::CookieKeyring keyring_;
  absl::BitGen gen_;  // seeded by the OS
  std::unique_ptr<ntp::nts::KeServer> ke_server_;
  std::unique_ptr<ntp::runtime::KeStreamServer> stream_server_;
  clocks::Scheduler* scheduler_ = nullptr;
  ntp::EventSink* events_ = nullptr;
  std::optional<clocks::TimerId> rotation_timer_;
  uint64_t rotations_ = 0;
};

}  // namespace tools

#endif  // TOOLS_NTS_SERVICE_H_
