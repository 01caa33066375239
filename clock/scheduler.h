// The Scheduler seam: "now" on a monotonic timeline and one-shot timers.
// Protocol code asks it to be called back later (poll timers, iburst,
// drift-file writes) and never sleeps or reads a clock for that purpose.
// Implementations: net/poll_loop (real, single-threaded poll() loop on
// CLOCK_MONOTONIC), ManualScheduler (unit tests), sim's event queue.
#ifndef CLOCK_SCHEDULER_H_
#define CLOCK_SCHEDULER_H_

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace clocks {

// Identifies one scheduled callback. Never 0; never reused by a scheduler.
using TimerId = uint64_t;

class Scheduler {
 public:
  Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  virtual ~Scheduler() = default;

  // The current time on the scheduler's monotonic timeline. It is not wall
  // time and is never stepped: only differences and comparisons between
  // values from the same scheduler mean anything. Constant while one callback
  // runs (every handler of an event sees the same "now").
  virtual absl::Time Now() = 0;

  // Runs `callback` once, from the scheduler's loop, at or after `when` (a
  // time in the past means "as soon as possible"). Never runs it from inside
  // RunAt. Callbacks due at the same time run in the order they were
  // scheduled. A callback may schedule and cancel timers, including itself.
  // Returns the id to pass to Cancel.
  virtual TimerId RunAt(absl::Time when, absl::AnyInvocable<void()> callback) = 0;

  // RunAt(Now() + delay, ...).
  TimerId RunAfter(absl::Duration delay, absl::AnyInvocable<void()> callback) {
    return RunAt(Now() + delay, std::move(callback));
  }

  // Cancels a pending callback. Returns true if it was pending (it will now
  // never run); false if it already ran, was cancelled, or is unknown.
  virtual bool Cancel(TimerId id) = 0;
};

}  // namespace clocks

#endif  // CLOCK_SCHEDULER_H_
