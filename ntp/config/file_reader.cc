#include "ntp/config/file_reader.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ntp {

absl::StatusOr<std::string> InMemoryFileReader::Read(const std::string& path,
                                                     size_t max_bytes) {
  ++read_count_;
  if (auto it = errors_.find(path); it != errors_.end()) return it->second;
  auto it = files_.find(path);
  if (it == files_.end()) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  if (it->second.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
  }
  return it->second;
}

}  // namespace ntp
