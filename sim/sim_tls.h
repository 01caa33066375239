// OpenSSL for simulated hosts: a private library context (OSSL_LIB_CTX)
// whose random generator is a deterministic stream drawn from a seed, so
// that TLS handshakes (NTS-KE, RFC 8915 section 4), the keys they export
// and the certificates the simulator makes are the same bytes on every run
// with the same seed. Everything the context does (key generation,
// signatures, TLS randoms, ECDHE shares) draws from that stream; the
// process's default context and the OS entropy are never touched.
//
// Not for anything outside the simulated world: the stream is SplitMix64,
// predictable by design.
#ifndef SIM_SIM_TLS_H_
#define SIM_SIM_TLS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;

namespace sim {

class SimTlsLibrary {
 public:
  // A context with OpenSSL's default provider (ciphers, groups, key
  // types) and the deterministic generator seeded by `seed`. Internal if
  // OpenSSL refuses (the message names the step).
  static absl::StatusOr<std::unique_ptr<SimTlsLibrary>> Create(uint64_t seed);
  ~SimTlsLibrary();
  SimTlsLibrary(const SimTlsLibrary&) = delete;
  SimTlsLibrary& operator=(const SimTlsLibrary&) = delete;

  // For SSL_CTX_new_ex, EVP_PKEY_Q_keygen and the like. Valid as long as
  // this object lives.
  OSSL_LIB_CTX* get() const { return libctx_; }

 private:
  explicit SimTlsLibrary(OSSL_LIB_CTX* libctx) : libctx_(libctx) {}
  OSSL_LIB_CTX* libctx_;
};

// A certificate and its private key, PEM text.
struct SimCredentials {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA named `common_name` (P-256, SHA-256), valid over
// [not_before, not_after]; keys and signatures from `library`.
absl::StatusOr<SimCredentials> MakeSimCa(const SimTlsLibrary& library,
                                         const std::string& common_name,
                                         absl::Time not_before, absl::Time not_after);

// A TLS server certificate signed by `ca`, with subjectAltName `san`
// (OpenSSL syntax: "DNS:name,IP:10.0.0.1"), valid over the same kind of
// window.
absl::StatusOr<SimCredentials> MakeSimServerCert(const SimTlsLibrary& library,
                                                 const SimCredentials& ca,
                                                 const std::string& common_name,
                                                 const std::string& san, absl::Time not_before,
                                                 absl::Time not_after);

}  // namespace sim

#endif  // SIM_SIM_TLS_H_
