// ntp_exporter: a Prometheus exporter for an NTP daemon, read over mode 6
// (RFC 9327) at every scrape. A separate process: the daemon stays
// single-threaded and never serves HTTP.
//
//   ntp_exporter --listen=127.0.0.1:9975 --daemon=127.0.0.1[:PORT]
//                [--timeout_ms=1000]
//
// GET /metrics answers (prometheus-cpp's exposer and text format):
//   ntp_up                               1 if the daemon answered this scrape
//   ntp_system_{offset,jitter,clock_jitter,root_delay,root_dispersion,poll}_seconds
//   ntp_system_frequency_ratio, ntp_system_clock_wander_ratio  (ppm * 1e-6)
//   ntp_system_stratum, ntp_system_leap, ntp_system_synchronized
//   ntp_source_{offset,delay,jitter}_seconds, ntp_source_reach,
//   ntp_source_stratum, ntp_source_selection (0..7, ntpq's tally order),
//   ntp_source_system_peer                    {association, address}
//   ntp_server_{received,answered,dropped,kod_sent,rate_limited}_total,
//   ntp_server_replies_total{kind}, ntp_server_drops_total{reason},
//   ntp_control_{received,answered,errors,malformed,rate_limited}_total
// Values the daemon sends are parsed as numbers; anything else is left out.
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "ntp/control/control_vars.h"
#include "ntp/server/counters.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"
#include "tools/ntpq/control_session.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:9975", "ADDR:PORT to serve /metrics on");
ABSL_FLAG(std::string, daemon, "127.0.0.1", "the NTP daemon, HOST[:PORT] (port 123)");
ABSL_FLAG(int, timeout_ms, 1000, "how long one mode 6 request waits");

namespace ntp::tools {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::optional<double> Number(const std::vector<ControlVariable>& vars, absl::string_view name) {
  const ControlVariable* v = FindControlVariable(vars, name);
  double value = 0;
  if (v == nullptr) return std::nullopt;
  std::string text = v->value;
  if (absl::StartsWith(text, "0x")) {
    char* end = nullptr;
    const unsigned long long hex = std::strtoull(text.c_str(), &end, 16);
    if (end == text.c_str() || *end != '\0') return std::nullopt;
    return static_cast<double>(hex);
  }
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) return std::nullopt;
  return value;
}

class Families {
 public:
  void Add(const std::string& name, const std::string& help, MetricType type, double value,
           std::vector<ClientMetric::Label> labels = {}) {
    MetricFamily* family = nullptr;
    for (MetricFamily& f : families_) {
      if (f.name == name) family = &f;
    }
    if (family == nullptr) {
      families_.push_back(MetricFamily{name, help, type, {}});
      family = &families_.back();
    }
    ClientMetric metric;
    metric.label = std::move(labels);
    if (type == MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    family->metric.push_back(std::move(metric));
  }
  // A variable scaled into a metric, when it is a number.
  void AddVar(const std::vector<ControlVariable>& vars, absl::string_view var,
              const std::string& name, const std::string& help, MetricType type, double scale,
              std::vector<ClientMetric::Label> labels = {}) {
    if (std::optional<double> v = Number(vars, var); v.has_value()) {
      Add(name, help, type, *v * scale, std::move(labels));
    }
  }
  std::vector<MetricFamily> Release() { return std::move(families_); }

 private:
  std::vector<MetricFamily> families_;
};

class NtpCollector final : public prometheus::Collectable {
 public:
  NtpCollector(net::SocketAddress daemon, absl::Duration timeout)
      : daemon_(daemon), timeout_(timeout) {}

  std::vector<MetricFamily> Collect() const override {
    std::lock_guard<std::mutex> lock(mutex_);  // scrapes may come in parallel
    Families out;
    const bool up = Read(out);
    out.Add("ntp_up", "Whether the NTP daemon answered mode 6 queries in this scrape.",
            MetricType::Gauge, up ? 1 : 0);
    return out.Release();
  }

 private:
  bool Read(Families& out) const {
    absl::StatusOr<std::unique_ptr<ControlSession>> session =
        ControlSession::Open(daemon_, timeout_);
    if (!session.ok()) return false;
    uint16_t status = 0;
    absl::StatusOr<std::vector<ControlVariable>> sys = (*session)->ReadVariables(0, "", &status);
    if (!sys.ok()) return false;
    const auto g = MetricType::Gauge;
    out.AddVar(*sys, "offset", "ntp_system_offset_seconds",
               "Last clock offset measured by the daemon.", g, 1e-3);
    out.AddVar(*sys, "frequency", "ntp_system_frequency_ratio",
               "Frequency correction of the clock (ppm * 1e-6).", g, 1e-6);
    out.AddVar(*sys, "sys_jitter", "ntp_system_jitter_seconds", "System jitter.", g, 1e-3);
    out.AddVar(*sys, "clk_jitter", "ntp_system_clock_jitter_seconds", "Clock jitter.", g, 1e-3);
    out.AddVar(*sys, "clk_wander", "ntp_system_clock_wander_ratio",
               "Clock frequency wander (ppm * 1e-6).", g, 1e-6);
    out.AddVar(*sys, "rootdelay", "ntp_system_root_delay_seconds",
               "Round-trip delay to the primary reference.", g, 1e-3);
    out.AddVar(*sys, "rootdisp", "ntp_system_root_dispersion_seconds",
               "Dispersion to the primary reference.", g, 1e-3);
    out.AddVar(*sys, "stratum", "ntp_system_stratum", "Stratum (16: unsynchronised).", g, 1);
    if (std::optional<double> tc = Number(*sys, "tc"); tc.has_value() && *tc >= 0 && *tc < 32) {
      out.Add("ntp_system_poll_seconds", "System poll interval.", g, std::ldexp(1.0, *tc));
    }
    out.Add("ntp_system_leap", "Leap indicator (3: alarm, unsynchronised).", g, status >> 14);
    out.Add("ntp_system_synchronized", "1 when the clock is synchronised.", g,
            (status >> 14) != 3 ? 1 : 0);

    std::vector<std::string> names;
    for (size_t i = 0; i < kServerDropReasonCount; ++i) {
      names.push_back(
          absl::StrCat("ss_drop_", ServerDropReasonName(static_cast<ServerDropReason>(i))));
    }
    for (size_t i = 0; i < kServerReplyKindCount; ++i) {
      names.push_back(
          absl::StrCat("ss_reply_", ServerReplyKindName(static_cast<ServerReplyKind>(i))));
    }
    for (const char* n : {"ss_received", "ss_answered", "ss_dropped", "ss_kodsent", "ss_limited",
                          "cs_received", "cs_answered", "cs_errors", "cs_malformed",
                          "cs_ratelimited"}) {
      names.push_back(n);
    }
    // Several requests: one answer must stay within a few fragments.
    std::vector<ControlVariable> counters;
    for (size_t i = 0; i < names.size(); i += 12) {
      const size_t end = std::min(names.size(), i + 12);
      absl::StatusOr<std::vector<ControlVariable>> part = (*session)->ReadVariables(
          0, absl::StrJoin(names.begin() + i, names.begin() + end, ","), nullptr);
      if (part.ok()) counters.insert(counters.end(), part->begin(), part->end());
    }
    const auto c = MetricType::Counter;
    out.AddVar(counters, "ss_received", "ntp_server_received_total",
               "Datagrams the NTP server received.", c, 1);
    out.AddVar(counters, "ss_answered", "ntp_server_answered_total",
               "Time requests the server answered.", c, 1);
    out.AddVar(counters, "ss_dropped", "ntp_server_dropped_total",
               "Datagrams the server dropped, all reasons.", c, 1);
    out.AddVar(counters, "ss_kodsent", "ntp_server_kod_sent_total",
               "Kiss-o'-Death (RATE) replies sent.", c, 1);
    out.AddVar(counters, "ss_limited", "ntp_server_rate_limited_total",
               "Requests dropped by the rate limits (discard/limited).", c, 1);
    for (const ControlVariable& v : counters) {
      absl::string_view name = v.name;
      if (absl::ConsumePrefix(&name, "ss_drop_")) {
        out.AddVar(counters, v.name, "ntp_server_drops_total",
                   "Datagrams the server dropped, by reason.", c, 1,
                   {{"reason", std::string(name)}});
      } else if (absl::ConsumePrefix(&name, "ss_reply_")) {
        out.AddVar(counters, v.name, "ntp_server_replies_total",
                   "Replies the server sent, by kind.", c, 1, {{"kind", std::string(name)}});
      } else if (absl::ConsumePrefix(&name, "cs_")) {
        const std::string metric =
            name == "ratelimited" ? "rate_limited" : std::string(name);
        out.AddVar(counters, v.name, absl::StrCat("ntp_control_", metric, "_total"),
                   "Mode 6 (ntpq) requests, by outcome.", c, 1);
      }
    }

    uint16_t system_status = 0;
    absl::StatusOr<std::vector<AssociationStatus>> peers =
        (*session)->ReadStatus(&system_status);
    if (!peers.ok()) return true;
    for (const AssociationStatus& peer : *peers) {
      uint16_t peer_status = peer.status;
      absl::StatusOr<std::vector<ControlVariable>> vars =
          (*session)->ReadVariables(peer.id, "", &peer_status);
      if (!vars.ok()) continue;
      const ControlVariable* address = FindControlVariable(*vars, "srcadr");
      const ControlVariable* host = FindControlVariable(*vars, "srchost");
      std::string shown = address != nullptr ? address->value : "";
      if (host != nullptr && absl::StartsWith(shown, "127.127.")) shown = host->value;
      const std::vector<ClientMetric::Label> labels = {
          {"association", absl::StrCat(peer.id)}, {"address", EscapeForDisplay(shown)}};
      out.AddVar(*vars, "offset", "ntp_source_offset_seconds", "Offset of the source.", g,
                 1e-3, labels);
      out.AddVar(*vars, "delay", "ntp_source_delay_seconds", "Round-trip delay to the source.",
                 g, 1e-3, labels);
      out.AddVar(*vars, "jitter", "ntp_source_jitter_seconds", "Jitter of the source.", g, 1e-3,
                 labels);
      out.AddVar(*vars, "reach", "ntp_source_reach", "Reachability register (8 bits).", g, 1,
                 labels);
      out.AddVar(*vars, "stratum", "ntp_source_stratum", "Stratum of the source.", g, 1, labels);
      const int select = peer_status >> 8 & 7;
      out.Add("ntp_source_selection",
              "Selection status (0 reject, 1 falseticker, 2 excess, 3 outlier, 4 candidate, "
              "5 backup, 6 system peer, 7 PPS peer).",
              g, select, labels);
      out.Add("ntp_source_system_peer", "1 for the system peer.", g, select == 6 ? 1 : 0,
              labels);
    }
    return true;
  }

  const net::SocketAddress daemon_;
  const absl::Duration timeout_;
  mutable std::mutex mutex_;
};

volatile std::sig_atomic_t stop = 0;

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ntp_exporter --listen=ADDR:PORT --daemon=HOST[:PORT] [--timeout_ms=N]");
  if (absl::ParseCommandLine(argc, argv).size() != 1) {
    std::cerr << "ntp_exporter: unexpected arguments\n";
    return 2;
  }
  absl::StatusOr<net::SocketAddress> daemon =
      ParseServerAddress(absl::GetFlag(FLAGS_daemon), 123);
  if (!daemon.ok()) {
    std::cerr << "ntp_exporter: --daemon: " << daemon.status().message() << "\n";
    return 2;
  }
  const int timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  if (timeout_ms <= 0 || timeout_ms > 60000) {
    std::cerr << "ntp_exporter: --timeout_ms: 1..60000\n";
    return 2;
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(absl::GetFlag(FLAGS_listen));
  } catch (const std::exception& e) {
    std::cerr << "ntp_exporter: cannot listen on " << absl::GetFlag(FLAGS_listen) << ": "
              << e.what() << "\n";
    return 1;
  }
  auto collector = std::make_shared<NtpCollector>(*daemon, absl::Milliseconds(timeout_ms));
  exposer->RegisterCollectable(collector);
  std::cerr << "ntp_exporter: serving http://" << absl::GetFlag(FLAGS_listen)
            << "/metrics for " << daemon->ToString() << "\n";
  std::signal(SIGTERM, [](int) { stop = 1; });
  std::signal(SIGINT, [](int) { stop = 1; });
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return 0;
}

}  // namespace
}  // namespace ntp::tools

int main(int argc, char** argv) { return ntp::tools::Main(argc, argv); }
