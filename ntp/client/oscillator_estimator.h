// OscillatorEstimator: what this host's free-running oscillator looks like
// from one source — its raw offset and rate relative to that server — the
// per-source estimator behind the clock discipline: a two-state Kalman
// filter over the *raw* offset of one server, i.e. the
// measured offset plus every correction this client has already applied to
// its clock (ClockSteering::CorrectionAt). In those coordinates the signal
// is the free-running oscillator's phase error, a straight line plus a
// frequency random walk, independent of what the discipline did, so every
// sample can be used (chrony's least-squares regression has the same idea).
//
// Model (times in seconds on the engine's monotonic timeline):
//   state x = [u, r]: raw offset u (s) and its rate r (s/s);
//   u(t+dt) = u + r dt + w_u, r(t+dt) = r + w_r, with w_r a random walk of
//   spectral density q (E[w_r^2] = q dt) integrated into u (q dt^3/3);
//   measurement z = u + v, Var(v) = R = floor^2 + (delay - min_delay + g)^2/12,
//   g = half the gap between the smallest and third-smallest remembered
//   delays (the window minimum is itself above the true minimum).
// The delay term is the variance of (e1 - e2)/2 given e1 + e2 = excess
// delay when the two one-way queueing delays are i.i.d. exponential: a
// sample that waited in a queue weighs little, one near the minimum delay a
// lot.
//
// The wander q is estimated from the data, Allan-variance style: samples
// are averaged into 256 s blocks, and the deviations of block averages from
// the chord through their neighbours at lags of 1, 2, 4, ... blocks (whose
// variance is q * h(spacing) plus the known block noise) give q by a median
// fit (robust to heavy-tailed delays); the estimate is blended with the
// prior by the number of such triples.
// Outliers beyond `outlier_sigmas` (once the filter has settled) are
// rejected, and after `outliers_to_reset` in a row the offset is
// re-acquired (a server or clock jump).
//
// Pure computation, deterministic, not thread-safe.
#ifndef NTP_CLIENT_OSCILLATOR_ESTIMATOR_H_
#define NTP_CLIENT_OSCILLATOR_ESTIMATOR_H_

#include <deque>
#include <vector>

namespace ntp {

struct OscillatorEstimatorOptions {
  // Prior for the rate r (s/s) and its standard deviation: the drift file's
  // value with a small sigma, or 0 with a large one (no frequency known).
  double initial_rate = 0;
  double initial_rate_sigma = 200e-6;
  // Prior sqrt(q): frequency wander of the oscillator, (s/s)/sqrt(s), and
  // the range the estimate is kept in.
  double wander = 2e-9;
  // The floor keeps a quiet stretch from talking the poll process into
  // intervals a later wander burst would punish (ClientEngine::AdaptPolls).
  double min_wander = 5e-10;
  double max_wander = 1e-6;
  // Floor of the measurement standard deviation (timestamping noise).
  double noise_floor_seconds = 1e-7;
  double outlier_sigmas = 5.0;
  int outliers_to_reset = 3;
  // Samples remembered for the minimum delay and the typical noise.
  int history = 32;
  // Block length of the wander estimate and how many blocks are kept.
  double block_seconds = 256;
  int blocks = 64;
};

struct TrackerSample {
  double time_seconds = 0;        // when the offset was valid (engine timeline)
  double raw_offset_seconds = 0;  // measured offset + correction applied so far
  double delay_seconds = 0;       // round-trip delay of the exchange
  // Extra measurement variance (precision of both clocks), s^2.
  double extra_variance = 0;
};

enum class TrackerVerdict {
  kAccepted,   // the sample updated the estimate
  kOutlier,    // rejected, estimate unchanged
  kReset,      // too many outliers in a row: re-acquired from this sample
};

class OscillatorEstimator {
 public:
  explicit OscillatorEstimator(const OscillatorEstimatorOptions& options = {});

  TrackerVerdict Add(const TrackerSample& sample);

  // Forgets everything (the rate prior of the options is kept).
  void Reset();
  // The local clock was stepped by someone else: from now on every raw
  // offset is `shift` seconds away from the model. Moves the offset, keeps
  // the rate and its uncertainty, drops the wander blocks that would
  // straddle the jump. REQUIRES: has_estimate().
  void ShiftOffset(double shift);

  bool has_estimate() const { return samples_ > 0; }
  int samples() const { return samples_; }
  // Consecutive outliers so far (0 after an accepted sample).
  int pending_outliers() const { return pending_outliers_; }

  // Estimated raw offset at `t` (extrapolated from the last update).
  // REQUIRES: has_estimate().
  double RawOffsetAt(double t) const;
  // Estimated rate r (s/s).
  double rate() const { return r_; }
  double rate_sigma() const;
  // Standard deviation of RawOffsetAt(t).
  double OffsetSigmaAt(double t) const;
  // Time of the last accepted sample.
  double last_update_seconds() const { return t_; }
  // sqrt(q) currently used.
  double wander() const;
  // Number of block triples behind the current wander estimate.
  int wander_triples() const { return wander_triples_; }
  // Information-weighted typical measurement variance of recent samples,
  // n / sum(1/R_i) (R of an average recent sample), s^2; 0 if none.
  double TypicalMeasurementVariance() const;
  // Frequency surprise: an exponential average (weight 1/4) of the
  // normalised innovations (innovation / its predicted sigma) of accepted
  // samples. Near 0 while the model fits; a frequency change the filter has
  // not followed yet makes the innovations share a sign, and |surprise|
  // grows (white noise alone: sigma ~0.38). 0 after a reset.
  double surprise() const { return surprise_; }
  // Minimum delay over the remembered samples (0 if none).
  double min_delay_seconds() const { return min_delay_; }

  // Expected mean-square offset error when tracking at a fixed poll
  // interval `poll_seconds` with measurement variance `r_var` (steady state
  // of the filter's Riccati recursion, averaged over the interval).
  double SteadyStateMeanSquareError(double poll_seconds, double r_var) const;

 private:
  struct Block {
    double weight = 0;    // sum of 1/R
    double sum_t = 0;     // sum of t/R
    double sum_u = 0;     // sum of u/R
    double start = 0;
  };
  // One chord deviation of the wander estimate: d^2, its noise variance
  // and its factor h of q.
  struct WanderTriple {
    double d2, noise, h;
  };
  // Weighted mean time and raw offset of a block, and its weight.
  struct BlockMean {
    double t, u, weight;
  };
  double MeasurementVariance(const TrackerSample& s) const;
  // Drops the remembered delays before a lasting rise of the delay floor
  // (the last few samples and `delay_seconds` all well above the minimum).
  void ForgetDelaysBeforeRouteChange(double delay_seconds);
  void Predict(double t);
  void AddToBlocks(double t, double u, double r_var);
  void EstimateWander();

  OscillatorEstimatorOptions options_;
  double q_;  // wander^2
  int samples_ = 0;
  int pending_outliers_ = 0;
  double t_ = 0;
  double u_ = 0, r_ = 0;
  double p_uu_ = 0, p_ur_ = 0, p_rr_ = 0;
  struct Remembered {
    double delay;
    double variance;
  };
  std::deque<Remembered> history_;
  double min_delay_ = 0;
  double min_delay_gap_ = 0;
  std::deque<Block> blocks_;  // completed blocks, oldest first
  Block current_;
  bool have_current_ = false;
  int wander_triples_ = 0;
  double surprise_ = 0;
  // Scratch space of EstimateWander, kept to avoid reallocating per block.
  std::vector<BlockMean> means_scratch_;
  std::vector<WanderTriple> triples_scratch_;
  std::vector<WanderTriple> active_scratch_;
  std::vector<double> delay_scratch_;
};

}  // namespace ntp

#endif  // NTP_CLIENT_OSCILLATOR_ESTIMATOR_H_
