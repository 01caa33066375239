// The NTS server's cost for one request (RFC 8915 §5): the cookie opened
// under the master key, the authenticator checked under the cookie's C2S
// key, N fresh cookies sealed and the reply's authenticator sealed under
// the S2C key. N = 1 (a request with its cookie only) and N = 8 (a cookie
// and 7 placeholders). The /iterations:1000 runs do a fixed amount of work,
// for instruction counts under callgrind (ntp/nts/README.md, Performance).
//   bazel run -c opt //ntp/nts:server_benchmark
#include <cstdint>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "ntp/nts/client.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/fields.h"
#include "ntp/nts/server.h"

namespace ntp::nts {
namespace {

// One request handled: checked, and the reply sealed. Not inlined, so that
// callgrind can collect exactly this (--toggle-collect).
[[gnu::noinline]] bool HandleOneNtsRequest(NtsServer& server,
                                           absl::Span<const uint8_t> request,
                                           absl::Span<const uint8_t> header,
                                           absl::BitGenRef gen,
                                           absl::Span<uint8_t> reply) {
  NtsCheck check = server.CheckRequest(request);
  if (check.verdict != NtsVerdict::kRespond) return false;
  return server.SealReply(check.request, header, gen, reply).ok();
}

void BM_NtsServerRequest(benchmark::State& state) {
  const size_t cookies = static_cast<size_t>(state.range(0));
  absl::BitGen gen;
  CookieKeyring ring;
  SessionKeys keys;
  keys.c2s.fill(1);
  keys.s2c.fill(2);
  if (!ring.Rotate(gen).ok()) {
    state.SkipWithError("no master key");
    return;
  }
  // A client holding 9 - N cookies sends one with N - 1 placeholders.
  std::vector<std::vector<uint8_t>> jar;
  for (size_t i = 0; i < kMaxCookies + 1 - cookies; ++i) {
    std::vector<uint8_t> c(kCookieOctets);
    if (!ring.Seal(keys, gen, absl::MakeSpan(c)).ok()) {
      state.SkipWithError("cookie");
      return;
    }
    jar.push_back(c);
  }
  auto client = NtsClient::Create(keys, jar);
  auto server = NtsServer::Create(&ring);
  if (!client.ok() || !server.ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  std::vector<uint8_t> header(48, 0);
  header[0] = (4 << 3) | 3;
  std::vector<uint8_t> request(2048);
  auto n = client->BuildRequest(header, gen, absl::MakeSpan(request));
  if (!n.ok()) {
    state.SkipWithError("request");
    return;
  }
  request.resize(*n);
  header[0] = (4 << 3) | 4;
  std::vector<uint8_t> reply(2048);
  for (auto _ : state) {
    if (!HandleOneNtsRequest(*server, request, header, gen, absl::MakeSpan(reply))) {
      state.SkipWithError("request refused");
      return;
    }
  }
  // The last reply must be one the client accepts, with N cookies.
  const size_t reply_octets = NtsServer::ReplyOctets(kUniqueIdentifierOctets, cookies);
  NtsReplyCheck check = client->ProcessReply(absl::MakeConstSpan(reply).first(reply_octets));
  if (check.verdict != NtsReplyVerdict::kAccepted || check.new_cookies != cookies) {
    state.SkipWithError("reply not accepted");
    return;
  }
  state.SetLabel(absl::StrCat(request.size(), " -> ", reply_octets, " octets"));
}
BENCHMARK(BM_NtsServerRequest)->Arg(1)->Arg(8);
BENCHMARK(BM_NtsServerRequest)->Arg(1)->Arg(8)->Iterations(1000);

}  // namespace
}  // namespace ntp::nts
