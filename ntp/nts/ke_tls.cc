// TLS 1.3 contexts for NTS-KE (see ke_tls.h).
#include "ntp/nts/ke_tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "ntp/nts/ke_records.h"
#include "ntp/nts/openssl_util.h"

namespace ntp::nts {
namespace {

// RFC 8915 §4: the server accepts only "ntske/1".
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len,
               const unsigned char* in, unsigned int in_len, void*) {
  const size_t want = std::strlen(kNtsKeAlpn);
  for (unsigned int i = 0; i < in_len;) {
    const unsigned int len = in[i];
    if (i + 1 + len > in_len) break;
    if (len == want && std::memcmp(in + i + 1, kNtsKeAlpn, want) == 0) {
      *out = in + i + 1;
      *out_len = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace

void KeTlsContext::Deleter::operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }

KeTlsContext::KeTlsContext(KeTlsContext&&) noexcept = default;
KeTlsContext& KeTlsContext::operator=(KeTlsContext&&) noexcept = default;
KeTlsContext::~KeTlsContext() = default;

absl::StatusOr<KeTlsContext> KeTlsContext::ForServer(
    absl::string_view certificate_chain_pem, absl::string_view private_key_pem,
    OSSL_LIB_CTX* libctx) {
  ERR_clear_error();
  KeTlsContext context(SSL_CTX_new_ex(libctx, nullptr, TLS_server_method()), true);
  SSL_CTX* ctx = context.get();
  if (ctx == nullptr ||
      SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return absl::InternalError("cannot set up a TLS 1.3 server context");
  }
  auto bio = MemBio(certificate_chain_pem);
  std::unique_ptr<X509, X509Deleter> leaf(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (leaf == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no PEM certificate: ", OpenSslError()));
  }
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("unusable certificate: ", OpenSslError()));
  }
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return absl::InvalidArgumentError(
          absl::StrCat("unusable chain certificate: ", OpenSslError()));
    }
  }
  ERR_clear_error();  // the loop ends on a "no start line" error
  auto key_bio = MemBio(private_key_pem);
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PrivateKey_ex(key_bio.get(), nullptr, nullptr, nullptr, libctx, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("no PEM private key");
  }
  EVP_PKEY* public_key = X509_get0_pubkey(leaf.get());
  if (public_key == nullptr ||
      EVP_PKEY_get_base_id(public_key) != EVP_PKEY_get_base_id(key.get())) {
    return absl::InvalidArgumentError(
        "private key type does not suit the certificate");
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "private key does not match the certificate");
  }
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  // No resumption: every NTS-KE exchange is a full handshake, and no
  // tickets follow the handshake on the wire.
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return context;
}

absl::StatusOr<KeTlsContext> KeTlsContext::ForClient(absl::string_view ca_pem,
                                                     bool verify, OSSL_LIB_CTX* libctx) {
  ERR_clear_error();
  KeTlsContext context(SSL_CTX_new_ex(libctx, nullptr, TLS_client_method()), verify);
  SSL_CTX* ctx = context.get();
  if (ctx == nullptr ||
      SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return absl::InternalError("cannot set up a TLS 1.3 client context");
  }
  if (verify) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    auto bio = MemBio(ca_pem);
    int added = 0;
    while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      const int ok = X509_STORE_add_cert(store, ca);
      X509_free(ca);
      if (ok != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("unusable CA certificate: ", OpenSslError()));
      }
      ++added;
    }
    ERR_clear_error();
    if (added == 0) {
      return absl::InvalidArgumentError("no PEM CA certificate");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return context;
}

}  // namespace ntp::nts
