#include "ntp/testing/test_keys.h"

#include "ntp/auth/key_store.h"
#include "ntp/auth/mac.h"

namespace ntp::testing {

std::shared_ptr<KeyStore> MakeMd5KeyStore(uint32_t key_id, const std::string& secret) {
  absl::StatusOr<SymmetricKey> key = SymmetricKey::Create(
      key_id, MacAlgorithm::kMd5,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()), secret.size()));
  if (!key.ok()) return nullptr;
  auto store = std::make_shared<KeyStore>();
  if (!store->Insert(*key).ok()) return nullptr;
  return store;
}

}  // namespace ntp::testing
