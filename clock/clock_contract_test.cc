// The Clock contract (clock/clock_contract.h) for SystemClock and FakeClock.
// SystemClock only ever reads the machine's clock: the writing paths run on
// RecordingKernelCalls, and the instance on the real kernel goes through a
// guard that refuses to pass on any writing call.
#include "clock/clock_contract.h"

#include <cerrno>
#include <memory>

#include "clock/fake_clock.h"
#include "clock/recording_kernel_calls.h"
#include "clock/system_clock.h"

namespace clocks::testing {
namespace {

// The real kernel calls, except that AdjustTime passes on only the
// read-only modes; any other call is counted and fails with EPERM.
class ReadOnlyLinuxCalls final : public KernelClockCalls {
 public:
  explicit ReadOnlyLinuxCalls(int* writing_calls)
      : linux_(KernelClockCalls::Linux()), writing_calls_(writing_calls) {}
  int GetTime(timespec* ts) override { return linux_->GetTime(ts); }
  int GetResolution(timespec* ts) override { return linux_->GetResolution(ts); }
  int AdjustTime(timex* tx) override {
    if (tx->modes == 0 || tx->modes == ADJ_OFFSET_SS_READ) return linux_->AdjustTime(tx);
    ++*writing_calls_;
    errno = EPERM;
    return -1;
  }

 private:
  const std::unique_ptr<KernelClockCalls> linux_;
  int* const writing_calls_;
};

class LinuxHarness final : public ClockHarness {
 public:
  LinuxHarness()
      : clock_(SystemClock::Mode::kReadOnly,
               std::make_unique<ReadOnlyLinuxCalls>(&writing_calls_)) {}
  Clock& clock() override { return clock_; }
  void Advance(absl::Duration) override {}
  int writing_calls() const override { return writing_calls_; }

 private:
  int writing_calls_ = 0;
  SystemClock clock_;
};

class EmulatedKernelHarness final : public ClockHarness {
 public:
  explicit EmulatedKernelHarness(SystemClock::Mode mode) {
    auto calls = std::make_unique<RecordingKernelCalls>();
    kernel_ = calls.get();
    clock_ = std::make_unique<SystemClock>(mode, std::move(calls));
  }
  Clock& clock() override { return *clock_; }
  void Advance(absl::Duration d) override { kernel_->Advance(d); }
  int writing_calls() const override { return kernel_->writing_calls(); }

 private:
  RecordingKernelCalls* kernel_;  // owned by clock_
  std::unique_ptr<SystemClock> clock_;
};

// The kernel's units (SystemClock's declared resolution).
constexpr ClockResolution kLinuxResolution = {
    .step = absl::Nanoseconds(1), .slew = absl::Microseconds(1), .frequency_ppm = 1.0 / 65536};

struct SystemClockOnLinuxReadOnly {
  static constexpr const char* kName = "SystemClockOnLinuxReadOnly";
  static constexpr bool kWritable = false;
  static constexpr bool kOwnsState = false;  // chronyd or ntpd may steer it
  static constexpr ClockResolution kResolution = kLinuxResolution;
  static constexpr absl::Duration kReadNoise = absl::Milliseconds(1);
  static std::unique_ptr<ClockHarness> Make() { return std::make_unique<LinuxHarness>(); }
};

struct SystemClockReadOnly {
  static constexpr const char* kName = "SystemClockReadOnly";
  static constexpr bool kWritable = false;
  static constexpr bool kOwnsState = true;
  static constexpr ClockResolution kResolution = kLinuxResolution;
  static constexpr absl::Duration kReadNoise = absl::Microseconds(3);  // 1 us per read
  static std::unique_ptr<ClockHarness> Make() {
    return std::make_unique<EmulatedKernelHarness>(SystemClock::Mode::kReadOnly);
  }
};

struct SystemClockReadWrite {
  static constexpr const char* kName = "SystemClockReadWrite";
  static constexpr bool kWritable = true;
  static constexpr bool kOwnsState = true;
  static constexpr ClockResolution kResolution = kLinuxResolution;
  static constexpr absl::Duration kReadNoise = absl::Microseconds(3);  // 1 us per read
  static std::unique_ptr<ClockHarness> Make() {
    return std::make_unique<EmulatedKernelHarness>(SystemClock::Mode::kReadWrite);
  }
};

class FakeClockHarness final : public ClockHarness {
 public:
  FakeClockHarness() : clock_(absl::FromUnixSeconds(1'800'000'000)) {}
  FakeClock& fake() { return clock_; }
  Clock& clock() override { return clock_; }
  void Advance(absl::Duration d) override { clock_.Advance(d); }
  int writing_calls() const override { return static_cast<int>(clock_.operations().size()); }

 private:
  FakeClock clock_;
};

struct FakeClockExact {
  static constexpr const char* kName = "FakeClock";
  static constexpr bool kWritable = true;
  static constexpr bool kOwnsState = true;
  static constexpr ClockResolution kResolution = {};
  static constexpr absl::Duration kReadNoise = absl::ZeroDuration();
  static std::unique_ptr<ClockHarness> Make() { return std::make_unique<FakeClockHarness>(); }
};

struct FakeClockWithResolution {
  static constexpr const char* kName = "FakeClockWithResolution";
  static constexpr bool kWritable = true;
  static constexpr bool kOwnsState = true;
  static constexpr ClockResolution kResolution = {
      .step = absl::Microseconds(1), .slew = absl::Microseconds(100), .frequency_ppm = 0.01};
  static constexpr absl::Duration kReadNoise = absl::ZeroDuration();
  static std::unique_ptr<ClockHarness> Make() {
    auto harness = std::make_unique<FakeClockHarness>();
    harness->fake().set_resolution({.step = kResolution.step,
                                    .slew = kResolution.slew,
                                    .frequency_ppm = kResolution.frequency_ppm});
    harness->fake().set_max_frequency_ppm(kMaxSlewFrequencyPpm);
    return harness;
  }
};

struct FakeClockReadOnly {
  static constexpr const char* kName = "FakeClockReadOnly";
  static constexpr bool kWritable = false;
  static constexpr bool kOwnsState = true;
  static constexpr ClockResolution kResolution = {};
  static constexpr absl::Duration kReadNoise = absl::ZeroDuration();
  static std::unique_ptr<ClockHarness> Make() {
    auto harness = std::make_unique<FakeClockHarness>();
    harness->fake().set_read_only(true);
    return harness;
  }
};

using Implementations =
    ::testing::Types<SystemClockOnLinuxReadOnly, SystemClockReadOnly, SystemClockReadWrite,
                     FakeClockExact, FakeClockWithResolution, FakeClockReadOnly>;
INSTANTIATE_TYPED_TEST_SUITE_P(Clocks, ClockContractTest, Implementations, TraitsName);

}  // namespace
}  // namespace clocks::testing
