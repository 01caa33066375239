// The selection (intersection) algorithm of RFC 5905 §11.2.1: Marzullo-style
// agreement over the candidates' correctness intervals [theta - lambda,
// theta + lambda], finding the smallest number of falsetickers f < n/2 for
// which n - f intervals share a point. As in ntpd 4.2.8 the RFC's midpoint
// bookkeeping is dropped (success means high > low), candidates whose
// interval overlaps [low, high] are the truechimers, and candidates
// configured `true` always survive. Pure computation.
#ifndef NTP_CLIENT_SELECTION_H_
#define NTP_CLIENT_SELECTION_H_

#include <vector>

#include "absl/types/span.h"

namespace ntp {

struct SelectionCandidate {
  int id = 0;                          // the caller's handle, returned as is
  double offset_seconds = 0;           // theta
  double root_distance_seconds = 0;    // lambda, > 0
  bool always_true = false;            // `server ... true`
};

struct IntersectionResult {
  // A majority clique was found: fewer than half the candidates are
  // falsetickers and the remaining intervals intersect in [low, high].
  bool majority = false;
  double low_seconds = 0;
  double high_seconds = 0;
  int falsetickers_assumed = 0;  // f when the search stopped
  // Ids in input order. Without a majority, only `always_true` candidates
  // are truechimers.
  std::vector<int> truechimers;
  std::vector<int> falsetickers;
};

// Runs the intersection algorithm. An empty input gives no majority and
// empty lists. Closed intervals: intervals that only touch do intersect.
IntersectionResult FindIntersection(absl::Span<const SelectionCandidate> candidates);

// Storage FindIntersection works in; keeping one across calls avoids
// allocating on every selection.
struct IntersectionScratch {
  struct Endpoint {
    double value;
    int type;  // -1 lower edge, +1 upper edge
  };
  std::vector<Endpoint> edges;
};

// As above, writing into `result` (all of its fields are overwritten; its
// vectors' storage is reused) and working in `scratch`.
void FindIntersection(absl::Span<const SelectionCandidate> candidates,
                      IntersectionScratch& scratch, IntersectionResult& result);

}  // namespace ntp

#endif  // NTP_CLIENT_SELECTION_H_
