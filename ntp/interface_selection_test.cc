#include "ntp/interface_selection.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/parser.h"

namespace ntp {
namespace {

using Action = InterfaceRule::Action;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

net::IpAddress Ip(const std::string& text) { return *net::IpAddress::Parse(text); }

std::vector<InterfaceRule> Rules(const std::string& text) {
  ParsedConfig parsed = ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config.interfaces;
}

NetworkInterface If(const std::string& name, const std::string& address, bool loopback = false) {
  NetworkInterface i;
  i.name = name;
  i.address = Ip(address);
  i.loopback = loopback;
  return i;
}

// A machine with loopback, two Ethernet ports (one with an alias) and IPv6.
const std::vector<NetworkInterface>& Machine() {
  static const auto* machine = new std::vector<NetworkInterface>{
      If("lo", "127.0.0.1", true),        If("lo", "::1", true),
      If("eth0", "192.168.31.223"),       If("eth0", "2001:db8::223"),
      If("eth0:1", "192.168.31.224"),     If("eth1", "10.0.0.5"),
      If("wlan0", "172.16.1.9"),
  };
  return *machine;
}

ListenPlan Plan(const std::string& conf) { return PlanListenAddresses(Rules(conf), Machine()); }

TEST(InterfaceSelectionTest, NoRulesListensEverywhere) {
  ListenPlan plan = Plan("");
  EXPECT_EQ(plan.listen.size(), Machine().size());
  EXPECT_THAT(plan.drop, IsEmpty());
}

TEST(InterfaceSelectionTest, IgnoreIpv6LeavesNoIpv6Socket) {
  // As in ntpd, any rule makes unmatched addresses ignored, except
  // loopback: alone, `ignore ipv6` leaves IPv4 loopback only.
  ListenPlan plan = Plan("interface ignore ipv6\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("127.0.0.1")));
  plan = Plan("interface listen ipv4\ninterface ignore ipv6\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("10.0.0.5"), Ip("127.0.0.1"), Ip("172.16.1.9"),
                                       Ip("192.168.31.223"), Ip("192.168.31.224")));
  EXPECT_THAT(plan.drop, IsEmpty());
}

TEST(InterfaceSelectionTest, ListenOneAddressSelectsOnlyItAndLoopback) {
  // Naming some addresses ignores the others; loopback listens by default.
  ListenPlan plan = Plan("interface listen 192.168.31.223\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("127.0.0.1"), Ip("192.168.31.223"), Ip("::1")));
  EXPECT_THAT(plan.drop, IsEmpty());
  // ... unless loopback is named too.
  plan = Plan("interface listen 192.168.31.223\ninterface ignore lo\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("192.168.31.223")));
}

TEST(InterfaceSelectionTest, LaterRulesOverrideEarlierOnes) {
  ListenPlan plan = Plan("interface ignore all\ninterface listen eth0\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("127.0.0.1"), Ip("192.168.31.223"), Ip("::1"),
                                       Ip("2001:db8::223")));
  // The other order: `all` comes last and wins for eth0 as well.
  plan = Plan("interface listen eth0\ninterface ignore all\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("127.0.0.1"), Ip("::1")));
}

TEST(InterfaceSelectionTest, AllExcludesLoopback) {
  ListenPlan plan = Plan("interface drop all\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("127.0.0.1"), Ip("::1")));
  EXPECT_EQ(plan.drop.size(), Machine().size() - 2);
  plan = Plan("interface drop all\ninterface ignore lo\n");
  EXPECT_THAT(plan.listen, IsEmpty());
}

TEST(InterfaceSelectionTest, DropBindsButIsReportedApart) {
  ListenPlan plan = Plan("interface drop 10.0.0.5\ninterface listen ipv4\n"
                         "interface drop wlan0\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("10.0.0.5"), Ip("127.0.0.1"), Ip("192.168.31.223"),
                                       Ip("192.168.31.224"), Ip("::1")));
  EXPECT_THAT(plan.drop, ElementsAre(Ip("172.16.1.9")));
}

TEST(InterfaceSelectionTest, PrefixesMatchEveryAddressInside) {
  ListenPlan plan = Plan("interface listen 192.168.31.0/24\ninterface ignore 192.168.31.224/32\n"
                         "interface drop 2001:db8::/32\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("127.0.0.1"), Ip("192.168.31.223"), Ip("::1")));
  EXPECT_THAT(plan.drop, ElementsAre(Ip("2001:db8::223")));
  // /0 of one family is that whole family, not the other one.
  plan = Plan("interface listen 0.0.0.0/0\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("10.0.0.5"), Ip("127.0.0.1"), Ip("172.16.1.9"),
                                       Ip("192.168.31.223"), Ip("192.168.31.224"), Ip("::1")));
}

TEST(InterfaceSelectionTest, NamesMatchCaseInsensitivelyWithWildcards) {
  ListenPlan plan = Plan("interface listen ETH*\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("10.0.0.5"), Ip("127.0.0.1"), Ip("192.168.31.223"),
                                       Ip("192.168.31.224"), Ip("::1"), Ip("2001:db8::223")));
  plan = Plan("interface listen eth?\n");  // not eth0:1
  EXPECT_THAT(plan.listen, ElementsAre(Ip("10.0.0.5"), Ip("127.0.0.1"), Ip("192.168.31.223"),
                                       Ip("::1"), Ip("2001:db8::223")));
  EXPECT_TRUE(InterfaceNameMatches("e*0*", "eth0:1"));
  EXPECT_TRUE(InterfaceNameMatches("*", "x"));
  EXPECT_TRUE(InterfaceNameMatches("**a", "bba"));
  EXPECT_FALSE(InterfaceNameMatches("eth", "eth0"));
  EXPECT_FALSE(InterfaceNameMatches("eth0", "eth"));
  EXPECT_FALSE(InterfaceNameMatches("?", ""));
}

TEST(InterfaceSelectionTest, DefaultsPerAddressKind) {
  const std::vector<InterfaceRule> none;
  const std::vector<InterfaceRule> some = Rules("interface listen eth9\n");
  EXPECT_EQ(InterfaceActionFor(none, If("eth0", "10.0.0.1")), Action::kListen);
  EXPECT_EQ(InterfaceActionFor(some, If("eth0", "10.0.0.1")), Action::kIgnore);
  EXPECT_EQ(InterfaceActionFor(some, If("lo", "127.0.0.1", true)), Action::kListen);
  EXPECT_EQ(InterfaceActionFor(none, If("", "0.0.0.0")), Action::kDrop);
  EXPECT_EQ(InterfaceActionFor(Rules("interface listen wildcard\n"), If("", "::")),
            Action::kListen);
  EXPECT_EQ(MatchingInterfaceAction(some, If("eth0", "10.0.0.1")), std::nullopt);
}

TEST(InterfaceSelectionTest, NamedAddressNoInterfaceCarriesIsBoundUnlessOverridden) {
  ListenPlan plan = Plan("interface listen 127.0.0.2\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("127.0.0.1"), Ip("127.0.0.2"), Ip("::1")));
  plan = Plan("interface listen 127.0.0.2\ninterface ignore ipv4\n");
  EXPECT_THAT(plan.listen, ElementsAre(Ip("::1")));
  plan = Plan("interface listen 127.0.0.2\ninterface drop 127.0.0.0/8\n");
  EXPECT_THAT(plan.drop, ElementsAre(Ip("127.0.0.1"), Ip("127.0.0.2")));
}

TEST(InterfaceSelectionTest, WithoutInterfaceListTheWildcardsFollowTheRules) {
  EXPECT_EQ(PlanWithoutInterfaceList({}).listen,
            (std::vector<net::IpAddress>{Ip("0.0.0.0"), Ip("::")}));
  EXPECT_EQ(PlanWithoutInterfaceList(Rules("interface ignore ipv6\n")).listen,
            (std::vector<net::IpAddress>{Ip("0.0.0.0")}));
  ListenPlan plan = PlanWithoutInterfaceList(Rules("interface drop wildcard\n"
                                                   "interface listen ipv4\n"));
  EXPECT_THAT(plan.listen, ElementsAre(Ip("0.0.0.0")));
  EXPECT_THAT(plan.drop, ElementsAre(Ip("::")));
  plan = PlanWithoutInterfaceList(Rules("interface listen 127.0.0.2\ninterface listen ::1\n"));
  EXPECT_THAT(plan.listen, ElementsAre(Ip("127.0.0.2"), Ip("::1")));
}

TEST(InterfaceSelectionTest, UnmatchedRulesAreReported) {
  const std::vector<InterfaceRule> rules =
      Rules("interface listen eth7\ninterface listen 127.0.0.2\ninterface ignore 10.9.0.0/16\n"
            "interface drop eth1\n");
  std::vector<const InterfaceRule*> unmatched = UnmatchedInterfaceRules(rules, Machine());
  ASSERT_EQ(unmatched.size(), 2u);
  EXPECT_EQ(unmatched[0]->location.line, 1);
  EXPECT_EQ(unmatched[1]->location.line, 3);
}

}  // namespace
}  // namespace ntp
