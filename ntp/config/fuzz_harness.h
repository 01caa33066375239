// The property check shared by the libFuzzer target (ntp_conf_fuzz.cc) and
// the deterministic robustness test: feed arbitrary bytes to the ntp.conf
// parser through an in-memory file set and verify that what comes back is
// sane. Test/fuzz support only.
#ifndef NTP_CONFIG_FUZZ_HARNESS_H_
#define NTP_CONFIG_FUZZ_HARNESS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ntp {

// Lines equal to this split one fuzz input into several files.
inline constexpr absl::string_view kFuzzFileSeparator = "\n%%\n";

// The in-memory file names used for the parts of one input: the first part
// is the top-level file, the others can be reached with includefile.
inline constexpr const char* kFuzzFileNames[] = {
    "/etc/ntp.conf", "/etc/ntp/a.conf", "/etc/ntp/b.conf", "/etc/c.conf"};

// Parses `data` (split at kFuzzFileSeparator into at most four files named
// kFuzzFileNames) with root directory "/" and checks:
//  - every diagnostic names a known file, a line inside it, and a message
//    of printable ASCII;
//  - every entry stored in the model respects its documented range;
//  - if the parse had no errors, FormatNtpConf() of the model parses back,
//    without errors, to the same model (locations aside), and formatting
//    that again gives the same text.
// Returns "" if all hold, else a description of the first violation. If
// `accepted` is not null it is set to whether the parse had no errors.
std::string CheckNtpConfInput(absl::string_view data,
                              bool* accepted = nullptr);

}  // namespace ntp

#endif  // NTP_CONFIG_FUZZ_HARNESS_H_
