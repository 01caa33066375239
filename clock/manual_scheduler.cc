#include "clock/manual_scheduler.h"

namespace clocks {

TimerId ManualScheduler::RunAt(absl::Time when,
                               absl::AnyInvocable<void()> callback) {
  return timers_.Add(when, std::move(callback));
}

int ManualScheduler::AdvanceTo(absl::Time target) {
  int ran = 0;
  while (auto entry = timers_.PopDue(target)) {
    if (entry->when > now_) now_ = entry->when;
    entry->callback();
    ++ran;
  }
  if (target > now_) now_ = target;
  return ran;
}

}  // namespace clocks
