// Text outputs of simulation runs: the per-host time series as CSV and the
// summary JSON (one object per run plus median / p95 across seeds). Pure
// formatting: callers open the files.
#ifndef SIM_REPORT_H_
#define SIM_REPORT_H_

#include <ostream>
#include <string>
#include <vector>

#include "sim/simulation.h"

namespace sim {

// Columns: t_s, true_offset_s, est_offset_s, true_freq_ppm, osc_freq_ppm,
// freq_corr_ppm, est_freq_ppm, poll_log2, stratum, selected,
// association_polls (each association's poll exponent, space separated),
// requests_sent (client requests so far, all associations), events.
// Offsets are clock minus true time (est_offset_s is the host's estimate
// of that, i.e. minus its NTP offset); `events` lists what happened since
// the previous row as "kind: text" separated by " | ".
void WriteSeriesCsv(const HostSeries& series, std::ostream& out);
// HOST_associations.csv: one row per client association at the end of the
// run: server,poll,reach,tally,sent,received,accepted, then one column per
// drop reason (named after the first row's reasons).
std::string AssociationsCsv(const std::vector<AssociationRow>& rows);

// {"scenario": NAME, "seeds": [...],
//  "hosts": {HOST: {"converge_s", "rms_offset_s", "max_abs_offset_s",
//                   "rms_freq_ppm", "steps", "requests_sent", "exit",
//                   "p95": {...}}},
//  "checks": [{"name", "passed", "failed_seeds"}],
//  "digest": "...",
//  "runs": [{"seed", "hosts": {... "requests_sent", "polls_log2": [each
//            association's poll exponent at the end] ...}, "checks": [{"name", "passed",
//            "detail"}], "digest", "events"}]}
// Top-level host values are medians across the runs (equal to the single
// run's values for one seed) with the 95th percentiles under "p95";
// converge_s is null when a host never converged (or, across seeds, when
// the median run did not). "exit" is the common exit state or "mixed".
// The top-level digest is the single run's digest, or a digest of all of
// them in seed order.
std::string SummaryJson(const std::string& scenario_name, const std::vector<RunResult>& runs);

// Linear-interpolation percentile (0..100) of `values` (need not be
// sorted). REQUIRES: non-empty.
double Percentile(std::vector<double> values, double percent);

}  // namespace sim

#endif  // SIM_REPORT_H_
