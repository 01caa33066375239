// Trace speed:
//   BM_Replay: replaying a recorded run (a server answering 100,000
//     requests while its client polls an upstream server) against the
//     core; the records_per_s counter is the replay speed.
//   BM_RecordServedRequest/{0,1,2}: the recorder's cost per request served
//     (input and reply) with serverreplies all (0), sample 100 (1) and
//     none (2), into a sink that discards; the server's own cost per
//     request is what it is compared with (tools/bench_server.sh).
// Rates are per wall-clock second (UseRealTime): a loaded machine reads
// slower.   bazel run -c opt //ntp/trace:replay_benchmark
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "ntp/config/parser.h"
#include "ntp/host.h"
#include "ntp/testing/host_driver.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/recorder.h"
#include "ntp/trace/replayer.h"
#include "ntp/wire/packet.h"

namespace ntp::trace {
namespace {

constexpr char kConf[] =
    "restrict default kod nomodify notrap nopeer noquery\n"
    "server 127.127.1.0\n"
    "fudge 127.127.1.0 stratum 10\n"
    "server 192.0.2.1 iburst\n";

NtpConfig Config() { return ParseNtpConfText(kConf, "bench.conf", nullptr).config; }

ntp::HostOptions Options() {
  ntp::HostOptions options;
  options.listen = {*net::SocketAddress::Parse("10.0.0.1:123")};
  options.own_addresses = {*net::IpAddress::Parse("10.0.0.1")};
  options.random_seed = 7;
  return options;
}

// A client request (mode 3, version 4) from `client`.
std::vector<uint8_t> Request(uint32_t n) {
  std::vector<uint8_t> request(48, 0);
  request[0] = 0xE3;
  for (int i = 0; i < 4; ++i) request[44 + i] = static_cast<uint8_t>(n >> (8 * i));
  return request;
}

class DiscardSink final : public TraceSink {
 public:
  absl::Status Write(absl::string_view bytes) override {
    written += bytes.size();
    return absl::OkStatus();
  }
  size_t written = 0;
};

// 100,000 requests from 1,000 clients over 1,000 s while the host's client
// side polls 192.0.2.1 (which answers).
const std::string& RecordedRun() {
  static const std::string* trace = [] {
    auto* sink = new MemoryTraceSink();
    const NtpConfig config = Config();
    auto host = Host::Create(config, Options(), nullptr);
    TraceRecorder recorder(MakeHeader(config, Options(), absl::UnixEpoch(), "bench"), sink,
                           size_t{64} << 20);
    testing::HostDriver driver(host->get());
    driver.observe = [&recorder](const ntp::Input& input, const Actions& actions) {
      recorder.OnInput(input);
      recorder.OnActions(actions);
    };
    driver.AddPeer(*net::SocketAddress::Parse("192.0.2.1:123"),
                   [](const testing::SentDatagram& request, absl::Time true_time)
                       -> std::optional<testing::ScriptedReply> {
                     WireResult<NtpPacket, PacketError> parsed = ParsePacket(request.bytes);
                     if (!parsed.ok()) return std::nullopt;
                     NtpPacket p;
                     p.mode = Mode::kServer;
                     p.stratum = 1;
                     p.poll_log2_seconds = parsed->poll_log2_seconds;
                     p.precision_log2_seconds = -20;
                     p.origin_timestamp = parsed->transmit_timestamp;
                     p.reference_timestamp = NtpTimestamp::FromTime(true_time - absl::Seconds(1));
                     p.receive_timestamp = NtpTimestamp::FromTime(true_time);
                     p.transmit_timestamp = NtpTimestamp::FromTime(true_time);
                     testing::ScriptedReply reply;
                     reply.bytes.resize(kNtpHeaderOctets);
                     if (!SerializePacket(p, absl::MakeSpan(reply.bytes)).ok()) return std::nullopt;
                     return reply;
                   });
    driver.Start();
    for (uint32_t i = 0; i < 100000; ++i) {
      const std::string client = absl::StrCat("10.1.", (i % 1000) / 250, ".", i % 250 + 1, ":123");
      driver.Receive(1, Request(i), *net::SocketAddress::Parse(client));
      driver.AdvanceBy(absl::Milliseconds(10));
    }
    driver.Shutdown();
    recorder.Flush().IgnoreError();
    return new std::string(std::move(sink->bytes));
  }();
  return *trace;
}

void BM_Replay(benchmark::State& state) {
  const std::string& trace = RecordedRun();
  const size_t records = ParseFramed(trace)->size();
  for (auto _ : state) {
    absl::StatusOr<ReplayResult> result = Replay(trace);
    if (!result.ok() || !result->identical) {
      state.SkipWithError("the benchmark trace does not replay identically");
      return;
    }
  }
  state.counters["records"] = static_cast<double>(records);
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(records) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["trace_bytes"] = static_cast<double>(trace.size());
}
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RecordServedRequest(benchmark::State& state) {
  const NtpConfig config = Config();
  auto host = Host::Create(config, Options(), nullptr);
  testing::HostDriver driver(host->get());
  driver.Start();
  // One request and the host's reply, recorded again and again.
  std::optional<ntp::Input> input;
  Actions actions;
  driver.observe = [&](const ntp::Input& in, const Actions& out) {
    input = in;
    actions = out;
  };
  const std::vector<uint8_t> request = Request(1);
  driver.Receive(1, request, *net::SocketAddress::Parse("10.1.0.1:123"));
  // The input's payload points into `request`, which outlives the loop.
  Header header = MakeHeader(config, Options(), absl::UnixEpoch(), "bench");
  const int mode = static_cast<int>(state.range(0));
  header.set_server_requests(mode == 0 ? SERVER_REQUESTS_ALL
                             : mode == 1 ? SERVER_REQUESTS_SAMPLE
                                         : SERVER_REQUESTS_NONE);
  header.set_sample_every(100);
  DiscardSink sink;
  TraceRecorder recorder(header, &sink);
  for (auto _ : state) {
    recorder.OnInput(*input);
    recorder.OnActions(actions);
  }
  state.counters["requests_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(mode == 0 ? "serverreplies all" : mode == 1 ? "sample 100" : "none");
}
BENCHMARK(BM_RecordServedRequest)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace ntp::trace
