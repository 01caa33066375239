// ntpreplay: replays a trace written by `ntpd --trace=FILE` (or ntpsim
// --trace) against the protocol core (ntp/trace/replayer.h) and says
// whether it answered every input exactly as recorded.
//
//   ntpreplay FILE          "identical (N inputs, M actions)", exit 0; the
//                           first divergence, exit 1; an unreadable,
//                           truncated, corrupt or incomplete trace, exit 2.
//                           Segments rotated beside FILE (FILE.N .. FILE.1)
//                           are read first.
//   ntpreplay --keys=KEYS FILE
//                           the recorded machine's keys file, for a trace
//                           that names its keys by fingerprint only
//   ntpreplay --dump FILE   one line per record
//   ntpreplay --set KEY=VALUE [--set ...] [--plot=F.svg] FILE
//                           what-if: the recorded inputs re-run with changed
//                           parameters (ntp/trace/what_if.h), compared with
//                           the recording; --plot draws both
//   ntpreplay --to_scenario=F.textproto FILE
//                           a simulator scenario with the links estimated
//                           from the trace (sim/trace_to_scenario.h)
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "ntp/auth/keys_file.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/what_if.h"
#include "sim/svg_plot.h"
#include "sim/trace_to_scenario.h"
#include "tools/trace_file.h"

ABSL_FLAG(bool, dump, false, "print the trace, one line per record, instead of replaying it");
ABSL_FLAG(std::string, plot, "",
          "what-if: write an SVG of the original and what-if offsets and polls here");
ABSL_FLAG(std::string, to_scenario, "",
          "write a simulator scenario (text format) with delay, jitter and loss estimated "
          "from the trace");
ABSL_FLAG(bool, what_if, false, "run the what-if comparison even without --set");
ABSL_FLAG(std::string, keys, "",
          "the recorded machine's keys file (ntp.keys format), for a trace recorded without "
          "`keys include`");

namespace {

// --set KEY=VALUE may repeat (absl keeps only the last of a flag): taken
// out of argv here.
std::vector<std::string> TakeSettings(int* argc, char** argv) {
  std::vector<std::string> settings;
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--set=", 0) == 0) {
      settings.push_back(arg.substr(6));
    } else if (arg == "--set" && i + 1 < *argc) {
      settings.push_back(argv[++i]);
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  return settings;
}

sim::PlotSeries Series(const std::string& label, const std::string& color, bool dashed,
                       const std::vector<ntp::trace::WhatIfSample>& samples) {
  sim::PlotSeries s;
  s.label = label;
  s.color = color;
  s.dashed = dashed;
  for (const ntp::trace::WhatIfSample& p : samples) s.points.emplace_back(p.t_s, p.value);
  return s;
}

// Offsets and polls of both runs; clock steps as markers.
sim::Plot WhatIfPlot(const std::string& trace, const ntp::trace::WhatIfResult& r) {
  sim::Plot plot;
  plot.title = absl::StrCat("ntpreplay what-if: ", trace, "  [", absl::StrJoin(r.settings, " "),
                            "]");
  plot.x_label = "seconds since the first recorded input";
  sim::PlotPanel offsets{"peer offset (s)", false, {}};
  offsets.series.push_back(Series("original", "#1f77b4", false, r.original.peer_offsets));
  offsets.series.push_back(Series("what-if", "#d62728", true, r.what_if.peer_offsets));
  sim::PlotPanel magnitude{"|peer offset| (s, log)", true, offsets.series};
  sim::PlotPanel polls{"poll (log2 s)", false, {}};
  polls.series.push_back(Series("original", "#1f77b4", false, r.original.poll_log2));
  polls.series.push_back(Series("what-if", "#d62728", true, r.what_if.poll_log2));
  plot.panels = {offsets, magnitude, polls};
  for (const auto& [run, color, name] :
       {std::tuple{&r.original, "#1f77b4", "original"}, std::tuple{&r.what_if, "#d62728", "what-if"}}) {
    for (const ntp::trace::WhatIfClockOp& op : run->clock_ops) {
      if (op.kind == "step") {
        plot.markers.push_back({op.t_s, color, absl::StrCat(name, " step",
                                                            op.applied ? "" : " (refused)")});
      }
    }
  }
  return plot;
}

// Paths are relative to where the user ran `bazel run`, not the runfiles.
std::string FromUser(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  return dir != nullptr ? std::string(dir) + "/" + path : path;
}

// Writes `text` to `path` through a temporary file and a rename.
absl::Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  FILE* f = std::fopen(temporary.c_str(), "wb");
  if (f == nullptr) return absl::InternalError("cannot create " + temporary);
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !written || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::InternalError("cannot write " + path);
  }
  return absl::OkStatus();
}

int Fail(const std::string& where, const absl::Status& status) {
  std::fprintf(stderr, "ntpreplay: %s: %s\n", where.c_str(),
               std::string(status.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ntpreplay [--dump] [--keys=FILE] [--set KEY=VALUE ... [--plot=F.svg]] TRACE_FILE");
  const std::vector<std::string> settings = TakeSettings(&argc, argv);
  const std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: ntpreplay [--dump] [--keys=FILE] TRACE_FILE\n");
    return 2;
  }
  const std::string path = FromUser(args[1]);
  absl::StatusOr<std::string> bytes;
  if (absl::GetFlag(FLAGS_dump)) {
    bytes = tools::ReadTraceFile(path);
  } else {
    std::vector<std::string> files;
    bytes = tools::ReadRotatedTrace(path, &files);
    if (bytes.ok() && files.size() > 1) {
      std::fprintf(stderr, "ntpreplay: a rotated trace: %s\n", absl::StrJoin(files, " ").c_str());
    }
  }
  if (!bytes.ok()) return Fail(path, bytes.status());
  if (absl::GetFlag(FLAGS_dump)) {
    absl::StatusOr<std::string> dump = ntp::trace::Dump(*bytes);
    if (!dump.ok()) return Fail(path, dump.status());
    std::fputs(dump->c_str(), stdout);
    return 0;
  }
  ntp::trace::ReplayOptions options;
  ntp::KeyStore keys;
  if (const std::string keys_path = FromUser(absl::GetFlag(FLAGS_keys)); !keys_path.empty()) {
    absl::StatusOr<std::string> text = tools::ReadTraceFile(keys_path);
    if (!text.ok()) return Fail(keys_path, text.status());
    ntp::ParsedKeysFile parsed = ntp::ParseKeysFile(keys_path, *text);
    for (const ntp::KeysFileDiagnostic& d : parsed.diagnostics) {
      std::fprintf(stderr, "%s\n", d.ToString().c_str());
    }
    keys = std::move(parsed.keys);
    options.keys = &keys;
  }
  if (const std::string out = FromUser(absl::GetFlag(FLAGS_to_scenario)); !out.empty()) {
    std::string name = out.substr(out.find_last_of('/') + 1);
    name = name.substr(0, name.find('.'));
    absl::StatusOr<sim::TraceScenario> s = sim::ScenarioFromTrace(*bytes, name);
    if (!s.ok()) return Fail(path, s.status());
    if (absl::Status w = WriteAtomically(out, s->text); !w.ok()) return Fail(out, w);
    std::fputs(s->text.substr(0, s->text.find("name:")).c_str(), stdout);
    std::printf("scenario: %s (run it: bazel run //:ntpsim -- --scenario=%s)\n", out.c_str(),
                out.c_str());
    return 0;
  }
  if (!settings.empty() || absl::GetFlag(FLAGS_what_if) || !absl::GetFlag(FLAGS_plot).empty()) {
    ntp::trace::WhatIfOptions what_if;
    what_if.settings = settings;
    what_if.keys = options.keys;
    absl::StatusOr<ntp::trace::WhatIfResult> r = ntp::trace::WhatIf(*bytes, what_if);
    if (!r.ok()) return Fail(path, r.status());
    std::fputs(r->report.c_str(), stdout);
    if (const std::string plot = FromUser(absl::GetFlag(FLAGS_plot)); !plot.empty()) {
      if (absl::Status s = WriteAtomically(plot, sim::RenderSvg(WhatIfPlot(path, *r))); !s.ok()) {
        return Fail(plot, s);
      }
      std::printf("plot: %s\n", plot.c_str());
    }
    return 0;
  }
  absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(*bytes, options);
  if (!result.ok()) return Fail(path, result.status());
  std::printf("%s\n", result->report.c_str());
  return result->identical ? 0 : 1;
}
