// libFuzzer entry point for the ntp.conf parser (and, through the
// round-trip property, the writer). Input: one or more files separated by
// "\n%%\n" lines (see fuzz_harness.h). Seed corpus:
// testdata/fuzz/ntp_conf_fuzz/. Build and run with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "ntp/config/fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string problem = ntp::CheckNtpConfInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "ntp_conf_fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
