#include "sim/default_hosts.h"

#include "sim/builtin_hosts.h"
#include "sim/ntp_host_adapter.h"

namespace sim {

SimHostFactories DefaultHostFactories() {
  SimHostFactories factories = BuiltinHostFactories();
  factories[scenario::NTPD] = NtpdHostFactory();
  return factories;
}

}  // namespace sim
