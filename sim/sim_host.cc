#include "sim/sim_host.h"

#include <array>
#include <utility>

namespace sim {
namespace {

// Every counter with its name, in declaration order.
template <typename Counters>
auto Fields(Counters& c) {
  return std::array<std::pair<const char*, decltype(&c.naks)>, 10>{{
      {"ke_completed", &c.ke_completed},
      {"ke_failed", &c.ke_failed},
      {"naks", &c.naks},
      {"authenticated", &c.authenticated},
      {"dropped", &c.dropped},
      {"ke_served", &c.ke_served},
      {"ke_failed_server", &c.ke_failed_server},
      {"rotations", &c.rotations},
      {"requests_served", &c.requests_served},
      {"naks_sent", &c.naks_sent},
  }};
}

}  // namespace

const char* HostExitName(HostExit exit) {
  switch (exit) {
    case HostExit::kRunning: return "running";
    case HostExit::kPanic: return "panic";
    case HostExit::kDone: return "done";
    case HostExit::kError: return "error";
  }
  return "unknown";
}

NtsCounters& NtsCounters::operator+=(const NtsCounters& o) {
  const auto mine = Fields(*this);
  const auto theirs = Fields(o);
  for (size_t i = 0; i < mine.size(); ++i) *mine[i].second += *theirs[i].second;
  return *this;
}

const uint64_t* NtsCounters::Find(std::string_view name) const {
  for (const auto& [n, p] : Fields(*this)) {
    if (name == n) return p;
  }
  return nullptr;
}

const std::vector<std::string>& NtsCounters::Names() {
  static const std::vector<std::string>* names = [] {
    auto* v = new std::vector<std::string>;
    NtsCounters c;
    for (const auto& [n, p] : Fields(c)) v->push_back(n);
    return v;
  }();
  return *names;
}

}  // namespace sim
