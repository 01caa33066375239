#include "sim/scenario_loader.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "ntp/wire/refid.h"
#include "sim/sim_host.h"

namespace sim {
namespace {

using google::protobuf::Message;
using google::protobuf::TextFormat;

// Where a field is in the file, and its path from the root message.
class Where {
 public:
  Where(const std::string* file, const TextFormat::ParseInfoTree* tree)
      : file_(file), tree_(tree) {}

  // The field `name` of message `m` (at this location); `index` for an
  // element of a repeated field. Falls back to this location when the
  // field was not written in the file.
  Where Field(const Message& m, absl::string_view name, int index = -1) const {
    const google::protobuf::FieldDescriptor* fd =
        m.GetDescriptor()->FindFieldByName(std::string(name));
    Where w = *this;
    w.path_ = path_.empty() ? std::string(name) : absl::StrCat(path_, ".", name);
    if (index >= 0) absl::StrAppend(&w.path_, "[", index, "]");
    w.tree_ = nullptr;
    if (fd != nullptr && tree_ != nullptr) {
      const auto loc = tree_->GetLocation(fd, fd->is_repeated() ? std::max(index, 0) : -1);
      if (loc.line >= 0) {
        w.line_ = loc.line + 1;
        w.column_ = loc.column + 1;
      }
      if (fd->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        w.tree_ = tree_->GetTreeForNested(fd, fd->is_repeated() ? std::max(index, 0) : -1);
      }
    }
    return w;
  }

  std::string Prefix() const {
    return absl::StrCat(*file_, ":", line_, ":", column_, ": ",
                        path_.empty() ? "scenario" : path_, ": ");
  }
  std::string Line() const { return absl::StrCat(*file_, ":", line_); }

 private:
  const std::string* file_;
  const TextFormat::ParseInfoTree* tree_;
  std::string path_;
  int line_ = 1;
  int column_ = 1;
};

class Errors {
 public:
  void Add(const Where& w, absl::string_view message) {
    lines_.push_back(absl::StrCat(w.Prefix(), message));
  }
  bool empty() const { return lines_.empty(); }
  absl::Status ToStatus() const {
    return absl::InvalidArgumentError(absl::StrJoin(lines_, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

class CollectErrors final : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectErrors(const std::string* file) : file_(file) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    lines.push_back(absl::StrCat(*file_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    lines.push_back(
        absl::StrCat(*file_, ":", line + 1, ":", column + 1, ": warning: ", message));
  }
  std::vector<std::string> lines;

 private:
  const std::string* file_;
};

bool Finite(double x) { return std::isfinite(x); }

bool ValidName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

std::string Stem(const std::string& path) {
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  for (const char* ext : {".textproto", ".txtpb", ".pbtxt", ".scenario"}) {
    if (absl::EndsWith(base, ext)) base.resize(base.size() - std::string(ext).size());
  }
  return base;
}

// Matches hosts by exact name, by entry (group) name, "PREFIX*" or "*".
std::vector<bool> Match(const std::vector<ExpandedHost>& hosts, absl::string_view pattern) {
  std::vector<bool> out(hosts.size(), false);
  if (pattern.empty()) return out;
  const bool prefix = absl::EndsWith(pattern, "*");
  const absl::string_view stem = prefix ? pattern.substr(0, pattern.size() - 1) : pattern;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string& name = hosts[i].spec.name();
    out[i] = prefix ? absl::StartsWith(name, stem)
                    : (name == pattern || hosts[i].group == pattern);
  }
  return out;
}

std::vector<int> Indices(const std::vector<bool>& mask) {
  std::vector<int> out;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

void CheckProbability(const Message& m, absl::string_view field, bool has, double value,
                      const Where& w, Errors& errors) {
  if (has && !(value >= 0 && value <= 1)) {
    errors.Add(w.Field(m, field), "must be a probability in [0, 1]");
  }
}

void CheckNonNegative(const Message& m, absl::string_view field, bool has, double value,
                      const Where& w, Errors& errors) {
  if (has && !(Finite(value) && value >= 0)) {
    errors.Add(w.Field(m, field), "must be finite and >= 0");
  }
}

void ValidateClock(const scenario::ClockModel& c, const Where& w, Errors& errors) {
  for (auto [name, has, value] :
       std::vector<std::tuple<const char*, bool, double>>{
           {"offset_s", c.has_offset_s(), c.offset_s()},
           {"freq_ppm", c.has_freq_ppm(), c.freq_ppm()},
           {"sine_amplitude_ppm", c.has_sine_amplitude_ppm(), c.sine_amplitude_ppm()},
           {"sine_phase_rad", c.has_sine_phase_rad(), c.sine_phase_rad()},
           {"initial_freq_correction_ppm", c.has_initial_freq_correction_ppm(),
            c.initial_freq_correction_ppm()}}) {
    if (has && !Finite(value)) errors.Add(w.Field(c, name), "must be finite");
  }
  if (c.has_freq_ppm() && std::fabs(c.freq_ppm()) > 100000) {
    errors.Add(w.Field(c, "freq_ppm"), "must be within +/-100000 ppm");
  }
  if (c.has_initial_freq_correction_ppm() &&
      std::fabs(c.initial_freq_correction_ppm()) > clocks::kMaxFrequencyPpm) {
    errors.Add(w.Field(c, "initial_freq_correction_ppm"), "must be within +/-500 ppm");
  }
  CheckNonNegative(c, "wander_ppm_per_sqrt_s", c.has_wander_ppm_per_sqrt_s(),
                   c.wander_ppm_per_sqrt_s(), w, errors);
  CheckNonNegative(c, "read_jitter_s", c.has_read_jitter_s(), c.read_jitter_s(), w, errors);
  CheckNonNegative(c, "offset_spread_s", c.has_offset_spread_s(), c.offset_spread_s(), w, errors);
  CheckNonNegative(c, "freq_spread_ppm", c.has_freq_spread_ppm(), c.freq_spread_ppm(), w, errors);
  if (c.has_wander_step_s() && !(Finite(c.wander_step_s()) && c.wander_step_s() >= 1e-6)) {
    errors.Add(w.Field(c, "wander_step_s"), "must be >= 1e-6");
  }
  if (c.has_resolution_s() && !(Finite(c.resolution_s()) && c.resolution_s() > 0 &&
                                c.resolution_s() <= 1)) {
    errors.Add(w.Field(c, "resolution_s"), "must be in (0, 1]");
  }
  if (c.has_precision_s() && !(Finite(c.precision_s()) && c.precision_s() > 0 &&
                               c.precision_s() <= 1)) {
    errors.Add(w.Field(c, "precision_s"), "must be in (0, 1]");
  }
  if (c.has_sine_period_s() && !(Finite(c.sine_period_s()) && c.sine_period_s() > 0)) {
    errors.Add(w.Field(c, "sine_period_s"), "must be > 0");
  }
  if (c.has_sine_amplitude_ppm() && c.sine_amplitude_ppm() != 0 && !c.has_sine_period_s()) {
    errors.Add(w.Field(c, "sine_amplitude_ppm"), "needs sine_period_s");
  }
  for (int i = 0; i < c.freq_steps_size(); ++i) {
    const scenario::FrequencyStep& s = c.freq_steps(i);
    const Where ws = w.Field(c, "freq_steps", i);
    if (!(Finite(s.at_s()) && s.at_s() >= 0)) errors.Add(ws.Field(s, "at_s"), "must be >= 0");
    if (!Finite(s.delta_ppm())) errors.Add(ws.Field(s, "delta_ppm"), "must be finite");
  }
}

void ValidateLinkModel(const scenario::LinkModel& m, bool one_way, const Where& w, Errors& errors) {
  CheckNonNegative(m, "delay_s", m.has_delay_s(), m.delay_s(), w, errors);
  CheckProbability(m, "loss", m.has_loss(), m.loss(), w, errors);
  CheckProbability(m, "duplicate", m.has_duplicate(), m.duplicate(), w, errors);
  CheckProbability(m, "reorder", m.has_reorder(), m.reorder(), w, errors);
  CheckNonNegative(m, "reorder_delay_s", m.has_reorder_delay_s(), m.reorder_delay_s(), w, errors);
  CheckNonNegative(m, "spike_rate_per_s", m.has_spike_rate_per_s(), m.spike_rate_per_s(), w,
                   errors);
  CheckNonNegative(m, "spike_duration_s", m.has_spike_duration_s(), m.spike_duration_s(), w,
                   errors);
  CheckNonNegative(m, "spike_delay_s", m.has_spike_delay_s(), m.spike_delay_s(), w, errors);
  CheckProbability(m, "corrupt", m.has_corrupt(), m.corrupt(), w, errors);
  CheckProbability(m, "truncate", m.has_truncate(), m.truncate(), w, errors);
  if (m.has_asymmetry_s()) {
    if (!Finite(m.asymmetry_s())) {
      errors.Add(w.Field(m, "asymmetry_s"), "must be finite");
    } else if (one_way) {
      errors.Add(w.Field(m, "asymmetry_s"), "needs a two-way link (one_way is set)");
    }
  }
  if (m.has_jitter()) {
    const Where wj = w.Field(m, "jitter");
    const scenario::Jitter& j = m.jitter();
    if (!(Finite(j.scale_s()) && j.scale_s() >= 0)) {
      errors.Add(wj.Field(j, "scale_s"), "must be finite and >= 0");
    }
    if (j.has_shape() && !(Finite(j.shape()) && j.shape() > 0)) {
      errors.Add(wj.Field(j, "shape"), "must be > 0");
    }
    if (j.distribution() != scenario::NO_JITTER && j.scale_s() == 0) {
      errors.Add(wj.Field(j, "scale_s"), "must be > 0 for a jitter distribution");
    }
  }
}

// Replaces ${host:NAME} by the first address of host NAME.
std::string ExpandReferences(const std::string& text, const std::vector<ExpandedHost>& hosts,
                             const Where& w, Errors& errors) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("${host:", pos);
    if (open == std::string::npos) break;
    const size_t close = text.find('}', open);
    if (close == std::string::npos) {
      errors.Add(w, "unterminated ${host:...} reference");
      break;
    }
    out.append(text, pos, open - pos);
    const std::string name = text.substr(open + 7, close - open - 7);
    const std::vector<int> matches = Indices(Match(hosts, name));
    if (matches.size() != 1 || hosts[matches[0]].addresses.empty()) {
      errors.Add(w, absl::StrCat("${host:", name, "} must name exactly one host with an address"));
    } else {
      out += hosts[matches[0]].addresses[0].ToString();
    }
    pos = close + 1;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::string DefaultCheckName(const scenario::Check& c, const std::string& host) {
  std::string kind;
  switch (c.kind_case()) {
    case scenario::Check::kConverge: kind = "converge"; break;
    case scenario::Check::kRmsOffset: kind = "rms_offset"; break;
    case scenario::Check::kMaxOffset: kind = "max_offset"; break;
    case scenario::Check::kNoStepAfterS: kind = "no_step_after"; break;
    case scenario::Check::kFreqError: kind = "freq_error"; break;
    case scenario::Check::kExits: kind = "exits"; break;
    case scenario::Check::kNeverSelects: kind = absl::StrCat("never_selects_", c.never_selects()); break;
    case scenario::Check::kMaxSteps: kind = "max_steps"; break;
    case scenario::Check::kSelects: kind = absl::StrCat("selects_", c.selects().server()); break;
    case scenario::Check::kLeapAnnounced: kind = "leap_announced"; break;
    case scenario::Check::kLeaps: kind = "leaps"; break;
    case scenario::Check::kPoll: kind = "poll"; break;
    case scenario::Check::kNts: kind = absl::StrCat("nts_", c.nts().counter()); break;
    case scenario::Check::kNoStepAfterFirstUpdate: kind = "no_step_after_first_update"; break;
    case scenario::Check::KIND_NOT_SET: kind = "check"; break;
  }
  return host.empty() ? kind : absl::StrCat(kind, "/", host);
}

}  // namespace

absl::StatusOr<std::string> ReadFileFromDisk(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat("cannot read ", path));
  return buffer.str();
}

OscillatorParams ToOscillatorParams(const scenario::ClockModel& m) {
  OscillatorParams p;
  p.freq_ppm = m.freq_ppm();
  p.wander_ppm_per_sqrt_s = m.wander_ppm_per_sqrt_s();
  p.wander_step_s = m.has_wander_step_s() ? m.wander_step_s() : 1;
  p.sine_amplitude_ppm = m.sine_amplitude_ppm();
  p.sine_period_s = m.sine_period_s();
  p.sine_phase_rad = m.sine_phase_rad();
  for (const scenario::FrequencyStep& s : m.freq_steps()) {
    p.freq_steps.push_back({.at_s = s.at_s(), .delta_ppm = s.delta_ppm()});
  }
  return p;
}

SimClockParams ToSimClockParams(const scenario::ClockModel& m, absl::Time epoch) {
  SimClockParams p;
  p.epoch = epoch;
  p.initial_offset_s = m.offset_s();
  p.initial_frequency_ppm = m.initial_freq_correction_ppm();
  p.resolution_s = m.has_resolution_s() ? m.resolution_s() : 1e-9;
  p.read_jitter_s = m.read_jitter_s();
  p.precision_s = m.precision_s();
  p.read_only = m.read_only();
  return p;
}

LinkParams ToLinkParams(const scenario::LinkModel& m, bool reverse) {
  LinkParams p;
  const double half_asymmetry = m.asymmetry_s() / 2;
  p.delay_s = (m.has_delay_s() ? m.delay_s() : 0.0005) +
              (reverse ? -half_asymmetry : half_asymmetry);
  if (p.delay_s < 0) p.delay_s = 0;
  switch (m.jitter().distribution()) {
    case scenario::EXPONENTIAL: p.jitter.kind = JitterParams::Kind::kExponential; break;
    case scenario::UNIFORM: p.jitter.kind = JitterParams::Kind::kUniform; break;
    case scenario::NORMAL: p.jitter.kind = JitterParams::Kind::kNormal; break;
    case scenario::PARETO: p.jitter.kind = JitterParams::Kind::kPareto; break;
    default: p.jitter.kind = JitterParams::Kind::kNone; break;
  }
  p.jitter.scale_s = m.jitter().scale_s();
  p.jitter.shape = m.jitter().has_shape() ? m.jitter().shape() : 2;
  p.loss = m.loss();
  p.duplicate = m.duplicate();
  p.reorder = m.reorder();
  p.reorder_delay_s = m.reorder_delay_s();
  p.spike_rate_per_s = m.spike_rate_per_s();
  p.spike_duration_s = m.spike_duration_s();
  p.spike_delay_s = m.spike_delay_s();
  p.corrupt = m.corrupt();
  p.truncate = m.truncate();
  return p;
}

int LoadedScenario::HostIndex(absl::string_view name) const {
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].spec.name() == name) return static_cast<int>(i);
  }
  return -1;
}

LinkParams LoadedScenario::LinkBetween(int from, int to) const {
  for (auto it = link_rules.rbegin(); it != link_rules.rend(); ++it) {
    if (it->from[from] && it->to[to]) return ToLinkParams(it->model, /*reverse=*/false);
    if (!it->one_way && it->from[to] && it->to[from]) {
      return ToLinkParams(it->model, /*reverse=*/true);
    }
  }
  return ToLinkParams(default_link, /*reverse=*/false);
}

absl::StatusOr<LoadedScenario> LoadScenarioFile(const std::string& path,
                                                const ScenarioFileReader& reader,
                                                const std::string& display_path) {
  absl::StatusOr<std::string> text = reader(path);
  if (!text.ok()) return text.status();
  return ParseScenario(*text, path, reader, display_path);
}

namespace {

// The stages of ParseScenario, in order. Each validates one part of the
// scenario, adding what is wrong to `errors` (the order of the messages is
// the order of these stages), and fills its part of LoadedScenario.

// Text format to the Scenario message; syntax errors as FILE:LINE:COLUMN.
absl::Status ParseText(absl::string_view text, TextFormat::ParseInfoTree& tree,
                       LoadedScenario& out) {
  CollectErrors collector(&out.path);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &out.scenario)) {
    return absl::InvalidArgumentError(absl::StrJoin(collector.lines, "\n"));
  }
  if (out.scenario.name().empty()) out.scenario.set_name(Stem(out.path));
  return absl::OkStatus();
}

// The top-level settings and the default clock and link.
void LoadSettings(const Where& root, LoadedScenario& out, Errors& errors) {
  const scenario::Scenario& s = out.scenario;
  if (!(Finite(s.duration_s()) && s.duration_s() > 0)) {
    errors.Add(root.Field(s, "duration_s"), "required, must be > 0");
  }
  out.duration_s = s.duration_s();
  out.default_seed = s.has_seed() ? s.seed() : 1;
  if (s.has_start_unix_s()) out.start = absl::FromUnixSeconds(s.start_unix_s());
  if (s.has_sample_interval_s()) {
    if (!(Finite(s.sample_interval_s()) && s.sample_interval_s() >= 1e-3)) {
      errors.Add(root.Field(s, "sample_interval_s"), "must be >= 0.001");
    }
    out.sample_interval_s = s.sample_interval_s();
  }
  if (s.has_converge_threshold_s()) {
    if (!(Finite(s.converge_threshold_s()) && s.converge_threshold_s() > 0)) {
      errors.Add(root.Field(s, "converge_threshold_s"), "must be > 0");
    }
    out.converge_threshold_s = s.converge_threshold_s();
  }
  if (s.has_settle_s()) {
    if (!(Finite(s.settle_s()) && s.settle_s() >= 0)) {
      errors.Add(root.Field(s, "settle_s"), "must be >= 0");
    }
    out.settle_s = s.settle_s();
  }
  if (s.has_loopback_delay_s()) {
    CheckNonNegative(s, "loopback_delay_s", true, s.loopback_delay_s(), root, errors);
    out.loopback_delay_s = s.loopback_delay_s();
  }
  ValidateClock(s.default_clock(), root.Field(s, "default_clock"), errors);
  ValidateLinkModel(s.default_link(), /*one_way=*/false, root.Field(s, "default_link"), errors);
  if (s.default_link().has_asymmetry_s()) {
    errors.Add(root.Field(s, "default_link").Field(s.default_link(), "asymmetry_s"),
               "asymmetry needs a direction: set it on a `links` entry");
  }
  out.default_link = s.default_link();
  out.default_link.clear_asymmetry_s();
}

// The fields of one `hosts` entry, addresses aside.
void ValidateHost(const scenario::Host& h, double duration_s, const Where& wh, Errors& errors) {
  if (!ValidName(h.name())) {
    errors.Add(wh.Field(h, "name"), "required: letters, digits, '_', '-', '.'");
  }
  if (h.role() == scenario::ROLE_UNSPECIFIED) {
    errors.Add(wh.Field(h, "role"), "required (NTPD, PROBER, RESPONDER or ATTACKER)");
  }
  if (!h.ntp_conf().empty() && !h.ntp_conf_file().empty()) {
    errors.Add(wh.Field(h, "ntp_conf_file"), "give ntp_conf or ntp_conf_file, not both");
  }
  if (h.count() > 1 && h.addresses_size() > 0) {
    errors.Add(wh.Field(h, "addresses"), "must be empty when count > 1");
  }
  if (h.count() > 100000) errors.Add(wh.Field(h, "count"), "must be <= 100000");
  if (!(Finite(h.start_s()) && h.start_s() >= 0 && h.start_s() <= duration_s)) {
    errors.Add(wh.Field(h, "start_s"), "must be within [0, duration_s]");
  }
  for (int f = 0; f < h.flags_size(); ++f) {
    const std::string& flag = h.flags(f);
    if (flag != "-g" && flag != "-x" && flag != "-q") {
      errors.Add(wh.Field(h, "flags", f),
                 absl::StrCat("unknown daemon flag \"", flag, "\" (known: -g, -x, -q)"));
    }
  }
  ValidateClock(h.clock(), wh.Field(h, "clock"), errors);
  if (h.has_drift_file_ppm() && !Finite(h.drift_file_ppm())) {
    errors.Add(wh.Field(h, "drift_file_ppm"), "must be finite");
  }
  if (h.has_drift_file_age_s()) {
    if (!h.has_drift_file_ppm()) {
      errors.Add(wh.Field(h, "drift_file_age_s"), "needs drift_file_ppm");
    } else if (!(Finite(h.drift_file_age_s()) && h.drift_file_age_s() >= 0)) {
      errors.Add(wh.Field(h, "drift_file_age_s"), "must be finite and >= 0");
    }
  }
  if (h.role() == scenario::PROBER) {
    const scenario::ProberOptions& p = h.prober();
    if (p.servers_size() == 0) {
      errors.Add(wh.Field(h, "prober").Field(p, "servers"), "a prober needs servers");
    }
    if (p.has_poll_s() && !(Finite(p.poll_s()) && p.poll_s() >= 0.001)) {
      errors.Add(wh.Field(h, "prober").Field(p, "poll_s"), "must be >= 0.001");
    }
  }
  if (h.role() == scenario::ATTACKER) {
    const scenario::AttackerOptions& a = h.attacker();
    const Where wa = wh.Field(h, "attacker");
    if (a.victim().empty()) errors.Add(wa.Field(a, "victim"), "required");
    if (a.impersonate().empty()) errors.Add(wa.Field(a, "impersonate"), "required");
    if (a.kiss_code().size() > 4) errors.Add(wa.Field(a, "kiss_code"), "at most 4 characters");
    if (a.has_rate_per_s() && !(Finite(a.rate_per_s()) && a.rate_per_s() > 0)) {
      errors.Add(wa.Field(a, "rate_per_s"), "must be > 0");
    }
    if (a.has_port_max() && a.port_max() > 65535) {
      errors.Add(wa.Field(a, "port_max"), "must be <= 65535");
    }
  }
  if (h.has_nts_server()) {
    const scenario::NtsServerOptions& n = h.nts_server();
    const Where wn = wh.Field(h, "nts_server");
    if (h.role() != scenario::NTPD) errors.Add(wn, "only for NTPD hosts");
    if (n.has_ke_port() && (n.ke_port() == 0 || n.ke_port() > 65535)) {
      errors.Add(wn.Field(n, "ke_port"), "must be 1-65535");
    }
    if (n.has_rotation_interval_s() &&
        !(Finite(n.rotation_interval_s()) && n.rotation_interval_s() >= 1)) {
      errors.Add(wn.Field(n, "rotation_interval_s"), "must be >= 1");
    }
    for (int k = 0; k < n.rotate_at_s_size(); ++k) {
      if (!(Finite(n.rotate_at_s(k)) && n.rotate_at_s(k) >= 0 && n.rotate_at_s(k) <= duration_s)) {
        errors.Add(wn.Field(n, "rotate_at_s", k), "must be within [0, duration_s]");
      }
    }
  }
  if (h.role() == scenario::RESPONDER) {
    for (int k = 0; k < h.responder().script_size(); ++k) {
      const scenario::ResponderScript& r = h.responder().script(k);
      const Where wr = wh.Field(h, "responder").Field(h.responder(), "script", k);
      if (r.has_leap() && r.leap() > 3) errors.Add(wr.Field(r, "leap"), "must be 0-3");
      if (r.has_stratum() && r.stratum() > 255) errors.Add(wr.Field(r, "stratum"), "must be 0-255");
      if (r.kiss_code().size() > 4) errors.Add(wr.Field(r, "kiss_code"), "at most 4 characters");
      if (!(Finite(r.at_s()) && r.at_s() >= 0)) errors.Add(wr.Field(r, "at_s"), "must be >= 0");
    }
    const std::string& refid = h.responder().refid();
    if (refid.size() > 4) {
      errors.Add(wh.Field(h, "responder").Field(h.responder(), "refid"),
                 "at most 4 characters");
    } else if (!refid.empty() && !ntp::RefIdFromAscii(refid).ok()) {
      errors.Add(wh.Field(h, "responder").Field(h.responder(), "refid"),
                 "printable ASCII characters other than space only");
    }
  }
}

// The literal addresses of one `hosts` entry; `used` collects every address
// taken so far.
std::vector<net::IpAddress> ParseAddresses(const scenario::Host& h, const Where& wh,
                                           std::set<net::IpAddress>& used, Errors& errors) {
  std::vector<net::IpAddress> addresses;
  for (int a = 0; a < h.addresses_size(); ++a) {
    absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(h.addresses(a));
    if (!ip.ok() || ip->IsUnspecified()) {
      errors.Add(wh.Field(h, "addresses", a),
                 absl::StrCat("not a usable IPv4/IPv6 address: \"", h.addresses(a), "\""));
      continue;
    }
    if (!used.insert(*ip).second) {
      errors.Add(wh.Field(h, "addresses", a),
                 absl::StrCat("address ", ip->ToString(), " is used by another host"));
    }
    addresses.push_back(*ip);
  }
  return addresses;
}

// Validates every `hosts` entry and expands it `count` times into
// out.hosts (clock merged over default_clock). Returns the indices of the
// expanded hosts that still need an address.
std::vector<int> ExpandHosts(const Where& root, std::set<net::IpAddress>& used,
                             LoadedScenario& out, Errors& errors) {
  const scenario::Scenario& s = out.scenario;
  if (s.hosts_size() == 0) errors.Add(root.Field(s, "hosts"), "at least one host is required");
  std::vector<int> needs_address;
  for (int i = 0; i < s.hosts_size(); ++i) {
    const scenario::Host& h = s.hosts(i);
    const Where wh = root.Field(s, "hosts", i);
    ValidateHost(h, s.duration_s(), wh, errors);
    const std::vector<net::IpAddress> addresses = ParseAddresses(h, wh, used, errors);
    const uint32_t count = h.count() > 1 ? h.count() : 1;
    for (uint32_t k = 0; k < count && count <= 100000; ++k) {
      ExpandedHost e;
      e.spec = h;
      e.spec.clear_count();
      e.group = h.name();
      e.entry = i;
      if (h.count() > 1) e.spec.set_name(absl::StrCat(h.name(), k));
      e.addresses = addresses;
      e.location = wh.Line();
      scenario::ClockModel merged = s.default_clock();
      merged.MergeFrom(h.clock());
      *e.spec.mutable_clock() = merged;
      if (e.addresses.empty()) needs_address.push_back(static_cast<int>(out.hosts.size()));
      out.hosts.push_back(std::move(e));
    }
  }
  return needs_address;
}

void CheckUniqueNames(const Where& root, const LoadedScenario& out, Errors& errors) {
  std::set<std::string> names;
  for (const ExpandedHost& e : out.hosts) {
    if (!names.insert(e.spec.name()).second) {
      errors.Add(root.Field(out.scenario, "hosts"),
                 absl::StrCat("duplicate host name \"", e.spec.name(), "\" (", e.location, ")"));
    }
  }
}

// Gives each host in `needs_address` the next free address of 10.0.0.0/8
// and writes every host's addresses back into its spec.
void AssignAddresses(const std::vector<int>& needs_address, std::set<net::IpAddress>& used,
                     std::vector<ExpandedHost>& hosts) {
  uint32_t next_auto = 0;
  for (int index : needs_address) {
    net::IpAddress ip;
    do {
      const uint32_t block = next_auto / 250;
      ip = net::IpAddress::V4((10u << 24) | ((block / 250 % 250) << 16) | ((block % 250) << 8) |
                              (next_auto % 250 + 1));
      ++next_auto;
    } while (used.contains(ip));
    used.insert(ip);
    hosts[index].addresses.push_back(ip);
  }
  for (ExpandedHost& e : hosts) {
    e.spec.clear_addresses();
    for (const net::IpAddress& ip : e.addresses) e.spec.add_addresses(ip.ToString());
  }
}

// The host's final ntp_conf: the file read (relative to the scenario's
// directory) and ${host:NAME} replaced.
void ResolveNtpConf(ExpandedHost& e, const Where& wh, const scenario::Host& entry,
                    const std::string& path, const ScenarioFileReader& reader,
                    const std::vector<ExpandedHost>& hosts, Errors& errors) {
  std::string conf = e.spec.ntp_conf();
  Where wconf = wh.Field(entry, "ntp_conf");
  if (!e.spec.ntp_conf_file().empty()) {
    wconf = wh.Field(entry, "ntp_conf_file");
    std::string file = e.spec.ntp_conf_file();
    if (file[0] != '/') file = Dirname(path) + file;
    absl::StatusOr<std::string> read = reader(file);
    if (!read.ok()) {
      errors.Add(wconf, std::string(read.status().message()));
    } else {
      conf = *read;
    }
  }
  e.spec.set_ntp_conf(ExpandReferences(conf, hosts, wconf, errors));
}

// A prober's servers as literal addresses (host names and patterns
// resolved).
void ResolveProberServers(ExpandedHost& e, const Where& wh, const scenario::Host& entry,
                          const std::vector<ExpandedHost>& hosts, Errors& errors) {
  scenario::ProberOptions* p = e.spec.mutable_prober();
  std::vector<std::string> literal;
  for (int k = 0; k < p->servers_size(); ++k) {
    const std::string& server = p->servers(k);
    if (net::IpAddress::Parse(server).ok()) {
      literal.push_back(server);
      continue;
    }
    const std::vector<int> matches = Indices(Match(hosts, server));
    if (matches.empty()) {
      errors.Add(wh.Field(entry, "prober").Field(entry.prober(), "servers", k),
                 absl::StrCat("\"", server, "\" is neither a host nor an address"));
    }
    for (int m : matches) literal.push_back(hosts[m].addresses[0].ToString());
  }
  p->clear_servers();
  for (const std::string& l : literal) p->add_servers(l);
}

// An attacker's victim and impersonated server: host names become their
// first address.
void ResolveAttacker(ExpandedHost& e, const Where& wh, const scenario::Host& entry,
                     const std::vector<ExpandedHost>& hosts, Errors& errors) {
  scenario::AttackerOptions* a = e.spec.mutable_attacker();
  const Where wa = wh.Field(entry, "attacker");
  for (std::string* name : {a->mutable_victim(), a->mutable_impersonate()}) {
    const char* field = name == a->mutable_victim() ? "victim" : "impersonate";
    if (net::IpAddress::Parse(*name).ok()) continue;
    const int h = [&] {
      for (size_t i = 0; i < hosts.size(); ++i) {
        if (hosts[i].spec.name() == *name) return static_cast<int>(i);
      }
      return -1;
    }();
    if (h < 0 || hosts[h].addresses.empty()) {
      errors.Add(wa.Field(entry.attacker(), field),
                 absl::StrCat("\"", *name, "\" is neither a host nor an address"));
      continue;
    }
    *name = hosts[h].addresses[0].ToString();
  }
}

// Configuration text and prober servers (they need every address).
void ResolveHostReferences(const Where& root, const std::string& path,
                           const ScenarioFileReader& reader, LoadedScenario& out,
                           Errors& errors) {
  const scenario::Scenario& s = out.scenario;
  for (ExpandedHost& e : out.hosts) {
    const scenario::Host& entry = s.hosts(e.entry);
    const Where wh = root.Field(s, "hosts", e.entry);
    ResolveNtpConf(e, wh, entry, path, reader, out.hosts, errors);
    if (e.spec.role() == scenario::PROBER) ResolveProberServers(e, wh, entry, out.hosts, errors);
    if (e.spec.role() == scenario::ATTACKER) ResolveAttacker(e, wh, entry, out.hosts, errors);
  }
}

void ResolveLinks(const Where& root, LoadedScenario& out, Errors& errors) {
  const scenario::Scenario& s = out.scenario;
  for (int i = 0; i < s.links_size(); ++i) {
    const scenario::Link& l = s.links(i);
    const Where wl = root.Field(s, "links", i);
    LoadedScenario::LinkRule rule;
    rule.from = Match(out.hosts, l.from());
    rule.to = Match(out.hosts, l.to());
    if (Indices(rule.from).empty()) {
      errors.Add(wl.Field(l, "from"), absl::StrCat("\"", l.from(), "\" matches no host"));
    }
    if (Indices(rule.to).empty()) {
      errors.Add(wl.Field(l, "to"), absl::StrCat("\"", l.to(), "\" matches no host"));
    }
    ValidateLinkModel(l.model(), l.one_way(), wl.Field(l, "model"), errors);
    rule.one_way = l.one_way();
    rule.model = out.default_link;
    rule.model.MergeFrom(l.model());
    if (rule.model.has_asymmetry_s() &&
        std::fabs(rule.model.asymmetry_s()) / 2 >
            (rule.model.has_delay_s() ? rule.model.delay_s() : 0.0005)) {
      errors.Add(wl.Field(l, "model").Field(l.model(), "asymmetry_s"),
                 "|asymmetry_s| / 2 must not exceed delay_s");
    }
    out.link_rules.push_back(std::move(rule));
  }
}

// The hosts `pattern` matches; an error at `w` if none.
std::vector<int> ResolveHosts(const std::vector<ExpandedHost>& hosts, const std::string& pattern,
                              const Where& w, Errors& errors) {
  std::vector<int> matches = Indices(Match(hosts, pattern));
  if (matches.empty()) errors.Add(w, absl::StrCat("\"", pattern, "\" matches no host"));
  return matches;
}

// The directed host pairs between the `from` and `to` patterns (both
// directions unless `one_way`).
std::vector<std::pair<int, int>> ResolveLinkPairs(const std::vector<ExpandedHost>& hosts,
                                                  const std::string& from, const std::string& to,
                                                  bool one_way, const Where& wf, const Where& wt,
                                                  Errors& errors) {
  std::vector<std::pair<int, int>> pairs;
  const std::vector<int> a = ResolveHosts(hosts, from, wf, errors);
  const std::vector<int> b = ResolveHosts(hosts, to, wt, errors);
  for (int x : a) {
    for (int y : b) {
      if (x == y) continue;
      pairs.push_back({x, y});
      if (!one_way) pairs.push_back({y, x});
    }
  }
  return pairs;
}

// A partition's group per host (-1: in no group).
std::vector<int> ResolvePartition(const scenario::Partition& p, const Where& wp,
                                  const std::vector<ExpandedHost>& hosts, Errors& errors) {
  std::vector<int> group_of_host(hosts.size(), -1);
  if (p.groups_size() < 2) errors.Add(wp.Field(p, "groups"), "needs at least two groups");
  for (int g = 0; g < p.groups_size(); ++g) {
    const Where wg = wp.Field(p, "groups", g);
    for (int k = 0; k < p.groups(g).hosts_size(); ++k) {
      const Where wk = wg.Field(p.groups(g), "hosts", k);
      for (int h : ResolveHosts(hosts, p.groups(g).hosts(k), wk, errors)) {
        if (group_of_host[h] >= 0 && group_of_host[h] != g) {
          errors.Add(wk, absl::StrCat("host ", hosts[h].spec.name(), " is in two groups"));
        }
        group_of_host[h] = g;
      }
    }
  }
  return group_of_host;
}

// The hosts and links one fault acts on.
void ResolveFaultTargets(const scenario::Fault& f, const Where& wf,
                         const std::vector<ExpandedHost>& hosts, ResolvedFault& r,
                         Errors& errors) {
  switch (f.kind_case()) {
    case scenario::Fault::kLinkDown:
    case scenario::Fault::kLinkUp: {
      const bool down = f.kind_case() == scenario::Fault::kLinkDown;
      const scenario::LinkRef& l = down ? f.link_down() : f.link_up();
      const Where wl = wf.Field(f, down ? "link_down" : "link_up");
      r.links = ResolveLinkPairs(hosts, l.from(), l.to(), l.one_way(), wl.Field(l, "from"),
                                 wl.Field(l, "to"), errors);
      break;
    }
    case scenario::Fault::kRouteChange: {
      const scenario::RouteChange& c = f.route_change();
      const Where wc = wf.Field(f, "route_change");
      r.links = ResolveLinkPairs(hosts, c.from(), c.to(), c.one_way(), wc.Field(c, "from"),
                                 wc.Field(c, "to"), errors);
      if (!Finite(c.delay_change_s())) errors.Add(wc.Field(c, "delay_change_s"), "must be finite");
      break;
    }
    case scenario::Fault::kPartition:
      r.group_of_host = ResolvePartition(f.partition(), wf.Field(f, "partition"), hosts, errors);
      break;
    case scenario::Fault::kHeal:
      break;
    case scenario::Fault::kHostDown:
      r.hosts = ResolveHosts(hosts, f.host_down(), wf.Field(f, "host_down"), errors);
      break;
    case scenario::Fault::kHostUp:
      r.hosts = ResolveHosts(hosts, f.host_up(), wf.Field(f, "host_up"), errors);
      break;
    case scenario::Fault::kClockStep: {
      const Where wc = wf.Field(f, "clock_step");
      r.hosts = ResolveHosts(hosts, f.clock_step().host(), wc.Field(f.clock_step(), "host"), errors);
      if (!Finite(f.clock_step().offset_s())) {
        errors.Add(wc.Field(f.clock_step(), "offset_s"), "must be finite");
      }
      break;
    }
    case scenario::Fault::kFalseticker: {
      const Where wc = wf.Field(f, "falseticker");
      r.hosts =
          ResolveHosts(hosts, f.falseticker().host(), wc.Field(f.falseticker(), "host"), errors);
      if (!Finite(f.falseticker().offset_s()) || !Finite(f.falseticker().freq_ppm())) {
        errors.Add(wc, "offset_s and freq_ppm must be finite");
      }
      break;
    }
    case scenario::Fault::KIND_NOT_SET:
      errors.Add(wf, "no fault kind given");
      break;
  }
}

// Every fault with its targets resolved, by time (file order among equals).
void ResolveFaults(const Where& root, LoadedScenario& out, Errors& errors) {
  const scenario::Scenario& s = out.scenario;
  for (int i = 0; i < s.faults_size(); ++i) {
    const scenario::Fault& f = s.faults(i);
    const Where wf = root.Field(s, "faults", i);
    ResolvedFault r;
    r.at_s = f.at_s();
    r.fault = f;
    r.location = wf.Line();
    if (!(Finite(f.at_s()) && f.at_s() >= 0 && f.at_s() <= s.duration_s())) {
      errors.Add(wf.Field(f, "at_s"), "must be within [0, duration_s]");
    }
    ResolveFaultTargets(f, wf, out.hosts, r, errors);
    out.faults.push_back(std::move(r));
  }
  std::stable_sort(out.faults.begin(), out.faults.end(),
                   [](const ResolvedFault& a, const ResolvedFault& b) { return a.at_s < b.at_s; });
}

// The bounds of one check (times within the run, limits > 0).
// poll: after_s within the run, something bounded, ranges not inverted.
void ValidatePollBound(const scenario::PollBound& p, const Where& w, double duration_s,
                       Errors& errors) {
  if (!(Finite(p.after_s()) && p.after_s() >= 0 && p.after_s() <= duration_s)) {
    errors.Add(w.Field(p, "after_s"), "must be within [0, duration_s]");
  }
  if (!p.has_min_poll_log2() && !p.has_max_poll_log2() && !p.has_max_requests() &&
      !p.has_min_requests()) {
    errors.Add(w, "bounds nothing: give min/max_poll_log2 or min/max_requests");
  }
  if (p.has_min_poll_log2() && p.has_max_poll_log2() && p.min_poll_log2() > p.max_poll_log2()) {
    errors.Add(w.Field(p, "max_poll_log2"), "must be >= min_poll_log2");
  }
  if (p.has_min_requests() && p.has_max_requests() && p.min_requests() > p.max_requests()) {
    errors.Add(w.Field(p, "max_requests"), "must be >= min_requests");
  }
}

void ValidateCheckBounds(const scenario::Check& c, const Where& wc, double duration_s,
                         Errors& errors) {
  auto in_run = [&](double t, const Where& w) {
    if (!(Finite(t) && t >= 0 && t <= duration_s)) errors.Add(w, "must be within [0, duration_s]");
  };
  switch (c.kind_case()) {
    case scenario::Check::kConverge: {
      const Where w = wc.Field(c, "converge");
      in_run(c.converge().within_s(), w.Field(c.converge(), "within_s"));
      if (!(c.converge().max_abs_offset_s() > 0)) {
        errors.Add(w.Field(c.converge(), "max_abs_offset_s"), "must be > 0");
      }
      break;
    }
    case scenario::Check::kRmsOffset:
    case scenario::Check::kMaxOffset: {
      const bool rms = c.kind_case() == scenario::Check::kRmsOffset;
      const scenario::OffsetBound& b = rms ? c.rms_offset() : c.max_offset();
      const Where w = wc.Field(c, rms ? "rms_offset" : "max_offset");
      in_run(b.after_s(), w.Field(b, "after_s"));
      if (!(b.max_s() > 0)) errors.Add(w.Field(b, "max_s"), "must be > 0");
      break;
    }
    case scenario::Check::kNoStepAfterS:
      in_run(c.no_step_after_s(), wc.Field(c, "no_step_after_s"));
      break;
    case scenario::Check::kFreqError: {
      const Where w = wc.Field(c, "freq_error");
      in_run(c.freq_error().after_s(), w.Field(c.freq_error(), "after_s"));
      if (!(c.freq_error().max_ppm() > 0)) {
        errors.Add(w.Field(c.freq_error(), "max_ppm"), "must be > 0");
      }
      if (c.freq_error().has_average_s() && !(c.freq_error().average_s() > 0)) {
        errors.Add(w.Field(c.freq_error(), "average_s"), "must be > 0");
      }
      break;
    }
    case scenario::Check::kExits: {
      const Where w = wc.Field(c, "exits");
      if (c.exits().state() == scenario::EXIT_UNSPECIFIED) {
        errors.Add(w.Field(c.exits(), "state"), "required");
      }
      if (c.exits().has_within_s()) in_run(c.exits().within_s(), w.Field(c.exits(), "within_s"));
      break;
    }
    case scenario::Check::kMaxSteps:
      if (c.max_steps() < 0) errors.Add(wc.Field(c, "max_steps"), "must be >= 0");
      break;
    case scenario::Check::kLeaps:
      if (c.leaps() < 0) errors.Add(wc.Field(c, "leaps"), "must be >= 0");
      break;
    case scenario::Check::kNoStepAfterFirstUpdate:
      if (!c.no_step_after_first_update()) {
        errors.Add(wc.Field(c, "no_step_after_first_update"), "must be true");
      }
      break;
    case scenario::Check::kSelects:
      in_run(c.selects().after_s(), wc.Field(c, "selects").Field(c.selects(), "after_s"));
      break;
    case scenario::Check::kLeapAnnounced: {
      const scenario::LeapAnnounced& l = c.leap_announced();
      const Where w = wc.Field(c, "leap_announced");
      if (l.leap() != 1 && l.leap() != 2) errors.Add(w.Field(l, "leap"), "must be 1 or 2");
      in_run(l.after_s(), w.Field(l, "after_s"));
      if (l.has_before_s()) in_run(l.before_s(), w.Field(l, "before_s"));
      break;
    }
    case scenario::Check::kPoll:
      ValidatePollBound(c.poll(), wc.Field(c, "poll"), duration_s, errors);
      break;
    case scenario::Check::kNts: {
      const scenario::NtsCount& n = c.nts();
      const Where w = wc.Field(c, "nts");
      if (NtsCounters().Find(n.counter()) == nullptr) {
        errors.Add(w.Field(n, "counter"),
                   absl::StrCat("unknown counter \"", n.counter(), "\" (known: ",
                                absl::StrJoin(NtsCounters::Names(), ", "), ")"));
      }
      if (!n.has_min() && !n.has_max()) errors.Add(w, "give min, max or both");
      if (n.has_min() && n.has_max() && n.min() > n.max()) {
        errors.Add(w.Field(n, "max"), "must be >= min");
      }
      break;
    }
    default:
      break;
  }
  if (c.never_selects_after_s() != 0) {
    if (c.kind_case() != scenario::Check::kNeverSelects) {
      errors.Add(wc.Field(c, "never_selects_after_s"), "only for never_selects");
    } else {
      in_run(c.never_selects_after_s(), wc.Field(c, "never_selects_after_s"));
    }
  }
  if (!c.relative_to().empty() && c.kind_case() != scenario::Check::kConverge &&
      c.kind_case() != scenario::Check::kRmsOffset &&
      c.kind_case() != scenario::Check::kMaxOffset) {
    errors.Add(wc.Field(c, "relative_to"), "only for converge, rms_offset and max_offset");
  }
}

// relative_to: the one host the offsets are measured against, or -1.
int RelativeToHost(const scenario::Check& c, const Where& wc,
                   const std::vector<ExpandedHost>& hosts, Errors& errors) {
  if (c.relative_to().empty()) return -1;
  const std::vector<int> matches = Indices(Match(hosts, c.relative_to()));
  if (matches.size() != 1) {
    errors.Add(wc.Field(c, "relative_to"),
               absl::StrCat("\"", c.relative_to(), "\" must name exactly one host"));
    return -1;
  }
  return matches[0];
}

// never_selects: the forbidden server's addresses (an address, or every
// address of the hosts a name or pattern matches).
std::vector<net::IpAddress> ForbiddenAddresses(const scenario::Check& c, const Where& wc,
                                               const std::vector<ExpandedHost>& hosts,
                                               Errors& errors) {
  std::vector<net::IpAddress> forbidden;
  if (c.kind_case() != scenario::Check::kNeverSelects &&
      c.kind_case() != scenario::Check::kSelects) {
    return forbidden;
  }
  const bool never = c.kind_case() == scenario::Check::kNeverSelects;
  const std::string& server = never ? c.never_selects() : c.selects().server();
  absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(server);
  if (ip.ok()) {
    forbidden.push_back(*ip);
    return forbidden;
  }
  const std::vector<int> servers = Indices(Match(hosts, server));
  if (servers.empty()) {
    errors.Add(never ? wc.Field(c, "never_selects") : wc.Field(c, "selects"),
               absl::StrCat("\"", server, "\" is neither a host nor an address"));
  }
  for (int h : servers) {
    forbidden.insert(forbidden.end(), hosts[h].addresses.begin(), hosts[h].addresses.end());
  }
  return forbidden;
}

// Every check, once per host its pattern matches, with a unique name.
void ResolveChecks(const Where& root, LoadedScenario& out, Errors& errors) {
  const scenario::Scenario& s = out.scenario;
  std::set<std::string> check_names;
  for (int i = 0; i < s.checks_size(); ++i) {
    const scenario::Check& c = s.checks(i);
    const Where wc = root.Field(s, "checks", i);
    if (c.kind_case() == scenario::Check::KIND_NOT_SET) {
      errors.Add(wc, "no check kind given");
      continue;
    }
    ValidateCheckBounds(c, wc, s.duration_s(), errors);
    const std::vector<net::IpAddress> forbidden = ForbiddenAddresses(c, wc, out.hosts, errors);
    const int relative_to = RelativeToHost(c, wc, out.hosts, errors);
    if (c.host().empty()) {
      errors.Add(wc.Field(c, "host"), "required: the host (or pattern) the check applies to");
      continue;
    }
    const std::vector<int> hosts = ResolveHosts(out.hosts, c.host(), wc.Field(c, "host"), errors);
    for (int h : hosts) {
      ResolvedCheck r;
      r.check = c;
      r.host = h;
      r.forbidden = forbidden;
      r.relative_to = relative_to;
      r.location = wc.Line();
      const std::string base =
          c.name().empty() ? DefaultCheckName(c, out.hosts[h].spec.name()) : c.name();
      r.name = hosts.size() > 1 && !c.name().empty()
                   ? absl::StrCat(base, "/", out.hosts[h].spec.name())
                   : base;
      if (!check_names.insert(r.name).second) {
        errors.Add(wc.Field(c, "name"), absl::StrCat("duplicate check name \"", r.name, "\""));
      }
      out.checks.push_back(std::move(r));
    }
  }
}

}  // namespace

absl::StatusOr<LoadedScenario> ParseScenario(absl::string_view text, const std::string& path,
                                             const ScenarioFileReader& reader,
                                             const std::string& display_path) {
  LoadedScenario out;
  out.path = display_path.empty() ? path : display_path;
  TextFormat::ParseInfoTree tree;
  if (absl::Status parsed = ParseText(text, tree, out); !parsed.ok()) return parsed;
  const Where root(&out.path, &tree);
  Errors errors;
  LoadSettings(root, out, errors);
  std::set<net::IpAddress> used;
  const std::vector<int> needs_address = ExpandHosts(root, used, out, errors);
  CheckUniqueNames(root, out, errors);
  AssignAddresses(needs_address, used, out.hosts);
  ResolveHostReferences(root, path, reader, out, errors);
  ResolveLinks(root, out, errors);
  ResolveFaults(root, out, errors);
  ResolveChecks(root, out, errors);
  if (!errors.empty()) return errors.ToStatus();
  return out;
}

}  // namespace sim
