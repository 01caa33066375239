// libFuzzer entry point: MAC trailer parsing and verification with a key,
// trailer split and message taken from the input (layout in fuzz_checks.h).
// Traps on any violated invariant. Seed corpus: testdata/fuzz/mac_fuzz/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ntp/auth/fuzz_checks.h"
#include "ntp/auth/mac.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One context for the whole run: fetching the OpenSSL algorithms per input
  // would dominate the run time.
  static std::optional<ntp::MacContext> context = [] {
    absl::StatusOr<ntp::MacContext> created = ntp::MacContext::Create();
    if (!created.ok()) {
      std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
      __builtin_trap();
    }
    return std::optional<ntp::MacContext>(std::move(*created));
  }();
  const absl::Status status =
      ntp::fuzz::CheckMacInput(*context, absl::MakeConstSpan(data, size));
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    __builtin_trap();
  }
  return 0;
}
