// RecordingKernelCalls: a KernelClockCalls for tests that never touches the
// machine's clock. It records every timex passed to AdjustTime, as passed,
// and answers as the Linux kernel does (kernel/time/ntp.c __do_adjtimex and
// kernel/time/timekeeping.c do_adjtimex, reduced to what SystemClock uses):
// it validates and applies the modes to an emulated kernel state and fills
// in the struct the kernel returns. Its clock runs in emulated true time:
// each GetTime call lets 1 us pass, Advance() lets more pass.
#ifndef CLOCK_RECORDING_KERNEL_CALLS_H_
#define CLOCK_RECORDING_KERNEL_CALLS_H_

#include <sys/timex.h>
#include <time.h>

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "clock/system_clock.h"

namespace clocks {

class RecordingKernelCalls final : public KernelClockCalls {
 public:
  // The emulated kernel variables (kernel/time/ntp.c names in brackets), in
  // the units adjtimex reports them in.
  struct KernelState {
    long freq = 0;               // [time_freq] scaled ppm (2^-16 ppm), within +-500 ppm
    long tick = 10000;           // [tick_usec] microseconds per tick at USER_HZ 100
    int status = STA_UNSYNC;     // [time_status] STA_* bits
    long maxerror = 16'000'000;  // [time_maxerror] us
    long esterror = 16'000'000;  // [time_esterror] us
    int time_state = TIME_OK;    // [time_state] leap second state
  };

  // The clock starts at `start`; the state is the kernel's at boot.
  explicit RecordingKernelCalls(absl::Time start = absl::FromUnixSeconds(1'800'000'000));

  // KernelClockCalls.
  int GetTime(timespec* ts) override;
  int GetResolution(timespec* ts) override;
  int AdjustTime(timex* tx) override;

  // Every timex passed to AdjustTime, in order, as the caller filled it in.
  const std::vector<timex>& calls() const { return calls_; }
  // AdjustTime calls whose modes ask for a change (anything but a plain read
  // or ADJ_OFFSET_SS_READ), whether or not they succeeded.
  int writing_calls() const { return writing_calls_; }

  // Lets `true_elapsed` (>= 0) of true time pass: the clock advances at the
  // rate its tick and frequency give, plus the adjtime() offset at 500 us/s.
  void Advance(absl::Duration true_elapsed);
  // Every later AdjustTime call fails with this errno (0: none fails).
  void set_fail_with(int errno_value) { fail_with_ = errno_value; }
  // The emulated state, to set up a test or inspect the result.
  KernelState& state() { return state_; }
  // The remaining adjtime() offset [time_adjust].
  absl::Duration slew_remaining() const { return absl::Nanoseconds(adjust_ns_); }
  void set_slew_remaining(absl::Duration remaining) {
    adjust_ns_ = absl::ToDoubleNanoseconds(remaining);
  }

 private:
  // timex_validate(): 0 or the errno the kernel returns.
  int Validate(const timex& tx) const;
  void Fill(timex* tx) const;

  std::vector<timex> calls_;
  int writing_calls_ = 0;
  int fail_with_ = 0;
  KernelState state_;
  int64_t clock_ns_;          // CLOCK_REALTIME, Unix ns
  double clock_frac_ns_ = 0;  // part of a nanosecond not yet shown
  double adjust_ns_ = 0;      // time_adjust, kept in ns while it runs out
};

}  // namespace clocks

#endif  // CLOCK_RECORDING_KERNEL_CALLS_H_
