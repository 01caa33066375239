#include "ntp/interface_selection.h"

#include <algorithm>
#include <cctype>

namespace ntp {
namespace {

using Action = InterfaceRule::Action;
using Match = InterfaceRule::Match;

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool RuleMatches(const InterfaceRule& rule, const NetworkInterface& interface) {
  const net::IpAddress& ip = interface.address;
  const bool wildcard = ip.IsUnspecified();
  switch (rule.match) {
    case Match::kAll:
      return !interface.loopback && !wildcard;
    case Match::kIpv4:
      return ip.is_v4();
    case Match::kIpv6:
      return ip.is_v6();
    case Match::kWildcard:
      return wildcard;
    case Match::kAddress: {
      if (!rule.address.has_value() || rule.address->family() != ip.family()) return false;
      if (rule.prefix_length < 0) return *rule.address == ip;
      const net::IpAddress mask = net::IpAddress::PrefixMask(ip.family(), rule.prefix_length);
      return rule.address->Masked(mask) == ip.Masked(mask);
    }
    case Match::kName:
      return !interface.name.empty() && InterfaceNameMatches(rule.name, interface.name);
  }
  return false;
}

void SortUnique(std::vector<net::IpAddress>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

void Add(ListenPlan& plan, const net::IpAddress& ip, Action action) {
  if (action == Action::kListen) plan.listen.push_back(ip);
  if (action == Action::kDrop) plan.drop.push_back(ip);
}

// The exact `interface listen ADDRESS` addresses that `interfaces` lacks,
// with the action the whole rule list gives them.
void AddNamedAddresses(absl::Span<const InterfaceRule> rules,
                       absl::Span<const NetworkInterface> interfaces, ListenPlan& plan) {
  for (const InterfaceRule& rule : rules) {
    if (rule.action != Action::kListen || rule.match != Match::kAddress ||
        !rule.address.has_value() || rule.prefix_length >= 0) {
      continue;
    }
    const bool carried = std::any_of(interfaces.begin(), interfaces.end(),
                                     [&](const NetworkInterface& i) {
                                       return i.address == *rule.address;
                                     });
    if (carried) continue;
    NetworkInterface named;
    named.address = *rule.address;
    named.loopback = rule.address->IsLoopback();
    Add(plan, named.address, MatchingInterfaceAction(rules, named).value_or(Action::kListen));
  }
}

}  // namespace

bool InterfaceNameMatches(absl::string_view pattern, absl::string_view name) {
  // Iterative glob with one backtrack point (the last `*`).
  size_t p = 0, n = 0;
  size_t star = absl::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || Lower(pattern[p]) == Lower(name[n]))) {
      ++p;
      ++n;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<Action> MatchingInterfaceAction(absl::Span<const InterfaceRule> rules,
                                              const NetworkInterface& interface) {
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    if (RuleMatches(*it, interface)) return it->action;
  }
  return std::nullopt;
}

Action InterfaceActionFor(absl::Span<const InterfaceRule> rules,
                          const NetworkInterface& interface) {
  if (std::optional<Action> action = MatchingInterfaceAction(rules, interface)) return *action;
  if (interface.loopback) return Action::kListen;
  if (interface.address.IsUnspecified()) return Action::kDrop;
  return rules.empty() ? Action::kListen : Action::kIgnore;
}

ListenPlan PlanListenAddresses(absl::Span<const InterfaceRule> rules,
                               absl::Span<const NetworkInterface> interfaces) {
  ListenPlan plan;
  for (const NetworkInterface& interface : interfaces) {
    Add(plan, interface.address, InterfaceActionFor(rules, interface));
  }
  AddNamedAddresses(rules, interfaces, plan);
  SortUnique(plan.listen);
  SortUnique(plan.drop);
  // An address two interfaces carry with different outcomes: serving wins.
  std::erase_if(plan.drop, [&](const net::IpAddress& ip) {
    return std::binary_search(plan.listen.begin(), plan.listen.end(), ip);
  });
  return plan;
}

ListenPlan PlanWithoutInterfaceList(absl::Span<const InterfaceRule> rules) {
  ListenPlan plan;
  AddNamedAddresses(rules, {}, plan);
  if (plan.listen.empty() && plan.drop.empty()) {
    for (const net::IpAddress& any : {net::IpAddress::AnyV4(), net::IpAddress::AnyV6()}) {
      NetworkInterface wildcard;
      wildcard.address = any;
      Add(plan, any, MatchingInterfaceAction(rules, wildcard).value_or(Action::kListen));
    }
  }
  SortUnique(plan.listen);
  SortUnique(plan.drop);
  return plan;
}

std::vector<const InterfaceRule*> UnmatchedInterfaceRules(
    absl::Span<const InterfaceRule> rules, absl::Span<const NetworkInterface> interfaces) {
  std::vector<const InterfaceRule*> out;
  for (const InterfaceRule& rule : rules) {
    if (rule.match == Match::kAddress && rule.prefix_length < 0 &&
        rule.action == Action::kListen) {
      continue;  // bound as named (PlanListenAddresses)
    }
    if (rule.match == Match::kWildcard) continue;  // no interface is the wildcard
    const bool matched = std::any_of(interfaces.begin(), interfaces.end(),
                                     [&](const NetworkInterface& i) { return RuleMatches(rule, i); });
    if (!matched) out.push_back(&rule);
  }
  return out;
}

}  // namespace ntp
