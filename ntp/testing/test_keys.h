// KeyStores with fixed test keys, for tests that must not include ntp/auth
// next to ntp/wire (both declare a MacTrailer). Test-only.
#ifndef NTP_TESTING_TEST_KEYS_H_
#define NTP_TESTING_TEST_KEYS_H_

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

#endif  // NTP_TESTING_TEST_KEYS_H_
