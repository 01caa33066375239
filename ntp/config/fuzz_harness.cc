#include "ntp/config/fuzz_harness.h"

#include <cmath>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "ntp/config/config.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser.h"
#include "ntp/config/writer.h"

namespace ntp {
namespace {

int CountLines(absl::string_view text) {
  int lines = 1;
  for (char c : text) lines += c == '\n';
  return lines;
}

bool Printable(absl::string_view text) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) return false;
  }
  return !text.empty();
}

std::string CheckModel(const NtpConfig& c) {
  for (const ServerConfig& s : c.servers) {
    if (s.minpoll < kMinPollLimit || s.maxpoll > kMaxPollLimit ||
        s.minpoll > s.maxpoll) {
      return absl::StrCat("server ", s.host, ": bad polls ", s.minpoll, "/",
                          s.maxpoll);
    }
    if (s.version < kMinConfigVersion || s.version > kMaxConfigVersion) {
      return absl::StrCat("server ", s.host, ": bad version");
    }
    if (s.key_id && (*s.key_id < kMinKeyId || *s.key_id > kMaxKeyId)) {
      return absl::StrCat("server ", s.host, ": bad key");
    }
    if (s.location.line < 1) return "server without a line";
    if (s.refclock && (!s.refclock->is_local_clock() ||
                       s.refclock->unit > RefclockAddress::kMaxUnit)) {
      return "unsupported refclock stored";
    }
  }
  for (const auto& [refclock, f] : c.fudges) {
    if (f.stratum && (*f.stratum < 0 || *f.stratum > 15)) return "fudge stratum";
    if (f.refid && (f.refid->empty() || f.refid->size() > 4)) return "fudge refid";
  }
  for (const RestrictRule& r : c.restricts) {
    if (r.mask.has_value() && r.mask->PrefixLength() < 0) {
      return "non-contiguous restrict mask stored";
    }
    if (r.address.has_value() != r.mask.has_value()) {
      return "restrict address without mask";
    }
    if (r.address && r.mask && r.address->Masked(*r.mask) != *r.address) {
      return "restrict address not masked";
    }
    if (r.location.line < 1) return "restrict without a line";
  }
  for (uint32_t id : {0u, 65536u}) {
    if (c.trusted_keys.Contains(id)) return "trusted key out of range";
  }
  const TinkerConfig& t = c.tinker;
  for (double x : {t.step_seconds, t.stepout_seconds, t.panic_seconds,
                   t.dispersion_ppm, t.huffpuff_seconds}) {
    if (!std::isfinite(x) || x < 0) return "tinker value out of range";
  }
  return "";
}

}  // namespace

std::string CheckNtpConfInput(absl::string_view data, bool* accepted) {
  InMemoryFileReader reader;
  std::map<std::string, int> line_counts;
  size_t index = 0;
  while (index < std::size(kFuzzFileNames)) {
    size_t split = index + 1 < std::size(kFuzzFileNames)
                       ? data.find(kFuzzFileSeparator)
                       : absl::string_view::npos;
    absl::string_view part = data.substr(0, split);
    reader.AddFile(kFuzzFileNames[index], std::string(part));
    line_counts[kFuzzFileNames[index]] = CountLines(part);
    ++index;
    if (split == absl::string_view::npos) break;
    data.remove_prefix(split + kFuzzFileSeparator.size());
  }
  ParseOptions options;
  options.root_directory = "/";
  ParsedConfig parsed = ParseNtpConfFile(kFuzzFileNames[0], reader, options);
  if (accepted != nullptr) *accepted = parsed.ok();

  int errors = 0;
  for (const Diagnostic& d : parsed.diagnostics) {
    auto it = line_counts.find(d.file);
    if (it == line_counts.end()) return "diagnostic for unknown file " + d.file;
    if (d.line < 0 || d.line > it->second) {
      return absl::StrCat("diagnostic line ", d.line, " outside ", d.file);
    }
    if (!Printable(d.message)) return "unprintable diagnostic message";
    errors += d.severity == Severity::kError;
  }
  if (errors > parsed.error_count) return "error_count too small";
  if (parsed.ok() != (errors == 0 && parsed.error_count == 0)) {
    return "ok() disagrees with the diagnostics";
  }
  if (std::string problem = CheckModel(parsed.config); !problem.empty()) {
    return problem;
  }
  if (!parsed.ok()) return "";

  const std::string text = FormatNtpConf(parsed.config);
  ParsedConfig again = ParseNtpConfText(text, "formatted.conf", nullptr);
  if (!again.ok()) {
    return "formatted configuration does not parse:\n" + again.FormatAll() +
           "\n" + text;
  }
  if (WithoutProvenance(again.config) != WithoutProvenance(parsed.config)) {
    return "formatted configuration parses to a different model:\n" + text;
  }
  if (FormatNtpConf(again.config) != text) {
    return "formatting is not stable:\n" + text;
  }
  return "";
}

}  // namespace ntp
