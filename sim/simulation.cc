#include "sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clock/memory_drift_store.h"
#include "sim/domain_scheduler.h"
#include "sim/event_loop.h"
#include "sim/oscillator.h"
#include "sim/pcap.h"
#include "sim/random.h"
#include "sim/sim_clock.h"
#include "sim/sim_network.h"
#include "sim/sim_stream.h"
#include "sim/sim_tls.h"

namespace sim {
namespace {

int64_t ToNanos(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1e9)); }

const char* RoleName(scenario::Role role) {
  switch (role) {
    case scenario::NTPD: return "NTPD";
    case scenario::PROBER: return "PROBER";
    case scenario::RESPONDER: return "RESPONDER";
    case scenario::ATTACKER: return "ATTACKER";
    default: return "ROLE_UNSPECIFIED";
  }
}

HostExit FromExitState(scenario::ExitState state) {
  switch (state) {
    case scenario::PANIC: return HostExit::kPanic;
    case scenario::DONE: return HostExit::kDone;
    case scenario::ERROR: return HostExit::kError;
    default: return HostExit::kRunning;
  }
}

class Simulation;

// Everything the simulator keeps for one host.
struct HostRuntime final : ntp::EventSink, ClockObserver {
  Simulation* sim = nullptr;
  int index = 0;
  const ExpandedHost* spec = nullptr;
  DomainId domain = 0;
  std::unique_ptr<Oscillator> oscillator;
  std::unique_ptr<SimClock> clock;
  std::unique_ptr<DomainScheduler> scheduler;
  std::unique_ptr<clocks::MemoryDriftStore> drift_store;
  std::unique_ptr<SimHost> host;
  uint64_t seed = 0;
  int restarts = 0;
  bool running = false;  // started and not stopped
  HostExit exit = HostExit::kRunning;
  std::optional<double> exit_s;
  std::vector<double> step_times_s;
  std::vector<double> leap_times_s;  // kernel leap seconds executed
  // The running daemon's first clock update (a step, or the slew its
  // "synchronized" event announces), and the first step any daemon of
  // this host made after its own first update: (first update, step).
  std::optional<double> first_update_s;
  std::optional<std::pair<double, double>> step_after_first_update_s;
  HostSeries* series = nullptr;
  // Requests sent by daemons of this host that were replaced (restarts).
  uint64_t requests_retired = 0;
  NtsCounters nts_retired;  // NTS counters of replaced daemons
  bool has_poll_check = false;
  // The NTS certificate issued for this host (hosts with nts_server).
  SimCredentials nts_credentials;

  NtsCounters Nts() const {
    NtsCounters total = nts_retired;
    if (host != nullptr) total += host->nts();
    return total;
  }

  // Every association's requests, this daemon's and earlier ones'.
  uint64_t RequestsSent() const {
    uint64_t total = requests_retired;
    if (host != nullptr) {
      for (const AssociationPoll& a : host->associations()) total += a.requests_sent;
    }
    return total;
  }

  // Summary accumulators.
  uint64_t window_samples = 0;
  double sum_sq_offset = 0;
  double max_abs_offset = 0;
  double sum_sq_freq = 0;
  std::optional<double> last_violation_s;  // |offset| >= converge threshold
  bool any_sample = false;
  double first_sample_s = 0;
  double last_sample_s = 0;

  void OnEvent(const ntp::Event& event) override;
  void OnClockOperation(const ClockOperation& op) override;
};

// Online state of one check.
struct CheckState {
  const ResolvedCheck* check = nullptr;
  uint64_t samples = 0;
  double sum_sq = 0;
  double max_abs = 0;
  std::optional<double> last_violation_s;
  std::optional<double> selected_forbidden_s;
  // selects: first sample (after after_s) with another or no system peer;
  // leap_announced: first sample announcing the leap.
  std::optional<double> other_peer_s;
  std::string other_peer;
  std::optional<double> announced_s;
  bool selected_any = false;  // never_selects: some server was selected
  // freq_error with average_s: the start of the current window (time, true
  // offset, steps so far).
  std::optional<double> window_start_s;
  double window_start_offset = 0;
  size_t window_start_steps = 0;
  // poll: the extremes of every association's poll from after_s on.
  int poll_min = std::numeric_limits<int>::max();
  int poll_max = std::numeric_limits<int>::min();
};

class Simulation {
 public:
  Simulation(const LoadedScenario& scenario, const SimHostFactories& factories,
             const RunOptions& options)
      : scenario_(scenario),
        factories_(factories),
        options_(options),
        loop_(EventLoop::Options{options.perturb_seed}),
        network_(&loop_, DeriveSeed(options.seed, "network")),
        streams_(&network_) {}

  absl::Status Setup();
  RunResult Run();

  EventLoop& loop() { return loop_; }
  double now_s() const { return loop_.now_ns() * 1e-9; }
  void RecordEvent(HostRuntime& h, std::string kind, std::string text);
  void ScheduleReap(HostRuntime& h);

 private:
  absl::StatusOr<std::unique_ptr<SimHost>> MakeHost(HostRuntime& h);
  // The run's NTS CA and a certificate for every host with nts_server.
  absl::Status IssueNtsCertificates();
  void StartHost(HostRuntime& h);
  void StopHost(HostRuntime& h);
  void Reap(HostRuntime& h);
  void ApplyFault(const ResolvedFault& f);
  void Sample();
  void CheckSelection(HostRuntime& h, const ntp::SystemVariables& system);
  // selects / leap_announced, at every sample.
  void CheckSystemVariables(HostRuntime& h, const ntp::SystemVariables& system);
  void CapturePacket(const PacketTrace& t);
  bool Captured(int host) const;
  // The offset a check measures: against true time or another host's clock.
  double CheckOffset(const ResolvedCheck& check, double true_offset) const;
  void SamplePolls(HostRuntime& h, const std::vector<AssociationPoll>& polls, double t);
  CheckResult EvaluatePollCheck(const CheckState& c, const HostRuntime& h) const;
  std::vector<CheckResult> EvaluateChecks();

  const LoadedScenario& scenario_;
  const SimHostFactories& factories_;
  const RunOptions options_;
  EventLoop loop_;
  SimNetwork network_;
  // Declared after the network and before the hosts: destroyed after every
  // host (whose streams it carries) and before the network.
  SimStreams streams_;
  std::vector<std::unique_ptr<HostRuntime>> hosts_;
  std::vector<HostSeries> series_;
  std::vector<CheckState> checks_;
  std::vector<std::pair<double, std::string>> faults_;
  SimCredentials nts_ca_;  // empty: no host serves NTS
  std::vector<std::string> pcap_;  // per host: the pcap file so far ("" not captured)
};

void HostRuntime::OnEvent(const ntp::Event& event) {
  Digest& d = sim->loop().digest(domain);
  d.AddU64(0x6576);  // "ev"
  d.AddU64(static_cast<uint64_t>(event.kind));
  d.AddString(event.text);
  sim->RecordEvent(*this, ntp::EventKindName(event.kind), event.text);
  if (event.kind == ntp::EventKind::kSync && !first_update_s.has_value()) {
    first_update_s = sim->now_s();
  }
  if (event.kind == ntp::EventKind::kPanic || event.kind == ntp::EventKind::kExit) {
    sim->ScheduleReap(*this);
  }
}

void HostRuntime::OnClockOperation(const ClockOperation& op) {
  Digest& d = sim->loop().digest(domain);
  d.AddU64(0x636b);  // "ck"
  d.AddU64(static_cast<uint64_t>(op.kind));
  d.AddDouble(op.value);
  d.AddU64(op.ok ? 1 : 0);
  if (!op.ok) return;
  switch (op.kind) {
    case ClockOperation::Kind::kStep:
      step_times_s.push_back(sim->now_s());
      if (!first_update_s.has_value()) {
        first_update_s = sim->now_s();
      } else if (!step_after_first_update_s.has_value()) {
        step_after_first_update_s = std::make_pair(*first_update_s, sim->now_s());
      }
      sim->RecordEvent(*this, "clock_step", absl::StrFormat("%+.9f s", op.value));
      break;
    case ClockOperation::Kind::kLeap:
      leap_times_s.push_back(sim->now_s());
      sim->RecordEvent(*this, "leap_second", absl::StrFormat("%+.0f s", op.value));
      break;
    case ClockOperation::Kind::kInjectedStep:
      sim->RecordEvent(*this, "fault:clock_step", absl::StrFormat("%+.9f s", op.value));
      break;
    case ClockOperation::Kind::kFalseticker:
      sim->RecordEvent(*this, "fault:falseticker", "");
      break;
    default:
      break;
  }
}

void Simulation::RecordEvent(HostRuntime& h, std::string kind, std::string text) {
  if (h.series != nullptr) {
    h.series->events.push_back(HostEvent{now_s(), std::move(kind), std::move(text)});
  }
}

void Simulation::ScheduleReap(HostRuntime& h) {
  loop_.Schedule(loop_.now_ns(), h.domain, h.domain, Phase::kNormal, [this, &h] { Reap(h); });
}

void Simulation::Reap(HostRuntime& h) {
  if (!h.running || h.host == nullptr) return;
  const HostExit exit = h.host->exit_state();
  if (exit == HostExit::kRunning) return;
  h.exit = exit;
  h.exit_s = now_s();
  StopHost(h);
  RecordEvent(h, "exit", HostExitName(exit));
}

absl::StatusOr<std::unique_ptr<SimHost>> Simulation::MakeHost(HostRuntime& h) {
  auto factory = factories_.find(h.spec->spec.role());
  if (factory == factories_.end()) {
    return absl::UnimplementedError(absl::StrCat(
        h.spec->location, ": host ", h.spec->spec.name(), ": role ",
        RoleName(h.spec->spec.role()), " is not available in this build"));
  }
  SimHostEnvironment env;
  env.name = h.spec->spec.name();
  env.clock = h.clock.get();
  env.network = network_.network(h.index);
  env.streams = streams_.network(h.index);
  env.nts_ca_pem = nts_ca_.cert_pem;
  env.nts_cert_pem = h.nts_credentials.cert_pem;
  env.nts_key_pem = h.nts_credentials.key_pem;
  env.scheduler = h.scheduler.get();
  env.events = &h;
  env.random_seed = h.restarts == 0
                        ? h.seed
                        : DeriveSeed(h.seed, absl::StrCat("restart/", h.restarts));
  env.addresses = h.spec->addresses;
  env.drift_store = h.drift_store.get();
  env.true_time_s = [this] { return now_s(); };
  const int index = h.index;
  env.spoof = [this, index](const net::SocketAddress& source, absl::Span<const uint8_t> payload,
                            const net::SocketAddress& to) {
    return network_.SendSpoofed(index, source, payload, to);
  };
  env.tap = [this, index](const net::IpAddress& victim, double delay_s,
                          SimHostEnvironment::TapFunction handler) {
    if (!handler) {
      network_.SetTap(index, -1, 0, nullptr);
      return;
    }
    const HostIndex v = network_.HostOf(victim);
    if (v < 0) return;
    network_.SetTap(index, v, delay_s,
                    [handler = std::move(handler)](const TappedDatagram& d) {
                      handler(d.source, d.destination, d.payload);
                    });
  };
  if (options_.trace_sink != nullptr && env.name == options_.trace_host && h.restarts == 0) {
    env.trace_sink = options_.trace_sink;
  }
  absl::StatusOr<std::unique_ptr<SimHost>> host = factory->second(h.spec->spec, env);
  if (!host.ok()) {
    return absl::Status(host.status().code(),
                        absl::StrCat(h.spec->location, ": host ", h.spec->spec.name(), ": ",
                                     host.status().message()));
  }
  return host;
}

absl::Status Simulation::Setup() {
  network_.set_loopback_delay_s(scenario_.loopback_delay_s);
  network_.SetLinkResolver(
      [this](HostIndex from, HostIndex to) { return scenario_.LinkBetween(from, to); });
  for (size_t i = 0; i < scenario_.hosts.size(); ++i) {
    const ExpandedHost& spec = scenario_.hosts[i];
    auto h = std::make_unique<HostRuntime>();
    h->sim = this;
    h->index = static_cast<int>(i);
    h->spec = &spec;
    const std::string& name = spec.spec.name();
    h->domain = loop_.AddDomain(name);
    h->seed = DeriveSeed(options_.seed, absl::StrCat("host/", name));
    const scenario::ClockModel& model = spec.spec.clock();
    OscillatorParams osc = ToOscillatorParams(model);
    SimClockParams clock = ToSimClockParams(model, scenario_.start);
    if (model.offset_spread_s() > 0 || model.freq_spread_ppm() > 0) {
      Rng spread = Rng::ForComponent(options_.seed, absl::StrCat("spread/", name));
      clock.initial_offset_s += spread.Uniform(-1, 1) * model.offset_spread_s();
      osc.freq_ppm += spread.Uniform(-1, 1) * model.freq_spread_ppm();
    }
    h->oscillator = std::make_unique<Oscillator>(
        osc, DeriveSeed(options_.seed, absl::StrCat("wander/", name)));
    h->clock = std::make_unique<SimClock>(
        &loop_, h->oscillator.get(), clock,
        DeriveSeed(options_.seed, absl::StrCat("clock-read/", name)), h.get());
    // A monotonic timeline per host that has nothing to do with UTC.
    h->scheduler = std::make_unique<DomainScheduler>(
        &loop_, h->domain, absl::UnixEpoch() + absl::Seconds(1000 + 17 * int64_t(i)));
    h->drift_store = spec.spec.has_drift_file_ppm()
                         ? std::make_unique<clocks::MemoryDriftStore>(spec.spec.drift_file_ppm())
                         : std::make_unique<clocks::MemoryDriftStore>();
    if (spec.spec.has_drift_file_age_s()) {
      h->drift_store->set_last_written(scenario_.start -
                                       absl::Seconds(spec.spec.drift_file_age_s()));
    }
    // A write records the host's clock (its modification time), read
    // without the read jitter so that writing draws no random numbers.
    h->drift_store->set_time_source([this, runtime = h.get()] {
      return scenario_.start + absl::Seconds(now_s() + runtime->clock->TrueOffsetSeconds());
    });
    absl::StatusOr<HostIndex> index =
        network_.AddHost(name, h->domain, spec.addresses, h->clock.get());
    if (!index.ok()) return index.status();
    hosts_.push_back(std::move(h));
  }
  if (options_.record_series) {
    const size_t n = std::min(hosts_.size(), static_cast<size_t>(options_.max_series_hosts));
    series_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      series_[i].name = hosts_[i]->spec->spec.name();
      hosts_[i]->series = &series_[i];
    }
  }
  if (absl::Status s = IssueNtsCertificates(); !s.ok()) return s;
  std::vector<SimHost*> created;
  for (auto& h : hosts_) {
    absl::StatusOr<std::unique_ptr<SimHost>> host = MakeHost(*h);
    if (!host.ok()) return host.status();
    h->host = *std::move(host);
    created.push_back(h->host.get());
    HostRuntime* raw = h.get();
    loop_.Schedule(ToNanos(h->spec->spec.start_s()), h->domain, kWorldDomain, Phase::kNormal,
                   [this, raw] { StartHost(*raw); });
  }
  if (options_.on_hosts_created) options_.on_hosts_created(created);
  for (const ResolvedFault& f : scenario_.faults) {
    loop_.Schedule(ToNanos(f.at_s), kWorldDomain, kWorldDomain, Phase::kFault,
                   [this, &f] { ApplyFault(f); });
  }
  for (const ResolvedCheck& c : scenario_.checks) {
    CheckState state;
    state.check = &c;
    checks_.push_back(state);
    if (c.check.kind_case() == scenario::Check::kPoll) hosts_[c.host]->has_poll_check = true;
  }
  if (!options_.pcap_hosts.empty()) {
    pcap_.assign(hosts_.size(), "");
    for (size_t i = 0; i < hosts_.size(); ++i) {
      const std::string& name = hosts_[i]->spec->spec.name();
      for (const std::string& p : options_.pcap_hosts) {
        if (p == "*" || p == name) pcap_[i] = PcapFileHeader();
      }
    }
    network_.SetTraceCallback([this](const PacketTrace& t) { CapturePacket(t); });
  }
  // Samples at 0, interval, 2 interval, ... up to the end inclusive; each
  // sample schedules the next, so one sampling event is pending at a time.
  loop_.Schedule(0, kWorldDomain, kWorldDomain, Phase::kObserve, [this] { Sample(); });
  return absl::OkStatus();
}

absl::Status Simulation::IssueNtsCertificates() {
  bool any = false;
  for (const auto& h : hosts_) any |= h->spec->spec.has_nts_server();
  if (!any) return absl::OkStatus();
  // Valid well around the run, so clocks that are off still accept them.
  const absl::Time not_before = scenario_.start - absl::Hours(24 * 30);
  const absl::Time not_after =
      scenario_.start + absl::Seconds(scenario_.duration_s) + absl::Hours(24 * 30);
  absl::StatusOr<std::unique_ptr<SimTlsLibrary>> tls =
      SimTlsLibrary::Create(DeriveSeed(options_.seed, "nts-ca"));
  if (!tls.ok()) return tls.status();
  absl::StatusOr<SimCredentials> ca = MakeSimCa(**tls, "ntpsim NTS CA", not_before, not_after);
  if (!ca.ok()) return ca.status();
  nts_ca_ = *std::move(ca);
  for (auto& h : hosts_) {
    if (!h->spec->spec.has_nts_server()) continue;
    const std::string& name = h->spec->spec.name();
    std::string san = absl::StrCat("DNS:", name);
    for (const net::IpAddress& ip : h->spec->addresses) absl::StrAppend(&san, ",IP:", ip.ToString());
    absl::StatusOr<SimCredentials> cert =
        MakeSimServerCert(**tls, nts_ca_, name, san, not_before, not_after);
    if (!cert.ok()) return cert.status();
    h->nts_credentials = *std::move(cert);
  }
  return absl::OkStatus();
}

void Simulation::StartHost(HostRuntime& h) {
  if (h.running || h.host == nullptr) return;
  const absl::Status status = h.host->Start();
  Digest& d = loop_.digest(h.domain);
  d.AddU64(0x7374);  // "st"
  d.AddU64(static_cast<uint64_t>(status.code()));
  if (!status.ok()) {
    h.exit = HostExit::kError;
    h.exit_s = now_s();
    RecordEvent(h, "exit", absl::StrCat("error: ", status.message()));
    h.host->Stop();
    h.scheduler->CancelAll();
    return;
  }
  h.running = true;
  h.exit = HostExit::kRunning;
  h.exit_s.reset();
  h.first_update_s.reset();
  RecordEvent(h, "start", "");
}

void Simulation::StopHost(HostRuntime& h) {
  if (h.host != nullptr) h.host->Stop();
  h.scheduler->CancelAll();
  h.running = false;
}

void Simulation::ApplyFault(const ResolvedFault& f) {
  const scenario::Fault& fault = f.fault;
  std::string description;
  Digest& world = loop_.digest(kWorldDomain);
  world.AddU64(0x6674);  // "ft"
  world.AddU64(static_cast<uint64_t>(fault.kind_case()));
  switch (fault.kind_case()) {
    case scenario::Fault::kLinkDown:
    case scenario::Fault::kLinkUp: {
      const bool down = fault.kind_case() == scenario::Fault::kLinkDown;
      const scenario::LinkRef& l = down ? fault.link_down() : fault.link_up();
      for (auto [from, to] : f.links) network_.SetLinkDown(from, to, down);
      description = absl::StrCat(down ? "link down " : "link up ", l.from(),
                                 l.one_way() ? " -> " : " <-> ", l.to());
      break;
    }
    case scenario::Fault::kPartition:
      network_.SetPartition(f.group_of_host);
      description = "partition";
      break;
    case scenario::Fault::kHeal:
      network_.SetPartition({});
      description = "heal";
      break;
    case scenario::Fault::kRouteChange: {
      const scenario::RouteChange& r = fault.route_change();
      for (auto [from, to] : f.links) network_.AddRouteDelay(from, to, r.delay_change_s());
      description = absl::StrFormat("route change %s %s %s %+gs", r.from(),
                                    r.one_way() ? "->" : "<->", r.to(), r.delay_change_s());
      break;
    }
    case scenario::Fault::kHostDown:
      for (int i : f.hosts) {
        HostRuntime& h = *hosts_[i];
        StopHost(h);
        network_.SetHostUp(i, false);
        RecordEvent(h, "fault:host_down", "");
      }
      description = absl::StrCat("host down ", fault.host_down());
      break;
    case scenario::Fault::kHostUp:
      for (int i : f.hosts) {
        HostRuntime& h = *hosts_[i];
        network_.SetHostUp(i, true);
        RecordEvent(h, "fault:host_up", "");
        if (h.running) continue;
        ++h.restarts;
        h.requests_retired = h.RequestsSent();
        h.nts_retired = h.Nts();
        h.host.reset();
        absl::StatusOr<std::unique_ptr<SimHost>> host = MakeHost(h);
        if (!host.ok()) {
          h.exit = HostExit::kError;
          h.exit_s = now_s();
          RecordEvent(h, "exit", absl::StrCat("error: ", host.status().message()));
          continue;
        }
        h.host = *std::move(host);
        StartHost(h);
      }
      description = absl::StrCat("host up ", fault.host_up());
      break;
    case scenario::Fault::kClockStep:
      for (int i : f.hosts) hosts_[i]->clock->InjectStep(fault.clock_step().offset_s());
      description = absl::StrFormat("clock step %s %+gs", fault.clock_step().host(),
                                    fault.clock_step().offset_s());
      break;
    case scenario::Fault::kFalseticker:
      for (int i : f.hosts) {
        HostRuntime& h = *hosts_[i];
        h.clock->InjectStep(fault.falseticker().offset_s());
        h.oscillator->AddFrequencyStep(loop_.now_ns(), fault.falseticker().freq_ppm());
        h.clock->DetachFromHost();
      }
      description = absl::StrFormat("falseticker %s %+gs %+gppm", fault.falseticker().host(),
                                    fault.falseticker().offset_s(),
                                    fault.falseticker().freq_ppm());
      break;
    case scenario::Fault::KIND_NOT_SET:
      break;
  }
  world.AddString(description);
  faults_.push_back({now_s(), description});
}

void Simulation::CheckSelection(HostRuntime& h, const ntp::SystemVariables& system) {
  if (system.system_peer.empty()) return;
  for (CheckState& c : checks_) {
    if (c.check->host != h.index || c.selected_forbidden_s.has_value() ||
        c.check->check.kind_case() != scenario::Check::kNeverSelects) {
      continue;
    }
    c.selected_any = true;
    if (now_s() < c.check->check.never_selects_after_s()) continue;
    for (const net::IpAddress& ip : c.check->forbidden) {
      if (system.system_peer == ip.ToString()) c.selected_forbidden_s = now_s();
    }
  }
}

bool Simulation::Captured(int host) const {
  return host >= 0 && host < static_cast<int>(pcap_.size()) && !pcap_[host].empty();
}

// Sent datagrams go into the sender's capture, delivered ones into the
// receiver's (after link damage); both stamped with true UTC.
void Simulation::CapturePacket(const PacketTrace& t) {
  int host = -1;
  if (t.kind == PacketTrace::Kind::kSent) host = t.from;
  if (t.kind == PacketTrace::Kind::kDelivered) host = t.to;
  if (!Captured(host)) return;
  AppendPcapRecord(scenario_.start + absl::Nanoseconds(t.t_ns), t.source, t.destination,
                   t.payload, pcap_[host]);
}

void Simulation::CheckSystemVariables(HostRuntime& h, const ntp::SystemVariables& system) {
  const double t = now_s();
  for (CheckState& c : checks_) {
    if (c.check->host != h.index) continue;
    const scenario::Check& check = c.check->check;
    if (check.kind_case() == scenario::Check::kSelects) {
      if (t < check.selects().after_s() || c.other_peer_s.has_value()) continue;
      // The system peer's name, confirmed by the association's tally where
      // the host has associations (the name outlives a lost peer).
      bool ok = false;
      for (const net::IpAddress& ip : c.check->forbidden) ok |= system.system_peer == ip.ToString();
      if (ok && h.host != nullptr) {
        const std::vector<AssociationRow> rows = h.host->AssociationRows();
        bool peer = rows.empty();
        for (const AssociationRow& row : rows) {
          peer |= row.tally == '*' && row.server == system.system_peer;
        }
        ok = peer;
      }
      if (!ok) {
        c.other_peer_s = t;
        c.other_peer = system.system_peer.empty() ? "none" : system.system_peer;
      }
    } else if (check.kind_case() == scenario::Check::kLeapAnnounced) {
      const scenario::LeapAnnounced& l = check.leap_announced();
      if (c.announced_s.has_value() || t < l.after_s() ||
          (l.has_before_s() && t > l.before_s())) {
        continue;
      }
      if (static_cast<uint32_t>(system.leap) == l.leap()) c.announced_s = t;
    }
  }
}

double Simulation::CheckOffset(const ResolvedCheck& check, double true_offset) const {
  if (check.relative_to < 0) return true_offset;
  return true_offset - hosts_[check.relative_to]->clock->TrueOffsetSeconds();
}

void Simulation::SamplePolls(HostRuntime& h, const std::vector<AssociationPoll>& polls,
                             double t) {
  for (CheckState& c : checks_) {
    if (c.check->host != h.index || c.check->check.kind_case() != scenario::Check::kPoll ||
        t < c.check->check.poll().after_s()) {
      continue;
    }
    for (const AssociationPoll& a : polls) {
      c.poll_min = std::min(c.poll_min, a.poll_log2);
      c.poll_max = std::max(c.poll_max, a.poll_log2);
    }
  }
}

void Simulation::Sample() {
  const double t = now_s();
  Digest& world = loop_.digest(kWorldDomain);
  for (auto& hp : hosts_) {
    HostRuntime& h = *hp;
    if (h.running && h.host->exit_state() != HostExit::kRunning) Reap(h);
    const double offset = h.clock->TrueOffsetSeconds();
    const double true_offset = offset;
    const double freq = h.clock->TrueFrequencyErrorPpm();
    world.AddDouble(offset);
    world.AddDouble(freq);
    ntp::SystemVariables system;
    if (h.host != nullptr) system = h.host->system();
    CheckSelection(h, system);
    CheckSystemVariables(h, system);
    if (!h.any_sample) h.first_sample_s = t;
    h.any_sample = true;
    h.last_sample_s = t;
    if (std::fabs(offset) >= scenario_.converge_threshold_s) h.last_violation_s = t;
    if (t >= scenario_.settle_s) {
      ++h.window_samples;
      h.sum_sq_offset += offset * offset;
      h.max_abs_offset = std::max(h.max_abs_offset, std::fabs(offset));
      h.sum_sq_freq += freq * freq;
    }
    std::vector<AssociationPoll> polls;
    if (h.host != nullptr && h.running && (h.has_poll_check || h.series != nullptr)) {
      polls = h.host->associations();
    }
    if (h.has_poll_check) SamplePolls(h, polls, t);
    for (CheckState& c : checks_) {
      if (c.check->host != h.index) continue;
      const scenario::Check& check = c.check->check;
      const double offset = CheckOffset(*c.check, true_offset);
      switch (check.kind_case()) {
        case scenario::Check::kConverge:
          if (std::fabs(offset) >= check.converge().max_abs_offset_s()) c.last_violation_s = t;
          ++c.samples;
          break;
        case scenario::Check::kRmsOffset:
          if (t >= check.rms_offset().after_s()) {
            ++c.samples;
            c.sum_sq += offset * offset;
          }
          break;
        case scenario::Check::kMaxOffset:
          if (t >= check.max_offset().after_s()) {
            ++c.samples;
            c.max_abs = std::max(c.max_abs, std::fabs(offset));
          }
          break;
        case scenario::Check::kFreqError:
          if (t < check.freq_error().after_s()) break;
          if (!check.freq_error().has_average_s()) {
            ++c.samples;
            c.max_abs = std::max(c.max_abs, std::fabs(freq));
          } else if (!c.window_start_s.has_value() || h.step_times_s.size() != c.window_start_steps) {
            c.window_start_s = t;
            c.window_start_offset = true_offset;
            c.window_start_steps = h.step_times_s.size();
          } else if (t - *c.window_start_s >= check.freq_error().average_s()) {
            const double average_ppm =
                (true_offset - c.window_start_offset) / (t - *c.window_start_s) * 1e6;
            ++c.samples;
            c.max_abs = std::max(c.max_abs, std::fabs(average_ppm));
            c.window_start_s = t;
            c.window_start_offset = true_offset;
          }
          break;
        default:
          break;
      }
    }
    if (h.series != nullptr) {
      SeriesPoint p;
      p.t_s = t;
      p.true_offset_s = offset;
      p.est_offset_s = 0.0 - system.offset_seconds;
      p.true_freq_ppm = freq;
      p.osc_freq_ppm = h.clock->OscillatorFrequencyPpm();
      p.freq_corr_ppm = h.clock->frequency_correction_ppm();
      p.est_freq_ppm = system.frequency_ppm;
      p.poll_log2 = system.poll_log2;
      p.stratum = system.stratum;
      p.requests_sent = h.requests_retired;
      for (const AssociationPoll& a : polls) {
        absl::StrAppend(&p.association_polls, p.association_polls.empty() ? "" : " ",
                        a.poll_log2);
        p.requests_sent += a.requests_sent;
      }
      if (!system.system_peer.empty()) {
        auto& peers = h.series->peers;
        auto it = std::find(peers.begin(), peers.end(), system.system_peer);
        p.selected = static_cast<int>(it - peers.begin());
        if (it == peers.end()) peers.push_back(system.system_peer);
      }
      p.events_end = static_cast<int>(h.series->events.size());
      h.series->points.push_back(p);
    }
  }
  const int64_t interval = std::max<int64_t>(1, ToNanos(scenario_.sample_interval_s));
  const int64_t next = loop_.now_ns() + interval;
  if (next <= ToNanos(scenario_.duration_s)) {
    loop_.Schedule(next, kWorldDomain, kWorldDomain, Phase::kObserve, [this] { Sample(); });
  }
}

std::vector<CheckResult> Simulation::EvaluateChecks() {
  std::vector<CheckResult> results;
  for (const CheckState& c : checks_) {
    const ResolvedCheck& rc = *c.check;
    const HostRuntime& h = *hosts_[rc.host];
    const scenario::Check& check = rc.check;
    CheckResult r;
    r.name = rc.name;
    r.host = h.spec->spec.name();
    r.location = rc.location;
    switch (check.kind_case()) {
      case scenario::Check::kConverge: {
        const double within = check.converge().within_s();
        const double bound = check.converge().max_abs_offset_s();
        r.passed = c.samples > 0 && (!c.last_violation_s || *c.last_violation_s < within) &&
                   h.last_sample_s >= within;
        r.detail = c.last_violation_s
                       ? absl::StrFormat("|offset| >= %gs last at t=%gs (limit %gs)", bound,
                                         *c.last_violation_s, within)
                       : absl::StrFormat("|offset| < %gs throughout", bound);
        break;
      }
      case scenario::Check::kRmsOffset: {
        const double rms = c.samples > 0 ? std::sqrt(c.sum_sq / c.samples) : 0;
        r.passed = c.samples > 0 && rms <= check.rms_offset().max_s();
        r.detail = c.samples > 0 ? absl::StrFormat("rms |offset| %.3gs after %gs (limit %gs)", rms,
                                                   check.rms_offset().after_s(),
                                                   check.rms_offset().max_s())
                                 : "no samples";
        break;
      }
      case scenario::Check::kMaxOffset:
        r.passed = c.samples > 0 && c.max_abs <= check.max_offset().max_s();
        r.detail = c.samples > 0 ? absl::StrFormat("max |offset| %.3gs after %gs (limit %gs)",
                                                   c.max_abs, check.max_offset().after_s(),
                                                   check.max_offset().max_s())
                                 : "no samples";
        break;
      case scenario::Check::kFreqError:
        r.passed = c.samples > 0 && c.max_abs <= check.freq_error().max_ppm();
        r.detail = c.samples > 0
                       ? absl::StrFormat("max |frequency error| %.3gppm after %gs (limit %gppm)",
                                         c.max_abs, check.freq_error().after_s(),
                                         check.freq_error().max_ppm())
                       : "no samples";
        break;
      case scenario::Check::kNoStepAfterS: {
        std::optional<double> late;
        for (double t : h.step_times_s) {
          if (t > check.no_step_after_s()) {
            late = t;
            break;
          }
        }
        r.passed = !late.has_value();
        r.detail = late ? absl::StrFormat("stepped at t=%gs (after %gs)", *late,
                                          check.no_step_after_s())
                        : absl::StrFormat("%d steps, none after %gs",
                                          static_cast<int>(h.step_times_s.size()),
                                          check.no_step_after_s());
        break;
      }
      case scenario::Check::kExits: {
        const HostExit want = FromExitState(check.exits().state());
        r.passed = h.exit == want;
        if (r.passed && want != HostExit::kRunning && check.exits().has_within_s()) {
          r.passed = h.exit_s.has_value() && *h.exit_s <= check.exits().within_s();
        }
        r.detail = h.exit_s ? absl::StrFormat("exit %s at t=%gs", HostExitName(h.exit), *h.exit_s)
                            : absl::StrCat("exit ", HostExitName(h.exit));
        break;
      }
      case scenario::Check::kNeverSelects:
        // Selecting nothing at all is no proof of avoiding the bad server.
        r.passed = !c.selected_forbidden_s.has_value() && c.selected_any;
        r.detail = c.selected_forbidden_s
                       ? absl::StrFormat("selected %s at t=%gs", check.never_selects(),
                                         *c.selected_forbidden_s)
                   : !c.selected_any
                       ? std::string("never selected any server")
                       : absl::StrFormat("never selected %s after %gs", check.never_selects(),
                                         check.never_selects_after_s());
        break;
      case scenario::Check::kPoll:
        r = EvaluatePollCheck(c, h);
        break;
      case scenario::Check::kMaxSteps:
        r.passed = static_cast<int>(h.step_times_s.size()) <= check.max_steps();
        r.detail = absl::StrFormat("%d steps (limit %d)", static_cast<int>(h.step_times_s.size()),
                                   check.max_steps());
        break;
      case scenario::Check::kSelects:
        r.passed = !c.other_peer_s.has_value();
        r.detail = c.other_peer_s
                       ? absl::StrFormat("system peer %s at t=%gs (want %s from %gs)",
                                         c.other_peer, *c.other_peer_s,
                                         check.selects().server(), check.selects().after_s())
                       : absl::StrFormat("system peer %s from %gs on", check.selects().server(),
                                         check.selects().after_s());
        break;
      case scenario::Check::kNoStepAfterFirstUpdate:
        r.passed = !h.step_after_first_update_s.has_value();
        r.detail = h.step_after_first_update_s.has_value()
                       ? absl::StrFormat("stepped at t=%gs after the first update at t=%gs",
                                         h.step_after_first_update_s->second,
                                         h.step_after_first_update_s->first)
                   : h.first_update_s.has_value()
                       ? absl::StrFormat("no step after the first update at t=%gs",
                                         *h.first_update_s)
                       : std::string("no clock update");
        break;
      case scenario::Check::kLeaps:
        r.passed = static_cast<int>(h.leap_times_s.size()) == check.leaps();
        r.detail = absl::StrFormat("%d leap seconds%s (want %d)",
                                   static_cast<int>(h.leap_times_s.size()),
                                   h.leap_times_s.empty()
                                       ? ""
                                       : absl::StrFormat(", first at t=%gs", h.leap_times_s[0]),
                                   check.leaps());
        break;
      case scenario::Check::kLeapAnnounced:
        r.passed = c.announced_s.has_value();
        r.detail = c.announced_s
                       ? absl::StrFormat("leap %d announced at t=%gs",
                                         check.leap_announced().leap(), *c.announced_s)
                       : absl::StrFormat("leap %d never announced in the window",
                                         check.leap_announced().leap());
        break;
      case scenario::Check::kNts: {
        const scenario::NtsCount& n = check.nts();
        const NtsCounters counters = h.Nts();
        const uint64_t* value = counters.Find(n.counter());
        r.passed = value != nullptr && (!n.has_min() || *value >= n.min()) &&
                   (!n.has_max() || *value <= n.max());
        r.detail = absl::StrFormat(
            "nts %s = %d (limits:%s%s)", n.counter(),
            value != nullptr ? static_cast<int64_t>(*value) : -1,
            n.has_min() ? absl::StrCat(" min ", n.min()) : "",
            n.has_max() ? absl::StrCat(" max ", n.max()) : "");
        break;
      }
      case scenario::Check::KIND_NOT_SET:
        break;
    }
    results.push_back(std::move(r));
  }
  return results;
}

CheckResult Simulation::EvaluatePollCheck(const CheckState& c, const HostRuntime& h) const {
  const ResolvedCheck& rc = *c.check;
  const scenario::PollBound& p = rc.check.poll();
  CheckResult r;
  r.name = rc.name;
  r.host = h.spec->spec.name();
  r.location = rc.location;
  const uint64_t requests = h.RequestsSent();
  const bool sampled = c.poll_min <= c.poll_max;
  r.passed = true;
  if (p.has_min_poll_log2() || p.has_max_poll_log2()) {
    r.passed = sampled && (!p.has_min_poll_log2() || c.poll_min >= p.min_poll_log2()) &&
               (!p.has_max_poll_log2() || c.poll_max <= p.max_poll_log2());
  }
  if (p.has_max_requests() && requests > p.max_requests()) r.passed = false;
  if (p.has_min_requests() && requests < p.min_requests()) r.passed = false;
  const std::string limits = absl::StrCat(
      p.has_min_poll_log2() ? absl::StrCat(" min_poll_log2 ", p.min_poll_log2()) : "",
      p.has_max_poll_log2() ? absl::StrCat(" max_poll_log2 ", p.max_poll_log2()) : "",
      p.has_min_requests() ? absl::StrCat(" min_requests ", p.min_requests()) : "",
      p.has_max_requests() ? absl::StrCat(" max_requests ", p.max_requests()) : "");
  r.detail = sampled ? absl::StrFormat("poll 2^%d..2^%d s after %gs, %d requests (limits:%s)",
                                       c.poll_min, c.poll_max, p.after_s(),
                                       static_cast<int64_t>(requests), limits)
                     : absl::StrFormat("no association polled after %gs, %d requests (limits:%s)",
                                       p.after_s(), static_cast<int64_t>(requests), limits);
  return r;
}

RunResult Simulation::Run() {
  const int64_t end = ToNanos(scenario_.duration_s);
  const int steps = std::max(1, options_.progress_steps);
  for (int i = 1; i <= steps; ++i) {
    loop_.RunUntil(i == steps ? end : end / steps * i);
    if (options_.progress) options_.progress(static_cast<double>(i) / steps);
  }
  RunResult result;
  result.seed = options_.seed;
  result.digest = loop_.CombinedDigest().Hex();
  result.events = loop_.events_run();
  result.simulated_s = scenario_.duration_s;
  result.datagrams_delivered = network_.datagrams_delivered();
  result.checks = EvaluateChecks();
  for (auto& hp : hosts_) {
    HostRuntime& h = *hp;
    HostSummary s;
    s.name = h.spec->spec.name();
    if (h.any_sample) {
      if (!h.last_violation_s) {
        s.converge_s = h.first_sample_s;
      } else if (*h.last_violation_s < h.last_sample_s) {
        s.converge_s = *h.last_violation_s + scenario_.sample_interval_s;
      }
    }
    if (h.window_samples > 0) {
      s.rms_offset_s = std::sqrt(h.sum_sq_offset / h.window_samples);
      s.max_abs_offset_s = h.max_abs_offset;
      s.rms_freq_ppm = std::sqrt(h.sum_sq_freq / h.window_samples);
    }
    s.steps = static_cast<int>(h.step_times_s.size());
    s.requests_sent = h.RequestsSent();
    s.nts = h.Nts();
    if (h.host != nullptr && h.running) {
      for (const AssociationPoll& a : h.host->associations()) s.polls_log2.push_back(a.poll_log2);
    }
    s.exit = h.exit;
    s.exit_s = h.exit_s;
    result.hosts.push_back(s);
  }
  for (auto& hp : hosts_) {
    result.associations.push_back(hp->host != nullptr ? hp->host->AssociationRows()
                                                      : std::vector<AssociationRow>{});
  }
  for (size_t i = 0; i < pcap_.size(); ++i) {
    if (!pcap_[i].empty()) result.pcap[hosts_[i]->spec->spec.name()] = std::move(pcap_[i]);
  }
  for (auto& hp : hosts_) {
    if (hp->running) StopHost(*hp);
    hp->host.reset();  // sockets go before the network
  }
  result.series = std::move(series_);
  result.faults = std::move(faults_);
  return result;
}

}  // namespace

absl::StatusOr<RunResult> RunScenario(const LoadedScenario& scenario,
                                      const SimHostFactories& factories,
                                      const RunOptions& options) {
  if (!options.trace_host.empty()) {
    bool found = false;
    for (const ExpandedHost& h : scenario.hosts) found = found || h.spec.name() == options.trace_host;
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("--trace_host: no host is named \"", options.trace_host, "\""));
    }
  }
  auto simulation = std::make_unique<Simulation>(scenario, factories, options);
  if (absl::Status s = simulation->Setup(); !s.ok()) return s;
  return simulation->Run();
}

}  // namespace sim
