// Includes ntp/auth only (not ntp/wire), see packet_auth.h.
#include "ntp/client/packet_auth.h"

#include <optional>

#include "ntp/auth/key_store.h"
#include "ntp/auth/mac.h"

namespace ntp {

struct ClientAuthenticator::State {
  KeyStore keys;
  std::optional<MacContext> mac;
};

ClientAuthenticator::ClientAuthenticator(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
ClientAuthenticator::~ClientAuthenticator() = default;

absl::StatusOr<std::unique_ptr<ClientAuthenticator>> ClientAuthenticator::Create(
    const KeyStore* keys) {
  auto state = std::make_unique<State>();
  if (keys != nullptr) state->keys = *keys;
  if (!state->keys.empty()) {
    absl::StatusOr<MacContext> mac = MacContext::Create();
    if (!mac.ok()) return mac.status();
    state->mac.emplace(std::move(*mac));
  }
  return std::unique_ptr<ClientAuthenticator>(new ClientAuthenticator(std::move(state)));
}

bool ClientAuthenticator::HasKey(uint32_t key_id) const {
  return state_->keys.Find(key_id) != nullptr;
}

absl::Status ClientAuthenticator::Sign(uint32_t key_id, std::vector<uint8_t>* packet) {
  const SymmetricKey* key = state_->keys.Find(key_id);
  if (key == nullptr || !state_->mac.has_value()) {
    return absl::NotFoundError("key not in the keys file");
  }
  return AppendMacTrailer(*state_->mac, *key, packet);
}

ReplyAuthResult ClientAuthenticator::Check(uint32_t expected_key_id, bool has_mac,
                                           uint32_t key_id,
                                           absl::Span<const uint8_t> digest,
                                           absl::Span<const uint8_t> authenticated) {
  if (!has_mac) return ReplyAuthResult::kMissing;
  if (key_id == 0 && digest.empty()) return ReplyAuthResult::kCryptoNak;
  if (key_id != expected_key_id) return ReplyAuthResult::kWrongKey;
  const SymmetricKey* key = state_->keys.Find(key_id);
  if (key == nullptr || !state_->mac.has_value()) return ReplyAuthResult::kWrongKey;
  return state_->mac->CheckDigest(*key, authenticated, digest) == MacVerdict::kOk
             ? ReplyAuthResult::kOk
             : ReplyAuthResult::kBadMac;
}

}  // namespace ntp
