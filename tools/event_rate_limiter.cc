#include "tools/event_rate_limiter.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tools {

RateLimitedEvents::RateLimitedEvents(ntp::EventSink* out, std::function<absl::Time()> now,
                                     Options options)
    : out_(out), now_(std::move(now)), options_(options) {}

void RateLimitedEvents::OnEvent(const ntp::Event& event) {
  if (event.kind == ntp::EventKind::kPanic || event.kind == ntp::EventKind::kExit) {
    out_->OnEvent(event);
    return;
  }
  Window& window = windows_[event.kind];
  const absl::Time now = now_();
  if (now - window.start >= options_.window) {
    Report(event.kind, window);
    window.start = now;
    window.lines = 0;
  }
  if (window.lines < options_.max_lines) {
    ++window.lines;
    out_->OnEvent(event);
    return;
  }
  ++window.suppressed;
  ++suppressed_;
}

void RateLimitedEvents::Flush() {
  for (auto& [kind, window] : windows_) Report(kind, window);
}

void RateLimitedEvents::Report(ntp::EventKind kind, Window& window) {
  if (window.suppressed == 0) return;
  out_->OnEvent(ntp::Event{
      kind, absl::StrCat(window.suppressed, " ", ntp::EventKindName(kind), " message",
                         window.suppressed == 1 ? "" : "s", " suppressed (more than ",
                         options_.max_lines, " in ", absl::FormatDuration(options_.window),
                         ")")});
  window.suppressed = 0;
}

}  // namespace tools
