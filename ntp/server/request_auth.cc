// Includes ntp/auth only (not ntp/wire), see request_auth.h.
#include "ntp/server/request_auth.h"

#include <bitset>
#include <optional>

#include "ntp/auth/key_store.h"
#include "ntp/auth/mac.h"

namespace ntp {

struct RequestAuthenticator::State {
  KeyStore keys;
  std::bitset<kMaxSymmetricKeyId + 1> trusted;
  std::optional<MacContext> mac;  // only when there are keys
};

RequestAuthenticator::RequestAuthenticator(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
RequestAuthenticator::~RequestAuthenticator() = default;

absl::StatusOr<std::unique_ptr<RequestAuthenticator>> RequestAuthenticator::Create(
    const KeyStore* keys,
    const std::vector<std::pair<uint32_t, uint32_t>>& trusted_ranges) {
  auto state = std::make_unique<State>();
  if (keys != nullptr) state->keys = *keys;
  for (const auto& [first, last] : trusted_ranges) {
    for (uint64_t id = std::max<uint32_t>(first, kMinSymmetricKeyId);
         id <= last && id <= kMaxSymmetricKeyId; ++id) {
      state->trusted.set(id);
    }
  }
  if (!state->keys.empty()) {
    absl::StatusOr<MacContext> mac = MacContext::Create();
    if (!mac.ok()) return mac.status();
    state->mac.emplace(std::move(*mac));
  }
  return std::unique_ptr<RequestAuthenticator>(
      new RequestAuthenticator(std::move(state)));
}

bool RequestAuthenticator::IsTrusted(uint32_t key_id) const {
  return key_id >= kMinSymmetricKeyId && key_id <= kMaxSymmetricKeyId &&
         state_->trusted.test(key_id) && state_->keys.Find(key_id) != nullptr;
}

RequestAuthResult RequestAuthenticator::Check(
    uint32_t key_id, absl::Span<const uint8_t> digest,
    absl::Span<const uint8_t> authenticated, const net::IpAddress& source) {
  if (!IsTrusted(key_id) || !state_->keys.IsUsableFrom(key_id, source) ||
      !state_->mac.has_value()) {
    return RequestAuthResult::kUntrustedKey;
  }
  const SymmetricKey& key = *state_->keys.Find(key_id);
  const MacVerdict verdict = state_->mac->CheckDigest(key, authenticated, digest);
  return verdict == MacVerdict::kOk ? RequestAuthResult::kOk
                                    : RequestAuthResult::kBadMac;
}

size_t RequestAuthenticator::MacOctets(uint32_t key_id) const {
  const SymmetricKey* key = state_->keys.Find(key_id);
  return key == nullptr ? 0 : MacTrailerLength(key->algorithm());
}

size_t RequestAuthenticator::Sign(uint32_t key_id,
                                  absl::Span<const uint8_t> authenticated,
                                  absl::Span<uint8_t> out) {
  const SymmetricKey* key = state_->keys.Find(key_id);
  if (key == nullptr || !state_->mac.has_value()) return 0;
  absl::StatusOr<size_t> n = WriteMacTrailer(*state_->mac, *key, authenticated, out);
  return n.ok() ? *n : 0;
}

}  // namespace ntp
