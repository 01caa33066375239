// The cluster algorithm of RFC 5905 §11.2.2: repeatedly casts off the
// survivor with the largest selection jitter (ntpd 4.2.8: largest selection
// jitter times root distance) until no improvement is possible (that
// jitter is no larger than the smallest peer jitter), only `minclock`
// survivors remain, or the outlier is `prefer`/`true`. The survivors come
// back ranked by merit, stratum * MAXDIST + lambda (RFC 5905 §11.2.2), the
// first being the system peer unless a `prefer` survivor exists. Pure.
#ifndef NTP_CLIENT_CLUSTER_H_
#define NTP_CLIENT_CLUSTER_H_

#include <vector>

#include "absl/types/span.h"
#include "ntp/client/constants.h"

namespace ntp {

struct ClusterCandidate {
  int id = 0;
  double offset_seconds = 0;         // theta_p
  double jitter_seconds = 0;         // psi_p (peer jitter)
  double root_distance_seconds = 0;  // lambda
  int stratum = 0;
  bool prefer = false;
  bool always_true = false;
};

struct ClusterOptions {
  int min_survivors = 3;  // NMIN, `tos minclock`
  double precision_seconds = 1e-6;  // floor for the selection jitter
  double max_distance_seconds = kDefaultMaxDistance;  // MAXDIST in the merit
};

struct ClusterResult {
  // Survivor ids, best merit first; a `prefer` survivor, if any, first.
  std::vector<int> survivors;
  // Ids cast off as outliers, in the order they were dropped.
  std::vector<int> outliers;
  // PSI_s: the selection jitter of the final round (0 for one survivor).
  double selection_jitter_seconds = 0;
  // Selection jitter of each survivor in the final round, parallel to
  // `survivors`.
  std::vector<double> survivor_selection_jitter_seconds;
};

// The selection jitter of candidate i among `offsets` (RFC 5905 §11.2.2
// step 3): sqrt(sum_j (theta_i - theta_j)^2 / (n - 1)); 0 for n <= 1.
double SelectionJitter(absl::Span<const double> offsets, int i);

ClusterResult Cluster(absl::Span<const ClusterCandidate> candidates,
                      const ClusterOptions& options);

// Storage Cluster works in; keeping one across calls avoids allocating on
// every selection.
struct ClusterScratch {
  std::vector<ClusterCandidate> list;
  std::vector<double> offsets;
  std::vector<double> jitters;
};

// As above, writing into `result` (all of its fields are overwritten; its
// vectors' storage is reused) and working in `scratch`.
void Cluster(absl::Span<const ClusterCandidate> candidates, const ClusterOptions& options,
             ClusterScratch& scratch, ClusterResult& result);

}  // namespace ntp

#endif  // NTP_CLIENT_CLUSTER_H_
