#include "sim/scenario_loader.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace sim {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

ScenarioFileReader Files(std::map<std::string, std::string> files) {
  return [files](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError("cannot open " + path);
    return it->second;
  };
}

constexpr char kMinimal[] = R"pb(
  duration_s: 100
  hosts { name: "server" role: RESPONDER addresses: "192.0.2.1" }
  hosts {
    name: "client"
    role: PROBER
    prober { servers: "server" }
    clock { freq_ppm: 10 }
  }
  checks { host: "client" max_steps: 0 }
)pb";

TEST(ScenarioLoaderTest, MinimalScenarioWithDefaults) {
  ASSERT_OK_AND_ASSIGN(LoadedScenario s, ParseScenario(kMinimal, "dir/minimal.textproto"));
  EXPECT_EQ(s.scenario.name(), "minimal");
  EXPECT_EQ(s.default_seed, 1u);
  EXPECT_EQ(s.start, absl::FromUnixSeconds(1704067200));
  EXPECT_EQ(s.sample_interval_s, 1);
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts[1].addresses[0].ToString(), "10.0.0.1");  // assigned
  EXPECT_EQ(s.hosts[1].spec.prober().servers(0), "192.0.2.1");  // resolved
  ASSERT_EQ(s.checks.size(), 1u);
  EXPECT_EQ(s.checks[0].name, "max_steps/client");
  const LinkParams link = s.LinkBetween(0, 1);
  EXPECT_EQ(link.delay_s, 0.0005);
}

TEST(ScenarioLoaderTest, SyntaxErrorsNameFileLineAndColumn) {
  EXPECT_THAT(ParseScenario("duration_s: 10\nhosts { name: \"a\" rol: PROBER }\n", "x.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("x.textproto:2:"), HasSubstr("rol"))));
}

TEST(ScenarioLoaderTest, SemanticErrorsNameFileLineAndFieldPath) {
  constexpr char kBad[] = R"pb(duration_s: 100
hosts { name: "s" role: RESPONDER }
hosts {
  name: "c"
  role: PROBER
  prober { servers: "nowhere" }
  clock {
    freq_ppm: 10
    resolution_s: -1
  }
}
links { from: "c" to: "s" model { loss: 1.5 } }
faults { at_s: 500 host_down: "s" }
checks { host: "x" max_steps: 1 }
)pb";
  const absl::Status status = ParseScenario(kBad, "bad.textproto").status();
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string m(status.message());
  EXPECT_THAT(m, HasSubstr("bad.textproto:6:12: hosts[1].prober.servers[0]: \"nowhere\""));
  EXPECT_THAT(m, HasSubstr("bad.textproto:9:5: hosts[1].clock.resolution_s: must be in (0, 1]"));
  EXPECT_THAT(m, HasSubstr("bad.textproto:12:35: links[0].model.loss: must be a probability"));
  EXPECT_THAT(m, HasSubstr("bad.textproto:13:10: faults[0].at_s: must be within"));
  EXPECT_THAT(m, HasSubstr("bad.textproto:14:10: checks[0].host: \"x\" matches no host"));
}

TEST(ScenarioLoaderTest, MissingRequiredFields) {
  const absl::Status status =
      ParseScenario("hosts { name: \"a\" }\nchecks { host: \"a\" }\n", "m.textproto").status();
  const std::string m(status.message());
  EXPECT_THAT(m, HasSubstr("m.textproto:1:1: duration_s: required"));
  EXPECT_THAT(m, HasSubstr("m.textproto:1:1: hosts[0].role: required"));
  EXPECT_THAT(m, HasSubstr("m.textproto:2:1: checks[0]: no check kind given"));
}

TEST(ScenarioLoaderTest, AttackerAndScriptedResponder) {
  constexpr char kAttack[] = R"pb(duration_s: 100
hosts { name: "s" role: RESPONDER addresses: "192.0.2.1"
        responder { script { at_s: 10 kiss_code: "DENY" } } }
hosts { name: "c" role: NTPD addresses: "192.0.2.2" }
hosts { name: "m" role: ATTACKER attacker { victim: "c" impersonate: "s" } }
checks { host: "c" selects { server: "s" } }
checks { host: "c" leap_announced { leap: 1 } }
)pb";
  ASSERT_OK_AND_ASSIGN(LoadedScenario s, ParseScenario(kAttack, "a.textproto"));
  EXPECT_EQ(s.hosts[2].spec.attacker().victim(), "192.0.2.2");
  EXPECT_EQ(s.hosts[2].spec.attacker().impersonate(), "192.0.2.1");
  ASSERT_EQ(s.checks.size(), 2u);
  EXPECT_EQ(s.checks[0].name, "selects_s/c");
  ASSERT_EQ(s.checks[0].forbidden.size(), 1u);
  EXPECT_EQ(s.checks[0].forbidden[0].ToString(), "192.0.2.1");

  constexpr char kBad[] = R"pb(duration_s: 100
hosts { name: "s" role: RESPONDER responder { script { leap: 4 stratum: 256 kiss_code: "TOOLONG" } } }
hosts { name: "m" role: ATTACKER attacker { victim: "nobody" } }
links { from: "s" to: "m" model { corrupt: 2 } }
checks { host: "s" leap_announced { leap: 3 } }
checks { host: "s" selects { server: "ghost" } }
)pb";
  const absl::Status status = ParseScenario(kBad, "b.textproto").status();
  const std::string m(status.message());
  EXPECT_THAT(m, HasSubstr("hosts[0].responder.script[0].leap: must be 0-3"));
  EXPECT_THAT(m, HasSubstr("hosts[0].responder.script[0].stratum: must be 0-255"));
  EXPECT_THAT(m, HasSubstr("hosts[0].responder.script[0].kiss_code: at most 4"));
  EXPECT_THAT(m, HasSubstr("hosts[1].attacker.impersonate: required"));
  EXPECT_THAT(m, HasSubstr("hosts[1].attacker.victim: \"nobody\" is neither"));
  EXPECT_THAT(m, HasSubstr("links[0].model.corrupt: must be a probability"));
  EXPECT_THAT(m, HasSubstr("checks[0].leap_announced.leap: must be 1 or 2"));
  EXPECT_THAT(m, HasSubstr("checks[1].selects: \"ghost\" is neither"));
}

TEST(ScenarioLoaderTest, PollRelativeToAndNeverSelectsAfterAreChecked) {
  constexpr char kText[] = R"pb(
duration_s: 100
hosts { name: "s" role: RESPONDER }
hosts { name: "c" role: PROBER prober { servers: "s" } }
checks { host: "c" poll { after_s: 10 } }
checks { host: "c" poll { after_s: 200 min_poll_log2: 8 max_poll_log2: 6 } }
checks { host: "c" max_steps: 0 relative_to: "s" }
checks { host: "c" rms_offset { max_s: 1 } relative_to: "nobody" }
checks { host: "c" max_steps: 0 never_selects_after_s: 5 }
)pb";
  const absl::Status status = ParseScenario(kText, "p.textproto").status();
  const std::string m(status.message());
  EXPECT_THAT(m, HasSubstr("p.textproto:5:20: checks[0].poll: bounds nothing"));
  EXPECT_THAT(m, HasSubstr("checks[1].poll.after_s: must be within [0, duration_s]"));
  EXPECT_THAT(m, HasSubstr("checks[1].poll.max_poll_log2: must be >= min_poll_log2"));
  EXPECT_THAT(m, HasSubstr("checks[2].relative_to: only for converge, rms_offset and max_offset"));
  EXPECT_THAT(m, HasSubstr("checks[3].relative_to: \"nobody\" must name exactly one host"));
  EXPECT_THAT(m, HasSubstr("checks[4].never_selects_after_s: only for never_selects"));
}

TEST(ScenarioLoaderTest, DriftFileAgeAndNoStepAfterFirstUpdateAreChecked) {
  constexpr char kText[] = R"pb(
duration_s: 100
hosts { name: "a" role: NTPD drift_file_age_s: 10 }
hosts { name: "b" role: NTPD drift_file_ppm: 1 drift_file_age_s: -1 }
checks { host: "a" no_step_after_first_update: false }
)pb";
  const absl::Status status = ParseScenario(kText, "d.textproto").status();
  const std::string m(status.message());
  EXPECT_THAT(m, HasSubstr("hosts[0].drift_file_age_s: needs drift_file_ppm"));
  EXPECT_THAT(m, HasSubstr("hosts[1].drift_file_age_s: must be finite and >= 0"));
  EXPECT_THAT(m, HasSubstr("checks[0].no_step_after_first_update: must be true"));
}

TEST(ScenarioLoaderTest, CountsAddressesAndPatterns) {
  constexpr char kText[] = R"pb(
    duration_s: 10
    hosts { name: "server" role: RESPONDER addresses: "10.0.0.1" addresses: "2001:db8::1" }
    hosts { name: "client" role: PROBER count: 3 prober { servers: "server" } }
    hosts { name: "other" role: PROBER prober { servers: "2001:db8::1" } }
    links { from: "client*" to: "server" model { delay_s: 0.01 asymmetry_s: 0.004 } }
    links { from: "client1" to: "server" one_way: true model { delay_s: 0.02 } }
    checks { host: "client" name: "steps" max_steps: 2 }
    checks { host: "other" never_selects: "server" }
  )pb";
  ASSERT_OK_AND_ASSIGN(LoadedScenario s, ParseScenario(kText, "c.textproto"));
  ASSERT_EQ(s.hosts.size(), 5u);
  EXPECT_EQ(s.hosts[1].spec.name(), "client0");
  EXPECT_EQ(s.hosts[3].spec.name(), "client2");
  // Auto addresses skip the one already used.
  EXPECT_EQ(s.hosts[1].addresses[0].ToString(), "10.0.0.2");
  EXPECT_EQ(s.hosts[4].addresses[0].ToString(), "10.0.0.5");
  EXPECT_EQ(s.hosts[4].spec.prober().servers(0), "2001:db8::1");
  EXPECT_DOUBLE_EQ(s.LinkBetween(1, 0).delay_s, 0.012);  // client0 -> server
  EXPECT_DOUBLE_EQ(s.LinkBetween(0, 1).delay_s, 0.008);  // server -> client0
  EXPECT_DOUBLE_EQ(s.LinkBetween(2, 0).delay_s, 0.02);   // client1 -> server, one way
  EXPECT_DOUBLE_EQ(s.LinkBetween(0, 2).delay_s, 0.008);
  EXPECT_DOUBLE_EQ(s.LinkBetween(4, 0).delay_s, 0.0005);  // default
  ASSERT_EQ(s.checks.size(), 4u);
  EXPECT_EQ(s.checks[0].name, "steps/client0");
  EXPECT_EQ(s.checks[3].forbidden.size(), 2u);
}

TEST(ScenarioLoaderTest, ConfigFilesAndHostReferences) {
  constexpr char kText[] = R"pb(
    duration_s: 10
    hosts { name: "upstream" role: RESPONDER addresses: "198.51.100.7" }
    hosts { name: "a" role: NTPD ntp_conf: "server ${host:upstream} iburst\n" }
    hosts { name: "b" role: NTPD ntp_conf_file: "confs/b.conf" flags: "-g" }
  )pb";
  ASSERT_OK_AND_ASSIGN(
      LoadedScenario s,
      ParseScenario(kText, "scen/t.textproto",
                    Files({{"scen/confs/b.conf", "server ${host:upstream}\n"}})));
  EXPECT_EQ(s.hosts[1].spec.ntp_conf(), "server 198.51.100.7 iburst\n");
  EXPECT_EQ(s.hosts[2].spec.ntp_conf(), "server 198.51.100.7\n");
  const absl::Status missing =
      ParseScenario(kText, "scen/t.textproto", Files({})).status();
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("scen/t.textproto:5:")));
  EXPECT_THAT(missing.message(), HasSubstr("hosts[2].ntp_conf_file: cannot open scen/confs/b.conf"));
  EXPECT_THAT(ParseScenario("duration_s: 1 hosts { name: \"a\" role: NTPD ntp_conf: "
                            "\"server ${host:zz}\" }",
                            "r.textproto")
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("${host:zz}")));
}

TEST(ScenarioLoaderTest, FaultsAreResolvedAndSorted) {
  constexpr char kText[] = R"pb(
    duration_s: 100
    hosts { name: "a" role: RESPONDER }
    hosts { name: "b" role: RESPONDER }
    hosts { name: "c" role: RESPONDER }
    faults { at_s: 50 heal: true }
    faults { at_s: 10 partition { groups { hosts: "a" } groups { hosts: "b" hosts: "c" } } }
    faults { at_s: 20 link_down { from: "a" to: "*" } }
    faults { at_s: 30 route_change { from: "a" to: "b" one_way: true delay_change_s: 0.1 } }
  )pb";
  ASSERT_OK_AND_ASSIGN(LoadedScenario s, ParseScenario(kText, "f.textproto"));
  ASSERT_EQ(s.faults.size(), 4u);
  EXPECT_EQ(s.faults[0].at_s, 10);
  EXPECT_EQ(s.faults[0].group_of_host, (std::vector<int>{0, 1, 1}));
  EXPECT_EQ(s.faults[1].links.size(), 4u);  // a<->b, a<->c
  EXPECT_EQ(s.faults[2].links, (std::vector<std::pair<int, int>>{{0, 1}}));
  EXPECT_EQ(s.faults[3].at_s, 50);
}

TEST(ScenarioLoaderTest, RejectsDuplicatesAndBadFlags) {
  constexpr char kText[] = R"pb(
    duration_s: 10
    hosts { name: "a" role: RESPONDER addresses: "10.1.1.1" }
    hosts { name: "a" role: NTPD addresses: "10.1.1.1" flags: "-z" }
    default_link { asymmetry_s: 0.1 }
  )pb";
  const std::string m(ParseScenario(kText, "d.textproto").status().message());
  EXPECT_THAT(m, HasSubstr("hosts[1].addresses[0]: address 10.1.1.1 is used by another host"));
  EXPECT_THAT(m, HasSubstr("hosts[1].flags[0]: unknown daemon flag \"-z\""));
  EXPECT_THAT(m, HasSubstr("duplicate host name \"a\""));
  EXPECT_THAT(m, HasSubstr("default_link.asymmetry_s"));
}

TEST(ScenarioLoaderTest, ResponderRefIdIsOneToFourPrintableCharacters) {
  constexpr char kText[] = R"pb(
    duration_s: 10
    hosts { name: "a" role: RESPONDER responder { refid: "GPS" } }
    hosts { name: "b" role: RESPONDER responder { refid: "TOOLONG" } }
    hosts { name: "c" role: RESPONDER responder { refid: "A B" } }
  )pb";
  const std::string m(ParseScenario(kText, "r.textproto").status().message());
  EXPECT_THAT(m, Not(HasSubstr("hosts[0]")));
  EXPECT_THAT(m, HasSubstr("hosts[1].responder.refid: at most 4 characters"));
  EXPECT_THAT(m, HasSubstr("hosts[2].responder.refid: printable ASCII characters other than "
                           "space only"));
}

TEST(ScenarioLoaderTest, NtsServerAndCounterChecks) {
  constexpr char kNts[] = R"pb(duration_s: 100
hosts { name: "ts" role: NTPD nts_server { ke_port: 4461 rotate_at_s: 50 } }
hosts { name: "c" role: NTPD }
checks { host: "c" nts { counter: "naks" min: 1 } }
)pb";
  ASSERT_OK_AND_ASSIGN(LoadedScenario s, ParseScenario(kNts, "n.textproto"));
  EXPECT_TRUE(s.hosts[0].spec.has_nts_server());
  EXPECT_FALSE(s.hosts[1].spec.has_nts_server());
  ASSERT_EQ(s.checks.size(), 1u);
  EXPECT_EQ(s.checks[0].name, "nts_naks/c");

  constexpr char kBad[] = R"pb(duration_s: 100
hosts { name: "p" role: RESPONDER nts_server { ke_port: 70000 rotation_interval_s: 0
                                               rotate_at_s: 200 } }
checks { host: "p" nts { counter: "cookies" } }
checks { host: "p" nts { counter: "naks" min: 3 max: 2 } }
)pb";
  const std::string m(ParseScenario(kBad, "b.textproto").status().message());
  EXPECT_THAT(m, HasSubstr("b.textproto:2:"));
  EXPECT_THAT(m, HasSubstr("hosts[0].nts_server: only for NTPD hosts"));
  EXPECT_THAT(m, HasSubstr("hosts[0].nts_server.ke_port: must be 1-65535"));
  EXPECT_THAT(m, HasSubstr("hosts[0].nts_server.rotation_interval_s: must be >= 1"));
  EXPECT_THAT(m, HasSubstr("hosts[0].nts_server.rotate_at_s[0]: must be within"));
  EXPECT_THAT(m, HasSubstr("checks[0].nts.counter: unknown counter \"cookies\" (known: "));
  EXPECT_THAT(m, HasSubstr("checks[0].nts: give min, max or both"));
  EXPECT_THAT(m, HasSubstr("checks[1].nts.max: must be >= min"));
}

}  // namespace
}  // namespace sim
