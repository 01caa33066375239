#include "tools/ntpq/billboard.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ntp/control/control_vars.h"

namespace ntp::tools {
namespace {

constexpr int kLineWidth = 78;
constexpr size_t kMaxOutLine = 72;  // ntpq's MAXOUTLINE

std::string Value(const std::vector<ControlVariable>& vars, absl::string_view name) {
  const ControlVariable* v = FindControlVariable(vars, name);
  return v == nullptr ? std::string() : v->value;
}

bool Has(const std::vector<ControlVariable>& vars, absl::string_view name) {
  return FindControlVariable(vars, name) != nullptr;
}

std::optional<int64_t> IntValue(const std::vector<ControlVariable>& vars,
                                absl::string_view name) {
  const std::string text = Value(vars, name);
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 0);
  if (end == text.c_str() || *end != '\0' || errno != 0) return std::nullopt;
  return v;
}

// A millisecond value as ntpq shows it ("%.3f"), or the escaped text when
// it is no number.
std::string Milliseconds(const std::vector<ControlVariable>& vars, absl::string_view name) {
  const std::string text = Value(vars, name);
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) return EscapeForDisplay(text);
  return absl::StrFormat("%.3f", v);
}

// ntpd 4.2.8 ntpq's type column from hmode and the address.
char TypeOf(const std::vector<ControlVariable>& vars) {
  const std::string srcadr = Value(vars, "srcadr");
  if (absl::StartsWith(srcadr, "127.127.")) return 'l';
  switch (IntValue(vars, "hmode").value_or(0)) {
    case 1: return 's';  // symmetric active
    case 2: return 'S';  // symmetric passive
    case 3: return absl::StartsWith(srcadr, "224.") ? 'a' : 'u';
    case 5: return absl::StartsWith(srcadr, "224.") ? 'M' : 'B';
    case 6: return 'b';  // broadcast client
    default: return ' ';
  }
}

constexpr const char* kTally = " x.-+#*o";

const char* const kSelectNames[] = {"reject",    "falsetick", "excess", "outlier",
                                    "candidate", "backup",    "sys.peer", "pps.peer"};
const char* const kPeerEvents[] = {
    "",          "mobilize",    "demobilize",  "unreachable", "reachable",  "restart",
    "no_reply",  "rate_exceeded", "access_denied", "leap_armed", "sys_peer", "clock_event",
    "bad_auth",  "popcorn",     "interleave_mode", "interleave_error"};
const char* const kSystemEvents[] = {
    "unspecified", "freq_not_set", "freq_set",   "spike_detect", "freq_mode",
    "clock_sync",  "restart",      "panic_stop", "no_system_peer", "leap_armed",
    "leap_disarmed", "leap_event", "clock_step", "kern",         "TAI",
    "stale_leapsecond_values"};
const char* const kLeapNames[] = {"leap_none", "leap_add_sec", "leap_del_sec", "leap_alarm"};
const char* const kSourceNames[] = {
    "sync_unspec", "sync_pps",   "sync_lf_radio", "sync_hf_radio",  "sync_uhf_radio",
    "sync_local",  "sync_ntp",   "sync_other",    "sync_wristwatch", "sync_telephone"};

std::string EventCount(int count) {
  return absl::StrCat(count, count == 1 ? " event" : " events");
}

}  // namespace

std::string PrettyInterval(int64_t diff) {
  if (diff <= 0) return "-";
  if (diff <= 2048) return absl::StrCat(diff);
  diff = (diff + 29) / 60;
  if (diff <= 300) return absl::StrCat(diff, "m");
  diff = (diff + 29) / 60;
  if (diff <= 96) return absl::StrCat(diff, "h");
  diff = (diff + 11) / 24;
  return absl::StrCat(diff, "d");
}

std::string FormatPeers(const DaemonState& state, bool numeric) {
  std::string out =
      "     remote           refid      st t when poll reach   delay   offset  jitter\n";
  out.append(kLineWidth, '=');
  out.push_back('\n');
  for (const PeerState& peer : state.peers) {
    const std::vector<ControlVariable> vars = ParseControlVariables(peer.vars);
    const char tally = kTally[peer.status >> 8 & 7];
    const std::string srcadr = Value(vars, "srcadr");
    std::string remote = srcadr;
    if (Has(vars, "srchost") && (absl::StartsWith(srcadr, "127.127.") || !numeric)) {
      remote = Value(vars, "srchost");
    }
    std::string refid = Value(vars, "refid");
    if (refid.find('.') == std::string::npos && refid.find(':') == std::string::npos) {
      refid = absl::StrCat(".", refid, ".");
    }
    const int64_t stratum = IntValue(vars, "stratum").value_or(16);
    // when: since the last reply (rec), else the reference time.
    int64_t when = 0;
    for (const char* name : {"rec", "reftime"}) {
      std::optional<NtpTimestamp> t = ParseControlTimestamp(Value(vars, name));
      if (t.has_value() && !t->IsZero()) {
        when = static_cast<int64_t>(std::floor((state.now - *t).ToSeconds()));
        break;
      }
    }
    const int64_t hpoll = std::clamp<int64_t>(IntValue(vars, "hpoll").value_or(6), 0, 17);
    const int64_t ppoll = std::clamp<int64_t>(IntValue(vars, "ppoll").value_or(hpoll), 0, 17);
    const int64_t poll = int64_t{1} << std::min(hpoll, ppoll);
    const int64_t reach = IntValue(vars, "reach").value_or(0) & 0xff;
    const std::string jitter =
        Has(vars, "jitter") ? Milliseconds(vars, "jitter") : Milliseconds(vars, "dispersion");
    absl::StrAppendFormat(&out, "%c%-15.15s %-15.15s %2d %c %4.4s %4.4s  %3o  %7.7s %8.7s %7.7s\n",
                          tally, EscapeForDisplay(remote), EscapeForDisplay(refid),
                          std::clamp<int64_t>(stratum, -9, 99), TypeOf(vars),
                          PrettyInterval(when), PrettyInterval(poll), reach,
                          Milliseconds(vars, "delay"), Milliseconds(vars, "offset"), jitter);
  }
  return out;
}

std::string FormatAssociations(const DaemonState& state) {
  std::string out = "\nind assid status  conf reach auth condition  last_event cnt\n";
  out.append(59, '=');
  out.push_back('\n');
  int index = 0;
  for (const PeerState& peer : state.peers) {
    const uint16_t s = peer.status;
    const bool auth_enabled = s & 0x4000;
    absl::StrAppendFormat(&out, "%3d %5u  %04x   %3.3s  %4s  %4.4s %9.9s %11s %2d\n", ++index,
                          peer.id, s, (s & 0x8000) ? "yes" : "no", (s & 0x1000) ? "yes" : "no",
                          !auth_enabled ? "none" : (s & 0x2000) ? "ok" : "bad",
                          kSelectNames[s >> 8 & 7], kPeerEvents[s & 0xf], s >> 4 & 0xf);
  }
  return out;
}

std::string FormatVariables(uint16_t association, uint16_t status, absl::string_view text) {
  std::string out = absl::StrFormat("associd=%u status=%04x ", association, status);
  if (association == 0) {
    absl::StrAppend(&out, kLeapNames[status >> 14], ", ",
                    (status >> 8 & 0x3f) < 10 ? kSourceNames[status >> 8 & 0x3f] : "sync_other",
                    ", ", EventCount(status >> 4 & 0xf), ", ", kSystemEvents[status & 0xf], ",\n");
  } else {
    std::string flags;
    const std::pair<uint16_t, const char*> bits[] = {
        {0x8000, "conf"}, {0x4000, "authenb"}, {0x2000, "auth"}, {0x1000, "reach"},
        {0x0800, "bcast"}};
    for (const auto& [bit, name] : bits) {
      if (status & bit) absl::StrAppend(&flags, name, ", ");
    }
    absl::StrAppend(&out, flags, "sel_", kSelectNames[status >> 8 & 7], ", ",
                    EventCount(status >> 4 & 0xf), ", ",
                    (status & 0xf) == 0 ? "unspecified" : kPeerEvents[status & 0xf], ",\n");
  }
  size_t column = 0;
  for (const ControlVariable& v : ParseControlVariables(text)) {
    std::string value = v.value;
    if (v.name == "leap") {
      int64_t leap = 0;
      if (absl::SimpleAtoi(value, &leap) && leap >= 0 && leap <= 3) {
        value = absl::StrCat(leap >> 1, leap & 1);
      }
    } else if (v.name == "reach") {
      char* end = nullptr;
      const unsigned long reach = std::strtoul(value.c_str(), &end, 0);
      if (end != value.c_str() && *end == '\0') value = absl::StrFormat("%o", reach);
    }
    const std::string item = absl::StrCat(
        EscapeForDisplay(v.name), "=",
        v.quoted ? absl::StrCat("\"", EscapeForDisplay(value), "\"") : EscapeForDisplay(value));
    if (column != 0) {
      column += 2;
      if (column + item.size() > kMaxOutLine) {
        out.append(",\n");
        column = 0;
      } else {
        out.append(", ");
      }
    }
    out.append(item);
    column += item.size();
  }
  if (column != 0) out.push_back('\n');
  return out;
}

std::string SerializeDaemonState(const DaemonState& state) {
  std::string out = "# ntpq --dumpstate: the daemon's mode 6 answers\n";
  absl::StrAppendFormat(&out, "now 0x%08x.%08x\n", state.now.seconds(), state.now.fraction());
  absl::StrAppendFormat(&out, "system %04x %s\n", state.system_status,
                        absl::CEscape(state.system_vars));
  for (const PeerState& peer : state.peers) {
    absl::StrAppendFormat(&out, "peer %u %04x %s\n", peer.id, peer.status,
                          absl::CEscape(peer.vars));
  }
  return out;
}

absl::StatusOr<DaemonState> ParseDaemonState(absl::string_view text,
                                             absl::string_view file_name) {
  DaemonState state;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    const auto fail = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(file_name, ":", line_number, ": ", what));
    };
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(' ', 3));
    uint32_t status = 0;
    uint32_t id = 0;
    std::string unescaped;
    if (f[0] == "now" && f.size() == 2) {
      std::optional<NtpTimestamp> now = ParseControlTimestamp(f[1]);
      if (!now.has_value()) return fail("bad timestamp");
      state.now = *now;
    } else if (f[0] == "system" && f.size() >= 2) {
      if (!absl::SimpleHexAtoi(f[1], &status) || status > 0xffff) return fail("bad status");
      const absl::string_view rest = line.substr(std::min(line.size(), f[0].size() + f[1].size() + 2));
      if (!absl::CUnescape(rest, &unescaped)) return fail("bad escape");
      state.system_status = static_cast<uint16_t>(status);
      state.system_vars = unescaped;
    } else if (f[0] == "peer" && f.size() >= 3) {
      if (!absl::SimpleAtoi(f[1], &id) || id > 0xffff) return fail("bad association ID");
      if (!absl::SimpleHexAtoi(f[2], &status) || status > 0xffff) return fail("bad status");
      if (!absl::CUnescape(f.size() == 4 ? f[3] : "", &unescaped)) return fail("bad escape");
      state.peers.push_back({static_cast<uint16_t>(id), static_cast<uint16_t>(status), unescaped});
    } else {
      return fail("expected `now`, `system` or `peer`");
    }
  }
  return state;
}

}  // namespace ntp::tools
