// The trace file adapter (trace_file.h).
#include "tools/trace_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "clock/posix_error.h"
#include "ntp/config/config.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/trace.pb.h"

namespace tools {
namespace {

absl::StatusOr<int> OpenForTrace(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return clocks::PosixError(path, errno);
  // An existing file keeps its mode through O_CREAT: narrow it.
  if (fchmod(fd, 0600) != 0) {
    const int error = errno;
    close(fd);
    return clocks::PosixError(path, error);
  }
  return fd;
}

std::string Numbered(const std::string& path, int k) { return absl::StrCat(path, ".", k); }

}  // namespace

absl::StatusOr<std::unique_ptr<TraceFile>> TraceFile::Create(const std::string& path,
                                                             const TraceFileOptions& options) {
  absl::StatusOr<int> fd = OpenForTrace(path);
  if (!fd.ok()) return fd.status();
  // Segments of an earlier trace under this name would be read as this
  // one's (ReadRotatedTrace).
  for (int k = 1; k <= ntp::kMaxTraceKeep; ++k) unlink(Numbered(path, k).c_str());
  return std::unique_ptr<TraceFile>(new TraceFile(path, options, *fd));
}

TraceFile::~TraceFile() {
  if (fd_ >= 0) close(fd_);
}

absl::Status TraceFile::WriteAll(absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return clocks::PosixError("trace write", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    size_ += n;
  }
  return absl::OkStatus();
}

absl::Status TraceFile::Rotate() {
  close(fd_);
  fd_ = -1;
  const int keep = options_.keep < 1 ? 1 : options_.keep;
  unlink(Numbered(path_, keep).c_str());  // absent is fine
  for (int k = keep - 1; k >= 1; --k) {
    if (rename(Numbered(path_, k).c_str(), Numbered(path_, k + 1).c_str()) != 0 &&
        errno != ENOENT) {
      return clocks::PosixError(Numbered(path_, k), errno);
    }
  }
  if (rename(path_.c_str(), Numbered(path_, 1).c_str()) != 0) {
    return clocks::PosixError(path_, errno);
  }
  absl::StatusOr<int> fd = OpenForTrace(path_);
  if (!fd.ok()) return fd.status();
  fd_ = *fd;
  size_ = 0;
  ++segment_;
  ntp::trace::Record record;
  record.mutable_segment()->set_index(static_cast<uint32_t>(segment_));
  std::string framed;
  ntp::trace::AppendFramed(record, &framed);
  return WriteAll(framed);
}

absl::Status TraceFile::Write(absl::string_view bytes) {
  if (options_.max_size_bytes > 0 && size_ > 0 &&
      size_ + static_cast<int64_t>(bytes.size()) > options_.max_size_bytes) {
    if (absl::Status status = Rotate(); !status.ok()) return status;
  }
  if (fd_ < 0) return absl::FailedPreconditionError("trace file closed after a failed rotation");
  return WriteAll(bytes);
}

absl::StatusOr<std::string> ReadTraceFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return clocks::PosixError(path, errno);
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return clocks::PosixError(path, error);
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

absl::StatusOr<std::string> ReadRotatedTrace(const std::string& path,
                                             std::vector<std::string>* files) {
  std::vector<std::string> names;
  for (int k = ntp::kMaxTraceKeep; k >= 1; --k) {
    struct stat st;
    if (stat(Numbered(path, k).c_str(), &st) == 0) names.push_back(Numbered(path, k));
  }
  names.push_back(path);
  std::string out;
  for (const std::string& name : names) {
    absl::StatusOr<std::string> bytes = ReadTraceFile(name);
    if (!bytes.ok()) return bytes.status();
    out += *bytes;
  }
  if (files != nullptr) *files = std::move(names);
  return out;
}

}  // namespace tools
