#include "clock/drift_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clock/posix_error.h"

namespace clocks {
namespace {

// A drift file is one short line; anything much larger is not one.
constexpr size_t kMaxDriftFileOctets = 4096;

// Closes a descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Closes now and reports the result (close can report a delayed write
  // error on some file systems).
  int Close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd);
  }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError(absl::StrCat("write ", path), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::StatusOr<double> ParseDriftText(absl::string_view text) {
  const absl::string_view token = absl::StripAsciiWhitespace(text);
  if (token.empty()) return absl::DataLossError("drift file is empty");
  for (const char c : token) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return absl::DataLossError("drift file holds more than one value");
    }
  }
  double value = 0;
  if (!absl::SimpleAtod(token, &value) || !std::isfinite(value)) {
    return absl::DataLossError(
        absl::StrCat("drift file value \"", absl::CHexEscape(token.substr(0, 32)),
                     "\" is not a finite number"));
  }
  return value;
}

std::string FormatDriftText(double frequency_ppm) {
  return absl::StrFormat("%.3f\n", frequency_ppm);
}

absl::StatusOr<std::optional<double>> DriftFile::Read() {
  // O_NONBLOCK and fstat: a FIFO (or device, directory) is refused before
  // the first read instead of blocking start-up.
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<double>();
    return PosixError(absl::StrCat("open ", path_), errno);
  }
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return PosixError(absl::StrCat("stat ", path_), errno);
  if (!S_ISREG(st.st_mode)) {
    return NotRegularFileError(absl::StrCat("frequency file ", path_), st.st_mode);
  }
  std::string contents;
  char buffer[512];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError(absl::StrCat("read ", path_), errno);
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
    if (contents.size() > kMaxDriftFileOctets) {
      return absl::DataLossError(
          absl::StrCat("format error frequency file ", path_, ": larger than ",
                       kMaxDriftFileOctets, " octets"));
    }
  }
  absl::StatusOr<double> value = ParseDriftText(contents);
  if (!value.ok()) {
    return absl::DataLossError(absl::StrCat("format error frequency file ",
                                            path_, ": ", value.status().message()));
  }
  return std::optional<double>(*value);
}

absl::StatusOr<std::optional<absl::Time>> DriftFile::LastWritten() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<absl::Time>();
    return PosixError(absl::StrCat("stat ", path_), errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return NotRegularFileError(absl::StrCat("frequency file ", path_), st.st_mode);
  }
  return absl::TimeFromTimespec(st.st_mtim);
}

absl::Status DriftFile::Write(double frequency_ppm) {
  if (!std::isfinite(frequency_ppm)) {
    return absl::InvalidArgumentError("drift value is not finite");
  }
  const std::string temp = temp_path();
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return PosixError(absl::StrCat("open ", temp), errno);
  FdCloser closer(fd);
  absl::Status status = WriteAll(fd, FormatDriftText(frequency_ppm), temp);
  if (status.ok() && ::fsync(fd) != 0) {
    status = PosixError(absl::StrCat("fsync ", temp), errno);
  }
  if (status.ok() && closer.Close() != 0) {
    status = PosixError(absl::StrCat("close ", temp), errno);
  }
  if (status.ok() && ::rename(temp.c_str(), path_.c_str()) != 0) {
    status = PosixError(absl::StrCat("rename ", temp, " to ", path_), errno);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  // Make the rename itself durable. A failure here leaves a correct file
  // that may not survive a power cut; report it all the same.
  const std::string dir = DirectoryOf(path_);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return PosixError(absl::StrCat("open ", dir), errno);
  FdCloser dir_closer(dir_fd);
  if (::fsync(dir_fd) != 0 && errno != EINVAL) {
    return PosixError(absl::StrCat("fsync ", dir), errno);
  }
  return absl::OkStatus();
}

}  // namespace clocks
