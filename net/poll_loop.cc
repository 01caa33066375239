#include "net/poll_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "clock/posix_error.h"

namespace net {
namespace {

absl::Time MonotonicNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::TimeFromTimespec(ts);
}

void SetNonBlockingCloexec(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PollLoop>> PollLoop::Create(WakeMode mode) {
  int wake_fd = -1;
  if (mode == WakeMode::kEventFd) {
    // Flags by fcntl, not EFD_NONBLOCK | EFD_CLOEXEC (see the header).
    wake_fd = eventfd(0, 0);
    if (wake_fd >= 0) SetNonBlockingCloexec(wake_fd);
  }
  return std::unique_ptr<PollLoop>(new PollLoop(wake_fd));
}

PollLoop::PollLoop(int wake_fd) : now_(MonotonicNow()), wake_fd_(wake_fd) {}

PollLoop::~PollLoop() {
  if (wake_fd_ >= 0) close(wake_fd_);
}

void PollLoop::RefreshNow() {
  const absl::Time t = MonotonicNow();
  if (t > now_) now_ = t;
}

clocks::TimerId PollLoop::RunAt(absl::Time when, absl::AnyInvocable<void()> callback) {
  return timers_.Add(when, std::move(callback));
}

void PollLoop::WatchReadable(int fd, absl::AnyInvocable<void()> on_readable) {
  watchers_[fd] =
      std::make_shared<absl::AnyInvocable<void()>>(std::move(on_readable));
}

void PollLoop::Unwatch(int fd) {
  watchers_.erase(fd);
  write_watchers_.erase(fd);
}

void PollLoop::WatchWritable(int fd, absl::AnyInvocable<void()> on_writable) {
  write_watchers_[fd] =
      std::make_shared<absl::AnyInvocable<void()>>(std::move(on_writable));
}

void PollLoop::UnwatchWritable(int fd) { write_watchers_.erase(fd); }

size_t PollLoop::poll_set_size() const {
  size_t n = watchers_.size() + (wake_fd_ >= 0 ? 1 : 0);
  for (const auto& [fd, unused] : write_watchers_) {
    if (!watchers_.contains(fd)) ++n;
  }
  return n;
}

void PollLoop::Stop() {
  stop_requested_ = 1;
  if (wake_fd_ < 0) return;  // kInterrupt: the signal itself ends poll()
  const uint64_t one = 1;
  // Best effort: a counter at its maximum already guarantees a wake-up.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

absl::StatusOr<int> PollLoop::RunOnce(absl::Duration max_wait) {
  RefreshNow();
  absl::Duration wait = max_wait;
  if (auto due = timers_.NextDue()) wait = std::min(wait, *due - now_);
  if (wake_fd_ < 0) wait = std::min(wait, kInterruptModeMaxWait);
  // A Stop() seen here (a callback's, or a signal's before this point) must
  // not wait for poll.
  if (stop_requested_) wait = absl::ZeroDuration();
  if (wait < absl::ZeroDuration()) wait = absl::ZeroDuration();
  // Round up to whole milliseconds so a timer is never polled for too early.
  const int64_t timeout_ms =
      wait == absl::InfiniteDuration()
          ? -1
          : absl::ToInt64Milliseconds(wait + absl::Microseconds(999));

  // Reused across rounds: no allocation per round once the set is stable.
  std::vector<pollfd>& fds = poll_fds_;
  fds.clear();
  if (wake_fd_ >= 0) fds.push_back({wake_fd_, POLLIN, 0});
  // One entry per descriptor, ordered by fd: readers and writers merged.
  {
    auto r = watchers_.begin();
    auto w = write_watchers_.begin();
    while (r != watchers_.end() || w != write_watchers_.end()) {
      if (w == write_watchers_.end() || (r != watchers_.end() && r->first < w->first)) {
        fds.push_back({(r++)->first, POLLIN, 0});
      } else if (r == watchers_.end() || w->first < r->first) {
        fds.push_back({(w++)->first, POLLOUT, 0});
      } else {
        fds.push_back({r->first, POLLIN | POLLOUT, 0});
        ++r;
        ++w;
      }
    }
  }
  const int ready = poll(fds.data(), fds.size(),
                         static_cast<int>(std::min<int64_t>(timeout_ms, 1 << 30)));
  if (ready < 0 && errno != EINTR) return clocks::PosixError("poll", errno);
  RefreshNow();

  int ran = 0;
  while (auto entry = timers_.PopDue(now_)) {
    entry->callback();
    ++ran;
  }
  if (ready > 0) {
    size_t first_watched = 0;
    if (wake_fd_ >= 0) {
      first_watched = 1;
      if (fds[0].revents != 0) {
        uint64_t count;  // reading resets the eventfd counter to zero
        [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
      }
    }
    for (size_t i = first_watched; i < fds.size(); ++i) {
      const short revents = fds[i].revents;
      if (revents == 0) continue;
      // Writable first (a connect completing), then readable. An error or
      // hang-up wakes both: each finds it with its own read or write call.
      if ((fds[i].events & POLLOUT) && (revents & (POLLOUT | POLLERR | POLLHUP))) {
        auto it = write_watchers_.find(fds[i].fd);
        if (it != write_watchers_.end()) {  // else unwatched by an earlier callback
          std::shared_ptr<absl::AnyInvocable<void()>> callback = it->second;
          (*callback)();
          ++ran;
        }
      }
      if ((fds[i].events & POLLIN) && (revents & ~POLLOUT)) {
        auto it = watchers_.find(fds[i].fd);
        if (it == watchers_.end()) continue;  // unwatched by an earlier callback
        std::shared_ptr<absl::AnyInvocable<void()>> callback = it->second;
        (*callback)();
        ++ran;
      }
    }
  }
  return ran;
}

absl::Status PollLoop::Run(absl::Time deadline) {
  // A Stop() that came before Run (e.g. an early SIGTERM) still counts.
  while (!stop_requested_) {
    RefreshNow();
    if (now_ >= deadline) break;
    absl::StatusOr<int> ran = RunOnce(deadline - now_);
    if (!ran.ok()) return ran.status();
  }
  stop_requested_ = 0;
  return absl::OkStatus();
}

}  // namespace net
