// PollLoop: the daemon's single-threaded event loop. It implements the
// Scheduler seam on CLOCK_MONOTONIC and dispatches readable file descriptors.
//
// Contract with the kernel (kept so the daemon also runs under a
// syscall-level time simulator; net/udp_socket.h states the socket half):
//  - one thread: every method except Stop() is called from the thread that
//    runs the loop; the loop starts no thread and nothing forks after Start;
//  - it waits in poll(2) (never epoll, select or ppoll) and reads time only
//    with clock_gettime(CLOCK_MONOTONIC);
//  - the poll set holds only the descriptors callers watch (sockets, in the
//    daemon) plus, in WakeMode::kEventFd, one eventfd; there is no self-pipe.
//    In WakeMode::kInterrupt the set holds only the watched descriptors and
//    Stop() from a signal handler wakes poll by EINTR (poll(2) is never
//    restarted after a handler, signal(7)).
#ifndef NET_POLL_LOOP_H_
#define NET_POLL_LOOP_H_

#include <poll.h>
#include <signal.h>

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
  // How Stop() wakes a loop that waits in poll().
  enum class WakeMode {
    // An eventfd in the poll set (eventfd(2) + fcntl); Stop() writes to it.
    // If the kernel (or a simulator) refuses eventfd, Create falls back to
    // kInterrupt.
    kEventFd,
    // Only the watched descriptors are polled. Stop() from a signal handler
    // interrupts poll (EINTR); Stop() from a callback is seen before the
    // next poll. A signal that lands between the last check of the stop
    // flag and the entry into poll is seen at the latest after
    // kInterruptModeMaxWait, which bounds each wait in this mode.
    kInterrupt,
  };
  static constexpr absl::Duration kInterruptModeMaxWait = absl::Seconds(1);

  // Never fails in kInterrupt mode; kEventFd falls back to kInterrupt.
  static absl::StatusOr<std::unique_ptr<PollLoop>> Create(
      WakeMode mode = WakeMode::kEventFd);
  ~PollLoop() override;

  // The mode in effect (kInterrupt after a fallback).
  WakeMode wake_mode() const { return wake_fd_ >= 0 ? WakeMode::kEventFd : WakeMode::kInterrupt; }

  // CLOCK_MONOTONIC, read once per dispatch round (constant inside callbacks).
  absl::Time Now() override { return now_; }
  clocks::TimerId RunAt(absl::Time when, absl::AnyInvocable<void()> callback) override;
  bool Cancel(clocks::TimerId id) override { return timers_.Cancel(id); }

  // Calls `on_readable` each round in which `fd` is readable. REQUIRES: `fd`
  // is open and not already watched. The caller keeps ownership of `fd` and
  // must Unwatch it before closing it.
  void WatchReadable(int fd, absl::AnyInvocable<void()> on_readable);
  // Stops watching `fd` (readable and writable); safe from inside any
  // callback.
  void Unwatch(int fd);
  // Calls `on_writable` each round in which `fd` is writable (POLLOUT, or an
  // error or hang-up on it), for non-blocking connect and stream sends
  // (net/tcp_stream.h). Same REQUIRES as WatchReadable; `fd` may be watched
  // for both. Replaces an earlier writable callback of `fd`.
  void WatchWritable(int fd, absl::AnyInvocable<void()> on_writable);
  // Stops watching `fd` for writability only; safe from inside any callback.
  void UnwatchWritable(int fd);
  // How many descriptors the next poll() waits on (watched + wake-up fd).
  size_t poll_set_size() const;

  // Waits up to `max_wait` (less if a timer falls due) for readable fds, then
  // runs due timers and readable callbacks. Returns how many callbacks ran.
  // A wait interrupted by a signal (EINTR) is a round with no readable fds.
  absl::StatusOr<int> RunOnce(absl::Duration max_wait);
  // Runs rounds until Stop() is called or the monotonic `deadline` passes.
  absl::Status Run(absl::Time deadline = absl::InfiniteFuture());
  // Makes Run return after the current round. Async-signal-safe (it sets a
  // flag and, in kEventFd mode, writes to the eventfd), so a SIGTERM handler
  // may call it.
  void Stop();

 private:
  explicit PollLoop(int wake_fd);
  void RefreshNow();

  absl::Time now_;
  clocks::TimerQueue timers_;
  // Ordered by fd (deterministic dispatch order); shared so a callback can
  // unwatch its own fd while it runs.
  std::map<int, std::shared_ptr<absl::AnyInvocable<void()>>> watchers_;
  std::map<int, std::shared_ptr<absl::AnyInvocable<void()>>> write_watchers_;
  std::vector<struct pollfd> poll_fds_;  // scratch for RunOnce
  const int wake_fd_;                    // eventfd, or -1 in kInterrupt mode
  volatile sig_atomic_t stop_requested_ = 0;
};

}  // namespace net

#endif  // NET_POLL_LOOP_H_
