// Which local addresses the NTP port is bound to, and which of those drop
// every packet: the `interface listen|ignore|drop` rules (ntp_misc(5),
// "interface") applied to the machine's interface addresses as ntpd 4.2.8
// applies them. Pure: the daemon lists the interfaces (getifaddrs), the Host
// opens the sockets.
#ifndef NTP_INTERFACE_SELECTION_H_
#define NTP_INTERFACE_SELECTION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "ntp/config/config.h"

namespace ntp {

// One address of one network interface, as the daemon found it.
struct NetworkInterface {
  std::string name;  // "lo", "eth0", "eth0:1"
  net::IpAddress address;
  // The interface's netmask as a prefix length (-1 if unknown). Carried for
  // reports; the rules match their own prefix against `address` only.
  int prefix_length = -1;
  bool loopback = false;  // IFF_LOOPBACK

  friend bool operator==(const NetworkInterface&, const NetworkInterface&) = default;
};

// The action of the last rule in `rules` that matches `interface` (later
// rules override earlier ones), or nullopt if none does. Matching:
//  - `all`: every address except loopback and wildcard ones;
//  - `ipv4` / `ipv6`: every address of that family, wildcard included;
//  - `wildcard`: 0.0.0.0 and ::;
//  - ADDRESS: that address; ADDRESS/N: every address in that prefix;
//  - NAME: the interface name, case-insensitively, with `*` and `?`
//    wildcards (ntpd uses fnmatch(3) with FNM_CASEFOLD).
std::optional<InterfaceRule::Action> MatchingInterfaceAction(
    absl::Span<const InterfaceRule> rules, const NetworkInterface& interface);

// ntpd's decision for one address: the matching rule's action; without
// one, loopback addresses listen, wildcard addresses drop, and every other
// address listens if there are no rules at all and is ignored otherwise
// (naming some interfaces selects only those).
InterfaceRule::Action InterfaceActionFor(absl::Span<const InterfaceRule> rules,
                                         const NetworkInterface& interface);

// The addresses to bind: `listen` ones serve, `drop` ones are bound and
// discard every packet; ignored addresses get no socket. Each list is
// sorted and without duplicates.
struct ListenPlan {
  std::vector<net::IpAddress> listen;
  std::vector<net::IpAddress> drop;

  friend bool operator==(const ListenPlan&, const ListenPlan&) = default;
};

// Applies `rules` to `interfaces` (InterfaceActionFor per address). An
// exact `interface listen ADDRESS` naming an address no interface carries
// is planned as well, unless a later rule ignores or drops it: Linux
// accepts any of 127.0.0.0/8 on lo, and a configuration that names an
// address asks for it (ntpd would skip it silently).
ListenPlan PlanListenAddresses(absl::Span<const InterfaceRule> rules,
                               absl::Span<const NetworkInterface> interfaces);

// The plan without an interface list (the simulator, tests): the exact
// `interface listen ADDRESS` addresses as above if there are any, else the
// wildcard addresses 0.0.0.0 and ::, each of which serves unless a rule
// that matches it (`ipv6`, `wildcard`, `::`, ...) ignores or drops it.
ListenPlan PlanWithoutInterfaceList(absl::Span<const InterfaceRule> rules);

// Rules that matched none of `interfaces` and named no address to bind
// ("interface listen eth7" on a host without eth7), for a start-up warning.
std::vector<const InterfaceRule*> UnmatchedInterfaceRules(
    absl::Span<const InterfaceRule> rules, absl::Span<const NetworkInterface> interfaces);

// Shell-style name match as fnmatch(pattern, name, FNM_CASEFOLD) for the
// patterns interface names use: `*` (any run), `?` (one character), other
// characters literally, ASCII case ignored.
bool InterfaceNameMatches(absl::string_view pattern, absl::string_view name);

}  // namespace ntp

#endif  // NTP_INTERFACE_SELECTION_H_
