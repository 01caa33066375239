// libFuzzer entry point: NTS-KE record parsing and the request/response
// round trips (fuzz_checks.h). Traps on any violated invariant. Seed
// corpus: testdata/fuzz/ke_records_fuzz/.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "ntp/nts/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Status status =
      ntp::nts::fuzz::CheckKeRecordsInput(absl::MakeConstSpan(data, size));
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    __builtin_trap();
  }
  return 0;
}
