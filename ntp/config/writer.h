// Writes an NtpConfig back as ntp.conf text (canonical order, one directive
// per line, no comments). Used to generate host configurations for the
// simulator and to check the parser: parsing the output of FormatNtpConf
// gives back the same model, locations and ignored directives aside.
#ifndef NTP_CONFIG_WRITER_H_
#define NTP_CONFIG_WRITER_H_

#include <string>

#include "ntp/config/config.h"

namespace ntp {

// REQUIRES: `config` is valid (as produced by a parse without errors, or
// built by hand within the documented ranges). Paths are written as stored
// (`ConfigPath::path`, i.e. with the root prefix already applied);
// includefiles are not written since their content is already in the model.
std::string FormatNtpConf(const NtpConfig& config);

// Shortest decimal text that reads back as exactly `value` ("0.128",
// "1e-07"). REQUIRES: std::isfinite(value).
std::string FormatConfigNumber(double value);

}  // namespace ntp

#endif  // NTP_CONFIG_WRITER_H_
