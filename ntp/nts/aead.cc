// AEAD_AES_SIV_CMAC_256 over OpenSSL 3's EVP "AES-128-SIV" (see aead.h).
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

// OpenSSL's SIV treats every EVP_*Update with a null output as one S2V
// associated-data component (RFC 5297 §2.4), in call order.
bool AddComponents(EVP_CIPHER_CTX* ctx, bool encrypt,
                   absl::Span<const absl::Span<const uint8_t>> parts) {
  for (absl::Span<const uint8_t> part : parts) {
    int unused = 0;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, nullptr, &unused, part.data(),
                                         static_cast<int>(part.size()))
                     : EVP_DecryptUpdate(ctx, nullptr, &unused, part.data(),
                                         static_cast<int>(part.size()));
    if (ok != 1) return false;
  }
  return true;
}

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

using Block = std::array<uint8_t, kAesSivTagOctets>;

// RFC 5297 §2.3: doubling in GF(2^128).
void Dbl(Block& b) {
  const uint8_t carry = b[0] >> 7;
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    b[i] = static_cast<uint8_t>((b[i] << 1) | (b[i + 1] >> 7));
  }
  b[15] = static_cast<uint8_t>((b[15] << 1) ^ (carry ? 0x87 : 0));
}

bool Cmac(EVP_MAC_CTX* ctx, absl::Span<const uint8_t> data, Block& out) {
  size_t len = 0;
  return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 &&
         EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
         EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 &&
         len == out.size();
}

// RFC 5297 §2.4 S2V for the case OpenSSL 3.0's SIV cipher refuses: an empty
// plaintext as the last component (Sn = "", so T = dbl(D) xor pad("")).
// With an empty ciphertext the synthetic IV is the whole output (§2.6).
bool S2vEmptyPlaintext(EVP_MAC_CTX* ctx,
                       absl::Span<const absl::Span<const uint8_t>> parts,
                       Block& v) {
  Block d;
  const Block zero{};
  if (!Cmac(ctx, zero, d)) return false;
  for (absl::Span<const uint8_t> part : parts) {
    Block mac;
    if (!Cmac(ctx, part, mac)) return false;
    Dbl(d);
    for (size_t i = 0; i < d.size(); ++i) d[i] ^= mac[i];
  }
  Dbl(d);
  d[0] ^= 0x80;  // pad("") = 10*
  return Cmac(ctx, d, v);
}

}  // namespace

struct AesSivCmac256::State {
  std::unique_ptr<EVP_CIPHER, CipherDeleter> cipher;
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx;
  std::array<uint8_t, kAesSivCmac256KeyOctets> key;
  // CMAC under the first key half (K1, RFC 5297 §2.6), for the empty
  // plaintext path only.
  std::unique_ptr<EVP_MAC, MacDeleter> cmac;
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> cmac_ctx;
  ~State() { OPENSSL_cleanse(key.data(), key.size()); }
};

AesSivCmac256::AesSivCmac256(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
AesSivCmac256::AesSivCmac256(AesSivCmac256&&) noexcept = default;
AesSivCmac256& AesSivCmac256::operator=(AesSivCmac256&&) noexcept = default;
AesSivCmac256::~AesSivCmac256() = default;

absl::StatusOr<AesSivCmac256> AesSivCmac256::Create(
    absl::Span<const uint8_t> key) {
  auto state = std::make_unique<State>();
  state->cipher.reset(EVP_CIPHER_fetch(nullptr, "AES-128-SIV", nullptr));
  state->ctx.reset(EVP_CIPHER_CTX_new());
  if (state->cipher == nullptr || state->ctx == nullptr) {
    return absl::InternalError("OpenSSL has no AES-128-SIV cipher");
  }
  state->cmac.reset(EVP_MAC_fetch(nullptr, "CMAC", nullptr));
  if (state->cmac == nullptr) return absl::InternalError("OpenSSL has no CMAC");
  state->cmac_ctx.reset(EVP_MAC_CTX_new(state->cmac.get()));
  if (state->cmac_ctx == nullptr) {
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
  std::copy(key.begin(), key.end(), state_->key.begin());
  char cipher_name[] = "AES-128-CBC";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, state_->key.data(),
                                        kAesSivCmac256KeyOctets / 2),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(state_->cmac_ctx.get(), params) != 1) {
    return absl::InternalError("OpenSSL CMAC key setup failed");
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
  if (plaintext.empty()) {
    Block v;
    if (!S2vEmptyPlaintext(state_->cmac_ctx.get(), associated_data, v)) {
      return absl::InternalError("AES-SIV S2V failed in OpenSSL");
    }
    std::copy(v.begin(), v.end(), out.begin());
    return total;
  }
  EVP_CIPHER_CTX* ctx = state_->ctx.get();
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx, state_->cipher.get(), state_->key.data(),
                          nullptr, nullptr) != 1 ||
      !AddComponents(ctx, true, associated_data) ||
      EVP_EncryptUpdate(ctx, out.data() + kAesSivTagOctets, &len,
                        plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, out.data() + kAesSivTagOctets + len, &len) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAesSivTagOctets,
                          out.data()) != 1) {
    return absl::InternalError("AES-SIV seal failed in OpenSSL");
  }
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
  if (plain == 0) {
    Block v;
    if (!S2vEmptyPlaintext(state_->cmac_ctx.get(), associated_data, v)) {
      return absl::InternalError("AES-SIV S2V failed in OpenSSL");
    }
    if (CRYPTO_memcmp(v.data(), ciphertext.data(), v.size()) != 0) {
      return absl::PermissionDeniedError("AES-SIV tag does not authenticate");
    }
    return 0;
  }
  EVP_CIPHER_CTX* ctx = state_->ctx.get();
  Block tag;
  std::copy(ciphertext.begin(), ciphertext.begin() + kAesSivTagOctets,
            tag.begin());
  int len = 0;
  if (EVP_DecryptInit_ex2(ctx, state_->cipher.get(), state_->key.data(),
                          nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAesSivTagOctets,
                          tag.data()) != 1 ||
      !AddComponents(ctx, false, associated_data)) {
    return absl::InternalError("AES-SIV open failed in OpenSSL");
  }
  // OpenSSL checks the synthetic IV in the update that carries the
  // ciphertext (and in the final call).
  if (EVP_DecryptUpdate(ctx, out.data(), &len,
                        ciphertext.data() + kAesSivTagOctets,
                        static_cast<int>(plain)) != 1 ||
      EVP_DecryptFinal_ex(ctx, out.data() + len, &len) != 1) {
    OPENSSL_cleanse(out.data(), plain);
    return absl::PermissionDeniedError("AES-SIV tag does not authenticate");
  }
  return plain;
}

}  // namespace ntp::nts
