// The Scheduler seam implemented on the simulator's event loop, for one
// simulated host (one causal domain). Protocol code cannot tell it from the
// daemon's poll() loop: Now() is a monotonic timeline that a clock step does
// not move, timers run from the loop, never from inside RunAt, and timers
// due at the same instant run in the order they were scheduled.
#ifndef SIM_DOMAIN_SCHEDULER_H_
#define SIM_DOMAIN_SCHEDULER_H_

#include <cstdint>
#include <vector>

#include "clock/scheduler.h"
#include "sim/event_loop.h"

namespace sim {

class DomainScheduler final : public clocks::Scheduler {
 public:
  // Now() is `monotonic_origin` + the loop's true time. REQUIRES: `loop`
  // outlives this scheduler; `domain` is registered.
  DomainScheduler(EventLoop* loop, DomainId domain, absl::Time monotonic_origin)
      : loop_(loop), domain_(domain), origin_(monotonic_origin) {}

  absl::Time Now() override {
    return origin_ + absl::Nanoseconds(loop_->now_ns());
  }
  // `when` is rounded up to the next whole nanosecond of true time.
  clocks::TimerId RunAt(absl::Time when,
                        absl::AnyInvocable<void()> callback) override;
  bool Cancel(clocks::TimerId id) override;

  // Cancels every pending timer of this scheduler (the host went down).
  // Returns how many were pending.
  int CancelAll();

  DomainId domain() const { return domain_; }
  // Converts a time on this scheduler's timeline to loop nanoseconds
  // (rounded up).
  int64_t ToLoopNanos(absl::Time when) const;

 private:
  EventLoop* const loop_;
  const DomainId domain_;
  const absl::Time origin_;
  // Ids handed out and possibly still pending; compacted as it grows.
  std::vector<clocks::TimerId> issued_;
  size_t compact_at_ = 64;
};

}  // namespace sim

#endif  // SIM_DOMAIN_SCHEDULER_H_
