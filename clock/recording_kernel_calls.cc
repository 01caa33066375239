// RecordingKernelCalls: the Linux adjtimex answers, emulated for tests.
#include "clock/recording_kernel_calls.h"

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace clocks {
namespace {

// Kernel-internal mode bits (include/uapi/linux/timex.h): ADJ_OFFSET_SINGLESHOT
// is ADJ_ADJTIME | ADJ_OFFSET and ADJ_OFFSET_SS_READ adds ADJ_OFFSET_READONLY.
constexpr unsigned kAdjAdjtime = 0x8000;
constexpr unsigned kAdjOffsetReadonly = 0x2000;

// Fixed-point scales of kernel/time/ntp.c and include/linux/timex.h.
constexpr int kNtpScaleShift = 32;
constexpr int64_t kPpmScale = int64_t{1000} << (kNtpScaleShift - 16);  // PPM_SCALE
constexpr int kPpmScaleInvShift = 19;                                  // PPM_SCALE_INV_SHIFT
constexpr int64_t kPpmScaleInv =                                       // PPM_SCALE_INV
    (int64_t{1} << (kPpmScaleInvShift + kNtpScaleShift)) / kPpmScale + 1;
constexpr int64_t kMaxFreqScaled = int64_t{500'000} << kNtpScaleShift;  // MAXFREQ_SCALED
constexpr long kPhaseLimitUs = 16'000'000;                              // NTP_PHASE_LIMIT
constexpr long kUserHz = 100;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

// shift_right() of kernel/time/ntp.c: rounds toward zero.
int64_t ShiftRight(int64_t x, int s) { return x < 0 ? -(-x >> s) : x >> s; }

}  // namespace

RecordingKernelCalls::RecordingKernelCalls(absl::Time start)
    : clock_ns_(absl::ToUnixNanos(start)) {}

int RecordingKernelCalls::GetTime(timespec* ts) {
  ts->tv_sec = static_cast<time_t>(clock_ns_ / kNanosPerSecond);
  ts->tv_nsec = static_cast<long>(clock_ns_ % kNanosPerSecond);
  Advance(absl::Microseconds(1));
  return 0;
}

int RecordingKernelCalls::GetResolution(timespec* ts) {
  ts->tv_sec = 0;
  ts->tv_nsec = 1;
  return 0;
}

void RecordingKernelCalls::Advance(absl::Duration true_elapsed) {
  const double dt_ns = absl::ToDoubleNanoseconds(true_elapsed);
  if (!(dt_ns > 0)) return;
  // ntp_update_frequency(): the second lasts tick_usec * USER_HZ us plus
  // time_freq; the adjtime() offset runs out at 500 us per second.
  const double ppm = static_cast<double>(state_.freq) / 65536.0 +
                     static_cast<double>(state_.tick * kUserHz - 1'000'000);
  const double max_slew_ns = dt_ns * 500e-6;
  const double slewed = std::clamp(adjust_ns_, -max_slew_ns, max_slew_ns);
  adjust_ns_ -= slewed;
  if (std::fabs(adjust_ns_) < 1e-6) adjust_ns_ = 0;
  const double advance_ns = dt_ns + dt_ns * ppm * 1e-6 + slewed + clock_frac_ns_;
  const double whole_ns = std::floor(advance_ns);
  clock_frac_ns_ = advance_ns - whole_ns;
  clock_ns_ += static_cast<int64_t>(whole_ns);
}

int RecordingKernelCalls::Validate(const timex& tx) const {
  // timekeeping_validate_timex() (the caller is taken to hold CAP_SYS_TIME).
  if ((tx.modes & kAdjAdjtime) == 0 && (tx.modes & ADJ_TICK) != 0 &&
      (tx.tick < 900'000 / kUserHz || tx.tick > 1'100'000 / kUserHz)) {
    return EINVAL;
  }
  if ((tx.modes & ADJ_SETOFFSET) != 0) {
    const long limit = (tx.modes & ADJ_NANO) != 0 ? kNanosPerSecond : 1'000'000;
    if (tx.time.tv_usec < 0 || tx.time.tv_usec >= limit) return EINVAL;
  }
  if ((tx.modes & ADJ_FREQUENCY) != 0 &&
      (tx.freq < INT64_MIN / kPpmScale || tx.freq > INT64_MAX / kPpmScale)) {
    return EINVAL;
  }
  return 0;
}

int RecordingKernelCalls::AdjustTime(timex* tx) {
  calls_.push_back(*tx);
  const unsigned modes = tx->modes;
  const bool adjtime = (modes & kAdjAdjtime) != 0;
  if (adjtime ? (modes & kAdjOffsetReadonly) == 0 : modes != 0) ++writing_calls_;
  if (fail_with_ != 0) {
    errno = fail_with_;
    return -1;
  }
  if (const int error = Validate(*tx); error != 0) {
    errno = error;
    return -1;
  }
  if ((modes & ADJ_SETOFFSET) != 0) {
    // timekeeping_inject_offset(), then ntp_clear() (TK_CLEAR_NTP).
    const int64_t delta_ns =
        static_cast<int64_t>(tx->time.tv_sec) * kNanosPerSecond +
        static_cast<int64_t>(tx->time.tv_usec) * ((modes & ADJ_NANO) != 0 ? 1 : 1000);
    if (clock_ns_ + delta_ns < 0) {
      errno = EINVAL;
      return -1;
    }
    clock_ns_ += delta_ns;
    adjust_ns_ = 0;
    state_.status |= STA_UNSYNC;
    state_.maxerror = kPhaseLimitUs;
    state_.esterror = kPhaseLimitUs;
  }
  if (adjtime) {
    // adjtime() is independent of the other modes; returns the old offset.
    const long previous_us = std::lround(adjust_ns_ / 1000.0);
    if ((modes & kAdjOffsetReadonly) == 0) adjust_ns_ = tx->offset * 1000.0;
    tx->offset = previous_us;
  } else {
    // process_adjtimex_modes().
    if ((modes & ADJ_STATUS) != 0) {
      // process_adj_status(): turning STA_PLL off resets the state.
      if ((state_.status & STA_PLL) != 0 && (tx->status & STA_PLL) == 0) {
        state_.time_state = TIME_OK;
        state_.status = STA_UNSYNC;
      }
      state_.status = (state_.status & STA_RONLY) | (tx->status & ~STA_RONLY);
    }
    if ((modes & ADJ_NANO) != 0) state_.status |= STA_NANO;
    if ((modes & ADJ_MICRO) != 0) state_.status &= ~STA_NANO;
    if ((modes & ADJ_FREQUENCY) != 0) {
      const int64_t time_freq =
          std::clamp(static_cast<int64_t>(tx->freq) * kPpmScale, -kMaxFreqScaled, kMaxFreqScaled);
      // Stored as adjtimex reads it back.
      state_.freq = static_cast<long>(
          ShiftRight((time_freq >> kPpmScaleInvShift) * kPpmScaleInv, kNtpScaleShift));
    }
    if ((modes & ADJ_MAXERROR) != 0) {
      state_.maxerror = std::clamp<long>(tx->maxerror, 0, kPhaseLimitUs);
    }
    if ((modes & ADJ_ESTERROR) != 0) {
      state_.esterror = std::clamp<long>(tx->esterror, 0, kPhaseLimitUs);
    }
    if ((modes & ADJ_TICK) != 0) state_.tick = tx->tick;
    tx->offset = 0;  // no PLL offset: ADJ_OFFSET is not emulated
  }
  Fill(tx);
  return (state_.status & (STA_UNSYNC | STA_CLOCKERR)) != 0 ? TIME_ERROR : state_.time_state;
}

void RecordingKernelCalls::Fill(timex* tx) const {
  tx->freq = state_.freq;
  tx->maxerror = state_.maxerror;
  tx->esterror = state_.esterror;
  tx->status = state_.status;
  tx->constant = 0;
  tx->precision = 1;
  tx->tolerance = kMaxFreqScaled / kPpmScale;
  tx->tick = state_.tick;
  tx->time.tv_sec = static_cast<time_t>(clock_ns_ / kNanosPerSecond);
  const long nanos = static_cast<long>(clock_ns_ % kNanosPerSecond);
  tx->time.tv_usec = (state_.status & STA_NANO) != 0 ? nanos : nanos / 1000;
}

}  // namespace clocks
