// Cost of one mode 6 request through ntp::Host::Handle (parse, answer,
// fragments as Send actions), on a synchronised server with one upstream
// association and the LOCAL clock. Each request comes one second after the
// previous one, so the rate limiter never drops.
//   bazel run -c opt //ntp/control:control_server_benchmark
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "ntp/config/parser.h"
#include "ntp/control/control_client.h"
#include "ntp/host.h"
#include "ntp/testing/host_driver.h"

namespace ntp {
namespace {

class Server {
 public:
  Server() {
    ParsedConfig parsed = ParseNtpConfText(
        "restrict 192.168.31.0 mask 255.255.255.0\n"
        "server 192.168.31.1 iburst\n"
        "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\ntos orphanwait 0\n",
        "bench.conf", nullptr);
    HostOptions options;
    options.listen = {*net::SocketAddress::Parse("192.168.31.223:123")};
    host_ = std::move(*Host::Create(parsed.config, options, nullptr));
    testing::HostDriver::Options o;
    o.clock_read_only = true;
    driver_ = std::make_unique<testing::HostDriver>(host_.get(), o);
    driver_->Start();
    driver_->AdvanceBy(absl::Seconds(30));
    now_ = {driver_->monotonic(), driver_->clock_time()};
  }

  // Handles `request` and returns the number of actions (replies).
  size_t Handle(const std::vector<uint8_t>& request) {
    now_.monotonic += absl::Seconds(1);
    now_.clock += absl::Seconds(1);
    DatagramInput input;
    input.now = now_;
    input.socket = 1;
    input.datagram.payload = request;
    input.datagram.source = client_;
    input.datagram.rx_time = now_.clock;
    return host_->Handle(Input(input)).list().size();
  }

 private:
  std::unique_ptr<Host> host_;
  std::unique_ptr<testing::HostDriver> driver_;
  Readings now_;
  net::SocketAddress client_ = *net::SocketAddress::Parse("192.168.31.50:40000");
};

void Run(benchmark::State& state, const std::vector<uint8_t>& request) {
  Server server;
  size_t replies = 0;
  for (auto _ : state) {
    replies = server.Handle(request);
    benchmark::DoNotOptimize(replies);
  }
  state.counters["datagrams_out"] = static_cast<double>(replies);
}

void BM_ReadStatus(benchmark::State& state) { Run(state, BuildControlRequest(1, 1, 0, "")); }
void BM_ReadSystemVariables(benchmark::State& state) {
  Run(state, BuildControlRequest(2, 1, 0, ""));
}
void BM_ReadPeerVariables(benchmark::State& state) {
  Run(state, BuildControlRequest(2, 1, 1, ""));
}
void BM_ReadNamedCounter(benchmark::State& state) {
  Run(state, BuildControlRequest(2, 1, 0, "ss_received"));
}
void BM_Malformed(benchmark::State& state) { Run(state, {0x16, 0x01, 0x00}); }

BENCHMARK(BM_ReadStatus);
BENCHMARK(BM_ReadSystemVariables);
BENCHMARK(BM_ReadPeerVariables);
BENCHMARK(BM_ReadNamedCounter);
BENCHMARK(BM_Malformed);

}  // namespace
}  // namespace ntp
