#include "sim/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/digest.h"

namespace sim {
namespace {

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double x) {
  if (!std::isfinite(x)) return "null";
  return absl::StrFormat("%.9g", x);
}

constexpr double kInf = std::numeric_limits<double>::infinity();

// The host's NTS counters as a JSON member; empty for a host without NTS.
std::string NtsMember(const NtsCounters& nts) {
  std::vector<std::string> fields;
  bool any = false;
  for (const std::string& name : NtsCounters::Names()) {
    const uint64_t value = *nts.Find(name);
    any |= value != 0;
    fields.push_back(absl::StrCat(JsonString(name), ": ", value));
  }
  return any ? absl::StrCat(", \"nts\": {", absl::StrJoin(fields, ", "), "}") : "";
}

std::string HostObject(const HostSummary& h) {
  return absl::StrCat(
      "{\"converge_s\": ", h.converge_s ? JsonNumber(*h.converge_s) : "null",
      ", \"rms_offset_s\": ", JsonNumber(h.rms_offset_s),
      ", \"max_abs_offset_s\": ", JsonNumber(h.max_abs_offset_s),
      ", \"rms_freq_ppm\": ", JsonNumber(h.rms_freq_ppm), ", \"steps\": ", h.steps,
      ", \"requests_sent\": ", h.requests_sent, ", \"polls_log2\": [",
      absl::StrJoin(h.polls_log2, ", "), "], \"exit\": ", JsonString(HostExitName(h.exit)),
      NtsMember(h.nts), "}");
}

}  // namespace

double Percentile(std::vector<double> values, double percent) {
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(percent, 0.0, 100.0) / 100 * (values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  if (values[lo] == values[hi]) return values[lo];  // also inf == inf
  return values[lo] + (rank - lo) * (values[hi] - values[lo]);
}

std::string AssociationsCsv(const std::vector<AssociationRow>& rows) {
  std::string out = "server,poll,reach,tally,sent,received,accepted";
  if (!rows.empty()) {
    for (const auto& [reason, count] : rows[0].drops) absl::StrAppend(&out, ",drop_", reason);
  }
  out += "\n";
  for (const AssociationRow& r : rows) {
    absl::StrAppendFormat(&out, "%s,%d,%03o,%c,%d,%d,%d", r.server, 1 << r.poll_log2, r.reach,
                          r.tally == ' ' ? '_' : r.tally, r.sent, r.received, r.accepted);
    for (const auto& [reason, count] : r.drops) absl::StrAppend(&out, ",", count);
    out += "\n";
  }
  return out;
}

void WriteSeriesCsv(const HostSeries& series, std::ostream& out) {
  out << "t_s,true_offset_s,est_offset_s,true_freq_ppm,osc_freq_ppm,freq_corr_ppm,"
         "est_freq_ppm,poll_log2,stratum,selected,association_polls,requests_sent,events\n";
  int events_begin = 0;
  for (const SeriesPoint& p : series.points) {
    std::vector<std::string> events;
    for (int i = events_begin; i < p.events_end; ++i) {
      const HostEvent& e = series.events[i];
      events.push_back(e.text.empty() ? e.kind : absl::StrCat(e.kind, ": ", e.text));
    }
    events_begin = p.events_end;
    out << absl::StrFormat("%.6f,%.12g,%.12g,%.9g,%.9g,%.9g,%.9g,%d,%d,%s,%s,%d,%s\n", p.t_s,
                           p.true_offset_s, p.est_offset_s, p.true_freq_ppm, p.osc_freq_ppm,
                           p.freq_corr_ppm, p.est_freq_ppm, p.poll_log2, p.stratum,
                           CsvField(p.selected >= 0 ? series.peers[p.selected] : ""),
                           p.association_polls, static_cast<int64_t>(p.requests_sent),
                           CsvField(absl::StrJoin(events, " | ")));
  }
}

std::string SummaryJson(const std::string& scenario_name, const std::vector<RunResult>& runs) {
  std::string out = absl::StrCat("{\n  \"scenario\": ", JsonString(scenario_name),
                                 ",\n  \"seeds\": [");
  for (size_t i = 0; i < runs.size(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", runs[i].seed);
  }
  out += "],\n  \"hosts\": {";
  const size_t host_count = runs.empty() ? 0 : runs[0].hosts.size();
  for (size_t h = 0; h < host_count; ++h) {
    std::vector<double> converge, rms, max_abs, freq, steps, requests;
    std::string exit = HostExitName(runs[0].hosts[h].exit);
    for (const RunResult& r : runs) {
      const HostSummary& s = r.hosts[h];
      converge.push_back(s.converge_s.value_or(kInf));
      rms.push_back(s.rms_offset_s);
      max_abs.push_back(s.max_abs_offset_s);
      freq.push_back(s.rms_freq_ppm);
      steps.push_back(s.steps);
      requests.push_back(static_cast<double>(s.requests_sent));
      if (exit != HostExitName(s.exit)) exit = "mixed";
    }
    auto stats = [&](double percent) {
      return absl::StrCat(
          "\"converge_s\": ", JsonNumber(Percentile(converge, percent)),
          ", \"rms_offset_s\": ", JsonNumber(Percentile(rms, percent)),
          ", \"max_abs_offset_s\": ", JsonNumber(Percentile(max_abs, percent)),
          ", \"rms_freq_ppm\": ", JsonNumber(Percentile(freq, percent)),
          ", \"steps\": ", JsonNumber(Percentile(steps, percent)),
          ", \"requests_sent\": ", JsonNumber(Percentile(requests, percent)));
    };
    absl::StrAppend(&out, h ? "," : "", "\n    ", JsonString(runs[0].hosts[h].name), ": {",
                    stats(50), ", \"exit\": ", JsonString(exit), ",\n      \"p95\": {",
                    stats(95), "}}");
  }
  out += "\n  },\n  \"checks\": [";
  const size_t check_count = runs.empty() ? 0 : runs[0].checks.size();
  for (size_t c = 0; c < check_count; ++c) {
    std::vector<std::string> failed;
    for (const RunResult& r : runs) {
      if (!r.checks[c].passed) failed.push_back(absl::StrCat(r.seed));
    }
    absl::StrAppend(&out, c ? "," : "", "\n    {\"name\": ", JsonString(runs[0].checks[c].name),
                    ", \"passed\": ", failed.empty() ? "true" : "false", ", \"failed_seeds\": [",
                    absl::StrJoin(failed, ", "), "]}");
  }
  std::string digest;
  if (runs.size() == 1) {
    digest = runs[0].digest;
  } else {
    Digest combined;
    for (const RunResult& r : runs) {
      combined.AddU64(r.seed);
      combined.AddString(r.digest);
    }
    digest = combined.Hex();
  }
  absl::StrAppend(&out, check_count ? "\n  " : "", "],\n  \"digest\": ", JsonString(digest),
                  ",\n  \"runs\": [");
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunResult& r = runs[i];
    absl::StrAppend(&out, i ? "," : "", "\n    {\"seed\": ", r.seed, ", \"hosts\": {");
    for (size_t h = 0; h < r.hosts.size(); ++h) {
      absl::StrAppend(&out, h ? ", " : "", JsonString(r.hosts[h].name), ": ",
                      HostObject(r.hosts[h]));
    }
    out += "}, \"checks\": [";
    for (size_t c = 0; c < r.checks.size(); ++c) {
      absl::StrAppend(&out, c ? ", " : "", "{\"name\": ", JsonString(r.checks[c].name),
                      ", \"passed\": ", r.checks[c].passed ? "true" : "false",
                      ", \"detail\": ", JsonString(r.checks[c].detail), "}");
    }
    absl::StrAppend(&out, "], \"digest\": ", JsonString(r.digest), ", \"events\": ", r.events,
                    "}");
  }
  out += runs.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace sim
