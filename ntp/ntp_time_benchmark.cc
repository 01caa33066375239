// Benchmarks of the NTP <-> absl time conversions (the per-packet hot path).
//   bazel run -c opt //ntp:ntp_time_benchmark
#include <cstdint>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "ntp/ntp_time.h"

namespace ntp {
namespace {

void BM_TimestampFromTime(benchmark::State& state) {
  absl::Time t = absl::FromUnixNanos(1'795'000'000'123'456'789);
  for (auto _ : state) {
    benchmark::DoNotOptimize(NtpTimestamp::FromTime(t));
    t += absl::Nanoseconds(1);
  }
}
BENCHMARK(BM_TimestampFromTime);

void BM_TimestampToTime(benchmark::State& state) {
  const absl::Time pivot = absl::FromUnixSeconds(1'795'000'000);
  NtpTimestamp ts = NtpTimestamp::FromTime(pivot);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ts.ToTime(pivot));
    ts = ts + NtpDuration::FromRaw(12345);
  }
}
BENCHMARK(BM_TimestampToTime);

void BM_DurationFromSeconds(benchmark::State& state) {
  double s = -0.001234;
  for (auto _ : state) {
    benchmark::DoNotOptimize(NtpDuration::FromSeconds(s));
    s += 1e-9;
  }
}
BENCHMARK(BM_DurationFromSeconds);

void BM_TimestampDifferenceToSeconds(benchmark::State& state) {
  NtpTimestamp a = NtpTimestamp::FromParts(0xFFFFFFF0, 0x12345678);
  const NtpTimestamp b = NtpTimestamp::FromParts(0x00000010, 0x9ABCDEF0);
  for (auto _ : state) {
    benchmark::DoNotOptimize((b - a).ToSeconds());
    a = a + NtpDuration::FromRaw(1);
  }
}
BENCHMARK(BM_TimestampDifferenceToSeconds);

void BM_ShortFromAbsl(benchmark::State& state) {
  absl::Duration d = absl::Microseconds(1234);
  for (auto _ : state) {
    benchmark::DoNotOptimize(NtpShort::FromAbsl(d));
    d += absl::Nanoseconds(1);
  }
}
BENCHMARK(BM_ShortFromAbsl);

}  // namespace
}  // namespace ntp
