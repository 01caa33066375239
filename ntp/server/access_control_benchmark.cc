// The restrict table at scale: the cost of one lookup, of building the
// table, and of serving one request, with the seed configuration's 6
// restrict lines and with 20,000 more (restrict_scale_testing.h).
//
//   bazel run -c opt //ntp/server:access_control_benchmark
#include <array>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "ntp/config/parser.h"
#include "ntp/server/access_control.h"
#include "ntp/server/responder.h"
#include "ntp/server/restrict_scale_testing.h"
#include "ntp/server/server_config.h"

namespace ntp {
namespace {

// range(0): restrict lines beyond the seed's six.
NtpConfig Config(int64_t extra, bool seed_flags = false) {
  ParsedConfig parsed = ParseNtpConfText(
      testing::ManyRestrictConfig(static_cast<int>(extra), seed_flags), "bench.conf", nullptr);
  if (!parsed.ok()) std::abort();
  return parsed.config;
}

void BM_Lookup(benchmark::State& state) {
  const ServerSetup setup = BuildServerSetup(Config(state.range(0)), 1);
  const AccessControl& access = setup.responder.access;
  const std::vector<net::IpAddress> sources = testing::LookupSources(4096);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(access.Lookup(sources[i++ & 4095], 40000));
  }
  state.SetLabel(absl::StrCat(state.range(0) + 6, " restrict lines"));
}
BENCHMARK(BM_Lookup)->Arg(0)->Arg(20000);

// Parse and build: what start-up pays for the restrict lines.
void BM_ParseAndBuild(benchmark::State& state) {
  const std::string text = testing::ManyRestrictConfig(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    ParsedConfig parsed = ParseNtpConfText(text, "bench.conf", nullptr);
    benchmark::DoNotOptimize(BuildServerSetup(parsed.config, 1));
  }
}
BENCHMARK(BM_ParseAndBuild)->Arg(0)->Arg(20000)->Unit(benchmark::kMillisecond);

// One client request through the responder (monitor on, 1000 clients), the
// table built from the seed's lines or from 20,006. range(1) = 1: every
// generated line has the seed default's flags, so the difference to the
// seed is the table alone (with mixed flags, sources that match a line
// without `kod`/`noquery` take the responder's other, slightly longer path).
void BM_Serve(benchmark::State& state) {
  ServerSetup setup = BuildServerSetup(Config(state.range(0), state.range(1) == 1), 1);
  setup.responder.monitor = true;
  auto auth = RequestAuthenticator::Create(nullptr, {});
  Responder responder(std::move(setup.responder), std::move(*auth));
  SystemVariables system;
  system.leap = Leap::kNoWarning;
  system.stratum = 11;
  system.reference_time = NtpTimestamp::FromTime(absl::FromUnixSeconds(1704067100));
  std::vector<uint8_t> request(48, 0);
  request[0] = 0xE3;
  request[47] = 1;
  std::array<uint8_t, Responder::kMaxReplyOctets> reply{};
  const std::vector<net::IpAddress> sources = testing::LookupSources(1000);
  const absl::Time now = absl::FromUnixSeconds(1704067200);
  uint32_t i = 0;
  for (auto _ : state) {
    ServerRequest r;
    r.payload = request;
    r.source = net::SocketAddress(sources[i % 1000], 40000);
    r.receive_time = NtpTimestamp::FromTime(now);
    r.monotonic_now = absl::FromUnixSeconds(100) + absl::Microseconds(++i);
    r.transmit_time = NtpTimestamp::FromTime(now);
    benchmark::DoNotOptimize(responder.Handle(r, system, absl::MakeSpan(reply)));
  }
  state.SetLabel(absl::StrCat(state.range(0) + 6, " restrict lines",
                              state.range(1) == 1 ? ", seed flags" : ""));
}
BENCHMARK(BM_Serve)->Args({0, 0})->Args({20000, 0})->Args({20000, 1});

}  // namespace
}  // namespace ntp
