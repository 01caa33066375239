// TimerQueue: the ordered set of pending timers shared by every Scheduler
// implementation. Deterministic total order: by due time, then by the order
// of scheduling (ids increase). Not a Scheduler itself: it does not know
// "now" and runs nothing; its owner pops due entries and runs them.
#ifndef CLOCK_TIMER_QUEUE_H_
#define CLOCK_TIMER_QUEUE_H_

#include <cstddef>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "clock/scheduler.h"

namespace clocks {

class TimerQueue {
 public:
  struct Entry {
    TimerId id;
    absl::Time when;
    absl::AnyInvocable<void()> callback;
  };

  // Adds a timer; returns its id (1, 2, 3, ...).
  TimerId Add(absl::Time when, absl::AnyInvocable<void()> callback);
  // Removes a pending timer; false if `id` is not pending.
  bool Cancel(TimerId id);
  // Due time of the earliest pending timer, if any.
  std::optional<absl::Time> NextDue() const;
  // Removes and returns the earliest timer if it is due at or before `now`.
  std::optional<Entry> PopDue(absl::Time now);
  size_t size() const { return ordered_.size(); }
  bool empty() const { return ordered_.empty(); }

 private:
  using Key = std::pair<absl::Time, TimerId>;
  std::map<Key, absl::AnyInvocable<void()>> ordered_;
  absl::flat_hash_map<TimerId, absl::Time> due_by_id_;  // lookup only
  TimerId next_id_ = 1;
};

}  // namespace clocks

#endif  // CLOCK_TIMER_QUEUE_H_
