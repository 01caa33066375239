// AEAD_AES_SIV_CMAC_256 (see aead.h), assembled from OpenSSL EVP
// primitives as RFC 5297 §2.4-§2.7 describe it: S2V over EVP_MAC "CMAC"
// (AES-128-CBC) under K1, AES-128-CTR under K2. OpenSSL 3.0's own
// "AES-128-SIV" cipher re-fetches its ciphers and re-creates its CMAC
// context on every key setup and refuses empty plaintexts; here the
// algorithms are fetched once per object and a key change costs two key
// schedules (aead_benchmark compares both on the same bytes).
#include "ntp/nts/aead.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ntp::nts {
namespace {

struct CipherDeleter {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

constexpr size_t kHalfKey = kAesSivCmac256KeyOctets / 2;
using Block = std::array<uint8_t, kAesSivTagOctets>;

// RFC 5297 §2.3: doubling in GF(2^128).
void Dbl(Block& b) {
  const uint8_t carry = b[0] >> 7;
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    b[i] = static_cast<uint8_t>((b[i] << 1) | (b[i + 1] >> 7));
  }
  b[15] = static_cast<uint8_t>((b[15] << 1) ^ (carry ? 0x87 : 0));
}

void Xor(Block& a, const uint8_t* b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] ^= b[i];
}

}  // namespace

struct AesSivCmac256::State {
  std::unique_ptr<EVP_CIPHER, CipherDeleter> ctr;
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctr_ctx;  // keyed with K2
  std::unique_ptr<EVP_MAC, MacDeleter> cmac;
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> cmac_ctx;  // keyed with K1
  Block cmac_zero;  // CMAC(K1, 0^128): S2V's first value, per key
  std::array<uint8_t, kAesSivCmac256KeyOctets> key;
  ~State() { OPENSSL_cleanse(key.data(), key.size()); }

  // CMAC(K1, head ‖ tail).
  bool Cmac(absl::Span<const uint8_t> head, absl::Span<const uint8_t> tail,
            Block& out) {
    size_t len = 0;
    return EVP_MAC_init(cmac_ctx.get(), nullptr, 0, nullptr) == 1 &&
           EVP_MAC_update(cmac_ctx.get(), head.data(), head.size()) == 1 &&
           EVP_MAC_update(cmac_ctx.get(), tail.data(), tail.size()) == 1 &&
           EVP_MAC_final(cmac_ctx.get(), out.data(), &len, out.size()) == 1 &&
           len == out.size();
  }

  // RFC 5297 §2.4: S2V(K1, AD1, ..., ADn, P).
  bool S2v(absl::Span<const absl::Span<const uint8_t>> parts,
           absl::Span<const uint8_t> plaintext, Block& v) {
    Block d = cmac_zero;
    for (absl::Span<const uint8_t> part : parts) {
      Block mac;
      if (!Cmac(part, {}, mac)) return false;
      Dbl(d);
      Xor(d, mac.data());
    }
    if (plaintext.size() >= kAesSivTagOctets) {
      // T = P xorend D: the last 16 octets of P, xored with D.
      const size_t head = plaintext.size() - kAesSivTagOctets;
      Block last;
      std::copy(plaintext.begin() + head, plaintext.end(), last.begin());
      Xor(last, d.data());
      return Cmac(plaintext.first(head), last, v);
    }
    // T = dbl(D) xor pad(P), pad = P ‖ 1 ‖ 0*.
    Dbl(d);
    Block padded{};
    std::copy(plaintext.begin(), plaintext.end(), padded.begin());
    padded[plaintext.size()] = 0x80;
    Xor(d, padded.data());
    return Cmac(d, {}, v);
  }

  // RFC 5297 §2.5, §2.6: AES-CTR under K2 from Q = V with bits 63 and 31
  // cleared. `in` and `out` have the same length.
  bool Ctr(const Block& v, absl::Span<const uint8_t> in, uint8_t* out) {
    if (in.empty()) return true;
    Block q = v;
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    int len = 0;
    return EVP_EncryptInit_ex2(ctr_ctx.get(), nullptr, nullptr, q.data(),
                               nullptr) == 1 &&
           EVP_EncryptUpdate(ctr_ctx.get(), out, &len, in.data(),
                             static_cast<int>(in.size())) == 1 &&
           static_cast<size_t>(len) == in.size();
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
  state->ctr.reset(EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr));
  state->ctr_ctx.reset(EVP_CIPHER_CTX_new());
  state->cmac.reset(EVP_MAC_fetch(nullptr, "CMAC", nullptr));
  if (state->ctr == nullptr || state->ctr_ctx == nullptr ||
      state->cmac == nullptr) {
    return absl::InternalError("OpenSSL has no AES-128-CTR or CMAC");
  }
  state->cmac_ctx.reset(EVP_MAC_CTX_new(state->cmac.get()));
  char cipher_name[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
      OSSL_PARAM_construct_end()};
  if (state->cmac_ctx == nullptr ||
      EVP_MAC_CTX_set_params(state->cmac_ctx.get(), params) != 1) {
    return absl::InternalError("OpenSSL CMAC setup failed");
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
  std::copy(key.begin(), key.end(), s.key.begin());
  const Block zero{};
  // K1 (the first half) for S2V, K2 for CTR (RFC 5297 §2.6).
  if (EVP_MAC_init(s.cmac_ctx.get(), s.key.data(), kHalfKey, nullptr) != 1 ||
      !s.Cmac(zero, {}, s.cmac_zero) ||
      EVP_EncryptInit_ex2(s.ctr_ctx.get(), s.ctr.get(), s.key.data() + kHalfKey,
                          zero.data(), nullptr) != 1) {
    return absl::InternalError("OpenSSL AES key setup failed");
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
