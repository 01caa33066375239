// The cost of one AEAD seal + open as NTS uses it (RFC 8915 §5.6: the
// associated data is the datagram before the authenticator, then the
// nonce), through AesSivCmac256 and through OpenSSL's raw EVP calls on the
// same bytes. Also the server's whole per-request cost (NtsServer).
//   bazel run -c opt //ntp/nts:aead_benchmark
#include <openssl/evp.h>

#include <cstdint>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "ntp/nts/aead.h"
#include "ntp/nts/client.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/fields.h"
#include "ntp/nts/server.h"

namespace ntp::nts {
namespace {

// A reply with one cookie: header + Unique Identifier before the
// authenticator, one Cookie field (104 octets) sealed inside it.
constexpr size_t kAdOctets = 48 + 36;
constexpr size_t kPlainOctets = 104;

struct Bytes {
  std::vector<uint8_t> key = std::vector<uint8_t>(32, 0x5c);
  std::vector<uint8_t> ad = std::vector<uint8_t>(kAdOctets, 0xa1);
  std::vector<uint8_t> nonce = std::vector<uint8_t>(16, 0x07);
  std::vector<uint8_t> plain = std::vector<uint8_t>(kPlainOctets, 0x3e);
};

void BM_AesSivCmac256SealOpen(benchmark::State& state) {
  Bytes b;
  auto aead = AesSivCmac256::Create(b.key);
  if (!aead.ok()) {
    state.SkipWithError("no AES-SIV");
    return;
  }
  std::vector<uint8_t> sealed(kPlainOctets + 16), opened(kPlainOctets);
  for (auto _ : state) {
    auto s = aead->Seal(b.ad, b.nonce, b.plain, absl::MakeSpan(sealed));
    auto o = aead->Open(b.ad, b.nonce, sealed, absl::MakeSpan(opened));
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(BM_AesSivCmac256SealOpen);

// The same work written directly against EVP: the floor for our wrapper.
void BM_RawEvpSealOpen(benchmark::State& state) {
  Bytes b;
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-SIV", nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::vector<uint8_t> sealed(kPlainOctets + 16), opened(kPlainOctets);
  for (auto _ : state) {
    int len = 0;
    EVP_EncryptInit_ex2(ctx, cipher, b.key.data(), nullptr, nullptr);
    EVP_EncryptUpdate(ctx, nullptr, &len, b.ad.data(), b.ad.size());
    EVP_EncryptUpdate(ctx, nullptr, &len, b.nonce.data(), b.nonce.size());
    EVP_EncryptUpdate(ctx, sealed.data() + 16, &len, b.plain.data(),
                      b.plain.size());
    EVP_EncryptFinal_ex(ctx, sealed.data() + 16 + len, &len);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, sealed.data());
    EVP_DecryptInit_ex2(ctx, cipher, b.key.data(), nullptr, nullptr);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, sealed.data());
    EVP_DecryptUpdate(ctx, nullptr, &len, b.ad.data(), b.ad.size());
    EVP_DecryptUpdate(ctx, nullptr, &len, b.nonce.data(), b.nonce.size());
    int ok = EVP_DecryptUpdate(ctx, opened.data(), &len, sealed.data() + 16,
                               kPlainOctets);
    ok &= EVP_DecryptFinal_ex(ctx, opened.data() + len, &len);
    benchmark::DoNotOptimize(ok);
  }
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
}
BENCHMARK(BM_RawEvpSealOpen);

// One NTS request through the server: cookie opened, authenticator
// checked, `range(0)` fresh cookies sealed into the reply.
void BM_NtsServerRequest(benchmark::State& state) {
  const size_t cookies = static_cast<size_t>(state.range(0));
  absl::BitGen gen;
  CookieKeyring ring;
  (void)ring.Rotate(gen);
  SessionKeys keys;
  keys.c2s.fill(1);
  keys.s2c.fill(2);
  std::vector<std::vector<uint8_t>> jar;
  // A client holding 9 - cookies cookies asks for `cookies` back.
  for (size_t i = 0; i < kMaxCookies + 1 - cookies; ++i) {
    std::vector<uint8_t> c(kCookieOctets);
    (void)ring.Seal(keys, gen, absl::MakeSpan(c));
    jar.push_back(c);
  }
  auto client = NtsClient::Create(keys, jar);
  auto server = NtsServer::Create(&ring);
  std::vector<uint8_t> header(48, 0);
  header[0] = (4 << 3) | 3;
  std::vector<uint8_t> request(2048);
  auto n = client->BuildRequest(header, gen, absl::MakeSpan(request));
  if (!client.ok() || !server.ok() || !n.ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  request.resize(*n);
  header[0] = (4 << 3) | 4;
  std::vector<uint8_t> reply(2048);
  for (auto _ : state) {
    NtsCheck check = server->CheckRequest(request);
    auto r = server->SealReply(check.request, header, gen, absl::MakeSpan(reply));
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(absl::StrCat(request.size(), " octets"));
}
BENCHMARK(BM_NtsServerRequest)->Arg(1)->Arg(8);

}  // namespace
}  // namespace ntp::nts
