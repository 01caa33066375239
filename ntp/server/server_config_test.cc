#include "ntp/server/server_config.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser.h"
#include "ntp/server/restrict_scale_testing.h"

namespace ntp {
namespace {

net::IpAddress Ip(const char* text) { return *net::IpAddress::Parse(text); }

ParsedConfig ParseText(const std::string& text) {
  return ParseNtpConfText(text, "test.conf", nullptr);
}

// The tutorial's files as written (includefile /etc/ntp/crypto/pw is then
// reported missing, a warning).
ParsedConfig ParseSeed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << path;
  return ParseNtpConfText(text.str(), path, nullptr);
}

constexpr RestrictMask kSeedDefault = kRestrictKod | kRestrictNoModify |
                                      kRestrictNoTrap | kRestrictNoPeer |
                                      kRestrictNoQuery;

TEST(ServerConfigTest, SeedServerConfiguration) {
  const ParsedConfig parsed = ParseSeed("testdata/configs/seed/server-ntp.conf");
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  const ServerSetup setup = BuildServerSetup(parsed.config, 1);
  EXPECT_TRUE(setup.warnings.empty());
  const AccessControl& acl = setup.responder.access;
  // What each source may do: localhost everything, the LAN no runtime
  // configuration, everyone else time service only.
  EXPECT_EQ(acl.Lookup(Ip("127.0.0.1"), 40000), 0u);
  EXPECT_EQ(acl.Lookup(Ip("::1"), 40000), 0u);
  EXPECT_EQ(acl.Lookup(Ip("192.168.31.7"), 123), kRestrictNoModify | kRestrictNoTrap);
  EXPECT_EQ(acl.Lookup(Ip("10.1.1.1"), 123), kSeedDefault);
  EXPECT_EQ(acl.Lookup(Ip("2001:db8::3"), 123), kSeedDefault);
  // No `limited`: no rate limiting at all, whatever `kod` says.
  EXPECT_EQ(acl.Lookup(Ip("10.1.1.1"), 123) & kRestrictLimited, 0u);
  // server 127.127.1.0 + fudge 127.127.1.0 stratum 10.
  const LocalReferenceSettings& l = setup.local_reference;
  EXPECT_TRUE(l.local_clock);
  EXPECT_EQ(l.local_unit, 0);
  EXPECT_EQ(l.local_stratum, 10);
  EXPECT_FALSE(l.local_prefer);
  EXPECT_EQ(l.local_poll_log2, 6);
  EXPECT_EQ(l.orphan_stratum, 16);
  EXPECT_EQ(l.orphan_wait, absl::Seconds(300));
  EXPECT_TRUE(setup.responder.monitor);
  EXPECT_EQ(setup.responder.rate.average_log2_seconds, 3);
  EXPECT_EQ(setup.responder.rate.minimum_seconds, 2);
}

TEST(ServerConfigTest, SeedClientConfigurationHasNoLocalClock) {
  const ParsedConfig parsed = ParseSeed("testdata/configs/seed/client-ntp.conf");
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  const ServerSetup setup = BuildServerSetup(parsed.config, 1);
  EXPECT_FALSE(setup.local_reference.local_clock);
  EXPECT_EQ(setup.responder.access.Lookup(Ip("192.168.31.223"), 123),
            kRestrictNoModify | kRestrictNoTrap);
}

TEST(ServerConfigTest, RateLimitingOrphanKeysPeersAndMru) {
  const ParsedConfig parsed = ParseText(
      "restrict -4 default limited kod notrust\n"
      "restrict source nomodify\n"
      "restrict 10.0.0.0 mask 255.0.0.0 noserve\n"
      "restrict 10.1.2.3 ntpport ignore\n"
      "discard average 5 minimum 1\n"
      "mru maxdepth 5000\n"
      "disable monitor\n"
      "tos orphan 7 orphanwait 30 mindist 0.01\n"
      "tinker dispersion 20\n"
      "trustedkey 4 (10 ... 12)\n"
      "peer 192.0.2.9\n"
      "server 127.127.1.2 prefer minpoll 4\n"
      "fudge 127.127.1.2 stratum 3 refid ABC\n");
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  const ServerSetup setup = BuildServerSetup(parsed.config, 1);
  const ResponderSettings& r = setup.responder;
  EXPECT_EQ(r.access.Lookup(Ip("203.0.113.1"), 5),
            kRestrictLimited | kRestrictKod | kRestrictNoTrust);
  EXPECT_EQ(r.access.Lookup(Ip("2001:db8::1"), 5), 0u);  // -4 only
  EXPECT_EQ(r.access.Lookup(Ip("10.9.9.9"), 5), kRestrictNoServe);
  EXPECT_EQ(r.access.Lookup(Ip("10.1.2.3"), 123), kRestrictIgnore);
  EXPECT_EQ(r.access.Lookup(Ip("10.1.2.3"), 124), kRestrictNoServe);
  EXPECT_EQ(r.access.source_template(), kRestrictNoModify);
  EXPECT_EQ(r.rate.average_log2_seconds, 5);
  EXPECT_EQ(r.rate.minimum_seconds, 1);
  EXPECT_EQ(r.client_table_capacity, 5000u);
  EXPECT_FALSE(r.monitor);
  EXPECT_DOUBLE_EQ(r.dispersion_rate_ppm, 20);
  ASSERT_EQ(r.configured_peers.size(), 1u);
  EXPECT_EQ(r.configured_peers[0], Ip("192.0.2.9"));
  EXPECT_EQ(setup.trusted_key_ranges,
            (std::vector<std::pair<uint32_t, uint32_t>>{{4, 4}, {10, 12}}));
  const LocalReferenceSettings& l = setup.local_reference;
  EXPECT_TRUE(l.local_clock);
  EXPECT_EQ(l.local_unit, 2);
  EXPECT_TRUE(l.local_prefer);
  EXPECT_EQ(l.local_poll_log2, 4);
  EXPECT_EQ(l.local_stratum, 3);
  EXPECT_EQ(l.local_refid, 0x41424300u);
  EXPECT_EQ(l.orphan_stratum, 7);
  EXPECT_EQ(l.orphan_wait, absl::Seconds(30));
  EXPECT_DOUBLE_EQ(l.mindist_seconds, 0.01);
}

TEST(ServerConfigTest, MruMaxmemSizesTheTable) {
  const ParsedConfig parsed = ParseText("mru maxmem 64\n");
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  const ServerSetup setup = BuildServerSetup(parsed.config, 1);
  EXPECT_EQ(setup.responder.client_table_capacity,
            64 * 1024 / ClientTable::BytesPerEntry());
}

TEST(ServerConfigTest, HandBuiltMruSizesAreHeldToTheParserBounds) {
  NtpConfig config;
  config.mru.maxdepth = 2147483647;
  EXPECT_EQ(BuildServerSetup(config, 1).responder.client_table_capacity,
            static_cast<size_t>(kMaxMruDepth));
  config.mru.maxdepth.reset();
  config.mru.maxmem_kib = 2147483647;
  EXPECT_EQ(BuildServerSetup(config, 1).responder.client_table_capacity,
            static_cast<size_t>(kMaxMruMemKib) * 1024 / ClientTable::BytesPerEntry());
}

TEST(ServerConfigTest, TwentyThousandRestrictLinesParseAndBuildQuickly) {
  const std::string text = testing::ManyRestrictConfig(20000);
  EXPECT_GT(text.size(), size_t{1} << 20);  // beyond the former file limit
  // Through the file reader, as the daemon reads it.
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf", text);
  const auto start = std::chrono::steady_clock::now();
  const ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll().substr(0, 2000);
  const ServerSetup setup = BuildServerSetup(parsed.config, 1);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Milliseconds in practice (28 s when each line re-sorted the table); the
  // bound only catches a quadratic build again.
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_EQ(parsed.config.restricts.size(), 20006u);

  // The seed's entries still decide for the seed's addresses, and a
  // generated host line for its own address.
  const AccessControl& access = setup.responder.access;
  EXPECT_EQ(access.Lookup(Ip("127.0.0.1"), 40000), 0u);
  EXPECT_EQ(access.Lookup(Ip("192.168.31.7"), 40000), kRestrictNoModify | kRestrictNoTrap);
  EXPECT_EQ(access.Lookup(Ip("198.51.100.1"), 40000), kSeedDefault);
  EXPECT_EQ(access.Lookup(Ip("2001:db9::1"), 40000), kSeedDefault);
  const RestrictRule* host = nullptr;
  for (const RestrictRule& rule : parsed.config.restricts) {
    if (rule.address.has_value() && rule.prefix_length() == 32 && !rule.flags.none() &&
        rule.host != "127.0.0.1" && rule.host != "127.127.1.0") {
      host = &rule;
      break;
    }
  }
  ASSERT_NE(host, nullptr);
  // OR of every line naming that host (lines may repeat an address).
  RestrictMask want = 0;
  for (const RestrictRule& rule : parsed.config.restricts) {
    if (rule.address == host->address && rule.prefix_length() == 32) {
      want |= RestrictFlagsToMask(rule.flags);
    }
  }
  EXPECT_EQ(access.Lookup(*host->address, 40000), want) << host->host;
}

TEST(ServerConfigTest, HostNameRestrictIsReportedNotApplied) {
  const ParsedConfig parsed = ParseText("restrict ntp.example.com nomodify\n");
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  const ServerSetup setup = BuildServerSetup(parsed.config, 1);
  ASSERT_EQ(setup.warnings.size(), 1u);
  EXPECT_EQ(setup.warnings[0],
            "test.conf:1: warning: restrict ntp.example.com: host names are not "
            "resolved by this server; line ignored");
}

}  // namespace
}  // namespace ntp
