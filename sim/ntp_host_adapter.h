// The NTPD role: the project's daemon core (ntp::Host, server and client)
// driven by the one executor (ntp/runtime/instance.h) on a simulated host's
// seams, configured by the scenario's ntp.conf text through the real parser
// (ntp/config/parser.h) with an in-memory file reader holding the host's
// `files` (keys, includes). Exactly the code the daemon runs, minus the
// Linux adapters. With env.trace_sink it records the instance's trace as
// the daemon's --trace does (keys included: a scenario's keys are not
// secret; the header names the host). NTS: key exchanges run over the
// host's simulated streams in a seeded OpenSSL context; every host finds
// the run's CA as kNtsCaPath; a host with `nts_server` also serves NTS-KE
// (sim_nts_server.h) and answers NTS requests under its master keys.
#ifndef SIM_NTP_HOST_ADAPTER_H_
#define SIM_NTP_HOST_ADAPTER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "ntp/auth/key_store.h"
#include "ntp/config/file_reader.h"
#include "ntp/host.h"
#include "ntp/runtime/instance.h"
#include "ntp/trace/recorder.h"
#include "sim/sim_host.h"
#include "sim/sim_nts_server.h"
#include "sim/sim_tls.h"

namespace sim {

// Where every host finds the run's NTS CA (SimHostEnvironment::nts_ca_pem),
// for `server ... nts ca /etc/ntpsim/nts-ca.pem`.
inline constexpr char kNtsCaPath[] = "/etc/ntpsim/nts-ca.pem";

class NtpHostAdapter final : public SimHost {
 public:
  // Parses host.ntp_conf (file name "/etc/ntp.conf"; includes and the keys
  // file are looked up in host.files) and builds the instance. Errors:
  // InvalidArgument with the parser's diagnostics if the configuration has
  // errors (ntpd refuses to start); what Instance::Create returns otherwise.
  // Configuration warnings go to env.events as kWarning events.
  static absl::StatusOr<std::unique_ptr<SimHost>> Create(const scenario::Host& host,
                                                         const SimHostEnvironment& env);

  absl::Status Start() override;
  void Stop() override;
  ntp::SystemVariables system() const override { return instance_->host().system(); }
  HostExit exit_state() const override;
  std::vector<AssociationRow> AssociationRows() const override;
  std::vector<AssociationPoll> associations() const override;
  NtsCounters nts() const override;

  const ntp::Host& host() const { return instance_->host(); }

 private:
  NtpHostAdapter() = default;

  // The scenario's files for this host (CA files for NTS-KE); outlives
  // the instance.
  std::unique_ptr<ntp::InMemoryFileReader> files_;
  std::unique_ptr<ntp::KeyStore> keys_;
  // NTS (RFC 8915): the seeded OpenSSL context key exchanges of the client
  // run in, and the NTS-KE server with the master keys of a host with
  // `nts_server`; both outlive the instance.
  std::unique_ptr<SimTlsLibrary> client_tls_;
  std::unique_ptr<SimNtsServer> nts_server_;
  // Declared before the instance: it outlives it and flushes last.
  std::unique_ptr<ntp::trace::TraceRecorder> recorder_;
  std::unique_ptr<ntp::runtime::Instance> instance_;
};

// The factory for scenario::NTPD.
SimHostFactory NtpdHostFactory();

}  // namespace sim

#endif  // SIM_NTP_HOST_ADAPTER_H_
