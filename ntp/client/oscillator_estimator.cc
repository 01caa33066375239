#include "ntp/client/oscillator_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace ntp {
namespace {

// Samples before the outlier gate applies (a young filter's confidence in
// its rate is not to be trusted: an iburst's samples span only 10 s).
constexpr int kSettledSamples = 8;
constexpr double kHuge = std::numeric_limits<double>::max();
// Triples it takes for the data to outweigh the wander prior equally, and
// the fewest worth an estimate.
constexpr double kPriorTriples = 6;
constexpr int kMinTriples = 6;
// Median of the chi-square distribution with one degree of freedom.
constexpr double kChiSquareMedian = 0.4549364;
// Weight of a new normalised innovation in surprise().
constexpr double kSurpriseWeight = 0.25;
// Recent samples whose delays all sit well above the remembered minimum
// mean the path got longer (a route change): the older delays are
// forgotten, or every later sample would count as queued for as long as
// they are remembered (hours at long polls). "Well above": by this fraction
// of the minimum, this many gaps plus the noise floor, and this many times
// the median excess delay, so that queueing alone practically never passes
// (four samples in a row beyond 3x the median excess of exponential
// queueing: ~1e-6).
constexpr int kRecentDelaySamples = 4;
constexpr double kDelayFloorRiseFraction = 0.75;
constexpr double kDelayFloorRiseGaps = 4;
constexpr double kDelayFloorRiseMedianExcess = 3;
// Prior for the distance of the minimum delay from its true floor (see Add).
constexpr double kGapPriorFraction = 0.25;
constexpr double kGapPriorSamples = 4;

// Variance factor of the chord deviation of integrated Brownian motion:
// Var(x(t1) - [x(t0) + (x(t2) - x(t0)) T1 / T]) = q * ChordFactor(T1, T2),
// T1 = t1 - t0, T2 = t2 - t1, T = T1 + T2 (equal spacing: q T1^3 / 6).
double ChordFactor(double t1, double t2) {
  const double t = t1 + t2;
  const double b = t1 / t;
  return t1 * t1 * t1 / 3 - 2 * b * (t1 * t1 * t1 / 3 + t2 * t1 * t1 / 2) +
         b * b * t * t * t / 3;
}

}  // namespace

OscillatorEstimator::OscillatorEstimator(const OscillatorEstimatorOptions& options)
    : options_(options), q_(options.wander * options.wander) {}

void OscillatorEstimator::Reset() {
  samples_ = 0;
  pending_outliers_ = 0;
  t_ = 0;
  u_ = r_ = 0;
  p_uu_ = p_ur_ = p_rr_ = 0;
  history_.clear();
  min_delay_ = 0;
  min_delay_gap_ = 0;
  blocks_.clear();
  have_current_ = false;
  wander_triples_ = 0;
  surprise_ = 0;
  q_ = options_.wander * options_.wander;
}

void OscillatorEstimator::ShiftOffset(double shift) {
  u_ += shift;
  pending_outliers_ = 0;
  blocks_.clear();
  have_current_ = false;
}

double OscillatorEstimator::wander() const { return std::sqrt(q_); }

double OscillatorEstimator::rate_sigma() const { return std::sqrt(std::max(0.0, p_rr_)); }

double OscillatorEstimator::RawOffsetAt(double t) const { return u_ + r_ * (t - t_); }

double OscillatorEstimator::OffsetSigmaAt(double t) const {
  const double dt = std::max(0.0, t - t_);
  const double p = p_uu_ + 2 * dt * p_ur_ + dt * dt * p_rr_ + q_ * dt * dt * dt / 3;
  return std::sqrt(std::max(0.0, p));
}

double OscillatorEstimator::MeasurementVariance(const TrackerSample& s) const {
  // The window minimum overestimates the true minimum delay by about the
  // spacing of the lowest order statistics; adding that gap keeps the best
  // samples from looking more certain than they are.
  const double excess = std::max(0.0, s.delay_seconds - min_delay_) + min_delay_gap_;
  return options_.noise_floor_seconds * options_.noise_floor_seconds +
         std::max(0.0, s.extra_variance) + excess * excess / 12.0;
}

double OscillatorEstimator::TypicalMeasurementVariance() const {
  if (history_.empty()) return 0;
  double inv = 0;
  for (const Remembered& h : history_) inv += 1.0 / h.variance;
  return static_cast<double>(history_.size()) / inv;
}

void OscillatorEstimator::Predict(double t) {
  const double dt = t - t_;
  if (dt <= 0) return;
  u_ += r_ * dt;
  p_uu_ += 2 * dt * p_ur_ + dt * dt * p_rr_ + q_ * dt * dt * dt / 3;
  p_ur_ += dt * p_rr_ + q_ * dt * dt / 2;
  p_rr_ += q_ * dt;
  t_ = t;
}

void OscillatorEstimator::AddToBlocks(double t, double u, double r_var) {
  if (have_current_ && t >= current_.start + options_.block_seconds) {
    blocks_.push_back(current_);
    while (static_cast<int>(blocks_.size()) > std::max(3, options_.blocks)) blocks_.pop_front();
    have_current_ = false;
    EstimateWander();
  }
  if (!have_current_) {
    current_ = Block{};
    // Blocks sit on a fixed grid so that gaps leave empty blocks out.
    current_.start = std::floor(t / options_.block_seconds) * options_.block_seconds;
    have_current_ = true;
  }
  const double w = 1.0 / r_var;
  current_.weight += w;
  current_.sum_t += w * t;
  // Relative to the block's first sample time would be more precise for
  // huge offsets; raw offsets stay within +-68 years so doubles suffice.
  current_.sum_u += w * u;
}

void OscillatorEstimator::EstimateWander() {
  // Chord deviations of block averages at lags of 1, 2, 4, ... blocks. Each
  // has variance noise_i + q h_i; q is the value for which the median of
  // d_i^2 / (noise_i + q h_i) is the median of chi-square with one degree
  // of freedom (0.455): a median, so that heavy-tailed network delays do
  // not pass for oscillator wander.
  std::vector<WanderTriple>& triples = triples_scratch_;
  triples.clear();
  // Each block's weighted means, computed once for all the triples.
  std::vector<BlockMean>& means = means_scratch_;
  means.clear();
  for (const Block& block : blocks_) {
    means.push_back({block.sum_t / block.weight, block.sum_u / block.weight, block.weight});
  }
  const int n = static_cast<int>(means.size());
  for (int lag = 1; 2 * lag < n; lag *= 2) {
    for (int i = 0; i + 2 * lag < n; ++i) {
      const BlockMean& b0 = means[i];
      const BlockMean& b1 = means[i + lag];
      const BlockMean& b2 = means[i + 2 * lag];
      const double t0 = b0.t, t1 = b1.t, t2 = b2.t;
      if (!(t1 > t0 && t2 > t1)) continue;
      const double u0 = b0.u, u1 = b1.u, u2 = b2.u;
      const double a = (t2 - t1) / (t2 - t0), b = (t1 - t0) / (t2 - t0);
      const double d = u1 - a * u0 - b * u2;
      const double noise = 1.0 / b1.weight + a * a / b0.weight + b * b / b2.weight;
      triples.push_back({d * d, noise, ChordFactor(t1 - t0, t2 - t1)});
    }
  }
  if (static_cast<int>(triples.size()) < kMinTriples) return;
  const double lo = options_.min_wander * options_.min_wander;
  const double hi = options_.max_wander * options_.max_wander;
  const size_t count_needed = triples.size() - triples.size() / 2;
  // The median of the ratios (element size/2 in sorted order) exceeds
  // (reaches) kChiSquareMedian exactly when at least size - size/2 ratios
  // do, so counting gives the same answers as selecting the median.
  auto ratio = [](const WanderTriple& t, double q) { return t.d2 / (t.noise + q * t.h); };
  auto count_above = [&](double q, bool or_equal) {
    size_t count = 0;
    for (const WanderTriple& t : triples) {
      const double x = ratio(t, q);
      count += or_equal ? (x >= kChiSquareMedian) : (x > kChiSquareMedian);
    }
    return count;
  };
  double estimate;
  if (count_above(lo, /*or_equal=*/false) < count_needed) {
    estimate = lo;
  } else if (count_above(hi, /*or_equal=*/true) >= count_needed) {
    estimate = hi;
  } else {
    // Bisection in log q: the median ratio falls as q grows. Each ratio is
    // computed as fl(d2 / fl(noise + fl(q h))), which with d2 >= 0,
    // noise > 0, h >= 0 never increases as q grows (IEEE rounding is
    // monotone). So a triple above the threshold at q stays above for every
    // smaller q, one at or below stays there for every larger q: once the
    // bracket has moved past it, it need not be evaluated again. The
    // answers are exactly those of evaluating every triple each time.
    bool monotone = true;
    for (const WanderTriple& t : triples) {
      if (!(t.d2 >= 0 && t.noise > 0 && t.h >= 0)) monotone = false;
    }
    std::vector<WanderTriple>& active = active_scratch_;
    active.assign(triples.begin(), triples.end());
    size_t settled_above = 0;
    // Every q evaluated in [q_floor, q_ceiling] may use the settled triples.
    double q_floor = 0, q_ceiling = std::numeric_limits<double>::infinity();
    auto median_above = [&](double q) {
      if (!monotone || !(q >= q_floor && q <= q_ceiling)) {
        return count_above(q, /*or_equal=*/false) >= count_needed;
      }
      // Partition: ratios above the threshold first.
      auto split = std::partition(active.begin(), active.end(), [&](const WanderTriple& t) {
        return ratio(t, q) > kChiSquareMedian;
      });
      const size_t above = static_cast<size_t>(split - active.begin());
      if (settled_above + above >= count_needed) {
        // The bracket moves up: those at or below stay there.
        active.erase(split, active.end());
        q_floor = q;
        return true;
      }
      // The bracket moves down: those above stay above.
      settled_above += above;
      active.erase(active.begin(), split);
      q_ceiling = q;
      return false;
    };
    double a = std::log(lo), b = std::log(hi);
    for (int i = 0; i < 60; ++i) {
      const double m = (a + b) / 2;
      if (median_above(std::exp(m))) {
        a = m;
      } else {
        b = m;
      }
    }
    estimate = std::exp((a + b) / 2);
  }
  const double prior = std::clamp(options_.wander * options_.wander, lo, hi);
  // Geometric blend: the data win as triples accumulate.
  const double count = static_cast<double>(triples.size());
  const double w = count / (count + kPriorTriples);
  q_ = std::exp((1 - w) * std::log(prior) + w * std::log(estimate));
  wander_triples_ = static_cast<int>(triples.size());
}

TrackerVerdict OscillatorEstimator::Add(const TrackerSample& sample) {
  // Minimum delay over the remembered samples, this one included, and half
  // the gap to the third smallest (an estimate of how far the minimum is
  // from the true floor of the delay distribution).
  ForgetDelaysBeforeRouteChange(sample.delay_seconds);
  double lowest[3] = {sample.delay_seconds, kHuge, kHuge};
  for (const Remembered& h : history_) {
    double d = h.delay;
    for (double& l : lowest) {
      if (d < l) std::swap(d, l);
    }
  }
  min_delay_ = std::max(0.0, lowest[0]);
  min_delay_gap_ = lowest[2] < kHuge ? (lowest[2] - lowest[0]) / 2 : 0.0;
  // With few delays seen, how far the minimum is from the true floor is
  // unknown: assume queueing of up to a quarter of the delay itself, a
  // prior that fades as the history fills (a fresh association must not
  // trust its first samples to the microsecond).
  const double n = static_cast<double>(history_.size() + 1);
  min_delay_gap_ = std::max(min_delay_gap_,
                            kGapPriorFraction * min_delay_ * kGapPriorSamples /
                                (n + kGapPriorSamples));
  const double r_var = MeasurementVariance(sample);
  history_.push_back({sample.delay_seconds, r_var});
  while (static_cast<int>(history_.size()) > std::max(1, options_.history)) {
    history_.pop_front();
  }

  if (samples_ == 0) {
    t_ = sample.time_seconds;
    u_ = sample.raw_offset_seconds;
    r_ = options_.initial_rate;
    p_uu_ = r_var;
    p_ur_ = 0;
    p_rr_ = options_.initial_rate_sigma * options_.initial_rate_sigma;
    samples_ = 1;
    pending_outliers_ = 0;
    AddToBlocks(sample.time_seconds, sample.raw_offset_seconds, r_var);
    return TrackerVerdict::kAccepted;
  }

  Predict(sample.time_seconds);
  const double innovation = sample.raw_offset_seconds - u_;
  const double s = p_uu_ + r_var;
  if (samples_ >= kSettledSamples &&
      innovation * innovation > options_.outlier_sigmas * options_.outlier_sigmas * s) {
    if (++pending_outliers_ < options_.outliers_to_reset) return TrackerVerdict::kOutlier;
    // Re-acquire: the offset jumped, or the oscillator wanders far more than
    // assumed. Keep the rate, but trust it less, and raise the wander; the
    // blocks would straddle the jump, so they go.
    q_ = std::min(q_ * 4, options_.max_wander * options_.max_wander);
    options_.wander = std::max(options_.wander, std::sqrt(q_));
    u_ = sample.raw_offset_seconds;
    p_uu_ = r_var;
    p_ur_ = 0;
    p_rr_ = std::max(p_rr_ * 4, 1e-14);
    samples_ = 1;
    pending_outliers_ = 0;
    surprise_ = 0;
    blocks_.clear();
    have_current_ = false;
    AddToBlocks(sample.time_seconds, sample.raw_offset_seconds, r_var);
    return TrackerVerdict::kReset;
  }
  pending_outliers_ = 0;

  surprise_ += kSurpriseWeight * (innovation / std::sqrt(s) - surprise_);

  // Kalman update with H = [1 0].
  const double k_u = p_uu_ / s;
  const double k_r = p_ur_ / s;
  u_ += k_u * innovation;
  r_ += k_r * innovation;
  const double p_uu = p_uu_, p_ur = p_ur_;
  p_uu_ = p_uu - k_u * p_uu;
  p_ur_ = p_ur - k_u * p_ur;
  p_rr_ = p_rr_ - k_r * p_ur;
  ++samples_;
  AddToBlocks(sample.time_seconds, sample.raw_offset_seconds, r_var);
  return TrackerVerdict::kAccepted;
}

void OscillatorEstimator::ForgetDelaysBeforeRouteChange(double delay_seconds) {
  const int n = static_cast<int>(history_.size());
  if (n < 2 * kRecentDelaySamples) return;
  double recent_min = delay_seconds;
  for (int i = n - (kRecentDelaySamples - 1); i < n; ++i) {
    recent_min = std::min(recent_min, history_[i].delay);
  }
  double rise = std::max(kDelayFloorRiseFraction * min_delay_,
                         kDelayFloorRiseGaps * (min_delay_gap_ + options_.noise_floor_seconds));
  if (recent_min - min_delay_ <= rise) return;
  std::vector<double>& delays = delay_scratch_;
  delays.clear();
  for (const Remembered& h : history_) delays.push_back(h.delay);
  std::nth_element(delays.begin(), delays.begin() + n / 2, delays.end());
  rise = std::max(rise, kDelayFloorRiseMedianExcess * (delays[n / 2] - min_delay_));
  if (recent_min - min_delay_ <= rise) return;
  history_.erase(history_.begin(), history_.end() - (kRecentDelaySamples - 1));
}

double OscillatorEstimator::SteadyStateMeanSquareError(double poll_seconds,
                                                 double r_var) const {
  const double tau = std::max(1e-3, poll_seconds);
  r_var = std::max(r_var, 1e-30);
  // Riccati recursion from an uninformative start, kIterations steps.
  constexpr int kIterations = 200;
  double puu = 1.0, pur = 0.0, prr = 1e-8;
  // The two previous states: once the recursion repeats one exactly (a
  // fixed point or a cycle of two in floating point), the rest of the
  // steps are known without computing them.
  double prev[2][3] = {{-1, -1, -1}, {-1, -1, -1}};
  for (int i = 0; i < kIterations; ++i) {
    puu += 2 * tau * pur + tau * tau * prr + q_ * tau * tau * tau / 3;
    pur += tau * prr + q_ * tau * tau / 2;
    prr += q_ * tau;
    const double s = puu + r_var;
    const double ku = puu / s, kr = pur / s;
    const double puu0 = puu, pur0 = pur;
    puu = puu0 - ku * puu0;
    pur = pur0 - ku * pur0;
    prr = prr - kr * pur0;
    if (puu == prev[1][0] && pur == prev[1][1] && prr == prev[1][2]) {
      // Period one or two from here: step kIterations - 1 is this state
      // after an even number of further steps, else the previous one.
      if ((kIterations - 1 - i) % 2 != 0) {
        puu = prev[0][0];
        pur = prev[0][1];
        prr = prev[0][2];
      }
      break;
    }
    prev[1][0] = prev[0][0];
    prev[1][1] = prev[0][1];
    prev[1][2] = prev[0][2];
    prev[0][0] = puu;
    prev[0][1] = pur;
    prev[0][2] = prr;
  }
  // Mean of the prediction variance over one interval.
  return puu + pur * tau + prr * tau * tau / 3 + q_ * tau * tau * tau / 12;
}

}  // namespace ntp
