#include "clock/rtc_device.h"

#include <fcntl.h>
#include <linux/rtc.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "clock/posix_error.h"

namespace clocks {
namespace {

// Closes the descriptor on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status OpenError(const std::string& path, int error) {
  if (error == ENOENT || error == ENODEV || error == ENXIO) {
    return absl::UnavailableError(absl::StrCat(path, ": no RTC"));
  }
  return PosixError(path, error);
}

}  // namespace

std::string RtcDevice::FindDevice() {
  for (const char* path : {"/dev/rtc0", "/dev/rtc"}) {
    struct stat st;
    if (::stat(path, &st) == 0 && S_ISCHR(st.st_mode)) return path;
  }
  return "";
}

absl::StatusOr<absl::Time> RtcDevice::Read() {
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return OpenError(path_, errno);
  struct rtc_time rt {};
  if (::ioctl(fd.get(), RTC_RD_TIME, &rt) != 0) return PosixError(path_, errno);
  struct tm tm {};
  tm.tm_sec = rt.tm_sec;
  tm.tm_min = rt.tm_min;
  tm.tm_hour = rt.tm_hour;
  tm.tm_mday = rt.tm_mday;
  tm.tm_mon = rt.tm_mon;
  tm.tm_year = rt.tm_year;
  const time_t seconds = ::timegm(&tm);
  if (seconds == static_cast<time_t>(-1)) {
    return absl::DataLossError(absl::StrCat(path_, ": the RTC holds no valid time"));
  }
  return absl::FromTimeT(seconds);
}

absl::Status RtcDevice::Write(absl::Time time) {
  if (mode_ == Mode::kReadOnly) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": the RTC is read-only (no-adjust mode)"));
  }
  const time_t seconds = absl::ToTimeT(time);
  struct tm tm {};
  if (::gmtime_r(&seconds, &tm) == nullptr || tm.tm_year < 70 || tm.tm_year > 1100) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": time out of the RTC's range"));
  }
  struct rtc_time rt {};
  rt.tm_sec = tm.tm_sec;
  rt.tm_min = tm.tm_min;
  rt.tm_hour = tm.tm_hour;
  rt.tm_mday = tm.tm_mday;
  rt.tm_mon = tm.tm_mon;
  rt.tm_year = tm.tm_year;
  Fd fd(::open(path_.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return OpenError(path_, errno);
  if (::ioctl(fd.get(), RTC_SET_TIME, &rt) != 0) return PosixError(path_, errno);
  return absl::OkStatus();
}

}  // namespace clocks
