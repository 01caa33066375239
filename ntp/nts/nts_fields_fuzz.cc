// libFuzzer entry point: NTS extension fields through the server's request
// check and the client's reply check (fuzz_checks.h). Traps on any
// violated invariant. Seed corpus: testdata/fuzz/nts_fields_fuzz/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "ntp/nts/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One server and keyring for the whole run.
  static ntp::nts::fuzz::NtsFuzzState* state = [] {
    auto created = ntp::nts::fuzz::NtsFuzzState::Create();
    if (!created.ok()) {
      std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
      __builtin_trap();
    }
    return created->release();
  }();
  const absl::Status status = ntp::nts::fuzz::CheckNtsFieldsInput(
      *state, absl::MakeConstSpan(data, size));
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    __builtin_trap();
  }
  return 0;
}
