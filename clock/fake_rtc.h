// FakeRtc: an Rtc (clock/rtc.h) for tests: a time that stands still until
// written, a read-only switch and injectable errors. Test-only.
#ifndef CLOCK_FAKE_RTC_H_
#define CLOCK_FAKE_RTC_H_

#include <string>
#include <vector>

#include "clock/rtc.h"

namespace clocks {

class FakeRtc final : public Rtc {
 public:
  explicit FakeRtc(absl::Time time, bool read_only = false)
      : time_(absl::FromUnixSeconds(absl::ToUnixSeconds(time))), read_only_(read_only) {}

  absl::StatusOr<absl::Time> Read() override {
    if (!read_status_.ok()) return read_status_;
    return time_;
  }
  absl::Status Write(absl::Time time) override {
    if (read_only_) return absl::FailedPreconditionError("the RTC is read-only");
    if (!write_status_.ok()) return write_status_;
    time_ = absl::FromUnixSeconds(absl::ToUnixSeconds(time));
    writes_.push_back(time_);
    return absl::OkStatus();
  }
  std::string Describe() const override { return "fake RTC"; }

  void set_read_status(absl::Status status) { read_status_ = std::move(status); }
  void set_write_status(absl::Status status) { write_status_ = std::move(status); }
  // Every time written, in order.
  const std::vector<absl::Time>& writes() const { return writes_; }

 private:
  absl::Time time_;
  bool read_only_;
  absl::Status read_status_;
  absl::Status write_status_;
  std::vector<absl::Time> writes_;
};

}  // namespace clocks

#endif  // CLOCK_FAKE_RTC_H_
