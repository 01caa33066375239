// libFuzzer entry point: arbitrary bytes as an ntpd keys file, and each line
// as trustedkey/requestkey/controlkey arguments. Traps on any violated
// invariant (see fuzz_checks.h). Seed corpus: testdata/fuzz/keys_file_fuzz/.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ntp/auth/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Status status = ntp::fuzz::CheckKeysFileInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    __builtin_trap();
  }
  return 0;
}
