// `server ... nts [ca FILE] [noval] [ntsport N]` and `nts ...` (ntpsec).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/parser.h"
#include "ntp/config/parser_test_util.h"
#include "ntp/config/writer.h"

namespace ntp {
namespace {

using ::ntp::testing::ExpectClean;
using ::ntp::testing::ExpectSingleError;

TEST(NtsConfigTest, ServerOptions) {
  ParsedConfig parsed = ExpectClean(
      "server 10.0.0.1 nts ca /etc/ntp/lan-ca.pem ntsport 4461 iburst\n"
      "server time.lan nts\n"
      "server 10.0.0.3 nts noval\n"
      "server 10.0.0.4\n");
  const auto& s = parsed.config.servers;
  ASSERT_EQ(s.size(), 4u);
  EXPECT_TRUE(s[0].nts);
  ASSERT_TRUE(s[0].nts_ca.has_value());
  EXPECT_EQ(s[0].nts_ca->path, "/etc/ntp/lan-ca.pem");
  EXPECT_EQ(s[0].nts_port, 4461);
  EXPECT_FALSE(s[0].nts_noval);
  EXPECT_TRUE(s[1].nts);
  EXPECT_EQ(s[1].host, "time.lan");
  EXPECT_TRUE(s[2].nts && s[2].nts_noval);
  EXPECT_FALSE(s[3].nts);
}

TEST(NtsConfigTest, ServerOptionErrors) {
  ExpectSingleError("server 10.0.0.1 noval\n", 1, "need the nts option");
  ExpectSingleError("server 10.0.0.1 ca /x.pem\n", 1, "need the nts option");
  ExpectSingleError("server 10.0.0.1 nts ntsport 0\n", 1, "ntsport");
  ExpectSingleError("server 10.0.0.1 nts ca\n", 1, "ca");
  ExpectSingleError("server 10.0.0.1 nts key 4\nkeys /k\n", 1, "nts and key");
  ExpectSingleError("peer 10.0.0.1 nts\n", 1, "network servers only");
  ExpectSingleError("server 127.127.1.0 nts\n", 1, "network servers only");
}

TEST(NtsConfigTest, ServerSide) {
  ParsedConfig parsed = ExpectClean(
      "nts enable\n"
      "nts key /etc/ntp/server.key\n"
      "nts cert /etc/ntp/server.pem\n"
      "nts ca /etc/ntp/ca.pem\n"
      "nts cookie /var/lib/ntp/nts-keys\n");
  const NtsConfig& nts = parsed.config.nts;
  EXPECT_TRUE(nts.enabled);
  EXPECT_EQ(nts.location, (SourceLocation{"test.conf", 1, 1}));
  ASSERT_TRUE(nts.key && nts.cert && nts.ca && nts.cookie);
  EXPECT_EQ(nts.key->path, "/etc/ntp/server.key");
  EXPECT_EQ(nts.key->location.line, 2);
  EXPECT_EQ(nts.cert->path, "/etc/ntp/server.pem");
  EXPECT_EQ(nts.cert->location.line, 3);
  EXPECT_EQ(nts.ca->path, "/etc/ntp/ca.pem");
  EXPECT_EQ(nts.cookie->path, "/var/lib/ntp/nts-keys");
  EXPECT_FALSE(ExpectClean("nts enable\nnts disable\n").config.nts.enabled);
}

TEST(NtsConfigTest, ServerSideErrors) {
  ExpectSingleError("nts\n", 1, "nts: missing setting");
  ExpectSingleError("nts on\n", 1, "nts: unknown setting");
  ExpectSingleError("nts cert\n", 1, "nts cert: missing file name");
  ExpectSingleError("nts enable now\n", 1, "");
  ExpectSingleError("nts key a b\n", 1, "");
}

TEST(NtsConfigTest, WriterRoundTrip) {
  const std::string text =
      "server 10.0.0.1 nts ca /etc/ntp/lan-ca.pem noval ntsport 4461\n"
      "nts enable\nnts key /k.pem\nnts cert /c.pem\nnts ca /ca.pem\nnts cookie /ck\n";
  ParsedConfig first = ExpectClean(text);
  ParsedConfig second = ExpectClean(FormatNtpConf(first.config));
  EXPECT_EQ(WithoutProvenance(first.config), WithoutProvenance(second.config));
}

}  // namespace
}  // namespace ntp
