// FakeClock: a Clock for unit tests. Time moves only when the test calls
// Advance(); adjustments follow the kernel's semantics in a simple form
// (steps are immediate, slews run at 500 ppm, the frequency correction scales
// elapsed time) and every call is recorded so tests can assert on them.
// Writes are applied exactly as requested unless the test sets a resolution,
// which shows whether callers use the applied values the seam returns.
// The simulator's oscillator model (sim/) is the full-fidelity version.
#ifndef CLOCK_FAKE_CLOCK_H_
#define CLOCK_FAKE_CLOCK_H_

#include <string>
#include <vector>

#include "clock/clock.h"

namespace clocks {

// How finely a FakeClock applies writes. Zero: exactly as requested.
struct FakeClockResolution {
  absl::Duration step;       // steps floored to a multiple (kernel: 1 ns)
  absl::Duration slew;       // slews rounded to the nearest multiple (kernel: 1 us)
  double frequency_ppm = 0;  // rounded to the nearest multiple (kernel: 2^-16 ppm),
                             // then moved one unit toward zero if beyond the limit
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start,
                     absl::Duration precision = absl::Nanoseconds(1));

  // Lets `true_elapsed` of true time pass: the clock advances by
  // true_elapsed * (1 + frequency_ppm * 1e-6), plus slew progress at 500 ppm
  // of true_elapsed (never beyond the remaining slew). REQUIRES: >= 0.
  void Advance(absl::Duration true_elapsed);
  // Makes every write fail with FailedPrecondition, as a read-only SystemClock.
  void set_read_only(bool read_only) { read_only_ = read_only; }
  // What MaxFrequencyPpm() reports and SetFrequencyPpm accepts (default
  // kMaxFrequencyPpm; kMaxSlewFrequencyPpm to act like SystemClock).
  void set_max_frequency_ppm(double ppm) { max_frequency_ppm_ = ppm; }
  // REQUIRES: every field >= 0.
  void set_resolution(const FakeClockResolution& resolution) {
    resolution_ = resolution;
  }

  double frequency_ppm() const { return frequency_ppm_; }
  absl::Duration slew_remaining() const { return slew_remaining_; }
  const ClockSyncStatus& sync_status() const { return sync_; }
  int step_count() const { return step_count_; }
  // Every successful write with the value applied, in order, e.g.
  // "step +1.5s", "slew -2ms", "freq 12.500ppm", "sync synchronized leap=none".
  const std::vector<std::string>& operations() const { return operations_; }

  absl::Time Now() override { return now_; }
  absl::Duration Precision() const override { return precision_; }
  absl::StatusOr<absl::Duration> StepBy(absl::Duration offset) override;
  // InvalidArgument for an infinite offset; any finite one is accepted.
  absl::StatusOr<absl::Duration> SlewBy(absl::Duration offset) override;
  double MaxFrequencyPpm() const override { return max_frequency_ppm_; }
  absl::StatusOr<double> SetFrequencyPpm(double ppm) override;
  absl::Status SetSyncStatus(const ClockSyncStatus& status) override;
  absl::StatusOr<ClockStatus> ReadStatus() override;

 private:
  absl::Status CheckWritable() const;

  absl::Time now_;
  absl::Duration precision_;
  bool read_only_ = false;
  double max_frequency_ppm_ = kMaxFrequencyPpm;
  FakeClockResolution resolution_;
  double frequency_ppm_ = 0;
  absl::Duration slew_remaining_;
  ClockSyncStatus sync_;
  int step_count_ = 0;
  std::vector<std::string> operations_;
};

}  // namespace clocks

#endif  // CLOCK_FAKE_CLOCK_H_
