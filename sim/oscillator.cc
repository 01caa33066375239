#include "sim/oscillator.h"

#include <cmath>
#include <numbers>

namespace sim {
namespace {

constexpr double kPpm = 1e-6;

int64_t StepNanos(double step_s) {
  const double ns = std::round(step_s * 1e9);
  return ns >= 1 ? static_cast<int64_t>(ns) : 1'000'000'000;
}

}  // namespace

Oscillator::Oscillator(const OscillatorParams& params, uint64_t seed)
    : freq_(params.freq_ppm * kPpm),
      wander_sigma_per_step_(params.wander_ppm_per_sqrt_s * kPpm *
                             std::sqrt(StepNanos(params.wander_step_s) * 1e-9)),
      wander_step_ns_(StepNanos(params.wander_step_s)),
      wander_step_s_(StepNanos(params.wander_step_s) * 1e-9),
      sine_amplitude_(params.sine_amplitude_ppm * kPpm),
      sine_omega_(params.sine_period_s > 0
                      ? 2 * std::numbers::pi / params.sine_period_s
                      : 0),
      sine_phase_(params.sine_phase_rad),
      rng_(seed) {
  for (const auto& step : params.freq_steps) {
    steps_.push_back(
        Step{static_cast<int64_t>(std::llround(step.at_s * 1e9)), step.delta_ppm * kPpm});
  }
}

void Oscillator::AddFrequencyStep(int64_t at_ns, double delta_ppm) {
  steps_.push_back(Step{at_ns, delta_ppm * kPpm});
}

void Oscillator::AdvanceWander(int64_t t_ns) {
  if (wander_sigma_per_step_ == 0) return;
  const int64_t target = t_ns / wander_step_ns_;
  while (wander_index_ < target) {
    wander_integral_ += wander_ * wander_step_s_;
    wander_ += wander_sigma_per_step_ * rng_.StandardNormal();
    ++wander_index_;
  }
}

double Oscillator::WanderAt(int64_t t_ns) {
  AdvanceWander(t_ns);
  return wander_;
}

double Oscillator::FrequencyError(int64_t t_ns) {
  double e = freq_;
  if (wander_sigma_per_step_ != 0) {
    AdvanceWander(t_ns);
    e += wander_;
  }
  if (sine_omega_ != 0) {
    e += sine_amplitude_ * std::sin(sine_omega_ * (t_ns * 1e-9) + sine_phase_);
  }
  for (const Step& s : steps_) {
    if (t_ns >= s.at_ns) e += s.delta;
  }
  return e;
}

double Oscillator::PhaseError(int64_t t_ns) {
  const double t_s = t_ns * 1e-9;
  double phase = freq_ * t_s;
  if (wander_sigma_per_step_ != 0) {
    AdvanceWander(t_ns);
    phase += wander_integral_ +
             wander_ * ((t_ns - wander_index_ * wander_step_ns_) * 1e-9);
  }
  if (sine_omega_ != 0) {
    phase += sine_amplitude_ / sine_omega_ *
             (std::cos(sine_phase_) - std::cos(sine_omega_ * t_s + sine_phase_));
  }
  for (const Step& s : steps_) {
    if (t_ns > s.at_ns) phase += s.delta * ((t_ns - s.at_ns) * 1e-9);
  }
  return phase;
}

}  // namespace sim
