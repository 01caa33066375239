#include "ntp/auth/mac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

static_assert(SymmetricKey::kMaxSecretLength <= 255,
              "secret length is stored in a uint8_t");
static_assert(kMaxDigestLength <= EVP_MAX_MD_SIZE);

struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// Appends OpenSSL's queued error reasons (never key material: OpenSSL does
// not put secrets into its error queue) and clears the queue.
std::string DrainOpenSslErrors() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    absl::StrAppend(&text, text.empty() ? "" : "; ", buffer);
  }
  return text;
}

}  // namespace

absl::string_view MacAlgorithmName(MacAlgorithm algorithm) {
  switch (algorithm) {
    case MacAlgorithm::kMd5:
      return "MD5";
    case MacAlgorithm::kSha1:
      return "SHA1";
    case MacAlgorithm::kAesCmac128:
      return "AES128CMAC";
    case MacAlgorithm::kSha224:
      return "SHA224";
    case MacAlgorithm::kSha256:
      return "SHA256";
    case MacAlgorithm::kSha384:
      return "SHA384";
    case MacAlgorithm::kSha512:
      return "SHA512";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// SymmetricKey

absl::StatusOr<SymmetricKey> SymmetricKey::Create(
    uint32_t key_id, MacAlgorithm algorithm, absl::Span<const uint8_t> secret) {
  if (key_id < kMinSymmetricKeyId || key_id > kMaxSymmetricKeyId) {
    return absl::InvalidArgumentError(
        absl::StrCat("symmetric key id ", key_id, " is outside 1..65535"));
  }
  switch (algorithm) {
    case MacAlgorithm::kMd5:
    case MacAlgorithm::kSha1:
    case MacAlgorithm::kSha224:
    case MacAlgorithm::kSha256:
    case MacAlgorithm::kSha384:
    case MacAlgorithm::kSha512:
      if (secret.empty() || secret.size() > kMaxSecretLength) {
        return absl::InvalidArgumentError(
            absl::StrCat("key ", key_id, " (", MacAlgorithmName(algorithm),
                         "): secret must be 1 to ", kMaxSecretLength,
                         " octets, got ", secret.size()));
      }
      break;
    case MacAlgorithm::kAesCmac128:
      if (secret.size() != kCmacSecretLength) {
        return absl::InvalidArgumentError(absl::StrCat(
            "key ", key_id,
            " (AES128CMAC): secret must be exactly 16 octets, got ",
            secret.size()));
      }
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("key ", key_id, ": unknown MAC algorithm"));
  }
  SymmetricKey key;
  key.key_id_ = key_id;
  key.algorithm_ = algorithm;
  key.secret_length_ = static_cast<uint8_t>(secret.size());
  std::copy(secret.begin(), secret.end(), key.secret_.begin());
  return key;
}

SymmetricKey::~SymmetricKey() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
}

std::string SymmetricKey::DebugString() const {
  return absl::StrCat("key ", key_id_, " (", MacAlgorithmName(algorithm_), ", ",
                      static_cast<int>(secret_length_),
                      "-octet secret redacted)");
}

bool operator==(const SymmetricKey& a, const SymmetricKey& b) {
  // Both arrays are always fully initialized (zero beyond the length), so
  // comparing all of them avoids a length-dependent early exit.
  const bool secrets_equal =
      CRYPTO_memcmp(a.secret_.data(), b.secret_.data(), a.secret_.size()) == 0;
  return secrets_equal && a.key_id_ == b.key_id_ &&
         a.algorithm_ == b.algorithm_ && a.secret_length_ == b.secret_length_;
}

// ---------------------------------------------------------------------------
// MacVerdict

absl::Status MacVerdictToStatus(MacVerdict verdict, const SymmetricKey& key) {
  const absl::string_view algorithm = MacAlgorithmName(key.algorithm());
  switch (verdict) {
    case MacVerdict::kOk:
      return absl::OkStatus();
    case MacVerdict::kBadLength:
      return absl::InvalidArgumentError(
          absl::StrCat("MAC length error: key ", key.key_id(), " (", algorithm,
                       ") needs a ", key.digest_length(), "-octet digest"));
    case MacVerdict::kKeyIdMismatch:
      return absl::UnauthenticatedError(
          absl::StrCat("MAC names a different key id than key ", key.key_id()));
    case MacVerdict::kCryptoNak:
      return absl::UnauthenticatedError(
          absl::StrCat("crypto-NAK received where a MAC with key ",
                       key.key_id(), " was expected"));
    case MacVerdict::kDigestMismatch:
      return absl::UnauthenticatedError(absl::StrCat(
          "MAC digest mismatch for key ", key.key_id(), " (", algorithm, ")"));
    case MacVerdict::kInternalError:
      break;
  }
  return absl::InternalError(absl::StrCat(
      "OpenSSL failed computing a ", algorithm, " MAC for key ", key.key_id()));
}

// ---------------------------------------------------------------------------
// MacContext

namespace {

// The key-prefix digests, in the order of kDigestNames.
constexpr const char* kDigestNames[] = {"MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
constexpr size_t kDigestCount = sizeof(kDigestNames) / sizeof(kDigestNames[0]);

// Index into kDigestNames, or -1 for AES-CMAC.
int DigestIndex(MacAlgorithm algorithm) {
  switch (algorithm) {
    case MacAlgorithm::kMd5: return 0;
    case MacAlgorithm::kSha1: return 1;
    case MacAlgorithm::kSha224: return 2;
    case MacAlgorithm::kSha256: return 3;
    case MacAlgorithm::kSha384: return 4;
    case MacAlgorithm::kSha512: return 5;
    case MacAlgorithm::kAesCmac128: return -1;
  }
  return -1;
}

}  // namespace

struct MacContext::State {
  std::array<std::unique_ptr<EVP_MD, MdDeleter>, kDigestCount> md;
  std::unique_ptr<EVP_MAC, MacDeleter> cmac;
  // One digest context per algorithm: OpenSSL releases a context's provider
  // state when it is re-initialized with a different digest.
  std::array<std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>, kDigestCount> md_ctx;
  // Cipher fixed to AES-128-CBC at creation (RFC 8573 uses AES-128), so
  // EVP_MAC_init does not fetch the cipher per packet.
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> cmac_ctx;
  // The key currently scheduled in cmac_ctx, if cmac_key_loaded.
  bool cmac_key_loaded = false;
  std::array<uint8_t, SymmetricKey::kCmacSecretLength> cmac_key{};

  ~State() { OPENSSL_cleanse(cmac_key.data(), cmac_key.size()); }
};

absl::StatusOr<MacContext> MacContext::Create() {
  auto state = std::make_unique<State>();
  for (size_t i = 0; i < kDigestCount; ++i) {
    state->md[i].reset(EVP_MD_fetch(nullptr, kDigestNames[i], nullptr));
    if (state->md[i] == nullptr) {
      return absl::InternalError(absl::StrCat("OpenSSL lacks ", kDigestNames[i], ": ",
                                              DrainOpenSslErrors()));
    }
    state->md_ctx[i].reset(EVP_MD_CTX_new());
    if (state->md_ctx[i] == nullptr) {
      return absl::InternalError(absl::StrCat(
          "OpenSSL could not allocate MAC contexts: ", DrainOpenSslErrors()));
    }
  }
  state->cmac.reset(EVP_MAC_fetch(nullptr, "CMAC", nullptr));
  if (state->cmac == nullptr) {
    return absl::InternalError(absl::StrCat("OpenSSL lacks CMAC: ", DrainOpenSslErrors()));
  }
  state->cmac_ctx.reset(EVP_MAC_CTX_new(state->cmac.get()));
  if (state->cmac_ctx == nullptr) {
    return absl::InternalError(absl::StrCat(
        "OpenSSL could not allocate MAC contexts: ", DrainOpenSslErrors()));
  }
  char cipher_name[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(state->cmac_ctx.get(), params) != 1) {
    return absl::InternalError(absl::StrCat(
        "OpenSSL lacks AES-128-CBC for CMAC: ", DrainOpenSslErrors()));
  }
  return MacContext(std::move(state));
}

MacContext::MacContext(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
MacContext::MacContext(MacContext&&) noexcept = default;
MacContext& MacContext::operator=(MacContext&&) noexcept = default;
MacContext::~MacContext() = default;

bool MacContext::ComputeInto(const SymmetricKey& key,
                             absl::Span<const uint8_t> message,
                             uint8_t* digest_out) {
  State& s = *state_;
  const absl::Span<const uint8_t> secret = key.secret();
  switch (key.algorithm()) {
    case MacAlgorithm::kMd5:
    case MacAlgorithm::kSha1:
    case MacAlgorithm::kSha224:
    case MacAlgorithm::kSha256:
    case MacAlgorithm::kSha384:
    case MacAlgorithm::kSha512: {
      // RFC 5905 §7.3: the digest covers the key followed by the header and
      // extension fields. Longer digests keep their first digest_length()
      // octets (ntpsec's truncation to 20).
      const int index = DigestIndex(key.algorithm());
      EVP_MD_CTX* ctx = s.md_ctx[index].get();
      std::array<uint8_t, EVP_MAX_MD_SIZE> full;
      unsigned int length = 0;
      if (EVP_DigestInit_ex(ctx, s.md[index].get(), nullptr) != 1 ||
          EVP_DigestUpdate(ctx, secret.data(), secret.size()) != 1 ||
          EVP_DigestUpdate(ctx, message.data(), message.size()) != 1 ||
          EVP_DigestFinal_ex(ctx, full.data(), &length) != 1 ||
          length < key.digest_length()) {
        ERR_clear_error();
        return false;
      }
      std::memcpy(digest_out, full.data(), key.digest_length());
      return true;
    }
    case MacAlgorithm::kAesCmac128: {
      // RFC 8573 (AES-CMAC per RFC 4493): CMAC over the same octets, keyed with
      // the 16-octet key (no key prefix).
      EVP_MAC_CTX* ctx = s.cmac_ctx.get();
      int init_ok;
      if (s.cmac_key_loaded && CRYPTO_memcmp(s.cmac_key.data(), secret.data(),
                                             s.cmac_key.size()) == 0) {
        // Same key as last time: restart without a new key schedule.
        init_ok = EVP_MAC_init(ctx, nullptr, 0, nullptr);
      } else {
        s.cmac_key_loaded = false;
        init_ok = EVP_MAC_init(ctx, secret.data(), secret.size(), nullptr);
        if (init_ok == 1) {
          std::copy(secret.begin(), secret.end(), s.cmac_key.begin());
          s.cmac_key_loaded = true;
        }
      }
      size_t length = 0;
      if (init_ok != 1 ||
          EVP_MAC_update(ctx, message.data(), message.size()) != 1 ||
          EVP_MAC_final(ctx, digest_out, &length, key.digest_length()) != 1 ||
          length != key.digest_length()) {
        s.cmac_key_loaded = false;
        ERR_clear_error();
        return false;
      }
      return true;
    }
  }
  return false;
}

absl::Status MacContext::ComputeDigest(const SymmetricKey& key,
                                       absl::Span<const uint8_t> message,
                                       absl::Span<uint8_t> digest_out) {
  if (digest_out.size() < key.digest_length()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "digest buffer of ", digest_out.size(), " octets is too small for key ",
        key.key_id(), " (", MacAlgorithmName(key.algorithm()), ", ",
        key.digest_length(), " octets)"));
  }
  if (!ComputeInto(key, message, digest_out.data())) {
    return MacVerdictToStatus(MacVerdict::kInternalError, key);
  }
  return absl::OkStatus();
}

MacVerdict MacContext::CheckDigest(const SymmetricKey& key,
                                   absl::Span<const uint8_t> message,
                                   absl::Span<const uint8_t> digest) {
  if (digest.size() != key.digest_length()) return MacVerdict::kBadLength;
  std::array<uint8_t, kMaxDigestLength> expected;
  if (!ComputeInto(key, message, expected.data())) {
    return MacVerdict::kInternalError;
  }
  return CRYPTO_memcmp(expected.data(), digest.data(), digest.size()) == 0
             ? MacVerdict::kOk
             : MacVerdict::kDigestMismatch;
}

absl::Status MacContext::VerifyDigest(const SymmetricKey& key,
                                      absl::Span<const uint8_t> message,
                                      absl::Span<const uint8_t> digest) {
  return MacVerdictToStatus(CheckDigest(key, message, digest), key);
}

// ---------------------------------------------------------------------------
// Trailer

absl::StatusOr<MacTrailerView> ParseMacTrailer(absl::Span<const uint8_t> trailer) {
  const size_t size = trailer.size();
  if (size != kKeyIdLength && size != MacTrailerLength(MacAlgorithm::kMd5) &&
      size != MacTrailerLength(MacAlgorithm::kSha1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MAC length error: ", size,
        " octets (expected 4 for a crypto-NAK, 20 for MD5 or AES-CMAC, 24 for "
        "SHA1 or SHA-2)"));
  }
  MacTrailerView result;
  result.key_id = LoadBe32(trailer.data());
  result.digest = trailer.subspan(kKeyIdLength);
  if (size == kKeyIdLength && result.key_id != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("4-octet MAC with key id ", result.key_id,
                     " (a crypto-NAK must have key id 0)"));
  }
  return result;
}

absl::StatusOr<size_t> WriteMacTrailer(MacContext& context,
                                       const SymmetricKey& key,
                                       absl::Span<const uint8_t> authenticated,
                                       absl::Span<uint8_t> out) {
  const size_t length = MacTrailerLength(key.algorithm());
  if (out.size() < length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MAC trailer buffer of ", out.size(), " octets is too small for key ",
        key.key_id(), " (", length, " octets)"));
  }
  absl::Status status =
      context.ComputeDigest(key, authenticated, out.subspan(kKeyIdLength));
  if (!status.ok()) return status;
  StoreBe32(out.data(), key.key_id());
  return length;
}

absl::Status AppendMacTrailer(MacContext& context, const SymmetricKey& key,
                              std::vector<uint8_t>* packet) {
  const size_t authenticated_length = packet->size();
  std::array<uint8_t, kKeyIdLength + kMaxDigestLength> trailer;
  absl::StatusOr<size_t> written = WriteMacTrailer(
      context, key, absl::MakeConstSpan(packet->data(), authenticated_length),
      absl::MakeSpan(trailer));
  if (!written.ok()) return written.status();
  packet->insert(packet->end(), trailer.begin(), trailer.begin() + *written);
  return absl::OkStatus();
}

void AppendCryptoNak(std::vector<uint8_t>* packet) {
  packet->insert(packet->end(), kKeyIdLength, uint8_t{0});
}

MacVerdict CheckMacTrailer(MacContext& context, const SymmetricKey& key,
                           absl::Span<const uint8_t> authenticated,
                           absl::Span<const uint8_t> trailer) {
  if (trailer.size() == kKeyIdLength && LoadBe32(trailer.data()) == 0) {
    return MacVerdict::kCryptoNak;
  }
  if (trailer.size() != MacTrailerLength(key.algorithm())) {
    return MacVerdict::kBadLength;
  }
  if (LoadBe32(trailer.data()) != key.key_id()) {
    return MacVerdict::kKeyIdMismatch;
  }
  return context.CheckDigest(key, authenticated, trailer.subspan(kKeyIdLength));
}

absl::Status VerifyMacTrailer(MacContext& context, const SymmetricKey& key,
                              absl::Span<const uint8_t> authenticated,
                              absl::Span<const uint8_t> trailer) {
  return MacVerdictToStatus(
      CheckMacTrailer(context, key, authenticated, trailer), key);
}

}  // namespace ntp
