// The real Clock: Linux clock_gettime(CLOCK_REALTIME) for reading and
// clock_adjtime(CLOCK_REALTIME) for steering. In read-only mode (like
// `chronyd -x`) every write returns FailedPrecondition and no writing system
// call is ever made; on the real kernel tests only ever construct it
// read-only. The kernel calls go through KernelClockCalls so the writing paths
// can be unit-tested against a recorder that answers as the kernel would
// (clock/recording_kernel_calls.h) instead of the machine's clock.
#ifndef CLOCK_SYSTEM_CLOCK_H_
#define CLOCK_SYSTEM_CLOCK_H_

#include <sys/timex.h>
#include <time.h>

#include <memory>

#include "clock/clock.h"

namespace clocks {

// The kernel entry points SystemClock uses. Each returns what the Linux call
// returns (-1 with errno set on failure).
class KernelClockCalls {
 public:
  virtual ~KernelClockCalls() = default;
  virtual int GetTime(timespec* ts) = 0;        // clock_gettime(CLOCK_REALTIME)
  virtual int GetResolution(timespec* ts) = 0;  // clock_getres(CLOCK_REALTIME)
  virtual int AdjustTime(timex* tx) = 0;        // clock_adjtime(CLOCK_REALTIME)

  // The real Linux calls.
  static std::unique_ptr<KernelClockCalls> Linux();
};

class SystemClock final : public Clock {
 public:
  enum class Mode {
    kReadOnly,   // never writes (adjtimex modes 0 / ADJ_OFFSET_SS_READ only)
    kReadWrite,  // steers the system clock; needs CAP_SYS_TIME
  };

  // A SystemClock on the real kernel.
  static std::unique_ptr<SystemClock> Create(Mode mode);
  // REQUIRES: calls != nullptr.
  SystemClock(Mode mode, std::unique_ptr<KernelClockCalls> calls);

  Mode mode() const { return mode_; }

  absl::Time Now() override;
  absl::Duration Precision() const override { return precision_; }
  // Returns the step passed to the kernel (ADJ_SETOFFSET | ADJ_NANO): the
  // offset floored to whole nanoseconds.
  absl::StatusOr<absl::Duration> StepBy(absl::Duration offset) override;
  // Returns the slew passed to the kernel (ADJ_OFFSET_SINGLESHOT, which
  // stores it as given): the offset rounded to whole microseconds.
  absl::StatusOr<absl::Duration> SlewBy(absl::Duration offset) override;
  // Beyond +-500 ppm the kernel tick is changed too (1 us of tick = 100 ppm
  // at USER_HZ 100), as chrony does.
  double MaxFrequencyPpm() const override { return kMaxSlewFrequencyPpm; }
  // Returns the total correction the kernel reports after the call: its
  // frequency (2^-16 ppm units) plus the tick's part, as ReadStatus computes.
  absl::StatusOr<double> SetFrequencyPpm(double ppm) override;
  absl::Status SetSyncStatus(const ClockSyncStatus& status) override;
  absl::StatusOr<ClockStatus> ReadStatus() override;

 private:
  absl::Status RefuseIfReadOnly(absl::string_view operation) const;
  absl::Status Adjust(timex* tx, absl::string_view operation);
  // The total frequency correction a timex returned by the kernel describes.
  double FrequencyPpm(const timex& tx) const;

  const Mode mode_;
  const std::unique_ptr<KernelClockCalls> calls_;
  absl::Duration precision_;
  long nominal_tick_us_;  // 1e6 / USER_HZ
};

}  // namespace clocks

#endif  // CLOCK_SYSTEM_CLOCK_H_
