// AEAD_AES_SIV_CMAC_256 (see aead.h), assembled as RFC 5297 §2.4-§2.7
// describe it on OpenSSL's EVP AES-128 block cipher: S2V over CMAC
// (RFC 4493) under K1, CTR under K2. OpenSSL 3.0's own "AES-128-SIV"
// cipher re-fetches its ciphers and re-creates its CMAC context on every
// key setup and refuses empty plaintexts, and EVP_MAC looks up parameters
// by name on every message; here the cipher is fetched once per object, a
// key change costs two key schedules, and each block is one EVP_Cipher
// call (aead_benchmark compares with EVP's SIV on the same bytes; the
// tests check RFC 5297's vectors and agree with EVP's SIV byte for byte).
#include "ntp/nts/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <vector>
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
  // AES-128 in ECB mode, one context per key half: K1 drives CMAC (CBC-MAC
  // chained here, RFC 4493), K2 the CTR keystream. EVP_Cipher on a keyed
  // ECB context is a direct call into the provider, with none of the
  // parameter lookups EVP_MAC and EVP_EncryptInit make on every message.
  std::unique_ptr<EVP_CIPHER, CipherDeleter> ecb;
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> k1;
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> k2;
  Block sub1, sub2;  // CMAC subkeys (RFC 4493 §2.3)
  Block cmac_zero;   // CMAC(K1, 0^128): S2V's first value, per key
  std::array<uint8_t, kAesSivCmac256KeyOctets> key;
  std::vector<uint8_t> keystream;  // CTR scratch
  ~State() {
    OPENSSL_cleanse(key.data(), key.size());
    OPENSSL_cleanse(sub1.data(), sub1.size());
    OPENSSL_cleanse(sub2.data(), sub2.size());
  }

  bool Encrypt(EVP_CIPHER_CTX* ctx, uint8_t* out, const uint8_t* in,
               size_t n) {
    return EVP_Cipher(ctx, out, in, static_cast<unsigned int>(n)) > 0;
  }

  // CMAC(K1, head ‖ tail) (RFC 4493 §2.4).
  bool Cmac(absl::Span<const uint8_t> head, absl::Span<const uint8_t> tail,
            Block& out) {
    const size_t total = head.size() + tail.size();
    // Blocks before the last one (the last is complete or padded).
    const size_t full = total == 0 ? 0 : (total - 1) / kAesSivTagOctets;
    Block x{};
    auto byte_at = [&](size_t i) {
      return i < head.size() ? head[i] : tail[i - head.size()];
    };
    size_t i = 0;
    for (size_t b = 0; b < full; ++b) {
      if (i + kAesSivTagOctets <= head.size()) {
        Xor(x, head.data() + i);
        i += kAesSivTagOctets;
      } else {
        for (size_t j = 0; j < kAesSivTagOctets; ++j, ++i) x[j] ^= byte_at(i);
      }
      if (!Encrypt(k1.get(), x.data(), x.data(), kAesSivTagOctets)) return false;
    }
    const size_t rest = total - i;  // 0..16
    if (rest == kAesSivTagOctets) {
      for (size_t j = 0; j < kAesSivTagOctets; ++j, ++i) x[j] ^= byte_at(i);
      Xor(x, sub1.data());
    } else {
      for (size_t j = 0; j < rest; ++j, ++i) x[j] ^= byte_at(i);
      x[rest] ^= 0x80;
      Xor(x, sub2.data());
    }
    return Encrypt(k1.get(), out.data(), x.data(), kAesSivTagOctets);
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
  // cleared; the counter is the whole block, big-endian (§2.6). `in` and
  // `out` have the same length.
  bool Ctr(const Block& v, absl::Span<const uint8_t> in, uint8_t* out) {
    if (in.empty()) return true;
    const size_t blocks = (in.size() + kAesSivTagOctets - 1) / kAesSivTagOctets;
    keystream.resize(blocks * kAesSivTagOctets);
    Block q = v;
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    for (size_t b = 0; b < blocks; ++b) {
      std::copy(q.begin(), q.end(), keystream.begin() + b * kAesSivTagOctets);
      for (int j = 15; j >= 0 && ++q[j] == 0; --j) {
      }
    }
    if (!Encrypt(k2.get(), keystream.data(), keystream.data(), keystream.size())) {
      return false;
    }
    for (size_t i = 0; i < in.size(); ++i) out[i] = in[i] ^ keystream[i];
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
  state->ecb.reset(EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr));
  state->k1.reset(EVP_CIPHER_CTX_new());
  state->k2.reset(EVP_CIPHER_CTX_new());
  if (state->ecb == nullptr || state->k1 == nullptr || state->k2 == nullptr) {
    return absl::InternalError("OpenSSL has no AES-128-ECB");
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
  // K1 (the first half) for S2V, K2 for CTR (RFC 5297 §2.6).
  Block l{};
  if (EVP_EncryptInit_ex2(s.k1.get(), s.ecb.get(), s.key.data(), nullptr,
                          nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(s.k1.get(), 0) != 1 ||
      EVP_EncryptInit_ex2(s.k2.get(), s.ecb.get(), s.key.data() + kHalfKey,
                          nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(s.k2.get(), 0) != 1 ||
      !s.Encrypt(s.k1.get(), l.data(), l.data(), l.size())) {
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
