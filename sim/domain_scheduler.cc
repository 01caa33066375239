#include "sim/domain_scheduler.h"

namespace sim {

int64_t DomainScheduler::ToLoopNanos(absl::Time when) const {
  if (when == absl::InfiniteFuture()) return INT64_MAX;
  if (when == absl::InfinitePast()) return INT64_MIN;
  // Ceil to whole nanoseconds, as absl::Ceil(d, absl::Nanoseconds(1))
  // would, without its general division: ToInt64Nanoseconds truncates
  // toward zero (= floor for d > 0, ceil for d < 0) and saturates.
  const absl::Duration d = when - origin_;
  int64_t ns = absl::ToInt64Nanoseconds(d);
  if (ns != INT64_MAX && d > absl::Nanoseconds(ns)) ++ns;
  return ns;
}

clocks::TimerId DomainScheduler::RunAt(absl::Time when,
                                       absl::AnyInvocable<void()> callback) {
  const clocks::TimerId id = loop_->Schedule(ToLoopNanos(when), domain_, domain_,
                                             Phase::kNormal, std::move(callback));
  issued_.push_back(id);
  if (issued_.size() >= compact_at_) {
    size_t kept = 0;
    for (clocks::TimerId t : issued_) {
      if (loop_->IsPending(t)) issued_[kept++] = t;
    }
    issued_.resize(kept);
    compact_at_ = 2 * kept + 64;
  }
  return id;
}

bool DomainScheduler::Cancel(clocks::TimerId id) { return loop_->Cancel(id); }

int DomainScheduler::CancelAll() {
  int cancelled = 0;
  for (clocks::TimerId id : issued_) cancelled += loop_->Cancel(id) ? 1 : 0;
  issued_.clear();
  compact_at_ = 64;
  return cancelled;
}

}  // namespace sim
