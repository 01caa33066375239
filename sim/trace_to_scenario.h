// A scenario from a trace (ntpreplay --to_scenario): the traced host as an
// NTPD host with its recorded configuration, each server it queried as a
// RESPONDER at the server's address, and the link to each modelled from
// the recorded exchanges (RFC 5905 §8): the one-way delay
// ((T4 - T1) - (T3 - T2)) / 2, its minimum the link's base delay, the mean
// excess over it an exponential jitter, and the share of requests without
// a reply a loss probability each way (1 - sqrt(answered share)). An
// asymmetry cannot be seen from one end and is left at 0; the client's
// clock starts at the first measured offset.
#ifndef SIM_TRACE_TO_SCENARIO_H_
#define SIM_TRACE_TO_SCENARIO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sim/scenario.pb.h"

namespace sim {

struct LinkEstimate {
  std::string server;  // address
  int requests = 0;
  int replies = 0;
  double min_delay_s = 0;     // one way
  double mean_excess_s = 0;   // one way, over the minimum
  double loss_each_way = 0;
  double first_offset_s = 0;  // server minus client clock, first reply
};

struct TraceScenario {
  scenario::Scenario scenario;
  std::vector<LinkEstimate> links;
  // The scenario as a text-format file with the estimates in a comment.
  std::string text;
};

// Errors as ntp::trace::ReplayableRecords; FailedPrecondition for a trace
// with no answered request (nothing to estimate).
absl::StatusOr<TraceScenario> ScenarioFromTrace(absl::string_view trace_bytes,
                                                const std::string& name);

}  // namespace sim

#endif  // SIM_TRACE_TO_SCENARIO_H_
