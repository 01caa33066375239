// Writes a whole file so that readers see either the old contents or the
// new, never a mix, and a crash leaves no half-written file: a temporary
// file beside the target (mkstemp), fsync, rename over the target, then
// fsync the directory. The file has `mode` from creation on, so secrets
// (NTS cookie master keys, mode 0600) are never readable by others, not
// even while being written.
#ifndef CLOCK_ATOMIC_FILE_H_
#define CLOCK_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace clocks {

// Errors (from PosixError) name the file and the step that failed; the
// temporary file is removed on failure. A failed directory fsync is
// reported although the new contents are in place.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents, mode_t mode);

}  // namespace clocks

#endif  // CLOCK_ATOMIC_FILE_H_
