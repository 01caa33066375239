#include "ntp/client/client_config.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace ntp {
namespace {

std::string Where(const SourceLocation& location) {
  if (location.file.empty()) return "";
  return absl::StrCat(location.file, ":", location.line, ": ");
}

}  // namespace

ClientConfigResult ClientOptionsFromConfig(const NtpConfig& config, const ClientFlags& flags,
                                           uint64_t random_seed, uint16_t server_port) {
  ClientConfigResult result;
  ClientEngineOptions& o = result.options;
  for (const ServerConfig* s : config.NetworkServers()) {
    if (s->kind != AssociationKind::kServer) {
      result.warnings.push_back(absl::StrCat(
          Where(s->location), s->kind == AssociationKind::kPeer ? "peer" : "pool", " ",
          s->host, ": not supported by this client, ignored"));
      continue;
    }
    if (!s->address.has_value()) {
      result.warnings.push_back(absl::StrCat(Where(s->location), "server ", s->host,
                                             ": not a numeric address, ignored"));
      continue;
    }
    AssociationConfig a;
    a.server = net::SocketAddress(*s->address, server_port);
    a.name = s->host;
    a.prefer = s->prefer;
    a.iburst = s->iburst;
    a.burst = s->burst;
    a.noselect = s->noselect;
    a.truechimer = s->truechimer;
    a.minpoll = s->minpoll;
    a.maxpoll = s->maxpoll;
    a.key_id = s->key_id;
    a.version = s->version;
    if (s->nts) {
      NtsAssociationConfig nts;
      if (s->nts_port.has_value()) nts.ke_port = static_cast<uint16_t>(*s->nts_port);
      if (s->nts_ca.has_value()) {
        nts.ca_file = s->nts_ca->path;
      } else if (config.nts.ca.has_value()) {
        nts.ca_file = config.nts.ca->path;  // `nts ca FILE`
      }
      nts.verify = !s->nts_noval;
      a.nts = nts;
    }
    o.servers.push_back(a);
  }
  // tinker (ntpd 4.2.8 semantics, ntpd/ntp_loopfilter.c loop_config).
  o.discipline.step_threshold_seconds = config.tinker.step_seconds;
  o.discipline.stepout_seconds = config.tinker.stepout_seconds;
  o.discipline.panic_threshold_seconds = config.tinker.panic_seconds;
  o.discipline.allow_big_first_step = flags.allow_big_first_step;
  o.discipline.never_step = flags.never_step;
  o.set_once_and_exit = flags.set_once_and_exit;
  o.initial_frequency_ppm = config.tinker.freq_ppm;
  // tos.
  o.minsane = config.tos.minsane;
  o.minclock = config.tos.minclock;
  o.maxclock = config.tos.maxclock;
  o.mindist_seconds = config.tos.mindist_seconds;
  o.maxdist_seconds = config.tos.maxdist_seconds;
  o.budget_seconds = config.tos.budget_seconds;
  o.budget_window_seconds = config.tos.budgetwindow_seconds;
  o.phi = config.tinker.dispersion_ppm * 1e-6;
  o.stratum_floor = config.tos.floor;
  o.stratum_ceiling = config.tos.ceiling;
  if (config.drift_wander_threshold.has_value()) {
    o.drift_write_threshold_ppm = *config.drift_wander_threshold * 1e6;
  }
  o.random_seed = random_seed;
  return result;
}

}  // namespace ntp
