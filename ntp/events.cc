#include "ntp/events.h"

namespace ntp {

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kInfo: return "info";
    case EventKind::kWarning: return "warning";
    case EventKind::kClockStep: return "step";
    case EventKind::kClockSlew: return "slew";
    case EventKind::kFrequencySet: return "frequency";
    case EventKind::kSync: return "sync";
    case EventKind::kLostSync: return "lost_sync";
    case EventKind::kKissOfDeath: return "kod";
    case EventKind::kPanic: return "panic";
    case EventKind::kExit: return "exit";
    case EventKind::kLeapArmed: return "leap";
    case EventKind::kDriftFile: return "driftfile";
  }
  return "unknown";
}

}  // namespace ntp
