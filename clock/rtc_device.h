// RtcDevice: the real Rtc (clock/rtc.h) on Linux's /dev/rtc interface
// (RTC_RD_TIME / RTC_SET_TIME ioctls, rtc(4)), UTC. In read-only mode the
// device is only ever opened O_RDONLY and Write refuses without a system
// call, so tests can read the RTC but never set it.
#ifndef CLOCK_RTC_DEVICE_H_
#define CLOCK_RTC_DEVICE_H_

#include <string>

#include "clock/rtc.h"

namespace clocks {

class RtcDevice final : public Rtc {
 public:
  enum class Mode { kReadOnly, kReadWrite };
  // `path`: the device, usually /dev/rtc0 (or /dev/rtc). Nothing is opened
  // until a call needs it.
  RtcDevice(std::string path, Mode mode) : path_(std::move(path)), mode_(mode) {}

  // Unavailable if the device does not exist; errno otherwise.
  absl::StatusOr<absl::Time> Read() override;
  absl::Status Write(absl::Time time) override;
  std::string Describe() const override { return path_; }

  // The first of /dev/rtc0, /dev/rtc that exists, or "" if none.
  static std::string FindDevice();

 private:
  const std::string path_;
  const Mode mode_;
};

}  // namespace clocks

#endif  // CLOCK_RTC_DEVICE_H_
