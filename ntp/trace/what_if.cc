// What-if replay (what_if.h).
#include "ntp/trace/what_if.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ntp/config/parser.h"
#include "ntp/config/writer.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/trace.pb.h"

namespace ntp::trace {
namespace {

// ---- Settings -------------------------------------------------------------

absl::Status BadSetting(absl::string_view setting, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--set ", setting, ": ", why));
}

const char* ClockKindName(int kind) {
  switch (kind) {
    case 0: return "step";
    case 1: return "slew";
    case 2: return "frequency";
    case 3: return "sync_status";
    default: return "unknown";
  }
}

// ---- The clock: recorded readings without the original corrections, plus
// the what-if run's own ----------------------------------------------------

// Corrections applied to a clock since the start: steps at once, a slew at
// `slew_rate` until done (a new one replaces the rest), a frequency
// correction over the time it is in force. Queried at non-decreasing times.
class CorrectionModel {
 public:
  explicit CorrectionModel(double slew_rate_ppm) : slew_rate_(slew_rate_ppm * 1e-6) {}
  void set_slew_rate(double ppm) { slew_rate_ = ppm * 1e-6; }

  absl::Duration At(absl::Time t) {
    AdvanceTo(t);
    return offset_;
  }
  void Step(absl::Time t, absl::Duration d) {
    AdvanceTo(t);
    offset_ += d;
  }
  void Slew(absl::Time t, absl::Duration d) {
    AdvanceTo(t);
    slew_left_ = d;
  }
  void Frequency(absl::Time t, double ppm) {
    AdvanceTo(t);
    ppm_ = ppm;
  }

 private:
  void AdvanceTo(absl::Time t) {
    if (!now_.has_value()) now_ = t;
    if (t <= *now_) return;
    const absl::Duration elapsed = t - *now_;
    offset_ += elapsed * (ppm_ * 1e-6);
    const absl::Duration can = elapsed * slew_rate_;
    const absl::Duration left_abs = slew_left_ < absl::ZeroDuration() ? -slew_left_ : slew_left_;
    const absl::Duration done = std::min(can, left_abs);
    const absl::Duration signed_done = slew_left_ < absl::ZeroDuration() ? -done : done;
    offset_ += signed_done;
    slew_left_ -= signed_done;
    now_ = t;
  }

  double slew_rate_;
  std::optional<absl::Time> now_;
  absl::Duration offset_;
  absl::Duration slew_left_;
  double ppm_ = 0;
};

void ApplyOp(const ClockOperation& op, absl::Time t, CorrectionModel* model) {
  switch (op.kind()) {
    case 0: model->Step(t, DecodeDuration(op.offset())); break;
    case 1: model->Slew(t, DecodeDuration(op.offset())); break;
    case 2: model->Frequency(t, op.ppm()); break;
    default: break;
  }
}

// ---- Recorded exchanges ---------------------------------------------------

struct Exchange {
  absl::Time sent;  // monotonic
  std::string tx;   // the request's transmit timestamp (8 octets)
  std::optional<DatagramInput> reply;
  absl::Time reply_at;  // monotonic
  // The kernel's transmit and receive timestamps less the clock reading
  // of their input (a simulated clock reads with noise).
  absl::Duration tx_late;
  absl::Duration rx_late;
};

uint64_t ReadU64(absl::string_view bytes, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}
void WriteU64(uint64_t v, size_t at, std::string* bytes) {
  for (size_t i = 0; i < 8; ++i) (*bytes)[at + 7 - i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
// Moves an NTP timestamp (RFC 5905 §6) by `d`.
void ShiftTimestamp(absl::Duration d, size_t at, std::string* bytes) {
  const int64_t units = static_cast<int64_t>(std::llround(absl::ToDoubleSeconds(d) * 4294967296.0));
  WriteU64(ReadU64(*bytes, at) + static_cast<uint64_t>(units), at, bytes);
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// A clock operation asked for at monotonic `t`, as a map key.
std::string OpKey(absl::Time t, const ClockOperation& op) {
  ClockOperation copy = op;
  copy.clear_id();
  Nanos at;
  EncodeTime(t, &at);
  return absl::StrCat(at.SerializeAsString(), "|", copy.SerializeAsString());
}

// What a run's action lists said: peer and loop statistics, clock
// operations, requests, events.
void Collect(const ActionList& actions, double t_s, WhatIfRun* run,
             std::map<uint64_t, size_t>* pending_ops) {
  for (const Action& a : actions.actions()) {
    if (a.has_peer_stats()) {
      run->peer_offsets.push_back(
          {t_s, Seconds(DecodeDuration(a.peer_stats().offset())), a.peer_stats().peer()});
    } else if (a.has_loop_stats()) {
      run->loop_offsets.push_back({t_s, Seconds(DecodeDuration(a.loop_stats().offset())), ""});
      run->poll_log2.push_back({t_s, static_cast<double>(a.loop_stats().poll_log2()), ""});
    } else if (a.has_send_datagram()) {
      const std::string& p = a.send_datagram().payload();
      if (!p.empty() && (static_cast<unsigned char>(p[0]) & 7) == 3) {
        run->requests.push_back({t_s, 1, a.send_datagram().to().text()});
      }
    } else if (a.has_clock_operation()) {
      const ClockOperation& op = a.clock_operation();
      if (op.kind() == 3) continue;  // status only
      (*pending_ops)[op.id()] = run->clock_ops.size();
      run->clock_ops.push_back(
          {t_s, ClockKindName(op.kind()), Seconds(DecodeDuration(op.offset())), op.ppm(), false});
    } else if (a.has_log_event()) {
      run->events.push_back(absl::StrFormat("t=%.1f s: %s", t_s, a.log_event().text()));
      if (a.log_event().text().find("exceeds sanity limit") != std::string::npos) {
        run->panicked = true;
      }
    }
  }
}

std::string Fmt(double v) { return std::isnan(v) ? "-" : absl::StrFormat("%.3g", v); }

double Rms(const std::vector<WhatIfSample>& samples, double after_s) {
  double sum = 0;
  int n = 0;
  for (const WhatIfSample& s : samples) {
    if (s.t_s < after_s) continue;
    sum += s.value * s.value;
    ++n;
  }
  return n == 0 ? std::nan("") : std::sqrt(sum / n);
}

std::string Report(const WhatIfResult& r) {
  std::string out = absl::StrFormat(
      "what-if over %.0f s of recorded input: %s\n"
      "  (network held as recorded: replies matched by the recorded delay)\n",
      r.duration_s, absl::StrJoin(r.settings, ", "));
  auto row = [&out](const std::string& name, const std::string& a, const std::string& b) {
    absl::StrAppend(&out, absl::StrFormat("  %-40s %12s %12s\n", name, a, b));
  };
  row("", "original", "what-if");
  const WhatIfRun& o = r.original;
  const WhatIfRun& w = r.what_if;
  row("requests sent", absl::StrCat(o.requests.size()), absl::StrCat(w.requests.size()));
  row("replies received", absl::StrCat(o.replies), absl::StrCat(w.replies));
  row("peer samples", absl::StrCat(o.peer_offsets.size()), absl::StrCat(w.peer_offsets.size()));
  auto last = [](const std::vector<WhatIfSample>& v) {
    return v.empty() ? std::string("-") : Fmt(v.back().value);
  };
  row("last peer offset (s)", last(o.peer_offsets), last(w.peer_offsets));
  row("rms peer offset, 2nd half (s)", Fmt(Rms(o.peer_offsets, r.duration_s / 2)),
      Fmt(Rms(w.peer_offsets, r.duration_s / 2)));
  row("last poll (log2 s)", last(o.poll_log2), last(w.poll_log2));
  auto count = [](const WhatIfRun& run, const std::string& kind) {
    int applied = 0, refused = 0;
    for (const WhatIfClockOp& op : run.clock_ops) {
      if (op.kind != kind) continue;
      (op.applied ? applied : refused)++;
    }
    return absl::StrCat(applied, "/", refused);
  };
  for (const auto& [kind, name] : {std::pair<const char*, const char*>{"step", "clock steps"},
                                    {"slew", "clock slews"},
                                    {"frequency", "frequency corrections"}}) {
    row(absl::StrCat(name, " (applied/refused)"), count(o, kind), count(w, kind));
  }
  row("panic exit", o.panicked ? "yes" : "no", w.panicked ? "yes" : "no");
  for (const auto& [title, run] : {std::pair<const char*, const WhatIfRun*>{"original", &o},
                                   {"what-if", &w}}) {
    absl::StrAppend(&out, "  clock operations, ", title, ":\n");
    int shown = 0;
    for (const WhatIfClockOp& op : run->clock_ops) {
      if (op.kind == "frequency" && shown > 0 && op.ppm == 0) continue;
      if (++shown > 12) {
        absl::StrAppend(&out, "    ...\n");
        break;
      }
      absl::StrAppend(&out, absl::StrFormat("    t=%8.1f s  %-9s %s%s\n", op.t_s, op.kind,
                                            op.kind == "frequency"
                                                ? absl::StrFormat("%+.3f ppm", op.ppm)
                                                : absl::StrFormat("%+.6g s", op.offset_s),
                                            op.applied ? "" : "  (refused)"));
    }
    if (run->clock_ops.empty()) absl::StrAppend(&out, "    none\n");
  }
  return out;
}

}  // namespace

absl::Status ApplySetting(absl::string_view setting, NtpConfig* config,
                          ntp::HostOptions* options) {
  const size_t eq = setting.find('=');
  if (eq == absl::string_view::npos) return BadSetting(setting, "expected KEY=VALUE");
  const absl::string_view key = setting.substr(0, eq);
  const absl::string_view text = setting.substr(eq + 1);
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
    return BadSetting(setting, "the value is not a number");
  }
  const int integer = static_cast<int>(value);
  auto as_int = [&](int* field) -> absl::Status {
    if (value != std::floor(value) || std::fabs(value) > 1e9) {
      return BadSetting(setting, "expected an integer");
    }
    *field = integer;
    return absl::OkStatus();
  };
  auto as_bool = [&](bool* field) -> absl::Status {
    if (value != 0 && value != 1) return BadSetting(setting, "expected 0 or 1");
    *field = value == 1;
    return absl::OkStatus();
  };
  std::vector<std::string> parts = absl::StrSplit(key, '.');
  if (parts.size() == 2 && parts[0] == "tinker") {
    TinkerConfig& t = config->tinker;
    const std::string& f = parts[1];
    if (f == "step") t.step_seconds = value;
    else if (f == "stepout") t.stepout_seconds = value;
    else if (f == "panic") t.panic_seconds = value;
    else if (f == "dispersion") t.dispersion_ppm = value;
    else if (f == "huffpuff") t.huffpuff_seconds = value;
    else if (f == "freq") t.freq_ppm = value;
    else if (f == "stepback") t.stepback_seconds = value;
    else if (f == "stepfwd") t.stepfwd_seconds = value;
    else if (f == "allan") return as_int(&t.allan_log2_seconds);
    else return BadSetting(setting, "unknown tinker field");
    if (!t.location.has_value()) t.location = SourceLocation{"--set", 0, 0};
    return absl::OkStatus();
  }
  if (parts.size() == 2 && parts[0] == "tos") {
    TosConfig& t = config->tos;
    const std::string& f = parts[1];
    absl::Status status = absl::OkStatus();
    if (f == "minsane") status = as_int(&t.minsane);
    else if (f == "minclock") status = as_int(&t.minclock);
    else if (f == "maxclock") status = as_int(&t.maxclock);
    else if (f == "orphan") status = as_int(&t.orphan_stratum);
    else if (f == "floor") status = as_int(&t.floor);
    else if (f == "ceiling") status = as_int(&t.ceiling);
    else if (f == "mindist") t.mindist_seconds = value;
    else if (f == "maxdist") t.maxdist_seconds = value;
    else if (f == "orphanwait") t.orphanwait_seconds = value;
    else return BadSetting(setting, "unknown tos field");
    if (status.ok() && !t.location.has_value()) t.location = SourceLocation{"--set", 0, 0};
    return status;
  }
  if (parts.size() == 2 && parts[0] == "option") {
    if (parts[1] == "g") return as_bool(&options->allow_big_first_step);
    if (parts[1] == "x") return as_bool(&options->never_step);
    return BadSetting(setting, "unknown option (g or x)");
  }
  if (parts.size() >= 3 && parts[0] == "server") {
    // server.ADDRESS.FIELD: the address may hold dots (IPv4) or colons.
    const std::string field = parts.back();
    const std::string host(key.substr(7, key.size() - 7 - field.size() - 1));
    for (ServerConfig& s : config->servers) {
      if (s.host != host) continue;
      if (field == "minpoll") {
        s.minpoll_given = true;
        return as_int(&s.minpoll);
      }
      if (field == "maxpoll") {
        s.maxpoll_given = true;
        return as_int(&s.maxpoll);
      }
      if (field == "version") return as_int(&s.version);
      if (field == "prefer") return as_bool(&s.prefer);
      if (field == "iburst") return as_bool(&s.iburst);
      if (field == "burst") return as_bool(&s.burst);
      if (field == "noselect") return as_bool(&s.noselect);
      if (field == "true") return as_bool(&s.truechimer);
      return BadSetting(setting, "unknown server field");
    }
    return BadSetting(setting, absl::StrCat("no server line names ", host));
  }
  return BadSetting(setting, "unknown key (tinker.*, tos.*, server.ADDRESS.*, option.*)");
}

absl::StatusOr<NtpConfig> ValidateSettings(const NtpConfig& config) {
  const std::string text = FormatNtpConf(config);
  ParsedConfig parsed = ParseNtpConfText(text, "--set", nullptr);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the changed configuration is refused:\n", parsed.FormatAll()));
  }
  return parsed.config;
}

absl::StatusOr<WhatIfResult> WhatIf(absl::string_view trace_bytes, const WhatIfOptions& options) {
  absl::StatusOr<std::vector<Record>> records = ReplayableRecords(trace_bytes);
  if (!records.ok()) return records.status();
  const Header& header = (*records)[0].header();
  if (header.server_requests() != SERVER_REQUESTS_ALL) {
    return absl::FailedPreconditionError(
        "the trace holds only some of the requests served: a what-if run needs them all");
  }
  // The changed configuration and options.
  absl::StatusOr<RebuiltHost> original = RebuildHost(header, options.keys);
  if (!original.ok()) return original.status();
  NtpConfig config = original->config;
  ntp::HostOptions host_options = original->options;
  for (const std::string& s : options.settings) {
    if (absl::Status status = ApplySetting(s, &config, &host_options); !status.ok()) return status;
  }
  absl::StatusOr<NtpConfig> validated = ValidateSettings(config);
  if (!validated.ok()) return validated.status();
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Create(*validated, host_options,
                   original->keys.has_value() ? &*original->keys : nullptr);
  if (!host.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the changed host cannot be built: ", host.status().message()));
  }

  WhatIfResult result;
  result.settings = options.settings;

  // Pass 1 over the recording: the original run's statistics, its clock
  // (readings less its applied corrections: the base clock), the
  // exchanges with each server, how the clock answered each kind.
  struct Reading {
    absl::Time mono;
    absl::Time base;
  };
  std::vector<Reading> base;
  std::map<std::string, std::vector<Exchange>> exchanges;  // by server
  std::map<std::string, std::pair<std::string, size_t>> by_tx;  // tx -> (server, index)
  std::map<int, Status> clock_answer;  // kind -> the first recorded result
  std::map<uint64_t, std::pair<ClockOperation, absl::Time>> original_ops;
  std::map<uint64_t, size_t> pending;
  std::map<uint64_t, SocketResultInput> bound;  // socket -> recorded bind result
  std::map<std::string, ClockResultInput> recorded_results;  // OpKey -> answer
  // NTS-KE results in the order recorded: the what-if host's n-th key
  // exchange gets the n-th (its id rewritten), later ones a failure.
  std::vector<KeyExchangeResultInput> recorded_key_exchanges;
  std::map<uint64_t, std::pair<std::string, size_t>> last_sent;  // socket -> exchange
  double slew_rate_ppm = 500;  // until the start input says
  CorrectionModel original_clock(slew_rate_ppm);
  const absl::Time t0 = DecodeTime((*records)[1 < records->size() ? 1 : 0].input().now().monotonic());
  absl::Time last_mono = t0;
  for (size_t i = 1; i + 1 < records->size(); i += 2) {
    const Record& in = (*records)[i];
    const Record& out = (*records)[i + 1];
    if (!in.has_input() || !out.has_actions()) {
      return absl::DataLossError(absl::StrCat("record ", i, ": not an input and its actions"));
    }
    const Input& input = in.input();
    const absl::Time mono = DecodeTime(input.now().monotonic());
    last_mono = mono;
    const double t_s = Seconds(mono - t0);
    if (input.has_start()) {
      slew_rate_ppm = input.start().clock().slew_rate_ppm();
      original_clock.set_slew_rate(slew_rate_ppm);
    }
    if (input.has_clock_result()) {
      const ClockResultInput& r = input.clock_result();
      clock_answer.emplace(r.kind(), r.status());
      auto it = pending.find(r.id());
      if (it != pending.end()) {
        result.original.clock_ops[it->second].applied = r.status().code() == 0;
        pending.erase(it);
      }
      auto op = original_ops.find(r.id());
      if (op != original_ops.end()) {
        recorded_results[OpKey(op->second.second, op->second.first)] = r;
      }
    }
    if (input.has_key_exchange_result()) {
      recorded_key_exchanges.push_back(input.key_exchange_result());
    }
    if (input.has_socket_result()) bound.emplace(input.socket_result().socket(), input.socket_result());
    if (input.has_send_result()) {
      auto it = last_sent.find(input.send_result().socket());
      if (it != last_sent.end()) {
        exchanges[it->second.first][it->second.second].tx_late =
            DecodeTime(input.send_result().transmit_time()) - DecodeTime(input.now().clock());
      }
    }
    base.push_back({mono, DecodeTime(input.now().clock()) - original_clock.At(mono)});
    // The clock applies an operation after the reading that came with its
    // result (the executor reads, then carries out).
    if (input.has_clock_result() && input.clock_result().status().code() == 0) {
      auto op = original_ops.find(input.clock_result().id());
      if (op != original_ops.end()) {
        ClockOperation applied = op->second.first;
        if (applied.kind() != 2) *applied.mutable_offset() = input.clock_result().applied_offset();
        else applied.set_ppm(input.clock_result().applied_ppm());
        ApplyOp(applied, mono, &original_clock);
      }
    }
    if (input.has_datagram() && input.datagram().payload().size() >= 48) {
      auto it = by_tx.find(input.datagram().payload().substr(24, 8));
      if (it != by_tx.end()) {
        Exchange& e = exchanges[it->second.first][it->second.second];
        if (!e.reply.has_value()) {
          e.reply = input.datagram();
          e.reply_at = mono;
          e.rx_late = DecodeTime(input.datagram().rx_time()) - DecodeTime(input.now().clock());
          ++result.original.replies;
        }
      }
    }
    Collect(out.actions(), t_s, &result.original, &pending);
    for (const Action& a : out.actions().actions()) {
      if (a.has_clock_operation()) original_ops[a.clock_operation().id()] = {a.clock_operation(), mono};
      if (!a.has_send_datagram()) continue;
      const std::string& p = a.send_datagram().payload();
      if (p.size() < 48 || (static_cast<unsigned char>(p[0]) & 7) != 3) continue;
      std::vector<Exchange>& list = exchanges[a.send_datagram().to().text()];
      by_tx[p.substr(40, 8)] = {a.send_datagram().to().text(), list.size()};
      last_sent[a.send_datagram().socket()] = {a.send_datagram().to().text(), list.size()};
      list.push_back({mono, p.substr(40, 8), std::nullopt, absl::Time(), absl::ZeroDuration(),
                      absl::ZeroDuration()});
    }
  }
  result.duration_s = Seconds(last_mono - t0);
  for (const auto& [server, list] : exchanges) {
    for (const Exchange& e : list) result.original.unanswered += e.reply.has_value() ? 0 : 1;
  }
  auto base_at = [&base](absl::Time t) {
    // The last recorded reading at or before t, run forward at rate 1
    // (interpolated towards the next one).
    auto it = std::upper_bound(base.begin(), base.end(), t,
                               [](absl::Time v, const Reading& r) { return v < r.mono; });
    if (it == base.begin()) return base.front().base - (base.front().mono - t);
    const Reading& before = *(it - 1);
    if (it == base.end() || it->mono == before.mono) return before.base + (t - before.mono);
    const double f = Seconds(t - before.mono) / Seconds(it->mono - before.mono);
    return before.base + (it->base - before.base) * f;
  };

  // Pass 2: the what-if host, driven in time order.
  CorrectionModel clock(slew_rate_ppm);
  std::map<uint64_t, absl::Time> timers;
  struct Delivery {
    absl::Time at;
    uint64_t socket;
    DatagramInput datagram;
    absl::Duration rx_late;
  };
  std::vector<Delivery> deliveries;
  std::map<uint64_t, bool> open;  // socket -> open
  std::map<uint64_t, size_t> what_if_pending;
  Host& h = **host;
  bool stopped = false;
  absl::Time now = t0;
  auto readings = [&](absl::Time t, Input* in) {
    EncodeTime(t, in->mutable_now()->mutable_monotonic());
    EncodeTime(base_at(t) + clock.At(t), in->mutable_now()->mutable_clock());
  };
  // Inputs the executor hands over at once; a clock operation takes effect
  // after the reading of its result.
  struct Immediate {
    Input input;
    std::optional<ClockOperation> apply;
  };
  std::vector<Immediate> immediate;
  size_t key_exchanges_answered = 0;
  std::function<void(Input&)> handle = [&](Input& in) {
    readings(now, &in);
    DecodedInput decoded;
    if (!DecodeInput(in, &decoded).ok()) return;
    ActionList actions;
    EncodeActions(h.Handle(decoded.input), &actions);
    if (h.exit_state() != ntp::HostExit::kRunning) stopped = true;
    Collect(actions, Seconds(now - t0), &result.what_if, &what_if_pending);
    for (const Action& a : actions.actions()) {
      Input next;
      if (a.has_set_timer()) {
        // Schedulers fire at a whole nanosecond, never early.
        timers[a.set_timer().key()] =
            absl::UnixEpoch() + absl::Ceil(DecodeTime(a.set_timer().when()) - absl::UnixEpoch(),
                                           absl::Nanoseconds(1));
      } else if (a.has_cancel_timer()) {
        timers.erase(a.cancel_timer().key());
      } else if (a.has_open_socket()) {
        open[a.open_socket().socket()] = true;
        if (a.open_socket().report_bound()) {
          SocketResultInput* r = next.mutable_socket_result();
          auto it = bound.find(a.open_socket().socket());
          if (it != bound.end()) *r = it->second;
          else *r->mutable_bound() = a.open_socket().local();
          r->set_socket(a.open_socket().socket());
          immediate.push_back({next, std::nullopt});
        }
      } else if (a.has_close_socket()) {
        open[a.close_socket().socket()] = false;
      } else if (a.has_send_datagram()) {
        const SendDatagram& send = a.send_datagram();
        const std::string& p = send.payload();
        auto list = exchanges.find(send.to().text());
        const Exchange* nearest = nullptr;
        if (p.size() >= 48 && (static_cast<unsigned char>(p[0]) & 7) == 3 &&
            list != exchanges.end()) {
          for (const Exchange& e : list->second) {
            if (nearest == nullptr ||
                absl::AbsDuration(e.sent - now) < absl::AbsDuration(nearest->sent - now)) {
              nearest = &e;
            }
          }
        }
        if (send.token() != 0) {
          SendResultInput* r = next.mutable_send_result();
          r->set_socket(send.socket());
          r->set_token(send.token());
          EncodeTime(base_at(now) + clock.At(now) +
                         (nearest != nullptr ? nearest->tx_late : absl::ZeroDuration()),
                     r->mutable_transmit_time());
          immediate.push_back({next, std::nullopt});
        }
        if (nearest == nullptr) continue;
        if (!nearest->reply.has_value()) {
          ++result.what_if.unanswered;
          continue;
        }
        const absl::Duration shift = now - nearest->sent;
        DatagramInput reply = *nearest->reply;
        std::string* payload = reply.mutable_payload();
        payload->replace(24, 8, p.substr(40, 8));
        ShiftTimestamp(shift, 32, payload);
        ShiftTimestamp(shift, 40, payload);
        reply.set_socket(send.socket());
        deliveries.push_back(
            {nearest->reply_at + shift, send.socket(), std::move(reply), nearest->rx_late});
      } else if (a.has_clock_operation()) {
        const ClockOperation& op = a.clock_operation();
        if (op.kind() == 3) continue;  // status only: no result (ntp/actions.h)
        std::optional<ClockOperation> apply;
        ClockResultInput* r = next.mutable_clock_result();
        auto same = recorded_results.find(OpKey(now, op));
        bool accept;
        if (same != recorded_results.end()) {
          // The operation the original run asked for then: its answer.
          *r = same->second;
          accept = r->status().code() == 0;
          if (accept) {
            ClockOperation applied = op;
            if (op.kind() != 2) *applied.mutable_offset() = r->applied_offset();
            else applied.set_ppm(r->applied_ppm());
            apply = applied;
          }
        } else {
          auto answer = clock_answer.find(op.kind());
          accept = answer == clock_answer.end() || answer->second.code() == 0;
          if (accept) {
            apply = op;
            *r->mutable_applied_offset() = op.offset();
            r->set_applied_ppm(op.ppm());
          } else {
            *r->mutable_status() = answer->second;
          }
        }
        r->set_id(op.id());
        r->set_kind(op.kind());
        auto it = what_if_pending.find(op.id());
        if (it != what_if_pending.end()) {
          result.what_if.clock_ops[it->second].applied = accept;
          what_if_pending.erase(it);
        }
        immediate.push_back({next, apply});
      } else if (a.has_write_drift()) {
        next.mutable_drift_write_result()->set_frequency_ppm(a.write_drift().frequency_ppm());
        immediate.push_back({next, std::nullopt});
      } else if (a.has_run_key_exchange()) {
        KeyExchangeResultInput* r = next.mutable_key_exchange_result();
        if (key_exchanges_answered < recorded_key_exchanges.size()) {
          *r = recorded_key_exchanges[key_exchanges_answered++];
        } else {
          r->mutable_status()->set_code(static_cast<int32_t>(absl::StatusCode::kUnavailable));
          r->mutable_status()->set_message("no further NTS-KE result in the trace");
        }
        r->set_id(a.run_key_exchange().id());
        immediate.push_back({next, std::nullopt});
      } else if (a.has_write_rtc()) {
        EncodeTime(base_at(now) + clock.At(now), next.mutable_rtc_write_result()->mutable_written());
        immediate.push_back({next, std::nullopt});
      }
    }
    while (!immediate.empty() && !stopped) {
      Immediate first = immediate.front();
      immediate.erase(immediate.begin());
      handle(first.input);
      if (first.apply.has_value()) ApplyOp(*first.apply, now, &clock);
    }
  };

  size_t next_record = 1;
  while (!stopped) {
    // The next recorded input the what-if host takes as recorded.
    while (next_record + 1 < records->size()) {
      const Input& in = (*records)[next_record].input();
      const bool take = in.has_start() || in.has_config_change() || in.has_shutdown() ||
                        (in.has_datagram() && IsServerRequest(in.datagram().payload()));
      if (take) break;
      next_record += 2;
    }
    const bool have_record = next_record + 1 < records->size();
    absl::Time next_t = absl::InfiniteFuture();
    int which = -1;  // 0 record, 1 timer, 2 delivery
    uint64_t timer_key = 0;
    size_t delivery = 0;
    if (have_record) {
      next_t = DecodeTime((*records)[next_record].input().now().monotonic());
      which = 0;
    }
    // At the same time, timers and replies go before a recorded input (the
    // shutdown of a run that ended on a reply comes after it).
    for (const auto& [key, when] : timers) {
      if (when <= next_t && (which != 1 || when < next_t)) {
        next_t = when;
        which = 1;
        timer_key = key;
      }
    }
    for (size_t d = 0; d < deliveries.size(); ++d) {
      if (deliveries[d].at <= next_t && (which != 2 || deliveries[d].at < next_t)) {
        next_t = deliveries[d].at;
        which = 2;
        delivery = d;
      }
    }
    if (which < 0 || next_t > last_mono) break;
    now = std::max(now, next_t);
    Input in;
    if (which == 0) {
      in = (*records)[next_record].input();
      next_record += 2;
      if (in.has_config_change()) {
        absl::StatusOr<NtpConfig> changed =
            ParseRecordedConfig(in.config_change().config_text(), in.config_change().provenance());
        if (changed.ok()) {
          NtpConfig c = *changed;
          for (const std::string& s : options.settings) ApplySetting(s, &c, &host_options).IgnoreError();
          in.mutable_config_change()->set_config_text(FormatNtpConf(c));
          in.mutable_config_change()->clear_provenance();
        }
      } else if (in.has_datagram()) {
        // Received as recorded, stamped by the what-if clock.
        const absl::Duration late =
            DecodeTime(in.datagram().rx_time()) - DecodeTime(in.now().clock());
        EncodeTime(base_at(now) + clock.At(now) + late, in.mutable_datagram()->mutable_rx_time());
      }
      const bool shutdown = in.has_shutdown();
      handle(in);
      if (shutdown) break;
    } else if (which == 1) {
      timers.erase(timer_key);
      in.mutable_timer()->set_key(timer_key);
      handle(in);
    } else {
      Delivery d = std::move(deliveries[delivery]);
      deliveries.erase(deliveries.begin() + static_cast<ptrdiff_t>(delivery));
      if (!open[d.socket]) continue;
      *in.mutable_datagram() = d.datagram;
      EncodeTime(base_at(now) + clock.At(now) + d.rx_late, in.mutable_datagram()->mutable_rx_time());
      ++result.what_if.replies;
      handle(in);
    }
  }
  result.report = Report(result);
  return result;
}

}  // namespace ntp::trace
