// The random model of one directed network link: base delay, jitter drawn
// from one of several distributions, loss, duplication, reordering and
// bandwidth-free queueing spikes. Pure model: SimNetwork (sim_network.h)
// owns one LinkModel per directed host pair and carries the datagrams.
#ifndef SIM_LINK_MODEL_H_
#define SIM_LINK_MODEL_H_

#include <cstdint>
#include <optional>

#include "sim/random.h"

namespace sim {

struct JitterParams {
  enum class Kind {
    kNone,
    kExponential,  // mean scale_s
    kUniform,      // uniform in [0, scale_s)
    kNormal,       // N(0, scale_s); the total delay is clamped at 0
    kPareto,       // Lomax: scale_s * (U^(-1/shape) - 1), heavy tailed
  };
  Kind kind = Kind::kNone;
  double scale_s = 0;
  double shape = 2;  // Pareto only (> 0; mean finite above 1)
};

const char* JitterKindName(JitterParams::Kind kind);

struct LinkParams {
  double delay_s = 0.0005;  // base one-way delay (after any asymmetry split)
  JitterParams jitter = {};
  double loss = 0;          // probability a datagram is lost
  double duplicate = 0;     // probability a datagram arrives twice
  double reorder = 0;       // probability a datagram is held back ...
  double reorder_delay_s = 0;  // ... by this much, so later ones overtake it
  // Queueing spikes: a Poisson process (rate per second) of episodes of
  // spike_duration_s during which the delay rises by up to spike_delay_s,
  // draining linearly to zero at the end of the episode.
  double spike_rate_per_s = 0;
  double spike_duration_s = 0;
  double spike_delay_s = 0;
  double corrupt = 0;   // probability one random byte is flipped
  double truncate = 0;  // probability the payload is cut to a random shorter length
};

class LinkModel {
 public:
  // What happens to one datagram: lost, or delivered after delay_ns[0]
  // (and, if duplicated, a second copy after delay_ns[1]).
  struct Fate {
    bool lost = false;
    int copies = 0;
    int64_t delay_ns[2] = {0, 0};
    // Damage (only drawn when the link corrupts or truncates): flip byte
    // corrupt_at % size with corrupt_mask; keep truncate_at % size bytes.
    std::optional<uint64_t> corrupt_at;
    uint8_t corrupt_mask = 0;
    std::optional<uint64_t> truncate_at;
  };
  struct Stats {
    uint64_t sent = 0;
    uint64_t lost = 0;
    uint64_t duplicated = 0;
    uint64_t reordered = 0;
    uint64_t corrupted = 0;
    uint64_t truncated = 0;
  };

  // `seed` drives every draw of this link (its own stream).
  LinkModel(const LinkParams& params, uint64_t seed);

  // The fate of a datagram sent at `t_ns`, with `extra_delay_s` added to
  // the base delay (route changes). REQUIRES: non-decreasing t_ns.
  Fate Transmit(int64_t t_ns, double extra_delay_s);

  // The queueing-spike delay at `t_ns` (seconds). Same REQUIRES.
  double SpikeDelay(int64_t t_ns);
  // One delay draw without loss/duplication logic (base + jitter + spike).
  double DrawDelay(int64_t t_ns, double extra_delay_s);

  const LinkParams& params() const { return params_; }
  const Stats& stats() const { return stats_; }

 private:
  LinkParams params_;
  Rng rng_;
  Rng spike_rng_;
  int64_t spike_start_ns_ = -1;  // current or next spike; -1: none scheduled
  Stats stats_;
};

}  // namespace sim

#endif  // SIM_LINK_MODEL_H_
