// libFuzzer entry point: arbitrary bytes as a trace file, through replay,
// dump and what-if. Traps on any violated invariant (fuzz_checks.h). Seed
// corpus: testdata/fuzz/trace_fuzz/. Run with tools/fuzz.sh trace_fuzz 60.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ntp/trace/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Status status =
      ntp::trace::CheckTraceInput(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    __builtin_trap();
  }
  return 0;
}
