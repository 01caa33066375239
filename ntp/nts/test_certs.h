// A throw-away CA and server certificates, made with OpenSSL's API, for
// NTS-KE tests (testonly). P-256 keys, SHA-256 signatures.
#ifndef NTP_NTS_TEST_CERTS_H_
#define NTP_NTS_TEST_CERTS_H_

#include <string>

namespace ntp::nts::testing {

struct TestCa {
  std::string cert_pem;
  std::string key_pem;
};

struct TestLeaf {
  std::string cert_pem;  // chain: leaf only
  std::string key_pem;
};

// A self-signed CA named `common_name`, valid from an hour ago for a day.
TestCa MakeTestCa(const std::string& common_name);

// A server certificate signed by `ca` with subjectAltName `san`
// (OpenSSL syntax, e.g. "DNS:ntp.test,IP:127.0.0.1").
TestLeaf MakeTestLeaf(const TestCa& ca, const std::string& common_name,
                      const std::string& san);

}  // namespace ntp::nts::testing

#endif  // NTP_NTS_TEST_CERTS_H_
