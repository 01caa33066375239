#include "tools/nts_service.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clock/atomic_file.h"

namespace tools {
namespace {

std::string Where(const ntp::SourceLocation& location) {
  return absl::StrCat(location.file, ":", location.line, ": ");
}

// Certificates and keys are small; a CA chain a few KiB.
constexpr size_t kMaxPemOctets = 1 << 20;

absl::StatusOr<std::string> ReadNamed(clocks::FileReader* files,
                                      const std::optional<ntp::ConfigPath>& path,
                                      const char* what) {
  absl::StatusOr<std::string> text = files->Read(path->path, kMaxPemOctets);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat(Where(path->location), "nts ", what, " ", path->path,
                                     ": ", text.status().message()));
  }
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NtsService>> NtsService::Create(
    const ntp::NtsConfig& config, clocks::FileReader* files, const NtsServiceOptions& options) {
  const std::string enable_at =
      config.location.has_value() ? Where(*config.location) : std::string();
  if (!config.cert.has_value() || !config.key.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(enable_at, "nts enable: needs `nts cert FILE` and `nts key FILE`"));
  }
  absl::StatusOr<std::string> cert = ReadNamed(files, config.cert, "cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadNamed(files, config.key, "key");
  if (!key.ok()) return key.status();
  absl::StatusOr<ntp::nts::KeTlsContext> tls = ntp::nts::KeTlsContext::ForServer(*cert, *key);
  if (!tls.ok()) {
    // The key's line for what is wrong with the key, else the certificate's.
    const bool key_at_fault = absl::StrContains(tls.status().message(), "private key");
    const ntp::ConfigPath& blamed = key_at_fault ? *config.key : *config.cert;
    return absl::InvalidArgumentError(
        absl::StrCat(Where(blamed.location), "nts ", key_at_fault ? "key " : "cert ",
                     blamed.path, ": ", tls.status().message(),
                     key_at_fault ? absl::StrCat(" (certificate ", config.cert->path, ")")
                                  : std::string()));
  }
  std::unique_ptr<NtsService> service(new NtsService(options, *std::move(tls)));
  if (config.cookie.has_value()) {
    service->cookie_file_ = config.cookie->path;
    absl::StatusOr<std::string> text = files->Read(config.cookie->path, kMaxPemOctets);
    if (text.ok()) {
      absl::StatusOr<ntp::nts::CookieKeyring> keyring =
          ntp::nts::CookieKeyring::ParseKeyFile(*text, config.cookie->path);
      if (!keyring.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(Where(config.cookie->location),
                                                       "nts cookie: ",
                                                       keyring.status().message()));
      }
      service->keyring_ = *std::move(keyring);
    } else if (!absl::IsNotFound(text.status())) {
      return absl::Status(text.status().code(),
                          absl::StrCat(Where(config.cookie->location), "nts cookie ",
                                       config.cookie->path, ": ", text.status().message()));
    }
  }
  if (service->keyring_.empty()) {
    if (absl::Status s = service->keyring_.Rotate(service->gen_); !s.ok()) return s;
    if (absl::Status s = service->SaveKeys(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(Where(config.cookie->location), "nts cookie ",
                                                 config.cookie->path, ": ", s.message()));
    }
  }
  ntp::nts::KeServerOptions ke_options;
  if (options.ntp_port != 123) ke_options.ntp_port = options.ntp_port;
  service->ke_server_ = std::make_unique<ntp::nts::KeServer>(&service->tls_, &service->keyring_,
                                                             ke_options);
  return service;
}

NtsService::~NtsService() {
  if (rotation_timer_.has_value()) scheduler_->Cancel(*rotation_timer_);
}

absl::Status NtsService::SaveKeys() {
  if (cookie_file_.empty()) return absl::OkStatus();
  return clocks::WriteFileAtomically(cookie_file_, keyring_.SerializeKeyFile(), 0600);
}

absl::Status NtsService::Start(net::StreamNetwork* streams, clocks::Scheduler* scheduler,
                               ntp::EventSink* events) {
  scheduler_ = scheduler;
  events_ = events;
  absl::StatusOr<std::unique_ptr<net::StreamListener>> listener =
      streams->Listen(options_.listen, net::StreamLimits{});
  if (!listener.ok()) {
    return absl::Status(listener.status().code(),
                        absl::StrCat("NTS-KE on ", options_.listen.ToString(), ": ",
                                     listener.status().message()));
  }
  stream_server_ = std::make_unique<ntp::runtime::KeStreamServer>(
      ke_server_.get(), scheduler, gen_, *std::move(listener));
  ArmRotation();
  return absl::OkStatus();
}

void NtsService::ArmRotation() {
  rotation_timer_ = scheduler_->RunAfter(options_.rotate_interval, [this] {
    rotation_timer_.reset();
    const absl::Status status = Rotate();
    if (events_ != nullptr) {
      events_->OnEvent(status.ok()
                           ? ntp::Event{ntp::EventKind::kInfo,
                                        absl::StrCat("NTS cookie master key ",
                                                     keyring_.current_id(), " in use")}
                           : ntp::Event{ntp::EventKind::kWarning,
                                        absl::StrCat("NTS cookie keys: ", status.message())});
    }
    ArmRotation();
  });
}

absl::Status NtsService::Rotate() {
  if (absl::Status s = keyring_.Rotate(gen_); !s.ok()) return s;
  ++rotations_;
  return SaveKeys();
}

}  // namespace tools
