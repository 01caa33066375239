#include "ntp/client/clock_filter.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "ntp/filter_dispersion.h"

namespace ntp {

ClockFilter::ClockFilter(double precision_seconds, double phi)
    : precision_(precision_seconds > 0 ? precision_seconds : 1e-9), phi_(phi) {
  Reset();
}

void ClockFilter::Reset() {
  stages_.fill(FilterStage{});
  next_ = 0;
  offset_ = 0;
  delay_ = 0;
  dispersion_ = kMaxDispersion;
  sample_dispersion_ = 0;
  jitter_ = 0;
  epoch_ = 0;
  update_ = 0;
  has_sample_ = false;
  ran_ = false;
}

int ClockFilter::valid_stages() const {
  int n = 0;
  for (const FilterStage& s : stages_) n += s.valid ? 1 : 0;
  return n;
}

std::array<FilterStage, kFilterStages> ClockFilter::StagesNewestFirst() const {
  std::array<FilterStage, kFilterStages> out;
  for (int i = 0; i < kFilterStages; ++i) {
    out[i] = stages_[(next_ - 1 - i + 2 * kFilterStages) % kFilterStages];
  }
  return out;
}

FilterResult ClockFilter::AddSample(double offset_seconds, double delay_seconds,
                                    double dispersion_seconds, double now_seconds,
                                    double max_distance_seconds,
                                    double poll_seconds) {
  FilterStage& s = stages_[next_];
  s.offset_seconds = offset_seconds;
  s.delay_seconds = std::max(0.0, delay_seconds);
  s.dispersion_seconds = std::clamp(dispersion_seconds, 0.0, kMaxDispersion);
  s.epoch_seconds = now_seconds;
  s.valid = true;
  return Run(now_seconds, max_distance_seconds, poll_seconds);
}

FilterResult ClockFilter::AddDummy(double now_seconds, double max_distance_seconds,
                                   double poll_seconds) {
  FilterStage& s = stages_[next_];
  s = FilterStage{};
  s.epoch_seconds = now_seconds;
  return Run(now_seconds, max_distance_seconds, poll_seconds);
}

FilterResult ClockFilter::Run(double now_seconds, double max_distance_seconds,
                              double poll_seconds) {
  FilterResult result;
  const int newest = next_;
  next_ = (next_ + 1) % kFilterStages;

  // Age every older stage by PHI times the time since the last run (RFC 5905
  // §9.2: epsilon grows at rate PHI), capped at MAXDISP.
  const double elapsed = ran_ ? std::max(0.0, now_seconds - update_) : 0.0;
  for (int i = 0; i < kFilterStages; ++i) {
    if (i == newest) continue;
    FilterStage& st = stages_[i];
    st.dispersion_seconds =
        std::min(kMaxDispersion, st.dispersion_seconds + phi_ * elapsed);
  }
  update_ = now_seconds;
  ran_ = true;

  // Sort key (ntpd 4.2.8): MAXDISP for stages at MAXDISP, delay plus
  // dispersion for samples older than the Allan intercept, else delay
  // (RFC 5905 §10: "sorted by increasing delta").
  struct Ranked {
    int index;
    double key;
  };
  std::array<Ranked, kFilterStages> order;
  for (int i = 0; i < kFilterStages; ++i) {
    const int idx = (newest - i + kFilterStages) % kFilterStages;  // newest first
    const FilterStage& st = stages_[idx];
    double key;
    if (!st.valid || st.dispersion_seconds >= kMaxDispersion) {
      key = kMaxDispersion;
    } else if (now_seconds - st.epoch_seconds > kAllanInterceptSeconds) {
      key = st.delay_seconds + st.dispersion_seconds;
    } else {
      key = st.delay_seconds;
    }
    order[i] = Ranked{idx, key};
  }
  // Stable: among equal keys the newer sample ranks first. With no NaN key
  // `<` is a strict weak order, so every stable sort gives the same order:
  // an insertion sort does it without std::stable_sort's temporary buffer.
  bool has_nan = false;
  for (const Ranked& r : order) has_nan |= std::isnan(r.key);
  if (has_nan) {
    std::stable_sort(order.begin(), order.end(),
                     [](const Ranked& a, const Ranked& b) { return a.key < b.key; });
  } else {
    for (size_t i = 1; i < order.size(); ++i) {
      const Ranked value = order[i];
      size_t j = i;
      for (; j > 0 && value.key < order[j - 1].key; --j) order[j] = order[j - 1];
      order[j] = value;
    }
  }

  // Usable samples: below MAXDISP, and beyond the first two also below the
  // distance threshold (ntpd: so at least two samples feed the jitter).
  int m = 0;
  for (const Ranked& r : order) {
    if (r.key >= kMaxDispersion) continue;
    if (m >= 2 && r.key >= max_distance_seconds) continue;
    ++m;
  }
  result.usable_samples = m;

  // Peer dispersion: sum of epsilon_i / 2^(i+1) (RFC 5905 §10), over all
  // stages and over the stages holding samples.
  std::array<double, kFilterStages> dispersions;
  std::array<double, kFilterStages> sample_dispersions;
  for (size_t i = 0; i < order.size(); ++i) {
    const FilterStage& st = stages_[order[i].index];
    dispersions[i] = st.dispersion_seconds;
    sample_dispersions[i] = st.valid ? st.dispersion_seconds : 0.0;
  }
  dispersion_ = ::ntp::FilterDispersion(dispersions);
  sample_dispersion_ = ::ntp::FilterDispersion(sample_dispersions);
  if (m == 0) return result;

  // Jitter: RMS of the differences from the best offset over the usable
  // samples, with the divisor inside the square root (as ntpd; RFC 5905 §10
  // prints 1/(n-1) outside), floored at the precision.
  const FilterStage& best = stages_[order[0].index];
  double sum_sq = 0;
  for (int i = 1; i < m; ++i) {
    const double d = stages_[order[i].index].offset_seconds - best.offset_seconds;
    sum_sq += d * d;
  }
  const double jitter = m > 1 ? std::sqrt(sum_sq / (m - 1)) : 0.0;
  const double previous_jitter = std::max(jitter_, precision_);
  jitter_ = std::max(jitter, precision_);

  // Popcorn spike suppressor (ntpd): a best sample far from the previous
  // peer offset, measured soon after it, is discarded once. The gate uses the
  // jitter from before this sample (ntpd uses the new one, which the spike
  // itself inflates); the spike stays in the register, so if it persists
  // the next run sees the larger jitter and accepts it.
  if (has_sample_ && dispersion_ < max_distance_seconds &&
      best.dispersion_seconds < max_distance_seconds &&
      std::fabs(best.offset_seconds - offset_) >
          kSpikeGate * previous_jitter &&
      best.epoch_seconds - epoch_ < 2.0 * poll_seconds &&
      best.epoch_seconds > epoch_) {
    result.popcorn = true;
    return result;
  }

  // Only a sample newer than the one in use updates the peer variables.
  if (has_sample_ && best.epoch_seconds <= epoch_) return result;
  offset_ = best.offset_seconds;
  delay_ = best.delay_seconds;
  epoch_ = best.epoch_seconds;
  has_sample_ = true;
  result.new_sample = true;
  return result;
}

}  // namespace ntp
