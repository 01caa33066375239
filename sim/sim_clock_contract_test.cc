// The Clock contract (clock/clock_contract.h) for the simulator's SimClock.
#include <memory>

#include "clock/clock_contract.h"
#include "sim/event_loop.h"
#include "sim/oscillator.h"
#include "sim/sim_clock.h"

namespace sim {
namespace {

using ::clocks::testing::ClockHarness;
using ::clocks::testing::ClockResolution;

// Counts the host's accepted writes.
class WriteCounter final : public ClockObserver {
 public:
  void OnClockOperation(const ClockOperation& op) override {
    if (op.ok && op.kind != ClockOperation::Kind::kLeap) ++writes_;
  }
  int writes() const { return writes_; }

 private:
  int writes_ = 0;
};

class SimClockHarness final : public ClockHarness {
 public:
  explicit SimClockHarness(const SimClockParams& params)
      : oscillator_(OscillatorParams{}, 1), clock_(&loop_, &oscillator_, params, 2, &counter_) {}
  clocks::Clock& clock() override { return clock_; }
  void Advance(absl::Duration d) override {
    loop_.RunUntil(loop_.now_ns() + absl::ToInt64Nanoseconds(d));
  }
  int writing_calls() const override { return counter_.writes(); }

 private:
  EventLoop loop_;
  Oscillator oscillator_;
  WriteCounter counter_;
  SimClock clock_;
};

// The kernel's units, which SimClock models.
constexpr ClockResolution kLinuxResolution = {
    .step = absl::Nanoseconds(1), .slew = absl::Microseconds(1), .frequency_ppm = 1.0 / 65536};

struct SimClockExactReads {
  static constexpr const char* kName = "SimClock";
  static constexpr bool kWritable = true;
  static constexpr bool kOwnsState = true;
  static constexpr ClockResolution kResolution = kLinuxResolution;
  static constexpr absl::Duration kReadNoise = absl::ZeroDuration();
  static std::unique_ptr<ClockHarness> Make() {
    return std::make_unique<SimClockHarness>(SimClockParams{});
  }
};

struct SimClockNoisyReads {
  static constexpr const char* kName = "SimClockNoisyReads";
  static constexpr bool kWritable = true;
  static constexpr bool kOwnsState = true;
  static constexpr ClockResolution kResolution = kLinuxResolution;
  // Two readings: 1 us granularity and up to 2 us of jitter each.
  static constexpr absl::Duration kReadNoise = absl::Microseconds(3);
  static std::unique_ptr<ClockHarness> Make() {
    return std::make_unique<SimClockHarness>(
        SimClockParams{.initial_offset_s = 0.5, .resolution_s = 1e-6, .read_jitter_s = 2e-6});
  }
};

struct SimClockReadOnly {
  static constexpr const char* kName = "SimClockReadOnly";
  static constexpr bool kWritable = false;
  static constexpr bool kOwnsState = true;
  static constexpr ClockResolution kResolution = kLinuxResolution;
  static constexpr absl::Duration kReadNoise = absl::ZeroDuration();
  static std::unique_ptr<ClockHarness> Make() {
    return std::make_unique<SimClockHarness>(SimClockParams{.read_only = true});
  }
};

using Implementations = ::testing::Types<SimClockExactReads, SimClockNoisyReads, SimClockReadOnly>;

}  // namespace
}  // namespace sim

namespace clocks::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Sim, ClockContractTest, ::sim::Implementations, TraitsName);
}  // namespace clocks::testing
