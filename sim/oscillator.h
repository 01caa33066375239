// The free-running oscillator of a simulated host: its frequency error as a
// function of true time, and the phase error that error accumulates. Pure
// model, no kernel: the clock model (sim_clock.h) adds the frequency
// correction, slews, steps and leap seconds on top.
//
// Frequency error e(t) (a fraction; ppm * 1e-6) is the sum of
//   - a constant freq_ppm,
//   - a random walk ("wander"): piecewise constant on a fixed grid of
//     wander_step_s, w(k+1) = w(k) + sigma * sqrt(step) * N(0,1) with sigma
//     in ppm/sqrt(s), so Var[w(t)] = sigma^2 t. The grid and the draws do not
//     depend on when the model is queried, so adding an observer never
//     changes the path;
//   - a sinusoid A sin(2 pi t / P + phi) (temperature-like);
//   - sudden steps: delta_ppm from at_s on.
// Phase error E(t) = integral of e over [0, t] (seconds), in closed form for
// every term (exact for the piecewise-constant wander).
#ifndef SIM_OSCILLATOR_H_
#define SIM_OSCILLATOR_H_

#include <cstdint>
#include <vector>

#include "sim/random.h"

namespace sim {

struct OscillatorParams {
  double freq_ppm = 0;
  double wander_ppm_per_sqrt_s = 0;
  double wander_step_s = 1;
  double sine_amplitude_ppm = 0;
  double sine_period_s = 0;  // 0: no sinusoid
  double sine_phase_rad = 0;
  struct FrequencyStep {
    double at_s = 0;
    double delta_ppm = 0;
  };
  std::vector<FrequencyStep> freq_steps = {};
};

class Oscillator {
 public:
  // `seed` feeds the wander (the only random part).
  Oscillator(const OscillatorParams& params, uint64_t seed);

  // e(t) as a fraction. REQUIRES: t_ns >= 0 and, when wander is on, not
  // earlier than the start of the wander interval of the latest query (the
  // simulator only ever asks about "now").
  double FrequencyError(int64_t t_ns);
  // E(t) in seconds; same REQUIRES.
  double PhaseError(int64_t t_ns);

  // Adds a frequency step of `delta_ppm` from `at_ns` on (a fault).
  void AddFrequencyStep(int64_t at_ns, double delta_ppm);

  // The wander term alone (fraction), for tests.
  double WanderAt(int64_t t_ns);

 private:
  struct Step {
    int64_t at_ns;
    double delta;  // fraction
  };
  void AdvanceWander(int64_t t_ns);

  const double freq_;  // fraction
  const double wander_sigma_per_step_;  // fraction per grid step
  const int64_t wander_step_ns_;
  const double wander_step_s_;
  const double sine_amplitude_;  // fraction
  const double sine_omega_;      // rad/s (0: none)
  const double sine_phase_;
  std::vector<Step> steps_;
  Rng rng_;
  // Wander grid state: interval index, its frequency and the integral of
  // the wander term up to the start of the interval.
  int64_t wander_index_ = 0;
  double wander_ = 0;
  double wander_integral_ = 0;
};

}  // namespace sim

#endif  // SIM_OSCILLATOR_H_
