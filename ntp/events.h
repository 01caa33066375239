// Events an NTP instance reports about itself: what a sysadmin would see in
// ntpd's log (steps, panics, kiss codes, source changes) and what the
// simulator records and checks. The core reports them through an EventSink;
// the daemon logs them, the simulator timestamps and digests them.
#ifndef NTP_EVENTS_H_
#define NTP_EVENTS_H_

#include <string>

namespace ntp {

enum class EventKind {
  kInfo,            // anything worth a log line
  kWarning,         // configuration or runtime problem, service continues
  kClockStep,       // clock stepped; text has the offset
  kClockSlew,       // slew started (only for large corrections)
  kFrequencySet,    // frequency correction changed by a restart/drift file
  kSync,            // first synchronisation / new system peer
  kLostSync,        // no usable source any more (holdover)
  kKissOfDeath,     // KoD received; text has the code and server
  kPanic,           // offset beyond the panic threshold: the daemon exits
  kExit,            // clean exit (e.g. -q done, SIGTERM)
  kLeapArmed,       // leap second announced to the kernel
  kDriftFile,       // drift file read or written
};

const char* EventKindName(EventKind kind);

struct Event {
  EventKind kind = EventKind::kInfo;
  std::string text;  // one line, no trailing newline, no key material
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Called synchronously by the core; must not call back into it.
  virtual void OnEvent(const Event& event) = 0;
};

}  // namespace ntp

#endif  // NTP_EVENTS_H_
