// NTP time types (RFC 5905 §6): the 64-bit timestamp (32.32, era-less), the
// 32-bit short format (16.16), and a signed 32.32 duration, with era-aware
// conversion to and from absl::Time. Arithmetic stays in these fixed-point
// types; absl::Time / absl::Duration and double are for the edges only.
//
// Resolution and rounding: NTP fractions are 2^-32 s (~233 ps); absl counts
// quarter nanoseconds (250 ps). Every conversion between the two rounds to
// the nearest representable value, ties toward +infinity, so a round trip
// NTP -> absl -> NTP is exact to within one NTP unit and absl -> NTP -> absl
// to within one quarter nanosecond. Conversions from double round to nearest
// (ties away from zero, as llround). Values out of range saturate; NaN gives 0.
#ifndef NTP_NTP_TIME_H_
#define NTP_NTP_TIME_H_

#include <cstdint>
#include <limits>

#include "absl/time/time.h"

namespace ntp {

// Seconds from the NTP prime epoch (1900-01-01 00:00:00 UTC) to the Unix
// epoch (1970-01-01 00:00:00 UTC). RFC 5905 §6, Figure 4.
inline constexpr int64_t kNtpToUnixSeconds = 2208988800;
// One era is 2^32 seconds (about 136 years).
inline constexpr int64_t kSecondsPerEra = int64_t{1} << 32;

// A signed interval in 32.32 fixed point (units of 2^-32 s), about ±68 years.
// The difference of two NtpTimestamps is an NtpDuration that is correct across
// the era wrap as long as the true interval is under 68 years.
class NtpDuration {
 public:
  constexpr NtpDuration() = default;
  static constexpr NtpDuration FromRaw(int64_t raw) { return NtpDuration(raw); }
  static constexpr NtpDuration Zero() { return NtpDuration(0); }
  static constexpr NtpDuration Max() {
    return NtpDuration(std::numeric_limits<int64_t>::max());
  }
  static constexpr NtpDuration Min() {
    return NtpDuration(std::numeric_limits<int64_t>::min());
  }
  // Rounds to the nearest 2^-32 s; saturates outside ±2^31 s; NaN gives 0.
  static NtpDuration FromSeconds(double seconds);
  // Rounds to the nearest 2^-32 s (ties toward +inf); saturates, including
  // for absl::InfiniteDuration().
  static NtpDuration FromAbsl(absl::Duration d);

  constexpr int64_t raw() const { return raw_; }
  // Exact up to double's 53-bit mantissa.
  double ToSeconds() const;
  // Rounds to the nearest quarter nanosecond (ties toward +inf). Max()/Min()
  // convert to finite durations (they are ordinary values here).
  absl::Duration ToAbsl() const;

  friend constexpr NtpDuration operator+(NtpDuration a, NtpDuration b) {
    return NtpDuration(static_cast<int64_t>(static_cast<uint64_t>(a.raw_) +
                                            static_cast<uint64_t>(b.raw_)));
  }
  friend constexpr NtpDuration operator-(NtpDuration a, NtpDuration b) {
    return NtpDuration(static_cast<int64_t>(static_cast<uint64_t>(a.raw_) -
                                            static_cast<uint64_t>(b.raw_)));
  }
  friend constexpr NtpDuration operator-(NtpDuration a) {
    return NtpDuration(
        static_cast<int64_t>(uint64_t{0} - static_cast<uint64_t>(a.raw_)));
  }
  friend constexpr auto operator<=>(NtpDuration, NtpDuration) = default;

 private:
  constexpr explicit NtpDuration(int64_t raw) : raw_(raw) {}
  int64_t raw_ = 0;
};

// The 64-bit on-wire timestamp: 32 bits of seconds since the start of its era
// and 32 bits of fraction. It carries no era; FromTime drops it and ToTime
// picks the era that puts the result nearest a pivot time. Zero is the
// special "unknown / not set" value of RFC 5905 §7.3.
class NtpTimestamp {
 public:
  constexpr NtpTimestamp() = default;
  static constexpr NtpTimestamp FromRaw(uint64_t raw) {
    return NtpTimestamp(raw);
  }
  static constexpr NtpTimestamp FromParts(uint32_t seconds, uint32_t fraction) {
    return NtpTimestamp((uint64_t{seconds} << 32) | fraction);
  }
  // Rounds to the nearest 2^-32 s (ties toward +inf); the era is dropped.
  // Infinite times saturate to the extremes of era 0 (raw 0 / raw max).
  static NtpTimestamp FromTime(absl::Time t);

  constexpr uint64_t raw() const { return raw_; }
  constexpr uint32_t seconds() const { return static_cast<uint32_t>(raw_ >> 32); }
  constexpr uint32_t fraction() const { return static_cast<uint32_t>(raw_); }
  constexpr bool IsZero() const { return raw_ == 0; }

  // The absl::Time this timestamp denotes in the era whose seconds lie within
  // [-2^31, 2^31) s of `pivot` (RFC 5905 §6: the era is resolved by another
  // source of time). The fraction is rounded to the nearest quarter ns.
  absl::Time ToTime(absl::Time pivot) const;

  // Wrap-aware comparison: true if `*this` precedes `other` by less than half
  // an era (2^31 s).
  bool IsBefore(NtpTimestamp other) const { return (*this - other).raw() < 0; }

  // Signed difference a - b, correct across the era wrap when |a - b| < 2^31 s.
  friend constexpr NtpDuration operator-(NtpTimestamp a, NtpTimestamp b) {
    return NtpDuration::FromRaw(static_cast<int64_t>(a.raw_ - b.raw_));
  }
  friend constexpr NtpTimestamp operator+(NtpTimestamp a, NtpDuration d) {
    return NtpTimestamp(a.raw_ + static_cast<uint64_t>(d.raw()));
  }
  friend constexpr NtpTimestamp operator-(NtpTimestamp a, NtpDuration d) {
    return NtpTimestamp(a.raw_ - static_cast<uint64_t>(d.raw()));
  }
  friend constexpr bool operator==(NtpTimestamp, NtpTimestamp) = default;

 private:
  constexpr explicit NtpTimestamp(uint64_t raw) : raw_(raw) {}
  uint64_t raw_ = 0;
};

// The 32-bit short format (16.16, unsigned), used on the wire for root delay
// and root dispersion. Range [0, 65536) s, resolution 2^-16 s (~15.3 us).
class NtpShort {
 public:
  constexpr NtpShort() = default;
  static constexpr NtpShort FromRaw(uint32_t raw) { return NtpShort(raw); }
  static constexpr NtpShort Max() { return NtpShort(0xFFFFFFFFu); }
  // Rounds to the nearest 2^-16 s (ties toward +inf); negative values give 0,
  // values at or above 65536 s (and infinity) give Max(); NaN gives 0.
  static NtpShort FromSeconds(double seconds);
  static NtpShort FromAbsl(absl::Duration d);

  constexpr uint32_t raw() const { return raw_; }
  double ToSeconds() const;  // exact
  // Rounds to the nearest quarter nanosecond (ties toward +inf).
  absl::Duration ToAbsl() const;
  // Exact widening to 32.32.
  constexpr NtpDuration ToNtpDuration() const {
    return NtpDuration::FromRaw(static_cast<int64_t>(raw_) << 16);
  }
  friend constexpr auto operator<=>(NtpShort, NtpShort) = default;

 private:
  constexpr explicit NtpShort(uint32_t raw) : raw_(raw) {}
  uint32_t raw_ = 0;
};

// The era number of `t` (RFC 5905 §6: era 0 covers 1900-01-01 up to
// 2036-02-07 06:28:16 UTC; earlier times have negative eras).
int64_t NtpEraOf(absl::Time t);

}  // namespace ntp

#endif  // NTP_NTP_TIME_H_
