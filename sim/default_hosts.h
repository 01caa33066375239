// The host factories of the ntpsim program and the scenario tests: the
// built-in prober and responder, plus the NTPD role (the project's
// ntp::Host) when its adapter is linked in.
#ifndef SIM_DEFAULT_HOSTS_H_
#define SIM_DEFAULT_HOSTS_H_

#include "sim/sim_host.h"

namespace sim {

SimHostFactories DefaultHostFactories();

}  // namespace sim

#endif  // SIM_DEFAULT_HOSTS_H_
