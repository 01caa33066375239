#include "ntp/config/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/address.h"

namespace ntp {
namespace {

net::IpAddress Ip(const char* text) { return *net::IpAddress::Parse(text); }

TEST(RefclockAddressTest, FromAddress) {
  std::optional<RefclockAddress> local =
      RefclockAddress::FromAddress(Ip("127.127.1.0"));
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->type, 1);
  EXPECT_EQ(local->unit, 0);
  EXPECT_TRUE(local->is_local_clock());
  EXPECT_EQ(local->DisplayName(), "LOCAL(0)");
  EXPECT_EQ(local->ToString(), "127.127.1.0");
  EXPECT_EQ(local->ToAddress(), Ip("127.127.1.0"));

  std::optional<RefclockAddress> gps =
      RefclockAddress::FromAddress(Ip("127.127.20.3"));
  ASSERT_TRUE(gps.has_value());
  EXPECT_FALSE(gps->is_local_clock());
  EXPECT_EQ(gps->DisplayName(), "REFCLK(20,3)");

  EXPECT_FALSE(RefclockAddress::FromAddress(Ip("127.0.0.1")).has_value());
  EXPECT_FALSE(RefclockAddress::FromAddress(Ip("127.128.1.0")).has_value());
  EXPECT_FALSE(RefclockAddress::FromAddress(Ip("::1")).has_value());
}

TEST(RefclockAddressTest, Ordering) {
  RefclockAddress a{1, 0}, b{1, 1}, c{2, 0};
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a, (RefclockAddress{1, 0}));
}

TEST(RestrictFlagsTest, ToStringMergeAndNone) {
  RestrictFlags flags;
  EXPECT_TRUE(flags.none());
  EXPECT_EQ(flags.ToString(), "");
  flags.kod = flags.nomodify = flags.notrap = flags.nopeer = flags.noquery =
      true;
  EXPECT_FALSE(flags.none());
  EXPECT_EQ(flags.ToString(), "kod nomodify nopeer noquery notrap");
  RestrictFlags more;
  more.limited = true;
  more.serverresponse_fuzz = true;
  flags.MergeFrom(more);
  EXPECT_EQ(flags.ToString(),
            "kod limited nomodify nopeer noquery notrap serverresponse fuzz");
  EXPECT_TRUE(flags.kod);  // merging never clears
}

TEST(RestrictRuleTest, AppliesToFamily) {
  using F = net::IpAddress::Family;
  RestrictRule both;
  both.is_default = true;
  EXPECT_TRUE(both.AppliesToFamily(F::kV4));
  EXPECT_TRUE(both.AppliesToFamily(F::kV6));
  RestrictRule v6 = both;
  v6.family = F::kV6;
  EXPECT_FALSE(v6.AppliesToFamily(F::kV4));
  EXPECT_TRUE(v6.AppliesToFamily(F::kV6));
  RestrictRule source;
  source.is_source = true;
  EXPECT_FALSE(source.AppliesToFamily(F::kV4));
  RestrictRule host;
  host.family = F::kV4;
  host.address = Ip("192.168.31.0");
  host.mask = Ip("255.255.255.0");
  EXPECT_TRUE(host.AppliesToFamily(F::kV4));
  EXPECT_EQ(host.prefix_length(), 24);
  RestrictRule unresolved;
  EXPECT_EQ(unresolved.prefix_length(), -1);
}

TEST(StatsTypeTest, Names) {
  EXPECT_STREQ(StatsTypeName(StatsType::kLoopstats), "loopstats");
  EXPECT_STREQ(StatsTypeName(StatsType::kTimingstats), "timingstats");
}

TEST(NtpConfigTest, ServerViewsAndFudgeLookup) {
  NtpConfig config;
  ServerConfig local;
  local.host = "127.127.1.0";
  local.refclock = RefclockAddress{1, 0};
  ServerConfig remote;
  remote.host = "192.168.31.223";
  config.servers = {local, remote};
  ASSERT_EQ(config.RefclockServers().size(), 1u);
  EXPECT_EQ(config.RefclockServers()[0]->host, "127.127.1.0");
  ASSERT_EQ(config.NetworkServers().size(), 1u);
  EXPECT_EQ(config.NetworkServers()[0]->host, "192.168.31.223");
  EXPECT_EQ(config.FindFudge(RefclockAddress{1, 0}), nullptr);
  config.fudges[RefclockAddress{1, 0}].stratum = 10;
  ASSERT_NE(config.FindFudge(RefclockAddress{1, 0}), nullptr);
  EXPECT_EQ(config.FindFudge(RefclockAddress{1, 0})->stratum, 10);
}

TEST(NtpConfigTest, DefaultsMatchNtpd428) {
  NtpConfig config;
  EXPECT_DOUBLE_EQ(config.tinker.step_seconds, 0.128);
  EXPECT_DOUBLE_EQ(config.tinker.stepout_seconds, 300);
  EXPECT_DOUBLE_EQ(config.tinker.panic_seconds, 1000);
  EXPECT_DOUBLE_EQ(config.tinker.dispersion_ppm, 15);
  EXPECT_EQ(config.tinker.allan_log2_seconds, 11);
  EXPECT_EQ(config.tos.minsane, 1);
  EXPECT_EQ(config.tos.minclock, 3);
  EXPECT_EQ(config.tos.maxclock, 10);
  EXPECT_DOUBLE_EQ(config.tos.maxdist_seconds, 1.5);
  EXPECT_DOUBLE_EQ(config.tos.mindist_seconds, 0.001);
  EXPECT_EQ(config.tos.orphan_stratum, 16);
  EXPECT_DOUBLE_EQ(config.tos.orphanwait_seconds, 300);
  EXPECT_EQ(config.discard.average_log2_seconds, 3);
  EXPECT_EQ(config.discard.minimum_seconds, 2);
  EXPECT_TRUE(config.system.auth);
  EXPECT_TRUE(config.system.monitor);
  EXPECT_FALSE(config.system.mode7);
  ServerConfig server;
  EXPECT_EQ(server.minpoll, 6);
  EXPECT_EQ(server.maxpoll, 10);
  EXPECT_EQ(server.version, 4);
}

TEST(NtpConfigTest, WithoutProvenanceClearsEveryLocation) {
  NtpConfig a;
  ServerConfig server;
  server.host = "10.0.0.1";
  server.location = {"a.conf", 3, 1};
  a.servers.push_back(server);
  a.keys = ConfigPath{"/root/etc/ntp/keys", "/etc/ntp/keys", {"a.conf", 4, 6}};
  a.tinker.location = SourceLocation{"a.conf", 5, 1};
  a.trustedkey_locations.push_back({"a.conf", 6, 1});
  a.included_files.push_back(ConfigPath{"/x", "/x", {"a.conf", 7, 13}});
  a.ignored.push_back(IgnoredDirective{"crypto", {"a.conf", 8, 1}});
  NtpConfig b = a;
  b.servers[0].location = {"b.conf", 30, 2};
  b.keys->as_written = "keys";
  b.keys->location.line = 40;
  b.tinker.location->file = "b.conf";
  b.trustedkey_locations.clear();
  b.included_files.clear();
  b.ignored.clear();
  EXPECT_NE(a, b);
  EXPECT_EQ(WithoutProvenance(a), WithoutProvenance(b));
  // What the configuration means is kept.
  EXPECT_EQ(WithoutProvenance(a).keys->path, "/root/etc/ntp/keys");
  EXPECT_TRUE(WithoutProvenance(a).tinker.location.has_value());
  b.servers[0].iburst = true;
  EXPECT_NE(WithoutProvenance(a), WithoutProvenance(b));
}

}  // namespace
}  // namespace ntp
