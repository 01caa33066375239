// Test data for the restrict table at scale: the seed configuration's six
// restrict lines (testdata/configs/seed/server-ntp.conf) and the same with
// thousands of generated lines after them. Shared by the scale test and the
// access-control benchmark so both measure the same table.
#ifndef NTP_SERVER_RESTRICT_SCALE_TESTING_H_
#define NTP_SERVER_RESTRICT_SCALE_TESTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "net/address.h"

namespace ntp::testing {

// The seed's restrict lines, server line and fudge.
std::string SeedServerConfig();

// SeedServerConfig() plus `extra` generated restrict lines, deterministic
// (20,000 of them take about 1.2 MB): IPv4 hosts in 10.0.0.0/8 with an
// explicit host mask (60%), IPv4 /24 networks in 172.16.0.0/12 (20%),
// IPv6 hosts (15%) and IPv6 /64 networks (5%) in 2001:db8::/32, with
// flags that leave time service alone; some lines repeat an earlier
// address (flags merge).
// With `seed_flags`, every generated line has the seed default's flags
// (kod nomodify notrap nopeer noquery), so a request does exactly the same
// work whichever entry it matches.
std::string ManyRestrictConfig(int extra, bool seed_flags = false);

// `count` source addresses for lookups: a quarter named by the generated
// lines, the rest anywhere in 10/8, 172.16/12, 192.168.31/24 and
// 2001:db8::/32 (most match only a network or a default entry).
std::vector<net::IpAddress> LookupSources(int count);

}  // namespace ntp::testing

#endif  // NTP_SERVER_RESTRICT_SCALE_TESTING_H_
