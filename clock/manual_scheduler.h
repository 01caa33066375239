// ManualScheduler: a Scheduler for unit tests whose time moves only when the
// test says so. AdvanceTo runs every timer that falls due on the way, in
// order, with Now() equal to each timer's due time while it runs.
#ifndef CLOCK_MANUAL_SCHEDULER_H_
#define CLOCK_MANUAL_SCHEDULER_H_

#include "clock/scheduler.h"
#include "clock/timer_queue.h"

namespace clocks {

class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(absl::Time start = absl::UnixEpoch()) : now_(start) {}

  absl::Time Now() override { return now_; }
  TimerId RunAt(absl::Time when, absl::AnyInvocable<void()> callback) override;
  bool Cancel(TimerId id) override { return timers_.Cancel(id); }

  // Runs due timers up to `target`, then sets Now() to `target` (never moves
  // backwards). Returns the number of callbacks run.
  int AdvanceTo(absl::Time target);
  int AdvanceBy(absl::Duration d) { return AdvanceTo(now_ + d); }
  // Runs timers that are already due (Now() unchanged).
  int RunDue() { return AdvanceTo(now_); }
  size_t pending() const { return timers_.size(); }
  std::optional<absl::Time> NextDue() const { return timers_.NextDue(); }

 private:
  absl::Time now_;
  TimerQueue timers_;
};

}  // namespace clocks

#endif  // CLOCK_MANUAL_SCHEDULER_H_
