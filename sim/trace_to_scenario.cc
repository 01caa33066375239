// A scenario estimated from a trace (trace_to_scenario.h).
#include "sim/trace_to_scenario.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/text_format.h"
#include "net/address.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/trace.pb.h"

namespace sim {
namespace {

// An NTP timestamp (RFC 5905 §6) at `at` in `bytes`, as seconds relative
// to the timestamp `pivot` (exchanges span far less than an era).
double NtpSecondsSince(absl::string_view bytes, size_t at, uint64_t pivot) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return static_cast<double>(static_cast<int64_t>(v - pivot)) / 4294967296.0;
}

// A Unix time in Nanos as a raw NTP timestamp (RFC 5905 §6, era 0),
// truncated to 2^-32 s.
uint64_t NtpRaw(const ntp::trace::Nanos& t) {
  constexpr __int128 kEraOffsetNs = static_cast<__int128>(2208988800) * 1000000000;
  const __int128 quarter_ns = (static_cast<__int128>(t.ns()) + kEraOffsetNs) * 4 + (t.quarters() & 3);
  return static_cast<uint64_t>((quarter_ns << 32) / 4000000000);
}

struct Pending {
  std::string server;
  // T1: the kernel's transmit time of the request (its send result); the
  // request's transmit timestamp field is a random nonce (RFC 9109).
  std::optional<uint64_t> t1;
  bool answered = false;
};

}  // namespace

absl::StatusOr<TraceScenario> ScenarioFromTrace(absl::string_view trace_bytes,
                                                const std::string& name) {
  absl::StatusOr<std::vector<ntp::trace::Record>> records =
      ntp::trace::ReplayableRecords(trace_bytes);
  if (!records.ok()) return records.status();
  const ntp::trace::Header& header = (*records)[0].header();

  std::map<std::string, Pending> by_tx;  // transmit timestamp octets -> request
  std::map<uint64_t, std::string> last_on_socket;  // socket -> its last request
  std::map<std::string, std::vector<double>> delays;  // server -> one-way delays
  std::map<std::string, LinkEstimate> links;
  std::optional<absl::Time> first_mono;
  absl::Time last_mono;
  for (const ntp::trace::Record& r : *records) {
    if (r.has_input()) {
      const ntp::trace::Input& in = r.input();
      const absl::Time mono = ntp::trace::DecodeTime(in.now().monotonic());
      if (!first_mono.has_value()) first_mono = mono;
      last_mono = mono;
      if (in.has_send_result()) {
        auto sent = last_on_socket.find(in.send_result().socket());
        if (sent != last_on_socket.end() && in.send_result().status().code() == 0) {
          by_tx[sent->second].t1 = NtpRaw(in.send_result().transmit_time());
        }
        continue;
      }
      if (!in.has_datagram() || in.datagram().payload().size() < 48) continue;
      const std::string& p = in.datagram().payload();
      auto it = by_tx.find(p.substr(24, 8));
      if (it == by_tx.end() || it->second.answered || !it->second.t1.has_value()) continue;
      it->second.answered = true;
      // T4: the receive time as an NTP timestamp (exact integers: a double
      // of seconds since 1900 keeps only about 0.5 us), relative to T1.
      const uint64_t t1 = *it->second.t1;
      const double t4 =
          static_cast<double>(static_cast<int64_t>(NtpRaw(in.datagram().rx_time()) - t1)) /
          4294967296.0;
      const double t2 = NtpSecondsSince(p, 32, t1);
      const double t3 = NtpSecondsSince(p, 40, t1);
      // RFC 5905 §8: delay = (T4 - T1) - (T3 - T2), offset = ((T2 - T1) + (T3 - T4)) / 2.
      const double delay = (t4 - (t3 - t2)) / 2;
      LinkEstimate& link = links[it->second.server];
      if (++link.replies == 1) link.first_offset_s = (t2 + (t3 - t4)) / 2;
      delays[it->second.server].push_back(delay);
    } else if (r.has_actions()) {
      for (const ntp::trace::Action& a : r.actions().actions()) {
        if (!a.has_send_datagram()) continue;
        const std::string& p = a.send_datagram().payload();
        if (p.size() < 48 || (static_cast<unsigned char>(p[0]) & 7) != 3) continue;
        absl::StatusOr<net::SocketAddress> to =
            net::SocketAddress::Parse(a.send_datagram().to().text());
        if (!to.ok()) continue;
        const std::string server = to->ip().ToString();
        ++links[server].requests;
        links[server].server = server;
        by_tx[p.substr(40, 8)] = Pending{server, std::nullopt, false};
        last_on_socket[a.send_datagram().socket()] = p.substr(40, 8);
      }
    }
  }
  TraceScenario out;
  bool any = false;
  for (auto& [server, link] : links) {
    const std::vector<double>& d = delays[server];
    if (d.empty()) continue;
    any = true;
    link.min_delay_s = *std::min_element(d.begin(), d.end());
    double excess = 0;
    for (double v : d) excess += v - link.min_delay_s;
    link.mean_excess_s = excess / static_cast<double>(d.size());
    const double answered = static_cast<double>(link.replies) / std::max(1, link.requests);
    link.loss_each_way = std::clamp(1 - std::sqrt(answered), 0.0, 1.0);
    out.links.push_back(link);
  }
  if (!any) {
    return absl::FailedPreconditionError(
        "the trace holds no answered request: no link to estimate");
  }

  scenario::Scenario& s = out.scenario;
  s.set_name(name);
  s.set_description(absl::StrCat("Estimated from a trace recorded by ", header.build(),
                                 header.sim_host().empty() ? "" : " for host ",
                                 header.sim_host(), " (ntpreplay --to_scenario)."));
  s.set_duration_s(std::max(1.0, std::ceil(absl::ToDoubleSeconds(last_mono - *first_mono))));
  s.set_seed(1);
  scenario::Host* client = s.add_hosts();
  client->set_name("traced");
  client->set_role(scenario::NTPD);
  client->set_ntp_conf(header.config_text());
  if (header.options().allow_big_first_step()) client->add_flags("-g");
  if (header.options().never_step()) client->add_flags("-x");
  if (header.options().set_once_and_exit()) client->add_flags("-q");
  client->mutable_clock()->set_offset_s(-out.links.front().first_offset_s);
  int n = 0;
  for (const LinkEstimate& link : out.links) {
    scenario::Host* server = s.add_hosts();
    const std::string server_name = absl::StrCat("server", n++);
    server->set_name(server_name);
    server->set_role(scenario::RESPONDER);
    server->add_addresses(link.server);
    scenario::Link* l = s.add_links();
    l->set_from("traced");
    l->set_to(server_name);
    scenario::LinkModel* m = l->mutable_model();
    m->set_delay_s(link.min_delay_s);
    if (link.mean_excess_s > 1e-9) {
      m->mutable_jitter()->set_distribution(scenario::EXPONENTIAL);
      m->mutable_jitter()->set_scale_s(link.mean_excess_s);
    }
    if (link.loss_each_way > 0) m->set_loss(link.loss_each_way);
  }
  std::string body;
  google::protobuf::TextFormat::PrintToString(s, &body);
  out.text = "# Written by ntpreplay --to_scenario. Estimated per server (one way):\n";
  for (const LinkEstimate& link : out.links) {
    absl::StrAppend(&out.text,
                    absl::StrFormat("#   %s: %d requests, %d replies; delay min %.9g s, mean "
                                    "excess %.3g s; loss each way %.3g\n",
                                    link.server, link.requests, link.replies, link.min_delay_s,
                                    link.mean_excess_s, link.loss_each_way));
  }
  absl::StrAppend(&out.text,
                  "# Asymmetry cannot be seen from one end: 0. Add checks before using it as a "
                  "test.\n",
                  body);
  return out;
}

}  // namespace sim
