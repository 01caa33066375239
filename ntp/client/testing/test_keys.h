// KeyStores for the client's tests (fixed test keys). Test-only.
#ifndef NTP_CLIENT_TESTING_TEST_KEYS_H_
#define NTP_CLIENT_TESTING_TEST_KEYS_H_

#include <cstdint>
#include <memory>
#include <string>

namespace ntp {
class KeyStore;
namespace testing {

// A store with one MD5 key `key_id` whose secret is `secret`; null if the
// key cannot be made. shared_ptr so that callers need not see KeyStore.
std::shared_ptr<KeyStore> MakeMd5KeyStore(uint32_t key_id, const std::string& secret);

}  // namespace testing
}  // namespace ntp

#endif  // NTP_CLIENT_TESTING_TEST_KEYS_H_
