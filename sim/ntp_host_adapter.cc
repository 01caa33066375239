#include "sim/ntp_host_adapter.h"

#include "absl/strings/str_cat.h"
#include "ntp/auth/keys_file.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser.h"
#include "ntp/leap_seconds_list.h"
#include "ntp/trace/codec.h"
#include "ntp/nts/server.h"
#include "ntp/trace/keys.h"
#include "sim/random.h"

namespace sim {
namespace {

constexpr char kConfigPath[] = "/etc/ntp.conf";

void Warn(const SimHostEnvironment& env, std::string text) {
  if (env.events != nullptr) {
    env.events->OnEvent(ntp::Event{ntp::EventKind::kWarning, std::move(text)});
  }
}

}  // namespace

HostExit NtpHostAdapter::exit_state() const {
  switch (instance_->host().exit_state()) {
    case ntp::HostExit::kRunning: return HostExit::kRunning;
    case ntp::HostExit::kPanic: return HostExit::kPanic;
    case ntp::HostExit::kDone: return HostExit::kDone;
    case ntp::HostExit::kError: return HostExit::kError;
  }
  return HostExit::kError;
}

std::vector<AssociationRow> NtpHostAdapter::AssociationRows() const {
  std::vector<AssociationRow> rows;
  const ntp::ClientEngine* client = instance_->host().client();
  if (client == nullptr) return rows;
  const auto& associations = client->associations();
  for (size_t i = 0; i < associations.size(); ++i) {
    const ntp::Association& a = *associations[i];
    const ntp::AssociationCounters& c = a.counters();
    AssociationRow row;
    row.server = a.config().server.ip().ToString();
    row.poll_log2 = a.hpoll();
    row.reach = a.reach();
    row.tally = ntp::PeerSelectTally(client->select_status(static_cast<int>(i)));
    row.sent = c.sent;
    row.received = c.received;
    row.accepted = c.verdicts[static_cast<size_t>(ntp::ReplyVerdict::kAccept)];
    row.drops = {{"wrong_source", c.wrong_source},
                 {"malformed", c.malformed},
                 {"auth_failed", c.auth_failed}};
    for (size_t v = 0; v < c.verdicts.size(); ++v) {
      const auto verdict = static_cast<ntp::ReplyVerdict>(v);
      if (verdict == ntp::ReplyVerdict::kAccept) continue;
      row.drops.push_back({ntp::ReplyVerdictName(verdict), c.verdicts[v]});
    }
    row.drops.push_back({"outlier", c.outliers});
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::Status NtpHostAdapter::Start() {
  if (absl::Status s = instance_->Start(); !s.ok()) return s;
  return nts_server_ != nullptr ? nts_server_->Start() : absl::OkStatus();
}

void NtpHostAdapter::Stop() {
  if (nts_server_ != nullptr) nts_server_->Stop();
  instance_->Shutdown();
}

NtsCounters NtpHostAdapter::nts() const {
  NtsCounters n;
  if (const ntp::ClientEngine* client = instance_->host().client(); client != nullptr) {
    for (const auto& a : client->associations()) {
      const ntp::NtsSession* session = a->nts();
      if (session == nullptr) continue;
      const ntp::NtsSessionCounters& s = session->counters();
      n.ke_failed += s.key_exchange_failures;
      n.ke_completed += s.key_exchanges - s.key_exchange_failures -
                        (session->exchange_running() ? 1 : 0);
      n.naks += s.naks;
      n.dropped += s.dropped;
      n.authenticated +=
          a->counters().verdicts[static_cast<size_t>(ntp::ReplyVerdict::kAccept)];
    }
  }
  if (nts_server_ != nullptr) {
    const ntp::nts::KeServerCounters& ke = nts_server_->ke_counters();
    n.ke_served = ke.completed;
    n.ke_failed_server = ke.refused_busy + ke.failed + ke.timed_out + ke.oversized;
    n.rotations = nts_server_->rotations();
  }
  if (const ntp::nts::NtsServer* server = instance_->host().nts_server(); server != nullptr) {
    n.requests_served = server->counters().accepted;
    n.naks_sent = server->counters().naks;
  }
  return n;
}

std::vector<AssociationPoll> NtpHostAdapter::associations() const {
  std::vector<AssociationPoll> out;
  const ntp::ClientEngine* client = instance_->host().client();
  if (client == nullptr) return out;
  for (const auto& a : client->associations()) {
    out.push_back({a->hpoll(), a->counters().sent});
  }
  return out;
}

absl::StatusOr<std::unique_ptr<SimHost>> NtpHostAdapter::Create(const scenario::Host& spec,
                                                                const SimHostEnvironment& env) {
  auto adapter = std::unique_ptr<NtpHostAdapter>(new NtpHostAdapter());
  // Kept by the adapter: key exchanges read their CA files through it.
  adapter->files_ = std::make_unique<ntp::InMemoryFileReader>();
  ntp::InMemoryFileReader& reader = *adapter->files_;
  // Sorted by path: the map field's order is unspecified.
  std::map<std::string, std::string> files(spec.files().begin(), spec.files().end());
  for (const auto& [path, contents] : files) reader.AddFile(path, contents);
  if (!env.nts_ca_pem.empty()) reader.AddFile(kNtsCaPath, env.nts_ca_pem);
  const ntp::ParsedConfig parsed = ntp::ParseNtpConfText(spec.ntp_conf(), kConfigPath, &reader);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ntp.conf has errors:\n", parsed.FormatAll()));
  }
  for (const ntp::Diagnostic& d : parsed.diagnostics) {
    Warn(env, ntp::FormatDiagnostic(d));
  }
  ntp::HostOptions options;
  for (const std::string& flag : spec.flags()) {
    if (flag == "-g") {
      options.allow_big_first_step = true;
    } else if (flag == "-x") {
      options.never_step = true;
    } else if (flag == "-q") {
      options.set_once_and_exit = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown daemon flag ", flag));
    }
  }
  const ntp::NtpConfig& config = parsed.config;
  if (config.keys.has_value() && !config.keys->path.empty()) {
    absl::StatusOr<std::string> contents = reader.Read(config.keys->path, size_t{1} << 20);
    if (!contents.ok()) {
      Warn(env, absl::StrCat("authreadkeys: file '", config.keys->path,
                             "': No such file or directory"));
    } else {
      ntp::ParsedKeysFile keys = ntp::ParseKeysFile(config.keys->path, *contents);
      for (const ntp::KeysFileDiagnostic& d : keys.diagnostics) Warn(env, d.ToString());
      adapter->keys_ = std::make_unique<ntp::KeyStore>(std::move(keys.keys));
    }
  }
  if (config.leapfile.has_value() && !config.leapfile->path.empty()) {
    absl::StatusOr<std::string> contents = reader.Read(config.leapfile->path, size_t{1} << 20);
    absl::StatusOr<ntp::LeapSecondsList> leap =
        contents.ok() ? ntp::ParseLeapSecondsList(*contents, config.leapfile->path,
                                                  config.leapfile_ignore_hash)
                      : absl::StatusOr<ntp::LeapSecondsList>(contents.status());
    if (leap.ok()) {
      options.leap_seconds = *std::move(leap);
    } else {
      Warn(env, absl::StrCat("leapfile ", config.leapfile->path, ": ", leap.status().message()));
    }
  }
  ntp::runtime::Seams seams;
  seams.clock = env.clock;
  seams.network = env.network;
  seams.scheduler = env.scheduler;
  seams.events = env.events;
  seams.streams = env.streams;
  seams.files = adapter->files_.get();
  bool nts_client = false;
  for (const ntp::ServerConfig& server : config.servers) nts_client |= server.nts;
  if (nts_client) {
    absl::StatusOr<std::unique_ptr<SimTlsLibrary>> tls =
        SimTlsLibrary::Create(DeriveSeed(env.random_seed, "nts-client-tls"));
    if (!tls.ok()) return tls.status();
    adapter->client_tls_ = *std::move(tls);
    seams.tls_library = adapter->client_tls_->get();
  }
  if (spec.has_nts_server()) {
    absl::StatusOr<std::unique_ptr<SimNtsServer>> server =
        SimNtsServer::Create(spec.nts_server(), env);
    if (!server.ok()) return server.status();
    adapter->nts_server_ = *std::move(server);
    options.nts_keyring = adapter->nts_server_->keyring();
  }
  // As the daemon: a drift file only when the configuration names one.
  if (config.driftfile.has_value() && !config.driftfile->path.empty()) {
    seams.drift_store = env.drift_store;
  }
  options.random_seed = env.random_seed;
  options.own_addresses = env.addresses;
  absl::StatusOr<std::unique_ptr<ntp::runtime::Instance>> instance =
      ntp::runtime::Instance::Create(config, options, adapter->keys_.get(), seams);
  if (!instance.ok()) return instance.status();
  adapter->instance_ = *std::move(instance);
  if (env.trace_sink != nullptr) {
    // The start time is the epoch: reading the simulated clock here would
    // draw from its read-noise stream and change the run.
    ntp::trace::Header header = ntp::trace::MakeHeader(config, options, absl::UnixEpoch(), "ntpsim");
    if (adapter->keys_ != nullptr) {
      ntp::trace::RecordKeys(*adapter->keys_, /*include_secrets=*/true, "", &header);
    }
    header.set_sim_host(env.name);
    adapter->recorder_ = std::make_unique<ntp::trace::TraceRecorder>(header, env.trace_sink);
    adapter->instance_->executor().set_observer(adapter->recorder_.get());
  }
  return std::unique_ptr<SimHost>(std::move(adapter));
}

SimHostFactory NtpdHostFactory() {
  return [](const scenario::Host& host, const SimHostEnvironment& env) {
    return NtpHostAdapter::Create(host, env);
  };
}

}  // namespace sim
