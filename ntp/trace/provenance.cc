// Source locations of a configuration in a trace (provenance.h).
#include "ntp/trace/provenance.h"

#include <functional>
#include <optional>
#include <vector>

namespace ntp::trace {
namespace {

// One group: the places a group's locations live in, in a fixed order.
// A null entry of `optional` is an optional location.
struct Group {
  std::vector<SourceLocation*> locations;
  std::vector<std::optional<SourceLocation>*> optional;
};

// The groups of `c`, in the order RecordProvenance writes them.
std::vector<Group> Groups(NtpConfig& c) {
  std::vector<Group> groups(10);
  for (ServerConfig& s : c.servers) groups[0].locations.push_back(&s.location);
  for (auto& [refclock, f] : c.fudges) groups[1].locations.push_back(&f.location);
  for (RestrictRule& r : c.restricts) groups[2].locations.push_back(&r.location);
  for (InterfaceRule& r : c.interfaces) groups[3].locations.push_back(&r.location);
  for (auto& [type, f] : c.filegens) groups[4].locations.push_back(&f.location);
  for (SetVar& v : c.setvars) groups[5].locations.push_back(&v.location);
  for (std::optional<ConfigPath>* p : {&c.driftfile, &c.keys, &c.keysdir, &c.leapfile,
                                       &c.logfile, &c.pidfile, &c.statsdir, &c.saveconfigdir}) {
    if (p->has_value()) groups[6].locations.push_back(&(*p)->location);
  }
  for (std::optional<SourceLocation>* l : {&c.discard.location, &c.mru.location,
                                           &c.tinker.location, &c.tos.location,
                                           &c.system.location, &c.rtc.location}) {
    groups[7].optional.push_back(l);
  }
  if (c.requestkey) groups[7].locations.push_back(&c.requestkey->location);
  if (c.controlkey) groups[7].locations.push_back(&c.controlkey->location);
  // Added after the first format: a trace without it has 8 groups.
  if (c.trace) groups[8].locations.push_back(&c.trace->path.location);
  // NTS (added later still: a trace without it has 9 groups).
  groups[9].optional.push_back(&c.nts.location);
  for (std::optional<ConfigPath>* p : {&c.nts.key, &c.nts.cert, &c.nts.ca, &c.nts.cookie}) {
    if (p->has_value()) groups[9].locations.push_back(&(*p)->location);
  }
  for (ServerConfig& s : c.servers) {
    if (s.nts_ca.has_value()) groups[9].locations.push_back(&s.nts_ca->location);
  }
  return groups;
}

void Put(const SourceLocation& in, Location* out) {
  out->set_present(true);
  out->set_file(in.file);
  out->set_line(in.line);
  out->set_column(in.column);
}

SourceLocation Get(const Location& in) { return SourceLocation{in.file(), in.line(), in.column()}; }

}  // namespace

Provenance RecordProvenance(const NtpConfig& config) {
  NtpConfig copy = config;  // Groups() hands out mutable places
  Provenance provenance;
  for (const Group& group : Groups(copy)) {
    LocationGroup* out = provenance.add_groups();
    for (const std::optional<SourceLocation>* l : group.optional) {
      Location* location = out->add_locations();
      if (l->has_value()) Put(**l, location);
    }
    for (const SourceLocation* l : group.locations) Put(*l, out->add_locations());
  }
  return provenance;
}

void ApplyProvenance(const Provenance& provenance, NtpConfig* config) {
  std::vector<Group> groups = Groups(*config);
  for (size_t g = 0; g < groups.size() && g < static_cast<size_t>(provenance.groups_size());
       ++g) {
    const LocationGroup& in = provenance.groups(static_cast<int>(g));
    Group& group = groups[g];
    if (static_cast<size_t>(in.locations_size()) !=
        group.optional.size() + group.locations.size()) {
      continue;
    }
    int i = 0;
    for (std::optional<SourceLocation>* l : group.optional) {
      const Location& location = in.locations(i++);
      if (location.present() && l->has_value()) *l = Get(location);
    }
    for (SourceLocation* l : group.locations) *l = Get(in.locations(i++));
  }
}

}  // namespace ntp::trace
