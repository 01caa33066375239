#include "ntp/client/cluster.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ntp {
namespace {

constexpr size_t kInsertionSortMax = 7;

// libstdc++'s std::__insertion_sort, step for step (so that the result is
// the one std::stable_sort gives for short inputs).
template <typename T, typename Less>
void InsertionSort(std::vector<T>& v, Less less) {
  for (size_t i = 1; i < v.size(); ++i) {
    T value = v[i];
    if (less(value, v[0])) {
      std::move_backward(v.begin(), v.begin() + i, v.begin() + i + 1);
      v[0] = value;
    } else {
      size_t j = i;
      while (less(value, v[j - 1])) {
        v[j] = v[j - 1];
        --j;
      }
      v[j] = value;
    }
  }
}

}  // namespace

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
  ClusterScratch scratch;
  ClusterResult result;
  Cluster(candidates, options, scratch, result);
  return result;
}

void Cluster(absl::Span<const ClusterCandidate> candidates, const ClusterOptions& options,
             ClusterScratch& scratch, ClusterResult& result) {
  result.survivors.clear();
  result.outliers.clear();
  result.selection_jitter_seconds = 0;
  result.survivor_selection_jitter_seconds.clear();
  // RFC 5905 §11.2.2 step 2: rank by merit stratum * MAXDIST + lambda.
  std::vector<ClusterCandidate>& list = scratch.list;
  list.assign(candidates.begin(), candidates.end());
  auto merit = [&](const ClusterCandidate& c) {
    return c.stratum * options.max_distance_seconds + c.root_distance_seconds;
  };
  auto better = [&](const ClusterCandidate& a, const ClusterCandidate& b) {
    return merit(a) < merit(b);
  };
  if (list.size() <= kInsertionSortMax) {
    // What std::stable_sort does for so few elements (libstdc++ sorts runs
    // of up to 7 by insertion), without its temporary buffer.
    InsertionSort(list, better);
  } else {
    std::stable_sort(list.begin(), list.end(), better);
  }

  std::vector<double>& offsets = scratch.offsets;
  std::vector<double>& jitters = scratch.jitters;
  jitters.clear();
  while (!list.empty()) {
    const int n = static_cast<int>(list.size());
    offsets.resize(n);
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

  // A prefer survivor goes first (it becomes the system peer); otherwise
  // the merit order is kept (a stable partition).
  const int survivors = static_cast<int>(list.size());
  auto add = [&](int i) {
    result.survivors.push_back(list[i].id);
    result.survivor_selection_jitter_seconds.push_back(
        i < static_cast<int>(jitters.size()) ? jitters[i] : 0);
  };
  for (int i = 0; i < survivors; ++i) {
    if (list[i].prefer) add(i);
  }
  for (int i = 0; i < survivors; ++i) {
    if (!list[i].prefer) add(i);
  }
}

}  // namespace ntp
