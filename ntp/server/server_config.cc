#include "ntp/server/server_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ntp/wire/refid.h"

namespace ntp {
namespace {

std::string Where(const SourceLocation& location) {
  if (location.line > 0) return absl::StrCat(location.file, ":", location.line);
  return location.file;
}

}  // namespace

RestrictMask RestrictFlagsToMask(const RestrictFlags& f) {
  RestrictMask m = 0;
  if (f.ignore) m |= kRestrictIgnore;
  if (f.noquery) m |= kRestrictNoQuery;
  if (f.nomodify) m |= kRestrictNoModify;
  if (f.notrap) m |= kRestrictNoTrap;
  if (f.lowpriotrap) m |= kRestrictLowPrioTrap;
  if (f.nopeer) m |= kRestrictNoPeer;
  if (f.noepeer) m |= kRestrictNoEPeer;
  if (f.noserve) m |= kRestrictNoServe;
  if (f.notrust) m |= kRestrictNoTrust;
  if (f.limited) m |= kRestrictLimited;
  if (f.kod) m |= kRestrictKod;
  if (f.version) m |= kRestrictVersion;
  if (f.flake) m |= kRestrictFlake;
  if (f.mssntp) m |= kRestrictMssntp;
  if (f.nomrulist) m |= kRestrictNoMruList;
  if (f.serverresponse_fuzz) m |= kRestrictServerResponseFuzz;
  return m;
}

ServerSetup BuildServerSetup(const NtpConfig& config, uint64_t hash_seed) {
  ServerSetup setup;
  ResponderSettings& r = setup.responder;
  r.hash_seed = hash_seed;

  // restrict: most specific wins; duplicates OR their flags (access_control.h).
  std::vector<AccessControl::Entry> entries;
  entries.reserve(config.restricts.size());
  for (const RestrictRule& rule : config.restricts) {
    const RestrictMask mask = RestrictFlagsToMask(rule.flags);
    if (rule.is_source) {
      r.access.SetSourceTemplate(r.access.source_template().value_or(0) | mask);
      continue;
    }
    if (rule.is_default) {
      for (auto family : {net::IpAddress::Family::kV4, net::IpAddress::Family::kV6}) {
        if (rule.AppliesToFamily(family)) r.access.AddDefault(family, mask);
      }
      continue;
    }
    if (!rule.address.has_value()) {
      setup.warnings.push_back(absl::StrCat(
          Where(rule.location), ": warning: restrict ", rule.host,
          ": host names are not resolved by this server; line ignored"));
      continue;
    }
    const int prefix = rule.prefix_length();
    AccessControl::Entry entry;
    entry.network = *rule.address;
    entry.prefix_length = prefix >= 0 ? prefix : (rule.address->is_v4() ? 32 : 128);
    entry.ntpport_only = rule.flags.ntpport;
    entry.flags = mask;
    entries.push_back(entry);
  }
  r.access.AddAll(entries);  // one sort for all lines

  // discard / mru / enable monitor / tinker dispersion.
  r.rate.average_log2_seconds = config.discard.average_log2_seconds;
  r.rate.minimum_seconds = config.discard.minimum_seconds;
  // The parser bounds both (config.h); a configuration built by hand is
  // held to the same bounds here.
  if (config.mru.maxdepth.has_value() && *config.mru.maxdepth > 0) {
    r.client_table_capacity =
        static_cast<size_t>(std::min(*config.mru.maxdepth, kMaxMruDepth));
  } else if (config.mru.maxmem_kib.has_value() && *config.mru.maxmem_kib > 0) {
    r.client_table_capacity = std::max<size_t>(
        1, static_cast<size_t>(std::min(*config.mru.maxmem_kib, kMaxMruMemKib)) * 1024 /
               ClientTable::BytesPerEntry());
  }
  r.monitor = config.system.monitor;
  r.dispersion_rate_ppm = config.tinker.dispersion_ppm;
  r.leap_smear_seconds = config.leapsmearinterval_seconds.value_or(0);

  for (const ServerConfig& server : config.servers) {
    if (server.kind == AssociationKind::kPeer && server.address.has_value()) {
      r.configured_peers.push_back(*server.address);
    }
  }
  for (const auto& range : config.trusted_keys.ranges()) {
    setup.trusted_key_ranges.push_back(range);
  }

  // LOCAL clock and orphan mode (local_reference.h).
  LocalReferenceSettings& l = setup.local_reference;
  l.orphan_stratum = config.tos.orphan_stratum;
  l.orphan_wait = absl::Seconds(config.tos.orphanwait_seconds);
  l.mindist_seconds = config.tos.mindist_seconds;
  l.phi_ppm = config.tinker.dispersion_ppm;
  for (const ServerConfig* server : config.RefclockServers()) {
    const RefclockAddress& clock = *server->refclock;
    if (!clock.is_local_clock()) {
      setup.warnings.push_back(absl::StrCat(
          Where(server->location), ": warning: reference clock ", clock.ToString(),
          " (driver type ", clock.type, ") is not supported; ignored"));
      continue;
    }
    if (l.local_clock) {
      setup.warnings.push_back(absl::StrCat(
          Where(server->location), ": warning: only one LOCAL clock is used; ",
          clock.ToString(), " ignored"));
      continue;
    }
    l.local_clock = true;
    l.local_unit = clock.unit;
    l.local_prefer = server->prefer;
    l.local_poll_log2 = server->minpoll;
    if (const FudgeConfig* fudge = config.FindFudge(clock)) {
      if (fudge->stratum.has_value()) l.local_stratum = *fudge->stratum;
      // The parser admits only refids RefIdFromAscii accepts.
      if (fudge->refid.has_value()) {
        absl::StatusOr<uint32_t> refid = RefIdFromAscii(*fudge->refid);
        if (refid.ok()) l.local_refid = *refid;
      }
    }
  }
  return setup;
}

}  // namespace ntp
