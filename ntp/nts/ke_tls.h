// TLS 1.3 contexts for NTS-KE (RFC 8915 §3, §4): the server's certificate
// and key, the client's trust anchors; ALPN "ntske/1" on both sides.
// Built from PEM text the executor read; this file opens no files.
//
// Errors are for file:line reporting by the configuration layer: a missing
// or unparseable certificate or key, and a key that does not match its
// certificate, each with a message naming what is wrong.
#ifndef NTP_NTS_KE_TLS_H_
#define NTP_NTS_KE_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;

namespace ntp::nts {

class KeTlsContext {
 public:
  // `certificate_chain_pem`: the server's certificate first, then any
  // intermediates. `private_key_pem`: its key. `libctx`: the OpenSSL
  // library context the handshakes and the key live in (null: the
  // default; the simulator passes one with a seeded generator so runs
  // repeat, sim/sim_tls.h).
  static absl::StatusOr<KeTlsContext> ForServer(
      absl::string_view certificate_chain_pem,
      absl::string_view private_key_pem, OSSL_LIB_CTX* libctx = nullptr);
  // `ca_pem`: the certificates to trust (one or more). With `verify`
  // false (ntpsec's "noval", for tests only) no certificate is checked and
  // `ca_pem` may be empty.
  static absl::StatusOr<KeTlsContext> ForClient(absl::string_view ca_pem,
                                                bool verify = true,
                                                OSSL_LIB_CTX* libctx = nullptr);

  KeTlsContext(KeTlsContext&&) noexcept;
  KeTlsContext& operator=(KeTlsContext&&) noexcept;
  ~KeTlsContext();

  SSL_CTX* get() const { return ctx_.get(); }
  bool verify() const { return verify_; }

 private:
  struct Deleter {
    void operator()(SSL_CTX* ctx) const;
  };
  KeTlsContext(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  std::unique_ptr<SSL_CTX, Deleter> ctx_;
  bool verify_ = true;
};

}  // namespace ntp::nts

#endif  // NTP_NTS_KE_TLS_H_
