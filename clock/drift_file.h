// DriftFile: ntpd's `driftfile` on disk, the real clocks::DriftStore. One line
// holding the frequency correction in ppm ("%.3f\n", as ntpd 4.2.8 writes
// it). Writes are atomic: the value goes to "<path>.TEMP", is fsync'd, and
// the temporary file is renamed over <path> (then the directory is fsync'd),
// so a crash leaves either the old or the new file. This is the only file
// I/O of the time-keeping code; it lives in clock/ because ntp/ never opens
// files.
#ifndef CLOCK_DRIFT_FILE_H_
#define CLOCK_DRIFT_FILE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clock/drift_store.h"

namespace clocks {

// Parses drift-file contents: optional whitespace, one finite decimal number
// (ppm), optional whitespace, nothing else. DataLoss (naming the problem)
// for anything else, including an empty file, NaN and infinities.
absl::StatusOr<double> ParseDriftText(absl::string_view text);

// The file contents for `frequency_ppm`: "%.3f\n" ("-12.345\n").
std::string FormatDriftText(double frequency_ppm);

class DriftFile final : public DriftStore {
 public:
  // REQUIRES: `path` is not empty. Nothing is opened until Read/Write.
  explicit DriftFile(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::string temp_path() const { return path_ + ".TEMP"; }

  // nullopt if the file does not exist; DataLoss if it cannot be parsed (or
  // is larger than 4 KiB); FailedPrecondition, before any read, if the path
  // is not a regular file (FIFO, device, directory); PermissionDenied /
  // Internal / ... for read errors
  // (messages name the path and strerror).
  absl::StatusOr<std::optional<double>> Read() override;
  // Writes "<path>.TEMP", fsyncs it, renames it over <path>, fsyncs the
  // directory. On error the temporary file is removed and <path> is left as
  // it was. InvalidArgument for a non-finite value.
  absl::Status Write(double frequency_ppm) override;
  // The file's modification time; nullopt if it does not exist;
  // FailedPrecondition if it is not a regular file; errors name the path.
  absl::StatusOr<std::optional<absl::Time>> LastWritten() override;
  std::string Describe() const override { return path_; }

 private:
  std::string path_;
};

}  // namespace clocks

#endif  // CLOCK_DRIFT_FILE_H_
