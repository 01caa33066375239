// Cost of one request through the responder (no sockets): plain replies,
// with the client table (monitor on, many clients), and MAC'd replies.
#include <array>
#include <vector>

#include "benchmark/benchmark.h"
#include "clock/fake_clock.h"
#include "ntp/auth/key_store.h"
#include "ntp/auth/mac.h"
#include "ntp/server/responder.h"

namespace ntp {
namespace {

struct Fixture {
  explicit Fixture(bool monitor, const KeyStore* keys = nullptr)
      : clock(absl::FromUnixSeconds(1704067200)) {
    ResponderSettings settings;
    settings.monitor = monitor;
    auto auth = RequestAuthenticator::Create(keys, {{1, 10}});
    responder = std::make_unique<Responder>(std::move(settings), std::move(*auth));
    system.leap = Leap::kNoWarning;
    system.stratum = 11;
    system.reference_time = NtpTimestamp::FromTime(absl::FromUnixSeconds(1704067100));
    request.assign(48, 0);
    request[0] = 0xE3;
    request[47] = 1;
  }
  clocks::FakeClock clock;
  SystemVariables system;
  std::unique_ptr<Responder> responder;
  std::vector<uint8_t> request;
  std::array<uint8_t, Responder::kMaxReplyOctets> reply{};
};

void Run(benchmark::State& state, Fixture& f, uint32_t clients) {
  uint32_t i = 0;
  for (auto _ : state) {
    ServerRequest r;
    r.payload = f.request;
    r.source = net::SocketAddress(net::IpAddress::V4(0x0A000000 + (i++ % clients)), 40000);
    r.receive_time = NtpTimestamp::FromTime(f.clock.Now());
    r.monotonic_now = absl::FromUnixSeconds(100) + absl::Microseconds(i);
    r.transmit_time = NtpTimestamp::FromTime(f.clock.Now());
    benchmark::DoNotOptimize(f.responder->Handle(r, f.system, absl::MakeSpan(f.reply)));
  }
}

void BM_PlainReplyNoMonitor(benchmark::State& state) {
  Fixture f(false);
  Run(state, f, 1);
}
BENCHMARK(BM_PlainReplyNoMonitor);

void BM_PlainReplyMonitor(benchmark::State& state) {
  Fixture f(true);
  Run(state, f, static_cast<uint32_t>(state.range(0)));
}
BENCHMARK(BM_PlainReplyMonitor)->Arg(1)->Arg(1000)->Arg(1000000);

void BM_AuthenticatedReply(benchmark::State& state) {
  KeyStore keys;
  const std::string secret = state.range(0) == 2 ? "0123456789abcdef" : "secret";
  const MacAlgorithm algorithm = state.range(0) == 0   ? MacAlgorithm::kMd5
                                 : state.range(0) == 1 ? MacAlgorithm::kSha1
                                                       : MacAlgorithm::kAesCmac128;
  auto key = SymmetricKey::Create(
      1, algorithm,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()), secret.size()));
  keys.Insert(*key).IgnoreError();
  Fixture f(true, &keys);
  auto ctx = MacContext::Create();
  std::vector<uint8_t> digest(key->digest_length());
  ctx->ComputeDigest(*key, f.request, absl::MakeSpan(digest)).IgnoreError();
  f.request.insert(f.request.end(), {0, 0, 0, 1});
  f.request.insert(f.request.end(), digest.begin(), digest.end());
  Run(state, f, 1000);
}
BENCHMARK(BM_AuthenticatedReply)->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace ntp
