// The cost of one AEAD seal + open as NTS uses it (RFC 8915 §5.6: the
// associated data is the datagram before the authenticator, then the
// nonce), through AesSivCmac256 and through OpenSSL's EVP AES-128-SIV (the
// same algorithm: a 256-bit key, K1 for S2V and K2 for CTR, RFC 5297 §2.6)
// on the same bytes; the two outputs are checked to be identical. Ends
// with the ratio ours / EVP per plaintext size. Plaintexts: one Cookie
// field (104 octets, a reply with one cookie) and eight (832). EVP's SIV
// takes its key on every message (its S2V state lives in the key setup),
// as a server that switches keys per request does anyway. The
// /iterations:10000 runs do a fixed amount of work, for callgrind.
//   bazel run -c opt //ntp/nts:aead_benchmark
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "ntp/nts/aead.h"

namespace ntp::nts {
namespace {

constexpr size_t kAdOctets = 48 + 36;  // header + Unique Identifier field

struct Bytes {
  explicit Bytes(size_t plain_octets) : plain(plain_octets, 0x3e) {}
  std::vector<uint8_t> key = std::vector<uint8_t>(kAesSivCmac256KeyOctets, 0x5c);
  std::vector<uint8_t> ad = std::vector<uint8_t>(kAdOctets, 0xa1);
  std::vector<uint8_t> nonce = std::vector<uint8_t>(16, 0x07);
  std::vector<uint8_t> plain;
};

// OpenSSL's EVP AES-128-SIV, one cipher fetched and one context reused.
class EvpSiv {
 public:
  EvpSiv()
      : cipher_(EVP_CIPHER_fetch(nullptr, "AES-128-SIV", nullptr)),
        ctx_(EVP_CIPHER_CTX_new()) {}
  ~EvpSiv() {
    EVP_CIPHER_CTX_free(ctx_);
    EVP_CIPHER_free(cipher_);
  }
  bool ok() const { return cipher_ != nullptr && ctx_ != nullptr; }

  // IV ‖ ciphertext to `out` (plain.size() + 16 octets).
  bool Seal(const Bytes& b, uint8_t* out) {
    int len = 0, tail = 0;
    return EVP_EncryptInit_ex2(ctx_, cipher_, b.key.data(), nullptr, nullptr) == 1 &&
           EVP_EncryptUpdate(ctx_, nullptr, &len, b.ad.data(), b.ad.size()) == 1 &&
           EVP_EncryptUpdate(ctx_, nullptr, &len, b.nonce.data(), b.nonce.size()) == 1 &&
           EVP_EncryptUpdate(ctx_, out + 16, &len, b.plain.data(), b.plain.size()) == 1 &&
           EVP_EncryptFinal_ex(ctx_, out + 16 + len, &tail) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, 16, out) == 1;
  }
  bool Open(const Bytes& b, const uint8_t* sealed, uint8_t* out) {
    int len = 0, tail = 0;
    return EVP_DecryptInit_ex2(ctx_, cipher_, b.key.data(), nullptr, nullptr) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, 16,
                               const_cast<uint8_t*>(sealed)) == 1 &&
           EVP_DecryptUpdate(ctx_, nullptr, &len, b.ad.data(), b.ad.size()) == 1 &&
           EVP_DecryptUpdate(ctx_, nullptr, &len, b.nonce.data(), b.nonce.size()) == 1 &&
           EVP_DecryptUpdate(ctx_, out, &len, sealed + 16, b.plain.size()) == 1 &&
           EVP_DecryptFinal_ex(ctx_, out + len, &tail) == 1;
  }

 private:
  EVP_CIPHER* cipher_;
  EVP_CIPHER_CTX* ctx_;
};

void BM_OursSealOpen(benchmark::State& state) {
  const Bytes b(static_cast<size_t>(state.range(0)));
  auto aead = AesSivCmac256::Create(b.key);
  EvpSiv evp;
  std::vector<uint8_t> sealed(b.plain.size() + 16), opened(b.plain.size());
  std::vector<uint8_t> reference(sealed.size());
  if (!aead.ok() || !evp.ok() || !evp.Seal(b, reference.data()) ||
      !aead->Seal(b.ad, b.nonce, b.plain, absl::MakeSpan(sealed)).ok() ||
      sealed != reference) {
    state.SkipWithError("AesSivCmac256 does not agree with EVP AES-128-SIV");
    return;
  }
  for (auto _ : state) {
    auto s = aead->Seal(b.ad, b.nonce, b.plain, absl::MakeSpan(sealed));
    auto o = aead->Open(b.ad, b.nonce, sealed, absl::MakeSpan(opened));
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(o);
  }
  if (opened != b.plain) state.SkipWithError("open failed");
}
BENCHMARK(BM_OursSealOpen)->Arg(104)->Arg(832);
BENCHMARK(BM_OursSealOpen)->Arg(104)->Arg(832)->Iterations(10000);

void BM_EvpSivSealOpen(benchmark::State& state) {
  const Bytes b(static_cast<size_t>(state.range(0)));
  EvpSiv evp;
  std::vector<uint8_t> sealed(b.plain.size() + 16), opened(b.plain.size());
  if (!evp.ok()) {
    state.SkipWithError("OpenSSL has no AES-128-SIV");
    return;
  }
  bool ok = true;
  for (auto _ : state) {
    ok &= evp.Seal(b, sealed.data());
    ok &= evp.Open(b, sealed.data(), opened.data());
    benchmark::DoNotOptimize(ok);
  }
  if (!ok || opened != b.plain) state.SkipWithError("EVP AES-128-SIV failed");
}
BENCHMARK(BM_EvpSivSealOpen)->Arg(104)->Arg(832);
BENCHMARK(BM_EvpSivSealOpen)->Arg(104)->Arg(832)->Iterations(10000);

// The console output, then ours / EVP per plaintext size (CPU time).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colors only on a terminal.
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_None) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const std::string name = run.benchmark_name();
      const size_t slash = name.find('/');
      if (slash == std::string::npos) continue;
      cpu_ns_[name.substr(slash)][name.substr(0, slash)] = run.GetAdjustedCPUTime();
    }
  }
  void PrintRatios() const {
    for (const auto& [args, by_name] : cpu_ns_) {
      auto ours = by_name.find("BM_OursSealOpen");
      auto evp = by_name.find("BM_EvpSivSealOpen");
      if (ours == by_name.end() || evp == by_name.end()) continue;
      std::printf("seal+open%s: ours %.0f ns, EVP AES-128-SIV %.0f ns, ours / EVP = %.2f\n",
                  args.c_str(), ours->second, evp->second, ours->second / evp->second);
    }
  }

 private:
  std::map<std::string, std::map<std::string, double>> cpu_ns_;
};

}  // namespace
}  // namespace ntp::nts

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ntp::nts::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
