// Small pieces every user of OpenSSL's libcrypto here needs: owning
// pointers for the objects it allocates, a memory BIO over PEM text, and
// the first queued error as text.
#ifndef NTP_NTS_OPENSSL_UTIL_H_
#define NTP_NTS_OPENSSL_UTIL_H_

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace ntp::nts {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A read-only BIO over `pem` (which must outlive it).
inline BioPtr MemBio(absl::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first queued OpenSSL error as text (never key material), or `none`
// when nothing is queued; clears the queue.
inline std::string OpenSslError(absl::string_view none = "no detail") {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(none);
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

}  // namespace ntp::nts

#endif  // NTP_NTS_OPENSSL_UTIL_H_
