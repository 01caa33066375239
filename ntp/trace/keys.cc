// Keys in a trace header (keys.h).
#include "ntp/trace/keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "net/address.h"

namespace ntp::trace {
namespace {

constexpr int kMaxAlgorithm = static_cast<int>(MacAlgorithm::kSha512);

std::string FormatAccess(const KeyAccessEntry& entry) {
  return absl::StrCat(entry.network.ToString(), "/", entry.prefix_length);
}

absl::StatusOr<KeyAccessEntry> ParseAccess(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  int prefix = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &prefix)) {
    return absl::InvalidArgumentError(absl::StrCat("bad access entry \"", text, "\""));
  }
  absl::StatusOr<net::IpAddress> address = net::IpAddress::Parse(parts[0]);
  if (!address.ok()) return address.status();
  const int max = address->family() == net::IpAddress::Family::kV4 ? 32 : 128;
  if (prefix < 0 || prefix > max) {
    return absl::InvalidArgumentError(absl::StrCat("bad access prefix in \"", text, "\""));
  }
  return KeyAccessEntry{*address, prefix};
}

}  // namespace

std::string KeyFingerprint(absl::string_view salt, const SymmetricKey& key) {
  std::string input(salt);
  input.append(reinterpret_cast<const char*>(key.secret().data()), key.secret().size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    length = 0;  // no fingerprint: a replay then refuses every keys file
  }
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest), length);
}

void RecordKeys(const KeyStore& keys, bool include_secrets, absl::string_view salt,
                Header* header) {
  header->set_key_store(true);
  header->set_key_salt(std::string(salt));
  for (const auto& [id, entry] : keys.entries()) {
    TraceKey* out = header->add_keys();
    out->set_id(id);
    out->set_algorithm(static_cast<int>(entry.key.algorithm()));
    out->set_fingerprint(KeyFingerprint(salt, entry.key));
    if (include_secrets) {
      out->set_secret(std::string(reinterpret_cast<const char*>(entry.key.secret().data()),
                                  entry.key.secret().size()));
    }
    for (const KeyAccessEntry& access : entry.access_list) {
      out->add_access_list(FormatAccess(access));
    }
  }
}

absl::StatusOr<std::optional<KeyStore>> ReplayKeys(const Header& header,
                                                   const KeyStore* supplied) {
  if (!header.key_store()) return std::optional<KeyStore>();
  KeyStore keys;
  std::vector<uint32_t> missing;
  std::vector<uint32_t> different;
  for (const TraceKey& recorded : header.keys()) {
    if (recorded.algorithm() < 0 || recorded.algorithm() > kMaxAlgorithm) {
      return absl::InvalidArgumentError(
          absl::StrCat("recorded key ", recorded.id(), ": unknown algorithm ",
                       recorded.algorithm()));
    }
    const auto algorithm = static_cast<MacAlgorithm>(recorded.algorithm());
    std::vector<KeyAccessEntry> access;
    for (const std::string& text : recorded.access_list()) {
      absl::StatusOr<KeyAccessEntry> entry = ParseAccess(text);
      if (!entry.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("recorded key ", recorded.id(), ": ", entry.status().message()));
      }
      access.push_back(*entry);
    }
    std::optional<SymmetricKey> key;
    if (!recorded.secret().empty()) {
      const std::string& secret = recorded.secret();
      absl::StatusOr<SymmetricKey> made = SymmetricKey::Create(
          recorded.id(), algorithm,
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()), secret.size()));
      if (!made.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("recorded key ", recorded.id(), ": ", made.status().message()));
      }
      key = *made;
    } else {
      const SymmetricKey* given = supplied != nullptr ? supplied->Find(recorded.id()) : nullptr;
      if (given == nullptr) {
        missing.push_back(recorded.id());
        continue;
      }
      if (given->algorithm() != algorithm ||
          KeyFingerprint(header.key_salt(), *given) != recorded.fingerprint()) {
        different.push_back(recorded.id());
        continue;
      }
      key = *given;
    }
    if (absl::Status status = keys.Insert(*key, std::move(access)); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("recorded key ", recorded.id(), ": ", status.message()));
    }
  }
  if (!different.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the keys file given differs from the recorded keys (key ", absl::StrJoin(different, ", "),
        ": another secret or algorithm than the recorded fingerprint)"));
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the trace records key ", absl::StrJoin(missing, ", "),
        " by fingerprint only: replay with --keys=FILE (the recorded machine's keys file), "
        "or record with `trace FILE keys include`"));
  }
  return std::optional<KeyStore>(std::move(keys));
}

}  // namespace ntp::trace
