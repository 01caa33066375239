#include "ntp/client/selection.h"

#include <algorithm>

namespace ntp {
IntersectionResult FindIntersection(absl::Span<const SelectionCandidate> candidates) {
  IntersectionScratch scratch;
  IntersectionResult result;
  FindIntersection(candidates, scratch, result);
  return result;
}

void FindIntersection(absl::Span<const SelectionCandidate> candidates,
                      IntersectionScratch& scratch, IntersectionResult& result) {
  using Endpoint = IntersectionScratch::Endpoint;
  result.majority = false;
  result.low_seconds = 0;
  result.high_seconds = 0;
  result.falsetickers_assumed = 0;
  result.truechimers.clear();
  result.falsetickers.clear();
  const int n = static_cast<int>(candidates.size());
  std::vector<Endpoint>& edges = scratch.edges;
  edges.clear();
  edges.reserve(2 * n);
  for (const SelectionCandidate& c : candidates) {
    edges.push_back({c.offset_seconds - c.root_distance_seconds, -1});
    edges.push_back({c.offset_seconds + c.root_distance_seconds, +1});
  }
  // Ascending by value; at equal values lower edges first (closed intervals).
  std::sort(edges.begin(), edges.end(), [](const Endpoint& a, const Endpoint& b) {
    if (a.value != b.value) return a.value < b.value;
    return a.type < b.type;
  });

  // RFC 5905 §11.2.1 steps 3-6 (ntpd 4.2.8 form): for f = 0, 1, ... while
  // f < n/2, find the lowest point covered by n - f intervals scanning up
  // and the highest scanning down; success when high > low.
  for (int allow = 0; 2 * allow < n; ++allow) {
    double low = 0;
    double high = 0;
    int found = 0;
    bool have_low = false;
    for (const Endpoint& e : edges) {
      found -= e.type;  // +1 entering an interval, -1 leaving
      if (found >= n - allow) {
        low = e.value;
        have_low = true;
        break;
      }
    }
    found = 0;
    bool have_high = false;
    for (auto it = edges.rbegin(); it != edges.rend(); ++it) {
      found += it->type;
      if (found >= n - allow) {
        high = it->value;
        have_high = true;
        break;
      }
    }
    if (have_low && have_high && high > low) {
      result.majority = true;
      result.low_seconds = low;
      result.high_seconds = high;
      result.falsetickers_assumed = allow;
      break;
    }
  }
  // A single candidate with a zero-width interval: treat the point itself
  // as the intersection (high > low cannot hold for a point).
  if (!result.majority && n == 1 && candidates[0].root_distance_seconds <= 0) {
    result.majority = true;
    result.low_seconds = result.high_seconds = candidates[0].offset_seconds;
  }

  for (const SelectionCandidate& c : candidates) {
    const bool overlaps =
        result.majority &&
        c.offset_seconds + c.root_distance_seconds >= result.low_seconds &&
        c.offset_seconds - c.root_distance_seconds <= result.high_seconds;
    if (overlaps || c.always_true) {
      result.truechimers.push_back(c.id);
    } else {
      result.falsetickers.push_back(c.id);
    }
  }
}

}  // namespace ntp
