// Loads a scenario file (text-format sim.Scenario, scenario.proto), checks
// it, and expands it into what the simulation runs: one entry per host
// (counts expanded, addresses assigned, ntp.conf text read and its
// ${host:NAME} references replaced, clock models merged over the default),
// faults and checks with their host patterns resolved, and a function
// giving the model of every directed link. Every problem is reported as
// "FILE:LINE:COLUMN: FIELD.PATH: message", all of them in one error.
#ifndef SIM_SCENARIO_LOADER_H_
#define SIM_SCENARIO_LOADER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "sim/link_model.h"
#include "sim/oscillator.h"
#include "sim/scenario.pb.h"
#include "sim/sim_clock.h"

namespace sim {

// Reads a file named in a scenario (ntp_conf_file). NotFound etc.
using ScenarioFileReader =
    std::function<absl::StatusOr<std::string>(const std::string& path)>;
// Reads from the local file system.
absl::StatusOr<std::string> ReadFileFromDisk(const std::string& path);

struct ExpandedHost {
  // The entry with: the expanded name, literal addresses, ntp_conf holding
  // the final text (file read, ${host:...} replaced), clock merged over
  // default_clock, prober servers as literal addresses; count cleared.
  scenario::Host spec;
  std::vector<net::IpAddress> addresses;
  std::string group;     // the entry's name before count expansion
  int entry = 0;         // index of the entry in scenario::Scenario.hosts
  std::string location;  // "FILE:LINE" of the entry
};

struct ResolvedFault {
  double at_s = 0;
  scenario::Fault fault;
  std::vector<int> hosts;                   // host_down/up, clock_step, falseticker
  std::vector<std::pair<int, int>> links;   // directed pairs (link_*, route_change)
  std::vector<int> group_of_host;           // partition: group per host (-1 none)
  std::string location;
};

struct ResolvedCheck {
  std::string name;  // unique within the scenario
  scenario::Check check;
  int host = -1;
  // never_selects: the addresses of the forbidden server; selects: those
  // of the wanted one.
  std::vector<net::IpAddress> forbidden;
  // relative_to: the host whose clock the offsets are measured against
  // (-1: true time).
  int relative_to = -1;
  std::string location;
};

struct LoadedScenario {
  std::string path;    // as given to the loader
  scenario::Scenario scenario;   // as written (name defaulted to the file's stem)
  std::vector<ExpandedHost> hosts;
  std::vector<ResolvedFault> faults;  // by time, then file order
  std::vector<ResolvedCheck> checks;

  // Settings with their defaults applied.
  uint64_t default_seed = 1;
  absl::Time start = absl::FromUnixSeconds(1704067200);
  double duration_s = 0;
  double sample_interval_s = 1;
  double converge_threshold_s = 0.001;
  double settle_s = 0;
  double loopback_delay_s = 10e-6;

  // The model of the directed link from host `from` to host `to`: the last
  // `links` entry matching either direction, else default_link.
  LinkParams LinkBetween(int from, int to) const;
  int HostIndex(absl::string_view name) const;  // -1 if none

  // Internal: link entries with patterns resolved.
  struct LinkRule {
    std::vector<bool> from, to;  // per host: matches the pattern
    bool one_way = false;
    scenario::LinkModel model;  // merged over default_link
  };
  std::vector<LinkRule> link_rules;
  scenario::LinkModel default_link;
};

// Parses and expands `text`; `path` names the file in messages and is the
// base for relative ntp_conf_file paths. InvalidArgument lists every
// problem, one per line.
absl::StatusOr<LoadedScenario> ParseScenario(absl::string_view text,
                                             const std::string& path,
                                             const ScenarioFileReader& reader = ReadFileFromDisk,
                                             const std::string& display_path = "");
// Reads `path` with `reader` and parses it. Messages and
// LoadedScenario::path use `display_path` when given (the path as the user
// wrote it); files are still opened relative to `path`.
absl::StatusOr<LoadedScenario> LoadScenarioFile(
    const std::string& path, const ScenarioFileReader& reader = ReadFileFromDisk,
    const std::string& display_path = "");

// Model conversions (defaults as documented in scenario.proto).
OscillatorParams ToOscillatorParams(const scenario::ClockModel& model);
SimClockParams ToSimClockParams(const scenario::ClockModel& model, absl::Time epoch);
// `reverse`: the model is used from `to` to `from` (asymmetry subtracted).
LinkParams ToLinkParams(const scenario::LinkModel& model, bool reverse);

}  // namespace sim

#endif  // SIM_SCENARIO_LOADER_H_
