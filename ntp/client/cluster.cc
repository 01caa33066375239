#include "ntp/client/cluster.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ntp {

double SelectionJitter(absl::Span<const double> offsets, int i) {
  const int n = static_cast<int>(offsets.size());
  if (n <= 1) return 0;
  double sum = 0;
  for (int j = 0; j < n; ++j) {
    const double d = offsets[i] - offsets[j];
    sum += d * d;
  }
  return std::sqrt(sum / (n - 1));
}

ClusterResult Cluster(absl::Span<const ClusterCandidate> candidates,
                      const ClusterOptions& options) {
  ClusterResult result;
  // RFC 5905 §11.2.2 step 2: rank by merit stratum * MAXDIST + lambda.
  std::vector<ClusterCandidate> list(candidates.begin(), candidates.end());
  auto merit = [&](const ClusterCandidate& c) {
    return c.stratum * options.max_distance_seconds + c.root_distance_seconds;
  };
  std::stable_sort(list.begin(), list.end(),
                   [&](const ClusterCandidate& a, const ClusterCandidate& b) {
                     return merit(a) < merit(b);
                   });

  std::vector<double> jitters;
  while (!list.empty()) {
    const int n = static_cast<int>(list.size());
    std::vector<double> offsets(n);
    for (int i = 0; i < n; ++i) offsets[i] = list[i].offset_seconds;
    jitters.assign(n, 0);
    int worst = 0;
    double worst_metric = -1;
    double min_peer_jitter = std::numeric_limits<double>::infinity();
    for (int i = 0; i < n; ++i) {
      jitters[i] = SelectionJitter(offsets, i);
      // ntpd 4.2.8: the outlier is the largest selection jitter weighted by
      // root distance (the RFC uses the selection jitter alone).
      const double metric = jitters[i] * list[i].root_distance_seconds;
      if (metric > worst_metric) {
        worst_metric = metric;
        worst = i;
      }
      min_peer_jitter = std::min(min_peer_jitter, list[i].jitter_seconds);
    }
    const double psi_max = std::max(jitters[worst], options.precision_seconds);
    result.selection_jitter_seconds = n > 1 ? jitters[worst] : 0;
    // Step 6: stop when no improvement is possible or NMIN is reached; never
    // drop a `prefer` or `true` candidate.
    if (n <= std::max(1, options.min_survivors) || psi_max <= min_peer_jitter ||
        list[worst].prefer || list[worst].always_true) {
      break;
    }
    result.outliers.push_back(list[worst].id);
    list.erase(list.begin() + worst);
  }

  // A prefer survivor goes first (it becomes the system peer).
  std::vector<int> order(list.size());
  for (size_t i = 0; i < list.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_partition(order.begin(), order.end(),
                        [&](int i) { return list[i].prefer; });
  for (int i : order) {
    result.survivors.push_back(list[i].id);
    result.survivor_selection_jitter_seconds.push_back(
        i < static_cast<int>(jitters.size()) ? jitters[i] : 0);
  }
  return result;
}

}  // namespace ntp
