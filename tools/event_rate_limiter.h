// A rate limiter in front of the daemon's log: the core reports events that
// remote input can cause at any rate (kiss codes, replies that fail a test,
// servers becoming reachable and unreachable), and a peer that sends them
// on purpose must not flood the log. Each event kind may log at most
// `max_lines` lines per `window`; the rest are dropped and counted, and one
// line "N KIND messages suppressed" says so when the kind's next window
// starts (with its next event) or at Flush(). Panic and exit events are
// never held back.
//
// Time comes from the `now` function (monotonic; the daemon passes its
// scheduler's time, tests a fake). Single-threaded.
#ifndef TOOLS_EVENT_RATE_LIMITER_H_
#define TOOLS_EVENT_RATE_LIMITER_H_

#include <cstdint>
#include <functional>
#include <map>

#include "absl/time/time.h"
#include "ntp/events.h"

namespace tools {

class RateLimitedEvents final : public ntp::EventSink {
 public:
  struct Options {
    int max_lines = 10;
    absl::Duration window = absl::Minutes(1);
  };

  // REQUIRES: out outlives this; now is callable.
  RateLimitedEvents(ntp::EventSink* out, std::function<absl::Time()> now,
                    Options options);
  RateLimitedEvents(ntp::EventSink* out, std::function<absl::Time()> now)
      : RateLimitedEvents(out, std::move(now), Options()) {}

  void OnEvent(const ntp::Event& event) override;
  // Reports every count of suppressed lines not reported yet (at exit).
  void Flush();

  // Lines dropped since the start.
  uint64_t suppressed() const { return suppressed_; }

 private:
  struct Window {
    absl::Time start = absl::InfinitePast();
    int lines = 0;
    uint64_t suppressed = 0;  // in this window, not reported yet
  };
  void Report(ntp::EventKind kind, Window& window);

  ntp::EventSink* const out_;
  const std::function<absl::Time()> now_;
  const Options options_;
  // Ordered, so that Flush() reports in a stable order.
  std::map<ntp::EventKind, Window> windows_;
  uint64_t suppressed_ = 0;
};

}  // namespace tools

#endif  // TOOLS_EVENT_RATE_LIMITER_H_
