#include "ntp/auth/key_store.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace ntp {

bool KeyAccessEntry::Contains(const net::IpAddress& address) const {
  if (address.family() != network.family()) return false;
  const int max_bits = network.size() * 8;
  const int bits = prefix_length < 0          ? 0
                   : prefix_length > max_bits ? max_bits
                                              : prefix_length;
  const net::IpAddress mask =
      net::IpAddress::PrefixMask(network.family(), bits);
  return address.Masked(mask) == network.Masked(mask);
}

absl::Status KeyStore::Insert(const SymmetricKey& key,
                              std::vector<KeyAccessEntry> access_list) {
  auto [it, inserted] =
      entries_.try_emplace(key.key_id(), Entry{key, std::move(access_list)});
  if (!inserted) {
    return absl::AlreadyExistsError(
        absl::StrCat("key id ", key.key_id(), " is already defined"));
  }
  return absl::OkStatus();
}

const SymmetricKey* KeyStore::Find(uint32_t key_id) const {
  const Entry* entry = FindEntry(key_id);
  return entry == nullptr ? nullptr : &entry->key;
}

const KeyStore::Entry* KeyStore::FindEntry(uint32_t key_id) const {
  auto it = entries_.find(key_id);
  return it == entries_.end() ? nullptr : &it->second;
}

bool KeyStore::IsUsableFrom(uint32_t key_id,
                            const net::IpAddress& address) const {
  const Entry* entry = FindEntry(key_id);
  if (entry == nullptr) return false;
  if (entry->access_list.empty()) return true;
  for (const KeyAccessEntry& allowed : entry->access_list) {
    if (allowed.Contains(address)) return true;
  }
  return false;
}

std::vector<uint32_t> KeyStore::KeyIds() const {
  std::vector<uint32_t> ids;
  ids.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) ids.push_back(id);
  return ids;
}

absl::StatusOr<uint32_t> VerifyPacketMac(
    MacContext& context, const KeyStore& keys,
    absl::Span<const uint8_t> authenticated,
    absl::Span<const uint8_t> trailer) {
  absl::StatusOr<MacTrailerView> parsed = ParseMacTrailer(trailer);
  if (!parsed.ok()) return parsed.status();
  if (parsed->is_crypto_nak()) {
    return absl::UnauthenticatedError("crypto-NAK (key id 0, no digest)");
  }
  const SymmetricKey* key = keys.Find(parsed->key_id);
  if (key == nullptr) {
    return absl::NotFoundError(absl::StrCat("MAC key id ", parsed->key_id,
                                            " is not in the key table"));
  }
  absl::Status status = VerifyMacTrailer(context, *key, authenticated, trailer);
  if (!status.ok()) return status;
  return key->key_id();
}

}  // namespace ntp
