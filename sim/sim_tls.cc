// Deterministic OpenSSL for simulated hosts (see sim_tls.h).
//
// The generator is a provider ("ntpsim-rand") offering one RAND algorithm,
// SIM-RAND, that the context's primary, public and private generators are
// set to (RAND_set_DRBG_type), so every RAND_bytes_ex / RAND_priv_bytes_ex
// of the context reads it. Each generator instance gets its own SplitMix64
// stream: the context's seed mixed with the instance's creation number.
#include "sim/sim_tls.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "ntp/nts/openssl_util.h"

namespace sim {
namespace {

constexpr char kProviderName[] = "ntpsim-rand";
constexpr char kRandName[] = "SIM-RAND";
constexpr char kRandProperties[] = "provider=ntpsim-rand";

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The provider's context: the seed, and how many generators it has made.
struct ProviderState {
  uint64_t seed = 0;
  uint64_t generators = 0;
};

struct Generator {
  uint64_t state = 0;
  int ready = EVP_RAND_STATE_UNINITIALISED;
};

void* NewGenerator(void* provctx, void* /*parent*/, const OSSL_DISPATCH* /*parent_calls*/) {
  auto* provider = static_cast<ProviderState*>(provctx);
  auto* g = new Generator;
  uint64_t mix = provider->seed ^ (0x5851f42d4c957f2dULL * ++provider->generators);
  g->state = SplitMix64(mix);
  return g;
}

void FreeGenerator(void* ctx) { delete static_cast<Generator*>(ctx); }

int Instantiate(void* ctx, unsigned int, int, const unsigned char*, size_t, const OSSL_PARAM[]) {
  static_cast<Generator*>(ctx)->ready = EVP_RAND_STATE_READY;
  return 1;
}

int Uninstantiate(void* ctx) {
  static_cast<Generator*>(ctx)->ready = EVP_RAND_STATE_UNINITIALISED;
  return 1;
}

int Generate(void* ctx, unsigned char* out, size_t outlen, unsigned int, int,
             const unsigned char*, size_t) {
  auto* g = static_cast<Generator*>(ctx);
  while (outlen > 0) {
    uint64_t word = SplitMix64(g->state);
    for (int i = 0; i < 8 && outlen > 0; ++i, --outlen) {
      *out++ = static_cast<unsigned char>(word);
      word >>= 8;
    }
  }
  return 1;
}

int Reseed(void*, int, const unsigned char*, size_t, const unsigned char*, size_t) { return 1; }
int EnableLocking(void*) { return 1; }  // one thread: nothing to lock
int Lock(void*) { return 1; }
void Unlock(void*) {}

const OSSL_PARAM* GettableCtxParams(void*, void*) {
  static const OSSL_PARAM kParams[] = {
      OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, nullptr),
      OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, nullptr),
      OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, nullptr),
      OSSL_PARAM_END,
  };
  return kParams;
}

int GetCtxParams(void* ctx, OSSL_PARAM params[]) {
  auto* g = static_cast<Generator*>(ctx);
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
  if (p != nullptr && !OSSL_PARAM_set_int(p, g->ready)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
  if (p != nullptr && !OSSL_PARAM_set_uint(p, 256)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, size_t{1} << 16)) return 0;
  return 1;
}

// Seeding material for child generators (none of ours has one, but
// OpenSSL asks a parent for it when a DRBG of another kind sits below).
size_t GetSeed(void* ctx, unsigned char** pout, int, size_t min_len, size_t, int,
               const unsigned char*, size_t) {
  auto* buffer = static_cast<unsigned char*>(OPENSSL_secure_malloc(min_len));
  if (buffer == nullptr) return 0;
  Generate(ctx, buffer, min_len, 0, 0, nullptr, 0);
  *pout = buffer;
  return min_len;
}

void ClearSeed(void*, unsigned char* out, size_t outlen) { OPENSSL_secure_clear_free(out, outlen); }

template <typename F>
OSSL_DISPATCH Entry(int id, F* f) {
  return OSSL_DISPATCH{id, reinterpret_cast<void (*)(void)>(f)};
}

const OSSL_DISPATCH* RandDispatch() {
  static const OSSL_DISPATCH kTable[] = {
      Entry(OSSL_FUNC_RAND_NEWCTX, NewGenerator),
      Entry(OSSL_FUNC_RAND_FREECTX, FreeGenerator),
      Entry(OSSL_FUNC_RAND_INSTANTIATE, Instantiate),
      Entry(OSSL_FUNC_RAND_UNINSTANTIATE, Uninstantiate),
      Entry(OSSL_FUNC_RAND_GENERATE, Generate),
      Entry(OSSL_FUNC_RAND_RESEED, Reseed),
      Entry(OSSL_FUNC_RAND_ENABLE_LOCKING, EnableLocking),
      Entry(OSSL_FUNC_RAND_LOCK, Lock),
      Entry(OSSL_FUNC_RAND_UNLOCK, Unlock),
      Entry(OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, GettableCtxParams),
      Entry(OSSL_FUNC_RAND_GET_CTX_PARAMS, GetCtxParams),
      Entry(OSSL_FUNC_RAND_GET_SEED, GetSeed),
      Entry(OSSL_FUNC_RAND_CLEAR_SEED, ClearSeed),
      {0, nullptr},
  };
  return kTable;
}

const OSSL_ALGORITHM* QueryOperation(void*, int operation_id, int* no_cache) {
  static const OSSL_ALGORITHM kRands[] = {
      {kRandName, kRandProperties, RandDispatch(), "deterministic simulator generator"},
      {nullptr, nullptr, nullptr, nullptr},
  };
  *no_cache = 0;
  return operation_id == OSSL_OP_RAND ? kRands : nullptr;
}

void Teardown(void* provctx) { delete static_cast<ProviderState*>(provctx); }

int ProviderInit(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out,
                 void** provctx) {
  static const OSSL_DISPATCH kProvider[] = {
      Entry(OSSL_FUNC_PROVIDER_QUERY_OPERATION, QueryOperation),
      Entry(OSSL_FUNC_PROVIDER_TEARDOWN, Teardown),
      {0, nullptr},
  };
  *out = kProvider;
  *provctx = new ProviderState;
  return 1;
}

using ntp::nts::MemBio;
using ntp::nts::OpenSslError;

absl::Status Failed(const char* what) {
  return absl::InternalError(absl::StrCat("simulated TLS: ", what, ": ", OpenSslError()));
}

using Pkey = ntp::nts::PkeyPtr;
using Cert = ntp::nts::X509Ptr;
using Bio = ntp::nts::BioPtr;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Failed("writing a key");
  }
  return BioText(bio.get());
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return Failed("writing a certificate");
  return BioText(bio.get());
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  const bool ok = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok ? absl::OkStatus() : Failed("a certificate extension");
}

// A certificate for `key` named `common_name`, not yet issued or signed.
absl::StatusOr<Cert> NewCert(const SimTlsLibrary& library, EVP_PKEY* key,
                             const std::string& common_name, long serial,
                             absl::Time not_before, absl::Time not_after) {
  Cert cert(X509_new_ex(library.get(), nullptr));
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1 ||
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(not_after)) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1 ||
      X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                 -1, -1, 0) != 1) {
    return Failed("a new certificate");
  }
  return cert;
}

// Signs `cert` with `signer` and returns it with `key`, its private key, as
// PEM.
absl::StatusOr<SimCredentials> SignAndExport(X509* cert, EVP_PKEY* signer, EVP_PKEY* key) {
  if (X509_sign(cert, signer, EVP_sha256()) <= 0) return Failed("signing a certificate");
  absl::StatusOr<std::string> cert_pem = CertPem(cert);
  absl::StatusOr<std::string> key_pem = KeyPem(key);
  if (!cert_pem.ok()) return cert_pem.status();
  if (!key_pem.ok()) return key_pem.status();
  return SimCredentials{*cert_pem, *key_pem};
}

absl::StatusOr<Pkey> NewKey(const SimTlsLibrary& library) {
  Pkey key(EVP_PKEY_Q_keygen(library.get(), nullptr, "EC", "P-256"));
  if (key == nullptr) return Failed("a P-256 key");
  return key;
}

struct KeyAndCert {
  Pkey key;
  Cert cert;
};

// A new P-256 key and a certificate for it, neither issued nor signed.
absl::StatusOr<KeyAndCert> NewKeyAndCert(const SimTlsLibrary& library,
                                         const std::string& common_name, long serial,
                                         absl::Time not_before, absl::Time not_after) {
  absl::StatusOr<Pkey> key = NewKey(library);
  if (!key.ok()) return key.status();
  absl::StatusOr<Cert> cert =
      NewCert(library, key->get(), common_name, serial, not_before, not_after);
  if (!cert.ok()) return cert.status();
  return KeyAndCert{*std::move(key), *std::move(cert)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<SimTlsLibrary>> SimTlsLibrary::Create(uint64_t seed) {
  ERR_clear_error();
  OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  if (libctx == nullptr) return Failed("a library context");
  auto library = std::unique_ptr<SimTlsLibrary>(new SimTlsLibrary(libctx));
  if (OSSL_PROVIDER_add_builtin(libctx, kProviderName, ProviderInit) != 1) {
    return Failed("adding the generator provider");
  }
  OSSL_PROVIDER* rand = OSSL_PROVIDER_load(libctx, kProviderName);
  if (rand == nullptr || OSSL_PROVIDER_load(libctx, "default") == nullptr) {
    return Failed("loading the providers");
  }
  static_cast<ProviderState*>(OSSL_PROVIDER_get0_provider_ctx(rand))->seed = seed;
  // Before anything draws: the context's generators are made on first use.
  if (RAND_set_DRBG_type(libctx, kRandName, kRandProperties, nullptr, nullptr) != 1) {
    return Failed("selecting the generator");
  }
  return library;
}

SimTlsLibrary::~SimTlsLibrary() { OSSL_LIB_CTX_free(libctx_); }

absl::StatusOr<SimCredentials> MakeSimCa(const SimTlsLibrary& library,
                                         const std::string& common_name,
                                         absl::Time not_before, absl::Time not_after) {
  absl::StatusOr<KeyAndCert> made = NewKeyAndCert(library, common_name, 1, not_before, not_after);
  if (!made.ok()) return made.status();
  X509* c = made->cert.get();
  EVP_PKEY* key = made->key.get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1) return Failed("CA issuer");
  if (absl::Status s = AddExtension(c, c, NID_basic_constraints, "critical,CA:TRUE"); !s.ok()) {
    return s;
  }
  if (absl::Status s = AddExtension(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
      !s.ok()) {
    return s;
  }
  return SignAndExport(c, key, key);
}

absl::StatusOr<SimCredentials> MakeSimServerCert(const SimTlsLibrary& library,
                                                 const SimCredentials& ca,
                                                 const std::string& common_name,
                                                 const std::string& san, absl::Time not_before,
                                                 absl::Time not_after) {
  Bio key_bio = MemBio(ca.key_pem);
  Pkey ca_key(
      PEM_read_bio_PrivateKey_ex(key_bio.get(), nullptr, nullptr, nullptr, library.get(), nullptr));
  Bio cert_bio = MemBio(ca.cert_pem);
  Cert ca_cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (ca_key == nullptr || ca_cert == nullptr) return Failed("reading the CA");
  absl::StatusOr<KeyAndCert> made = NewKeyAndCert(library, common_name, 2, not_before, not_after);
  if (!made.ok()) return made.status();
  X509* c = made->cert.get();
  if (X509_set_issuer_name(c, X509_get_subject_name(ca_cert.get())) != 1) {
    return Failed("certificate issuer");
  }
  for (const auto& [nid, value] :
       {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:FALSE"},
        {NID_ext_key_usage, "serverAuth"},
        {NID_subject_alt_name, san}}) {
    if (absl::Status s = AddExtension(c, ca_cert.get(), nid, value); !s.ok()) return s;
  }
  return SignAndExport(c, ca_key.get(), made->key.get());
}

}  // namespace sim
