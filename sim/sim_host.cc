#include "sim/sim_host.h"

namespace sim {

const char* HostExitName(HostExit exit) {
  switch (exit) {
    case HostExit::kRunning: return "running";
    case HostExit::kPanic: return "panic";
    case HostExit::kDone: return "done";
    case HostExit::kError: return "error";
  }
  return "unknown";
}

}  // namespace sim
