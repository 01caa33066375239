// AEAD_AES_SIV_CMAC_256 (see aead.h), assembled as RFC 5297 §2.4-§2.7
// describe it on OpenSSL's EVP AES-128 block cipher: S2V over CMAC
// (RFC 4493) under K1, CTR under K2. OpenSSL 3.0's own "AES-128-SIV"
// cipher re-fetches its ciphers and re-creates its CMAC context on every
// key setup and refuses empty plaintexts, and EVP_MAC looks up parameters
// by name on every message. Here each key half has one EVP context, bound
// to its cipher once and re-keyed in place (a key change is two key
// schedules); a whole CMAC is one EVP_Cipher call on an AES-128-CBC context
// and a whole CTR keystream one call on an AES-128-ECB context
// (aead_benchmark compares with EVP's SIV on the same bytes; the tests
// check RFC 5297's vectors and agree with EVP's SIV byte for byte).
#include "ntp/nts/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ntp/wire/big_endian.h"

namespace ntp::nts {
namespace {

struct CipherDeleter {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

constexpr size_t kHalfKey = kAesSivCmac256KeyOctets / 2;
constexpr size_t kBlock = kAesSivTagOctets;
using Block = std::array<uint8_t, kBlock>;

// RFC 5297 §2.3: doubling in GF(2^128), on two big-endian 64-bit words,
// without a branch on the carry.
void Dbl(Block& b) {
  uint64_t hi = LoadBe64(b.data());
  uint64_t lo = LoadBe64(b.data() + 8);
  const uint64_t carry = hi >> 63;
  hi = (hi << 1) | (lo >> 63);
  lo = (lo << 1) ^ (uint64_t{0x87} & (0 - carry));
  StoreBe64(b.data(), hi);
  StoreBe64(b.data() + 8, lo);
}

// out[i] = a[i] ^ b[i] for n octets, 8 at a time; out may be a or b.
void XorInto(uint8_t* out, const uint8_t* a, const uint8_t* b, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    x ^= y;
    std::memcpy(out + i, &x, 8);
  }
  for (; i < n; ++i) out[i] = a[i] ^ b[i];
}

// a ^= b for one block, as two 64-bit words.
inline void XorBlock(uint8_t* a, const uint8_t* b) {
  uint64_t x[2], y[2];
  std::memcpy(x, a, kBlock);
  std::memcpy(y, b, kBlock);
  x[0] ^= y[0];
  x[1] ^= y[1];
  std::memcpy(a, x, kBlock);
}

}  // namespace

struct AesSivCmac256::State {
  // K1 drives CMAC through AES-128-CBC: CMAC is CBC-MAC with the last block
  // masked by a subkey (RFC 4493 §2.4), so one EVP_Cipher call over all the
  // blocks leaves the MAC in the last one. K2 drives the CTR keystream
  // through AES-128-ECB. EVP_Cipher on a keyed context is a direct call
  // into the provider, with none of the parameter lookups EVP_MAC and
  // EVP_EncryptInit make on every message.
  std::unique_ptr<EVP_CIPHER, CipherDeleter> cbc;
  std::unique_ptr<EVP_CIPHER, CipherDeleter> ecb;
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> k1;  // AES-128-CBC
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> k2;  // AES-128-ECB
  // k1's chaining value: the last block it wrote. Each CMAC xors it into
  // its first block, which restarts the chain from a zero IV without an
  // EVP_EncryptInit per message.
  Block chain{};
  Block sub1, sub2;  // CMAC subkeys (RFC 4493 §2.3)
  Block cmac_zero;   // CMAC(K1, 0^128): S2V's first value, per key
  std::vector<uint8_t> scratch;  // CMAC blocks, CTR keystream
  ~State() {
    OPENSSL_cleanse(sub1.data(), sub1.size());
    OPENSSL_cleanse(sub2.data(), sub2.size());
    OPENSSL_cleanse(cmac_zero.data(), cmac_zero.size());
    OPENSSL_cleanse(chain.data(), chain.size());
    if (!scratch.empty()) OPENSSL_cleanse(scratch.data(), scratch.size());
  }

  static bool Encrypt(EVP_CIPHER_CTX* ctx, uint8_t* out, const uint8_t* in,
                      size_t n) {
    return EVP_Cipher(ctx, out, in, static_cast<unsigned int>(n)) > 0;
  }

  uint8_t* Scratch(size_t octets) {
    if (scratch.size() < octets) scratch.resize(octets);
    return scratch.data();
  }

  // Sets k1 back to a zero IV (after a key change, or if a call failed
  // and the chaining value is unknown).
  bool ResetChain(const uint8_t* key) {
    static constexpr uint8_t kZeroIv[kBlock] = {};
    chain.fill(0);
    return EVP_EncryptInit_ex2(k1.get(), nullptr, key, kZeroIv, nullptr) == 1;
  }

  // The CBC encryption of `octets` (a multiple of 16) in place at `m`
  // under K1 from a zero IV; `out` = the last block.
  bool CbcMac(uint8_t* m, size_t octets, Block& out) {
    XorBlock(m, chain.data());
    if (!Encrypt(k1.get(), m, m, octets)) {
      ResetChain(nullptr);
      return false;
    }
    std::memcpy(chain.data(), m + octets - kBlock, kBlock);
    out = chain;
    return true;
  }

  // CMAC(K1, head ‖ tail) (RFC 4493 §2.4).
  bool Cmac(absl::Span<const uint8_t> head, absl::Span<const uint8_t> tail,
            Block& out) {
    const size_t total = head.size() + tail.size();
    const size_t octets =
        total == 0 ? kBlock : (total + kBlock - 1) / kBlock * kBlock;
    uint8_t* m = Scratch(octets);
    if (!head.empty()) std::memcpy(m, head.data(), head.size());
    if (!tail.empty()) std::memcpy(m + head.size(), tail.data(), tail.size());
    uint8_t* last = m + octets - kBlock;
    const size_t rest = total - (octets - kBlock);  // 0..16 in the last block
    if (rest == kBlock) {
      XorBlock(last, sub1.data());
    } else {
      std::memset(last + rest, 0, kBlock - rest);
      last[rest] = 0x80;
      XorBlock(last, sub2.data());
    }
    return CbcMac(m, octets, out);
  }

  // RFC 5297 §2.4: S2V(K1, AD1, ..., ADn, P).
  bool S2v(absl::Span<const absl::Span<const uint8_t>> parts,
           absl::Span<const uint8_t> plaintext, Block& v) {
    Block d = cmac_zero;
    for (absl::Span<const uint8_t> part : parts) {
      Block mac;
      if (!Cmac(part, {}, mac)) return false;
      Dbl(d);
      XorBlock(d.data(), mac.data());
    }
    if (plaintext.size() >= kBlock) {
      // T = P xorend D: the last 16 octets of P, xored with D.
      const size_t head = plaintext.size() - kBlock;
      Block last;
      std::memcpy(last.data(), plaintext.data() + head, kBlock);
      XorBlock(last.data(), d.data());
      return Cmac(plaintext.first(head), last, v);
    }
    // T = dbl(D) xor pad(P), pad = P ‖ 1 ‖ 0*.
    Dbl(d);
    Block padded{};
    std::copy(plaintext.begin(), plaintext.end(), padded.begin());
    padded[plaintext.size()] = 0x80;
    XorBlock(d.data(), padded.data());
    return Cmac(d, {}, v);
  }

  // RFC 5297 §2.5, §2.6: AES-CTR under K2 from Q = V with bits 63 and 31
  // cleared; the counter is the whole block, big-endian (§2.6). `in` and
  // `out` have the same length.
  bool Ctr(const Block& v, absl::Span<const uint8_t> in, uint8_t* out) {
    if (in.empty()) return true;
    const size_t blocks = (in.size() + kBlock - 1) / kBlock;
    uint8_t* keystream = Scratch(blocks * kBlock);
    uint64_t hi = LoadBe64(v.data());
    uint64_t lo = LoadBe64(v.data() + 8) & ~((uint64_t{1} << 63) | (uint64_t{1} << 31));
    for (size_t b = 0; b < blocks; ++b) {
      StoreBe64(keystream + b * kBlock, hi);
      StoreBe64(keystream + b * kBlock + 8, lo);
      hi += (++lo == 0);
    }
    if (!Encrypt(k2.get(), keystream, keystream, blocks * kBlock)) return false;
    XorInto(out, in.data(), keystream, in.size());
    return true;
  }
};

AesSivCmac256::AesSivCmac256(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
AesSivCmac256::AesSivCmac256(AesSivCmac256&&) noexcept = default;
AesSivCmac256& AesSivCmac256::operator=(AesSivCmac256&&) noexcept = default;
AesSivCmac256::~AesSivCmac256() = default;

absl::StatusOr<AesSivCmac256> AesSivCmac256::Create(
    absl::Span<const uint8_t> key) {
  auto state = std::make_unique<State>();
  state->cbc.reset(EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr));
  state->ecb.reset(EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr));
  state->k1.reset(EVP_CIPHER_CTX_new());
  state->k2.reset(EVP_CIPHER_CTX_new());
  // Bound to their ciphers once; Rekey only sets keys. (No
  // EVP_CIPHER_CTX_set_padding: EVP_Cipher never pads, and a context marked
  // unpadded repeats that setting, a parameter lookup, on every re-key.)
  if (state->cbc == nullptr || state->ecb == nullptr || state->k1 == nullptr ||
      state->k2 == nullptr ||
      EVP_EncryptInit_ex2(state->k1.get(), state->cbc.get(), nullptr, nullptr,
                          nullptr) != 1 ||
      EVP_EncryptInit_ex2(state->k2.get(), state->ecb.get(), nullptr, nullptr,
                          nullptr) != 1) {
    return absl::InternalError("OpenSSL has no AES-128-CBC or AES-128-ECB");
  }
  AesSivCmac256 aead(std::move(state));
  absl::Status status = aead.Rekey(key);
  if (!status.ok()) return status;
  return aead;
}

absl::Status AesSivCmac256::Rekey(absl::Span<const uint8_t> key) {
  if (key.size() != kAesSivCmac256KeyOctets) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-SIV-CMAC-256 key must have 32 octets, not ",
                     key.size()));
  }
  State& s = *state_;
  // K1 (the first half) for S2V, K2 for CTR (RFC 5297 §2.6).
  Block l{};
  if (!s.ResetChain(key.data()) ||
      EVP_EncryptInit_ex2(s.k2.get(), nullptr, key.data() + kHalfKey, nullptr,
                          nullptr) != 1 ||
      !s.CbcMac(l.data(), l.size(), l)) {
    return absl::InternalError("OpenSSL AES key setup failed");
  }
  // RFC 4493 §2.3: K1 = dbl(L), K2 = dbl(K1), L = AES(K, 0^128).
  s.sub1 = l;
  Dbl(s.sub1);
  s.sub2 = s.sub1;
  Dbl(s.sub2);
  OPENSSL_cleanse(l.data(), l.size());
  const Block zero{};
  if (!s.Cmac(zero, {}, s.cmac_zero)) {
    return absl::InternalError("OpenSSL AES failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> AesSivCmac256::Seal(
    absl::Span<const absl::Span<const uint8_t>> associated_data,
    absl::Span<const uint8_t> plaintext, absl::Span<uint8_t> out) {
  if (associated_data.size() > kMaxAssociatedDataComponents) {
    return absl::InvalidArgumentError("too many associated-data components");
  }
  const size_t total = plaintext.size() + kAesSivTagOctets;
  if (out.size() < total) {
    return absl::ResourceExhaustedError(
        absl::StrCat("AEAD output needs ", total, " octets, have ", out.size()));
  }
  Block v;
  if (!state_->S2v(associated_data, plaintext, v) ||
      !state_->Ctr(v, plaintext, out.data() + kAesSivTagOctets)) {
    return absl::InternalError("AES-SIV seal failed in OpenSSL");
  }
  std::copy(v.begin(), v.end(), out.begin());
  return total;
}

absl::StatusOr<size_t> AesSivCmac256::Open(
    absl::Span<const absl::Span<const uint8_t>> associated_data,
    absl::Span<const uint8_t> ciphertext, absl::Span<uint8_t> out) {
  if (associated_data.size() > kMaxAssociatedDataComponents) {
    return absl::InvalidArgumentError("too many associated-data components");
  }
  if (ciphertext.size() < kAesSivTagOctets) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AES-SIV ciphertext has ", ciphertext.size(), " octets, under 16"));
  }
  const size_t plain = ciphertext.size() - kAesSivTagOctets;
  if (out.size() < plain) {
    return absl::ResourceExhaustedError(
        absl::StrCat("AEAD output needs ", plain, " octets, have ", out.size()));
  }
  Block v;
  std::copy(ciphertext.begin(), ciphertext.begin() + kAesSivTagOctets,
            v.begin());
  Block check;
  if (!state_->Ctr(v, ciphertext.subspan(kAesSivTagOctets), out.data()) ||
      !state_->S2v(associated_data, out.first(plain), check)) {
    OPENSSL_cleanse(out.data(), plain);
    return absl::InternalError("AES-SIV open failed in OpenSSL");
  }
  if (CRYPTO_memcmp(v.data(), check.data(), v.size()) != 0) {
    OPENSSL_cleanse(out.data(), plain);
    return absl::PermissionDeniedError("AES-SIV tag does not authenticate");
  }
  return plain;
}

}  // namespace ntp::nts
