// PollLoop: the daemon's single-threaded event loop. It implements the
// Scheduler seam on CLOCK_MONOTONIC and dispatches readable file descriptors,
// using poll() (not epoll) so it also runs under syscall-level simulators.
#ifndef NET_POLL_LOOP_H_
#define NET_POLL_LOOP_H_

#include <poll.h>

#include <map>
#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clock/scheduler.h"
#include "clock/timer_queue.h"

namespace net {

class PollLoop final : public clocks::Scheduler {
 public:
  // Fails only if the internal wake-up pipe cannot be created.
  static absl::StatusOr<std::unique_ptr<PollLoop>> Create();
  ~PollLoop() override;

  // CLOCK_MONOTONIC, read once per dispatch round (constant inside callbacks).
  absl::Time Now() override { return now_; }
  clocks::TimerId RunAt(absl::Time when, absl::AnyInvocable<void()> callback) override;
  bool Cancel(clocks::TimerId id) override { return timers_.Cancel(id); }

  // Calls `on_readable` each round in which `fd` is readable. REQUIRES: `fd`
  // is open and not already watched. The caller keeps ownership of `fd` and
  // must Unwatch it before closing it.
  void WatchReadable(int fd, absl::AnyInvocable<void()> on_readable);
  // Stops watching `fd`; safe from inside any callback.
  void Unwatch(int fd);

  // Waits up to `max_wait` (less if a timer falls due) for readable fds, then
  // runs due timers and readable callbacks. Returns how many callbacks ran.
  absl::StatusOr<int> RunOnce(absl::Duration max_wait);
  // Runs rounds until Stop() is called or the monotonic `deadline` passes.
  absl::Status Run(absl::Time deadline = absl::InfiniteFuture());
  // Makes Run return after the current round. Async-signal-safe (it writes a
  // byte to a pipe), so a SIGTERM handler may call it.
  void Stop();

 private:
  PollLoop(int wake_read_fd, int wake_write_fd);
  void RefreshNow();

  absl::Time now_;
  clocks::TimerQueue timers_;
  // Ordered by fd (deterministic dispatch order); shared so a callback can
  // unwatch its own fd while it runs.
  std::map<int, std::shared_ptr<absl::AnyInvocable<void()>>> watchers_;
  std::vector<struct pollfd> poll_fds_;  // scratch for RunOnce
  const int wake_read_fd_;
  const int wake_write_fd_;
  volatile int stop_requested_ = 0;
};

}  // namespace net

#endif  // NET_POLL_LOOP_H_
