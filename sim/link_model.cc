#include "sim/link_model.h"

#include <algorithm>
#include <cmath>

namespace sim {
namespace {

int64_t ToNanos(double seconds) {
  return static_cast<int64_t>(std::llround(std::max(0.0, seconds) * 1e9));
}

}  // namespace

const char* JitterKindName(JitterParams::Kind kind) {
  switch (kind) {
    case JitterParams::Kind::kNone: return "none";
    case JitterParams::Kind::kExponential: return "exponential";
    case JitterParams::Kind::kUniform: return "uniform";
    case JitterParams::Kind::kNormal: return "normal";
    case JitterParams::Kind::kPareto: return "pareto";
  }
  return "unknown";
}

LinkModel::LinkModel(const LinkParams& params, uint64_t seed)
    : params_(params), rng_(seed), spike_rng_(DeriveSeed(seed, "spikes")) {}

double LinkModel::SpikeDelay(int64_t t_ns) {
  if (!(params_.spike_rate_per_s > 0) || !(params_.spike_delay_s > 0) ||
      !(params_.spike_duration_s > 0)) {
    return 0;
  }
  const int64_t duration_ns = ToNanos(params_.spike_duration_s);
  if (spike_start_ns_ < 0) {
    spike_start_ns_ = ToNanos(spike_rng_.Exponential(1.0 / params_.spike_rate_per_s));
  }
  // Skip spikes that ended before t (episodes never overlap).
  while (spike_start_ns_ + duration_ns <= t_ns) {
    spike_start_ns_ += duration_ns +
                       ToNanos(spike_rng_.Exponential(1.0 / params_.spike_rate_per_s));
  }
  if (t_ns < spike_start_ns_) return 0;
  const double remaining =
      static_cast<double>(spike_start_ns_ + duration_ns - t_ns) / duration_ns;
  return params_.spike_delay_s * remaining;
}

double LinkModel::DrawDelay(int64_t t_ns, double extra_delay_s) {
  double delay = params_.delay_s + extra_delay_s;
  const JitterParams& j = params_.jitter;
  switch (j.kind) {
    case JitterParams::Kind::kNone: break;
    case JitterParams::Kind::kExponential: delay += rng_.Exponential(j.scale_s); break;
    case JitterParams::Kind::kUniform: delay += rng_.Uniform(0, j.scale_s); break;
    case JitterParams::Kind::kNormal: delay += j.scale_s * rng_.StandardNormal(); break;
    case JitterParams::Kind::kPareto: delay += rng_.ParetoExcess(j.scale_s, j.shape); break;
  }
  delay += SpikeDelay(t_ns);
  return std::max(0.0, delay);
}

LinkModel::Fate LinkModel::Transmit(int64_t t_ns, double extra_delay_s) {
  ++stats_.sent;
  Fate fate;
  if (rng_.Bernoulli(params_.loss)) {
    ++stats_.lost;
    fate.lost = true;
    return fate;
  }
  fate.copies = 1;
  double delay = DrawDelay(t_ns, extra_delay_s);
  if (rng_.Bernoulli(params_.reorder)) {
    ++stats_.reordered;
    delay += params_.reorder_delay_s;
  }
  fate.delay_ns[0] = ToNanos(delay);
  if (rng_.Bernoulli(params_.duplicate)) {
    ++stats_.duplicated;
    fate.copies = 2;
    fate.delay_ns[1] = ToNanos(DrawDelay(t_ns, extra_delay_s));
  }
  // Drawn only on links that damage datagrams, so other links keep their
  // streams.
  if (params_.corrupt > 0 && rng_.Bernoulli(params_.corrupt)) {
    ++stats_.corrupted;
    fate.corrupt_at = rng_();
    fate.corrupt_mask = static_cast<uint8_t>(1u << rng_.UniformInt(8));
  }
  if (params_.truncate > 0 && rng_.Bernoulli(params_.truncate)) {
    ++stats_.truncated;
    fate.truncate_at = rng_();
  }
  return fate;
}

}  // namespace sim
