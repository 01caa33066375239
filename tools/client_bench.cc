// Accuracy benchmark of the client discipline on the models M1, M2 and M3
// (described in testdata/scenarios/bench/m1.textproto, m2 and m3) in the
// client's own test world (ntp/client/testing/test_world.h): one perfect
// server, one client; offsets sampled once per simulated second;
// "converge" = first second after which |offset| <= 1 ms for the rest of the
// run; RMS from then on. Prints median and range over 10 seeds next to
// chronyd 4.3's figures for the same models.
//   bazel run -c opt //tools:client_bench -- [--hours=4] [--seeds=10]
//       [--seed=1] [--model=M1] [--trace] [--dump=N] [--max_freq=PPM]
//       [--wander=W] [--verbose]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ntp/client/testing/engine_fixture.h"

ABSL_FLAG(double, hours, 4, "simulated hours per run");
ABSL_FLAG(int, seeds, 10, "runs per model");
ABSL_FLAG(int, seed, 1, "first seed");
ABSL_FLAG(std::string, model, "",
          "run only this model (M1, M1-iburst, M2, M3, lossy); default: all but lossy");
ABSL_FLAG(bool, trace, false, "print the client's state once per simulated minute");
ABSL_FLAG(int, dump, 0, "print the first N per-second offsets of each run");
ABSL_FLAG(double, max_freq, 0, "frequency limit of clock and steering, ppm (0: default)");
ABSL_FLAG(double, wander, 0, "fix the offset tracker's wander at this value (0: adaptive)");
ABSL_FLAG(bool, verbose, false, "print every seed's result");

namespace ntp::testing {
namespace {

struct Model {
  const char* name;
  double freq_ppm;
  double jitter_mean_seconds;
  double pareto_scale_seconds;
  double loss;
  double delay_seconds;
  bool iburst;
  int minpoll, maxpoll;
  double chrony_converge_seconds;
  double chrony_rms_seconds;
};

struct Options {
  double hours = 4;
  int seeds = 10;
  int first_seed = 1;
  std::string only;
  bool trace = false;
  int dump = 0;
  double max_freq = 0;
  double fixed_wander = 0;
  bool verbose = false;
};

struct Result {
  double converge;
  double rms;
};

// --trace: one line per simulated minute.
void Trace(EngineFixture& f, double hours) {
  for (int k = 0; k < hours * 3600 / 60; ++k) {
    OffsetStats part = f.Measure(60);
    double sum = 0;
    for (double o : part.offsets) sum += o * o;
    const Association& a = *f.engine->associations()[0];
    std::printf("outliers=%llu ", static_cast<unsigned long long>(a.counters().outliers));
    std::printf("t=%6d rms60=%8.2fus off=%8.2fus hpoll=%d q=%.2e R=%.2e rate=%.4fppm "
                "freq=%.4fppm osc=%.4f n=%d\n",
                (k + 1) * 60, std::sqrt(sum / part.offsets.size()) * 1e6,
                part.final_offset_seconds * 1e6, a.hpoll(), a.tracker().wander(),
                std::sqrt(a.tracker().TypicalMeasurementVariance()),
                a.tracker().rate() * 1e6, f.engine->steering().base_frequency_ppm(),
                f.client_clock->oscillator_ppm(), a.tracker().samples());
  }
}

Result RunOne(const Model& m, uint64_t seed, const Options& o) {
  ModelClockParams client;
  client.offset_seconds = 0.1;
  client.freq_ppm = m.freq_ppm;
  client.wander_ppm_per_sqrt_s = 0.001;
  if (o.max_freq > 0) client.max_frequency_ppm = o.max_freq;
  FixtureServer s;
  s.to_server.delay_seconds = m.delay_seconds;
  s.to_server.jitter_mean_seconds = m.jitter_mean_seconds;
  s.to_server.pareto_scale_seconds = m.pareto_scale_seconds;
  s.to_server.loss = m.loss;
  s.to_client = s.to_server;
  s.config.iburst = m.iburst;
  s.config.minpoll = m.minpoll;
  s.config.maxpoll = m.maxpoll;
  EngineFixture f(client, {s}, seed);
  f.use_drift_store = false;
  ClientEngineOptions options;
  if (o.max_freq > 0) options.steering.max_frequency_ppm = o.max_freq;
  if (o.fixed_wander > 0) {
    options.tracker.wander = options.tracker.min_wander = options.tracker.max_wander =
        o.fixed_wander;
  }
  if (!f.Start(options).ok()) return {-1, -1};
  if (o.trace) {
    Trace(f, o.hours);
    return {0, 0};
  }
  OffsetStats st = f.Measure(o.hours * 3600);
  for (int k = 0; k < o.dump && k < static_cast<int>(st.offsets.size()); ++k) {
    std::printf("%d %.2f\n", k + 1, st.offsets[k] * 1e6);
  }
  return {st.converge_seconds.value_or(-1), st.rms_seconds};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One table row: median [range] over the seeds next to chronyd's figures.
void RunModel(const Model& m, const Options& o) {
  std::vector<double> cv, rms;
  for (int s = o.first_seed; s < o.first_seed + o.seeds; ++s) {
    Result r = RunOne(m, s, o);
    if (o.verbose) {
      std::printf("  %s seed %d: converge %.0f s, RMS %.2f us\n", m.name, s, r.converge,
                  r.rms * 1e6);
    }
    cv.push_back(r.converge);
    rms.push_back(r.rms * 1e6);
  }
  const double cvm = Median(cv), rmsm = Median(rms);
  std::printf("%-10s %6.0f [%5.0f,%6.0f] %10.2f [%6.2f,%7.2f] %10.0f %10.1f %8.2f %8.2f\n",
              m.name, cvm, *std::min_element(cv.begin(), cv.end()),
              *std::max_element(cv.begin(), cv.end()), rmsm,
              *std::min_element(rms.begin(), rms.end()),
              *std::max_element(rms.begin(), rms.end()), m.chrony_converge_seconds,
              m.chrony_rms_seconds * 1e6, cvm / m.chrony_converge_seconds,
              rmsm / (m.chrony_rms_seconds * 1e6));
}

int Main(const Options& o) {
  const Model models[] = {
      {"M1", 10, 10e-6, 0, 0, 100e-6, false, 6, 10, 132, 22e-6},
      {"M1-iburst", 10, 10e-6, 0, 0, 100e-6, true, 6, 10, 7, 19e-6},
      {"M2", 100, 100e-6, 0, 0, 100e-6, false, 6, 10, 132, 100e-6},
      {"M3", 10, 10e-6, 0, 0, 100e-6, false, 4, 4, 35, 2.5e-6},
      // Not a benchmark model: 20 % loss and Pareto jitter (no chrony figure).
      {"lossy", -25, 0, 0.5e-3, 0.2, 2e-3, true, 6, 10, 0, 0},
  };
  std::printf("%-10s %22s %26s %10s %10s %8s %8s\n", "model", "converge s med [range]",
              "RMS us med [range]", "chrony cv", "chrony RMS", "cv ratio", "RMS ratio");
  for (const Model& m : models) {
    if (!o.only.empty() && o.only != m.name) continue;
    if (o.only.empty() && m.chrony_rms_seconds == 0) continue;
    RunModel(m, o);
  }
  return 0;
}

}  // namespace
}  // namespace ntp::testing

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "client accuracy benchmark: [--hours=4] [--seeds=10] [--model=M1] [--trace]");
  absl::ParseCommandLine(argc, argv);
  ntp::testing::Options o;
  o.hours = absl::GetFlag(FLAGS_hours);
  o.seeds = absl::GetFlag(FLAGS_seeds);
  o.first_seed = absl::GetFlag(FLAGS_seed);
  o.only = absl::GetFlag(FLAGS_model);
  o.trace = absl::GetFlag(FLAGS_trace);
  o.dump = absl::GetFlag(FLAGS_dump);
  o.max_freq = absl::GetFlag(FLAGS_max_freq);
  o.fixed_wander = absl::GetFlag(FLAGS_wander);
  o.verbose = absl::GetFlag(FLAGS_verbose);
  return ntp::testing::Main(o);
}
