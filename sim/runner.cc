#include "sim/runner.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ntp/trace/recorder.h"
#include "sim/random.h"
#include "sim/report.h"
#include "sim/scenario_loader.h"
#include "sim/simulation.h"
#include "sim/svg_plot.h"

namespace sim {
namespace {

// Written to a temporary file and renamed, so a reader never sees half a file.
absl::Status WriteFile(const std::filesystem::path& path, const std::string& contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
  f << contents;
  f.close();
  std::error_code ec;
  if (f) std::filesystem::rename(tmp, path, ec);
  if (!f || ec) {
    std::filesystem::remove(tmp, ec);
    return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  }
  return absl::OkStatus();
}

absl::Status WriteRunFiles(const std::filesystem::path& dir, const std::string& scenario_name,
                           const RunResult& run) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
  for (const HostSeries& s : run.series) {
    std::ofstream f(dir / (s.name + ".csv"), std::ios::trunc);
    WriteSeriesCsv(s, f);
    f.close();
    if (!f) return absl::InternalError(absl::StrCat("cannot write ", (dir / s.name).string()));
  }
  for (size_t i = 0; i < run.associations.size() && i < run.hosts.size(); ++i) {
    if (run.associations[i].empty()) continue;
    if (absl::Status s = WriteFile(dir / (run.hosts[i].name + "_associations.csv"),
                                   AssociationsCsv(run.associations[i]));
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [host, pcap] : run.pcap) {
    if (absl::Status s = WriteFile(dir / (host + ".pcap"), pcap); !s.ok()) return s;
  }
  return WriteFile(dir / "plot.svg", RenderSvg(RunPlot(scenario_name, run)));
}

std::string Seconds(double s) { return absl::StrFormat("%.3g s", s); }

void PrintRun(const LoadedScenario& scenario, const RunResult& run, std::ostream& out) {
  out << absl::StrFormat("ntpsim: %s seed %d: %d events, %d datagrams, digest %s\n",
                         scenario.scenario.name(), run.seed, run.events,
                         run.datagrams_delivered, run.digest);
  for (const HostSummary& h : run.hosts) {
    out << absl::StrFormat(
        "  host %-12s converge %s  rms offset %s  max |offset| %s  rms freq %.3g ppm  "
        "steps %d  exit %s\n",
        h.name, h.converge_s ? Seconds(*h.converge_s) : "never", Seconds(h.rms_offset_s),
        Seconds(h.max_abs_offset_s), h.rms_freq_ppm, h.steps, HostExitName(h.exit));
  }
  for (const CheckResult& c : run.checks) {
    out << absl::StrFormat("  %s %s: %s\n", c.passed ? "PASS" : "FAIL", c.name, c.detail);
  }
}

// Everything that must not change under perturbation.
bool SameResults(const RunResult& a, const RunResult& b, std::string* why) {
  if (a.digest != b.digest) {
    *why = absl::StrCat("digest ", a.digest, " != ", b.digest);
    return false;
  }
  for (size_t i = 0; i < a.hosts.size(); ++i) {
    if (a.hosts[i].rms_offset_s != b.hosts[i].rms_offset_s ||
        a.hosts[i].max_abs_offset_s != b.hosts[i].max_abs_offset_s ||
        a.hosts[i].steps != b.hosts[i].steps || a.hosts[i].exit != b.hosts[i].exit) {
      *why = absl::StrCat("host ", a.hosts[i].name, " results differ");
      return false;
    }
  }
  for (size_t i = 0; i < a.checks.size(); ++i) {
    if (a.checks[i].passed != b.checks[i].passed) {
      *why = absl::StrCat("check ", a.checks[i].name, " differs");
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<uint64_t>> ParseSeedRange(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, "..");
  uint64_t a = 0, b = 0;
  if (parts.size() == 1 && absl::SimpleAtoi(parts[0], &a)) return std::vector<uint64_t>{a};
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &a) || !absl::SimpleAtoi(parts[1], &b) ||
      a > b) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad seed range \"", text, "\": expected A..B with A <= B"));
  }
  if (b - a >= 100000) return absl::InvalidArgumentError("at most 100000 seeds per run");
  std::vector<uint64_t> seeds;
  for (uint64_t s = a;; ++s) {
    seeds.push_back(s);
    if (s == b) break;
  }
  return seeds;
}

int RunScenarioCommand(const RunnerOptions& options, const SimHostFactories& factories,
                       std::ostream& out, std::ostream& err) {
  const std::string open_path =
      options.open_path.empty() ? options.scenario_path : options.open_path;
  absl::StatusOr<LoadedScenario> loaded =
      LoadScenarioFile(open_path, ReadFileFromDisk, options.scenario_path);
  if (!loaded.ok()) {
    err << "ntpsim: " << loaded.status().message() << "\n";
    return 2;
  }
  const std::vector<uint64_t> seeds =
      options.seeds.empty() ? std::vector<uint64_t>{loaded->default_seed} : options.seeds;
  if (!options.trace_host.empty() && seeds.size() != 1) {
    err << "ntpsim: --trace_host records one seed: give --seed=N\n";
    return 2;
  }
  std::vector<RunResult> runs;
  bool all_passed = true;
  for (size_t i = 0; i < seeds.size(); ++i) {
    const uint64_t seed = seeds[i];
    RunOptions run_options;
    run_options.seed = seed;
    run_options.perturb_seed = options.perturb_seed;
    run_options.record_series = !options.out_dir.empty();
    if (!options.out_dir.empty()) run_options.pcap_hosts = options.pcap_hosts;
    if (options.progress) {
      run_options.progress = [&, i](double fraction) {
        err << absl::StrFormat("\r[ntpsim %s seed %d, run %d/%d] %3.0f%% of %.0f s simulated",
                               loaded->scenario.name(), seed, i + 1, seeds.size(),
                               fraction * 100, loaded->duration_s)
            << std::flush;
      };
    }
    ntp::trace::MemoryTraceSink trace;  // written when the run ends
    if (!options.trace_host.empty()) {
      run_options.trace_host = options.trace_host;
      run_options.trace_sink = &trace;
    }
    absl::StatusOr<RunResult> run = RunScenario(*loaded, factories, run_options);
    if (options.progress) err << "\r\033[K" << std::flush;
    if (!run.ok()) {
      err << "ntpsim: " << run.status().message() << "\n";
      return 2;
    }
    if (!options.trace_path.empty()) {
      // Atomically: a reader never sees half a trace.
      const std::string temporary = options.trace_path + ".tmp";
      absl::Status s = WriteFile(temporary, trace.bytes);
      std::error_code ec;
      if (s.ok()) std::filesystem::rename(temporary, options.trace_path, ec);
      if (!s.ok() || ec) {
        err << "ntpsim: cannot write " << options.trace_path << "\n";
        return 2;
      }
      err << "ntpsim: trace of " << options.trace_host << " written to " << options.trace_path
          << " (" << trace.bytes.size() << " bytes)\n";
    }
    run_options.trace_sink = nullptr;
    PrintRun(*loaded, *run, out);
    if (options.check_determinism) {
      // The same seed again, then with simultaneous independent events
      // reordered: both must reproduce the run exactly.
      RunOptions again = run_options;
      again.record_series = false;
      again.progress = nullptr;
      for (const std::optional<uint64_t> perturb :
           {options.perturb_seed, std::optional<uint64_t>(DeriveSeed(seed, "perturbation"))}) {
        again.perturb_seed = perturb;
        absl::StatusOr<RunResult> rerun = RunScenario(*loaded, factories, again);
        std::string why;
        if (!rerun.ok() || !SameResults(*run, *rerun, &why)) {
          all_passed = false;
          err << absl::StrFormat(
              "DETERMINISM FAILURE: seed %d does not reproduce (%s): %s\n  replay: %s "
              "--scenario=%s --seed=%d%s\n",
              seed, perturb.has_value() ? "events reordered" : "second run",
              rerun.ok() ? why : std::string(rerun.status().message()),
              options.replay_command, options.scenario_path, seed,
              perturb.has_value() ? absl::StrCat(" --perturb_seed=", *perturb) : "");
        }
      }
      if (all_passed) {
        out << "  determinism: rerun and reordered runs reproduce the digest\n";
      }
    }
    for (const CheckResult& c : run->checks) {
      if (c.passed) continue;
      all_passed = false;
      err << absl::StrFormat("FAILED check %s (host %s, %s), seed %d: %s\n  replay: %s "
                             "--scenario=%s --seed=%d\n",
                             c.name, c.host, c.location, seed, c.detail, options.replay_command,
                             options.scenario_path, seed);
    }
    if (!options.out_dir.empty()) {
      std::filesystem::path dir(options.out_dir);
      if (seeds.size() > 1) dir /= absl::StrCat("seed-", seed);
      if (absl::Status s = WriteRunFiles(dir, loaded->scenario.name(), *run); !s.ok()) {
        err << "ntpsim: " << s.message() << "\n";
        return 2;
      }
    }
    run->series.clear();  // keep memory flat over many seeds
    runs.push_back(*std::move(run));
  }
  if (!options.summary_json.empty()) {
    if (absl::Status s = WriteFile(options.summary_json,
                                   SummaryJson(loaded->scenario.name(), runs));
        !s.ok()) {
      err << "ntpsim: " << s.message() << "\n";
      return 2;
    }
  }
  if (seeds.size() > 1) {
    int failed = 0;
    for (const RunResult& r : runs) failed += r.passed() ? 0 : 1;
    out << absl::StrFormat("ntpsim: %d of %d seeds passed every check\n",
                           static_cast<int>(runs.size()) - failed, runs.size());
  }
  return all_passed ? 0 : 1;
}

}  // namespace sim
