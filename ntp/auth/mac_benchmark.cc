// MAC verification of a 48-octet NTP packet (MD5, SHA-1, AES-128-CMAC) next
// to OpenSSL's raw primitives on the same bytes, in the same binary:
//   BM_MacVerify_*         CheckMacTrailer: key-ID check, digest, CRYPTO_memcmp
//   BM_OpenSslEvp_*        the EVP primitive alone on a reused context
//                          (digest of key ‖ packet, one update; CMAC with the
//                          key set on every call, as a fresh key would need)
//   BM_OpenSslEvpOneShot_* EVP_Digest(): new context per call
//   BM_OpenSslLowLevel_*   the deprecated MD5()/SHA1()/CMAC_* functions,
//                          for reference only (in OpenSSL 3.0 some of them
//                          look the algorithm up on every call)
// Goal: BM_MacVerify_* within 1.5x of BM_OpenSslEvp_*.
// Run: bazel run -c opt //ntp/auth:mac_benchmark
#define OPENSSL_SUPPRESS_DEPRECATED  // for the low-level reference only

#include <openssl/cmac.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "benchmark/benchmark.h"
#include "ntp/auth/mac.h"

namespace ntp {
namespace {

constexpr size_t kPacketLength = 48;

std::vector<uint8_t> Packet() {
  // A client request: LI 0, VN 4, mode 3, then a transmit timestamp.
  std::vector<uint8_t> packet(kPacketLength, 0);
  packet[0] = 0x23;
  for (size_t i = 40; i < kPacketLength; ++i) {
    packet[i] = static_cast<uint8_t>(0x5a + i);
  }
  return packet;
}

std::vector<uint8_t> Secret(MacAlgorithm algorithm) {
  switch (algorithm) {
    case MacAlgorithm::kMd5:
      return {'b', 'e', 'n', 'c', 'h', '-', 'm', 'd',
              '5', '-', 'k', 'e', 'y', '-', '1', '6'};
    case MacAlgorithm::kSha1: {
      std::vector<uint8_t> secret(20);
      for (size_t i = 0; i < secret.size(); ++i) secret[i] = uint8_t(i + 1);
      return secret;
    }
    case MacAlgorithm::kAesCmac128:
      return {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
              0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
  }
  return {};
}

MacContext NewContext(benchmark::State& state) {
  absl::StatusOr<MacContext> context = MacContext::Create();
  if (!context.ok()) {
    state.SkipWithError("MacContext::Create failed");
    std::abort();
  }
  return std::move(*context);
}

void VerifyBenchmark(benchmark::State& state, MacAlgorithm algorithm) {
  MacContext context = NewContext(state);
  absl::StatusOr<SymmetricKey> key =
      SymmetricKey::Create(7, algorithm, Secret(algorithm));
  if (!key.ok()) {
    state.SkipWithError("bad key");
    return;
  }
  std::vector<uint8_t> packet = Packet();
  if (!AppendMacTrailer(context, *key, &packet).ok()) {
    state.SkipWithError("AppendMacTrailer failed");
    return;
  }
  const absl::Span<const uint8_t> all(packet);
  const absl::Span<const uint8_t> authenticated = all.first(kPacketLength);
  const absl::Span<const uint8_t> trailer = all.subspan(kPacketLength);
  for (auto _ : state) {
    MacVerdict verdict = CheckMacTrailer(context, *key, authenticated, trailer);
    benchmark::DoNotOptimize(verdict);
    if (verdict != MacVerdict::kOk) {
      state.SkipWithError("verification failed");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * kPacketLength);
}

void BM_MacVerify_Md5(benchmark::State& state) {
  VerifyBenchmark(state, MacAlgorithm::kMd5);
}
void BM_MacVerify_Sha1(benchmark::State& state) {
  VerifyBenchmark(state, MacAlgorithm::kSha1);
}
void BM_MacVerify_AesCmac(benchmark::State& state) {
  VerifyBenchmark(state, MacAlgorithm::kAesCmac128);
}
BENCHMARK(BM_MacVerify_Md5);
BENCHMARK(BM_MacVerify_Sha1);
BENCHMARK(BM_MacVerify_AesCmac);

// Key followed by packet in one buffer: what the digest primitive hashes.
std::vector<uint8_t> KeyAndPacket(MacAlgorithm algorithm) {
  std::vector<uint8_t> bytes = Secret(algorithm);
  const std::vector<uint8_t> packet = Packet();
  bytes.insert(bytes.end(), packet.begin(), packet.end());
  return bytes;
}

void EvpDigestBenchmark(benchmark::State& state, const char* name,
                        MacAlgorithm algorithm) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const std::vector<uint8_t> input = KeyAndPacket(algorithm);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest;
  for (auto _ : state) {
    unsigned int length = 0;
    if (EVP_DigestInit_ex(ctx, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx, input.data(), input.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, digest.data(), &length) != 1) {
      state.SkipWithError("EVP digest failed");
      break;
    }
    benchmark::DoNotOptimize(digest);
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  state.SetBytesProcessed(state.iterations() * kPacketLength);
}

void EvpOneShotBenchmark(benchmark::State& state, const char* name,
                         MacAlgorithm algorithm) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  const std::vector<uint8_t> input = KeyAndPacket(algorithm);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest;
  for (auto _ : state) {
    unsigned int length = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &length, md,
                   nullptr) != 1) {
      state.SkipWithError("EVP_Digest failed");
      break;
    }
    benchmark::DoNotOptimize(digest);
  }
  EVP_MD_free(md);
  state.SetBytesProcessed(state.iterations() * kPacketLength);
}

void BM_OpenSslEvp_Md5(benchmark::State& state) {
  EvpDigestBenchmark(state, "MD5", MacAlgorithm::kMd5);
}
void BM_OpenSslEvp_Sha1(benchmark::State& state) {
  EvpDigestBenchmark(state, "SHA1", MacAlgorithm::kSha1);
}
void BM_OpenSslEvpOneShot_Md5(benchmark::State& state) {
  EvpOneShotBenchmark(state, "MD5", MacAlgorithm::kMd5);
}
void BM_OpenSslEvpOneShot_Sha1(benchmark::State& state) {
  EvpOneShotBenchmark(state, "SHA1", MacAlgorithm::kSha1);
}

// EVP_MAC CMAC with the cipher preset once; `rekey` sets the key on every
// call (the primitive for a key seen for the first time), otherwise the
// context restarts with the key it has (the floor).
void EvpCmacBenchmark(benchmark::State& state, bool rekey) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char cipher[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
      OSSL_PARAM_construct_end()};
  const std::vector<uint8_t> key = Secret(MacAlgorithm::kAesCmac128);
  const std::vector<uint8_t> packet = Packet();
  std::array<uint8_t, 16> tag;
  if (EVP_MAC_CTX_set_params(ctx, params) != 1 ||
      EVP_MAC_init(ctx, key.data(), key.size(), nullptr) != 1) {
    state.SkipWithError("CMAC setup failed");
  }
  for (auto _ : state) {
    size_t length = 0;
    const int init_ok = rekey
                            ? EVP_MAC_init(ctx, key.data(), key.size(), nullptr)
                            : EVP_MAC_init(ctx, nullptr, 0, nullptr);
    if (init_ok != 1 ||
        EVP_MAC_update(ctx, packet.data(), packet.size()) != 1 ||
        EVP_MAC_final(ctx, tag.data(), &length, tag.size()) != 1) {
      state.SkipWithError("CMAC failed");
      break;
    }
    benchmark::DoNotOptimize(tag);
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  state.SetBytesProcessed(state.iterations() * kPacketLength);
}

void BM_OpenSslEvp_AesCmac(benchmark::State& state) {
  EvpCmacBenchmark(state, /*rekey=*/true);
}
void BM_OpenSslEvpSameKey_AesCmac(benchmark::State& state) {
  EvpCmacBenchmark(state, /*rekey=*/false);
}

BENCHMARK(BM_OpenSslEvp_Md5);
BENCHMARK(BM_OpenSslEvp_Sha1);
BENCHMARK(BM_OpenSslEvp_AesCmac);
BENCHMARK(BM_OpenSslEvpSameKey_AesCmac);
BENCHMARK(BM_OpenSslEvpOneShot_Md5);
BENCHMARK(BM_OpenSslEvpOneShot_Sha1);

void BM_OpenSslLowLevel_Md5(benchmark::State& state) {
  const std::vector<uint8_t> input = KeyAndPacket(MacAlgorithm::kMd5);
  std::array<uint8_t, MD5_DIGEST_LENGTH> digest;
  for (auto _ : state) {
    MD5(input.data(), input.size(), digest.data());
    benchmark::DoNotOptimize(digest);
  }
}
void BM_OpenSslLowLevel_Sha1(benchmark::State& state) {
  const std::vector<uint8_t> input = KeyAndPacket(MacAlgorithm::kSha1);
  std::array<uint8_t, SHA_DIGEST_LENGTH> digest;
  for (auto _ : state) {
    SHA1(input.data(), input.size(), digest.data());
    benchmark::DoNotOptimize(digest);
  }
}
void BM_OpenSslLowLevel_AesCmac(benchmark::State& state) {
  CMAC_CTX* ctx = CMAC_CTX_new();
  const std::vector<uint8_t> key = Secret(MacAlgorithm::kAesCmac128);
  const std::vector<uint8_t> packet = Packet();
  std::array<uint8_t, 16> tag;
  for (auto _ : state) {
    size_t length = 0;
    if (CMAC_Init(ctx, key.data(), key.size(), EVP_aes_128_cbc(), nullptr) !=
            1 ||
        CMAC_Update(ctx, packet.data(), packet.size()) != 1 ||
        CMAC_Final(ctx, tag.data(), &length) != 1) {
      state.SkipWithError("CMAC_* failed");
      break;
    }
    benchmark::DoNotOptimize(tag);
  }
  CMAC_CTX_free(ctx);
}
BENCHMARK(BM_OpenSslLowLevel_Md5);
BENCHMARK(BM_OpenSslLowLevel_Sha1);
BENCHMARK(BM_OpenSslLowLevel_AesCmac);

}  // namespace
}  // namespace ntp
