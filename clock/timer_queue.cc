#include "clock/timer_queue.h"

namespace clocks {

TimerId TimerQueue::Add(absl::Time when, absl::AnyInvocable<void()> callback) {
  const TimerId id = next_id_++;
  ordered_.emplace(Key{when, id}, std::move(callback));
  due_by_id_.emplace(id, when);
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  auto it = due_by_id_.find(id);
  if (it == due_by_id_.end()) return false;
  ordered_.erase(Key{it->second, id});
  due_by_id_.erase(it);
  return true;
}

std::optional<absl::Time> TimerQueue::NextDue() const {
  if (ordered_.empty()) return std::nullopt;
  return ordered_.begin()->first.first;
}

std::optional<TimerQueue::Entry> TimerQueue::PopDue(absl::Time now) {
  if (ordered_.empty() || ordered_.begin()->first.first > now) return std::nullopt;
  auto node = ordered_.extract(ordered_.begin());
  due_by_id_.erase(node.key().second);
  return Entry{node.key().second, node.key().first, std::move(node.mapped())};
}

}  // namespace clocks
