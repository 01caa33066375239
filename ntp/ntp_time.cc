// Conversions between NTP fixed-point time and absl::Time / absl::Duration.
#include "ntp/ntp_time.h"

#include <cmath>

namespace ntp {
namespace {

constexpr uint64_t kQuarterNsPerSecond = 4'000'000'000;
constexpr uint64_t kFractionUnitsPerSecond = uint64_t{1} << 32;

// A finite duration split as floor(d) seconds plus a 32-bit fraction rounded
// to nearest (ties up). The fraction is < 2^32: a carry moves into seconds.
struct Fixed {
  int64_t seconds;
  uint32_t fraction;
};

// absl::Duration stores exactly this split: whole seconds (floored) and a
// count of quarter nanoseconds in [0, 4e9), read through the accessors
// absl/time/time.h declares for that purpose; no division needed.
// REQUIRES: `d` is finite.
Fixed AbslToFixed(absl::Duration d) {
  static_assert(absl::time_internal::kTicksPerSecond == kQuarterNsPerSecond);
  int64_t seconds = absl::time_internal::GetRepHi(d);
  const uint64_t quarters = absl::time_internal::GetRepLo(d);
  // quarters < 4e9, so quarters * 2^32 < 1.72e19 fits in 64 bits.
  uint64_t fraction =
      (quarters * kFractionUnitsPerSecond + kQuarterNsPerSecond / 2) /
      kQuarterNsPerSecond;
  if (fraction == kFractionUnitsPerSecond) {
    seconds += 1;
    fraction = 0;
  }
  return Fixed{seconds, static_cast<uint32_t>(fraction)};
}

absl::Duration FixedToAbsl(int64_t seconds, uint32_t fraction) {
  // fraction * 4e9 < 2^32 * 4e9 < 2^64; + 2^31 rounds to nearest, ties up.
  const uint64_t quarters =
      (uint64_t{fraction} * kQuarterNsPerSecond + (uint64_t{1} << 31)) >> 32;
  if (quarters == kQuarterNsPerSecond) return absl::Seconds(seconds) + absl::Seconds(1);
  return absl::Seconds(seconds) +
         absl::time_internal::MakeDuration(0, static_cast<uint32_t>(quarters));
}

// Whole seconds since the NTP prime epoch, floored (no rounding); finite `t`.
int64_t NtpSecondsFloor(absl::Time t) {
  const int64_t seconds = absl::time_internal::GetRepHi(t - absl::UnixEpoch());
  // Keep far-out (but finite) absl times from overflowing; such times are
  // thousands of eras away, where era arithmetic is meaningless anyway.
  constexpr int64_t kLimit = std::numeric_limits<int64_t>::max() / 2;
  if (seconds > kLimit) return kLimit;
  if (seconds < -kLimit) return -kLimit;
  return seconds + kNtpToUnixSeconds;
}

}  // namespace

NtpDuration NtpDuration::FromSeconds(double seconds) {
  if (std::isnan(seconds)) return Zero();
  const double units = std::ldexp(seconds, 32);
  if (units >= 9223372036854775807.0) return Max();
  if (units < -9223372036854775808.0) return Min();
  return NtpDuration(std::llround(units));
}

NtpDuration NtpDuration::FromAbsl(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return Max();
  if (d == -absl::InfiniteDuration()) return Min();
  const Fixed f = AbslToFixed(d);
  if (f.seconds >= (int64_t{1} << 31)) return Max();
  if (f.seconds < -(int64_t{1} << 31)) return Min();
  return NtpDuration(static_cast<int64_t>(
      (static_cast<uint64_t>(f.seconds) << 32) | f.fraction));
}

double NtpDuration::ToSeconds() const {
  return std::ldexp(static_cast<double>(raw_), -32);
}

absl::Duration NtpDuration::ToAbsl() const {
  return FixedToAbsl(raw_ >> 32, static_cast<uint32_t>(raw_));
}

NtpTimestamp NtpTimestamp::FromTime(absl::Time t) {
  if (t == absl::InfinitePast()) return NtpTimestamp(0);
  if (t == absl::InfiniteFuture()) {
    return NtpTimestamp(std::numeric_limits<uint64_t>::max());
  }
  const Fixed f = AbslToFixed(t - absl::UnixEpoch());
  const uint32_t era_seconds =
      static_cast<uint32_t>(static_cast<uint64_t>(f.seconds) +
                            static_cast<uint64_t>(kNtpToUnixSeconds));
  return FromParts(era_seconds, f.fraction);
}

absl::Time NtpTimestamp::ToTime(absl::Time pivot) const {
  int64_t pivot_seconds = 0;  // an infinite pivot resolves to era 0
  if (pivot != absl::InfinitePast() && pivot != absl::InfiniteFuture()) {
    pivot_seconds = NtpSecondsFloor(pivot);
  }
  // The offset of our seconds from the pivot's, taken mod 2^32 into
  // [-2^31, 2^31): that picks the nearest era.
  const int32_t delta = static_cast<int32_t>(
      seconds() - static_cast<uint32_t>(static_cast<uint64_t>(pivot_seconds)));
  const int64_t ntp_seconds = pivot_seconds + delta;
  return absl::UnixEpoch() +
         FixedToAbsl(ntp_seconds - kNtpToUnixSeconds, fraction());
}

NtpShort NtpShort::FromSeconds(double seconds) {
  if (std::isnan(seconds) || seconds <= 0) return NtpShort(0);
  const double units = std::ldexp(seconds, 16);
  if (units >= 4294967295.5) return Max();
  return NtpShort(static_cast<uint32_t>(std::llround(units)));
}

NtpShort NtpShort::FromAbsl(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return NtpShort(0);
  if (d == absl::InfiniteDuration()) return Max();
  const Fixed f = AbslToFixed(d);
  if (f.seconds >= 65536) return Max();
  const uint64_t raw = (static_cast<uint64_t>(f.seconds) << 16) +
                       ((uint64_t{f.fraction} + (uint64_t{1} << 15)) >> 16);
  if (raw > 0xFFFFFFFFu) return Max();
  return NtpShort(static_cast<uint32_t>(raw));
}

double NtpShort::ToSeconds() const { return raw_ / 65536.0; }

absl::Duration NtpShort::ToAbsl() const {
  return FixedToAbsl(raw_ >> 16, (raw_ & 0xFFFFu) << 16);
}

int64_t NtpEraOf(absl::Time t) {
  // Arithmetic shift floors, so times before 1900 get negative eras.
  return NtpSecondsFloor(t) >> 32;
}

}  // namespace ntp
