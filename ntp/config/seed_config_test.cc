// The tutorial's two ntp.conf files (testdata/configs/seed/, byte-for-byte
// copies; see testdata/configs/README.md) parse verbatim, paths aside, into
// exactly the model the tutorial describes.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/address.h"
#include "ntp/config/config.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser.h"
#include "ntp/config/parser_test_util.h"
#include "clock/posix_file_reader.h"

namespace ntp {
namespace {

using ::ntp::testing::WarningAt;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using F = net::IpAddress::Family;

constexpr char kServerConf[] = "testdata/configs/seed/server-ntp.conf";
constexpr char kClientConf[] = "testdata/configs/seed/client-ntp.conf";
// A root under which nothing exists, so /etc/ntp/crypto/pw is missing the
// way it is on a machine without the RHEL package.
constexpr char kRoot[] = "/nonexistent-ntp-test-root";

net::IpAddress Ip(const char* text) { return *net::IpAddress::Parse(text); }

ParsedConfig ParseSeed(const char* path) {
  clocks::PosixFileReader reader;
  ParseOptions options;
  options.root_directory = kRoot;
  return ParseNtpConfFile(path, reader, options);
}

// The four restrict lines both files share, at the given line numbers.
void ExpectTutorialDefaults(const std::vector<RestrictRule>& r, int line) {
  ASSERT_GE(r.size(), 4u);
  // restrict default kod nomodify notrap nopeer noquery
  EXPECT_TRUE(r[0].is_default);
  EXPECT_FALSE(r[0].family.has_value());  // both IPv4 and IPv6
  EXPECT_FALSE(r[0].address.has_value());
  EXPECT_EQ(r[0].flags.ToString(), "kod nomodify nopeer noquery notrap");
  EXPECT_FALSE(r[0].flags.limited);
  EXPECT_EQ(r[0].location.line, line);
  // restrict -6 default kod nomodify notrap nopeer noquery
  EXPECT_TRUE(r[1].is_default);
  EXPECT_EQ(r[1].family, F::kV6);
  EXPECT_EQ(r[1].address, Ip("::"));
  EXPECT_EQ(r[1].mask, Ip("::"));
  EXPECT_EQ(r[1].flags, r[0].flags);
  // restrict 127.0.0.1 (everything allowed)
  EXPECT_FALSE(r[2].is_default);
  EXPECT_EQ(r[2].address, Ip("127.0.0.1"));
  EXPECT_EQ(r[2].mask, Ip("255.255.255.255"));
  EXPECT_EQ(r[2].family, F::kV4);
  EXPECT_TRUE(r[2].flags.none());
  // restrict -6 ::1
  EXPECT_EQ(r[3].address, Ip("::1"));
  EXPECT_EQ(r[3].prefix_length(), 128);
  EXPECT_EQ(r[3].family, F::kV6);
  EXPECT_TRUE(r[3].flags.none());
}

void ExpectLanRule(const RestrictRule& r) {
  // restrict 192.168.31.0 mask 255.255.255.0 nomodify notrap
  EXPECT_EQ(r.host, "192.168.31.0");
  EXPECT_EQ(r.address, Ip("192.168.31.0"));
  EXPECT_EQ(r.mask, Ip("255.255.255.0"));
  EXPECT_EQ(r.prefix_length(), 24);
  EXPECT_TRUE(r.flags.nomodify);
  EXPECT_TRUE(r.flags.notrap);
  EXPECT_FALSE(r.flags.noquery);
  EXPECT_EQ(r.flags.ToString(), "nomodify notrap");
}

void ExpectFiles(const NtpConfig& c, int driftfile_line, int keys_line) {
  ASSERT_TRUE(c.driftfile.has_value());
  EXPECT_EQ(c.driftfile->as_written, "/var/lib/ntp/drift");
  EXPECT_EQ(c.driftfile->path,
            std::string(kRoot) + "/var/lib/ntp/drift");
  EXPECT_EQ(c.driftfile->location.line, driftfile_line);
  ASSERT_TRUE(c.keys.has_value());
  EXPECT_EQ(c.keys->as_written, "/etc/ntp/keys");
  EXPECT_EQ(c.keys->path, std::string(kRoot) + "/etc/ntp/keys");
  EXPECT_EQ(c.keys->location.line, keys_line);
  // Commented out in the tutorial: trustedkey, requestkey, controlkey,
  // statistics.
  EXPECT_TRUE(c.trusted_keys.empty());
  EXPECT_FALSE(c.requestkey.has_value());
  EXPECT_FALSE(c.controlkey.has_value());
  EXPECT_THAT(c.statistics, IsEmpty());
  EXPECT_THAT(c.included_files, IsEmpty());
  EXPECT_THAT(c.ignored, IsEmpty());
  // Nothing else configured: ntpd's defaults hold.
  EXPECT_EQ(c.tinker, TinkerConfig());
  EXPECT_EQ(c.tos, TosConfig());
  EXPECT_EQ(c.discard, DiscardConfig());
  EXPECT_EQ(c.system, SystemFlags());
}

TEST(SeedConfigTest, ServerConfParsesIntoTheTutorialsModel) {
  ParsedConfig parsed = ParseSeed(kServerConf);
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  // Exactly what ntpd 4.2.8 logs for this file (paths aside).
  const std::string pw = std::string(kRoot) + "/etc/ntp/crypto/pw";
  EXPECT_THAT(
      parsed.diagnostics,
      ElementsAre(
          WarningAt(9, "restrict default: KOD does nothing without LIMITED."),
          WarningAt(10, "restrict default: KOD does nothing without LIMITED."),
          WarningAt(50, "getconfig: Couldn't open <" + pw + ">")));
  for (const Diagnostic& d : parsed.diagnostics) {
    EXPECT_EQ(d.file, kServerConf);
  }

  const NtpConfig& c = parsed.config;
  // server 127.127.1.0  # local clock
  ASSERT_EQ(c.servers.size(), 1u);
  const ServerConfig& local = c.servers[0];
  EXPECT_EQ(local.kind, AssociationKind::kServer);
  EXPECT_EQ(local.host, "127.127.1.0");
  EXPECT_EQ(local.address, Ip("127.127.1.0"));
  ASSERT_TRUE(local.is_refclock());
  EXPECT_TRUE(local.refclock->is_local_clock());
  EXPECT_EQ(local.refclock->unit, 0);
  EXPECT_EQ(local.refclock->DisplayName(), "LOCAL(0)");
  EXPECT_FALSE(local.prefer);  // the tutorial's LOCAL is a plain fallback
  EXPECT_FALSE(local.iburst);
  EXPECT_EQ(local.minpoll, 6);  // refclock: fixed 64 s poll
  EXPECT_EQ(local.maxpoll, 6);
  EXPECT_EQ(local.location, (SourceLocation{kServerConf, 36, 1}));
  // fudge 127.127.1.0 stratum 10
  ASSERT_EQ(c.fudges.size(), 1u);
  const FudgeConfig* fudge = c.FindFudge(*local.refclock);
  ASSERT_NE(fudge, nullptr);
  EXPECT_EQ(fudge->stratum, 10);
  EXPECT_FALSE(fudge->refid.has_value());
  EXPECT_FALSE(fudge->time1_seconds.has_value());
  EXPECT_EQ(fudge->location.line, 37);

  // Six restrict lines in file order.
  ASSERT_EQ(c.restricts.size(), 6u);
  ExpectTutorialDefaults(c.restricts, 9);
  EXPECT_EQ(c.restricts[2].location.line, 16);
  EXPECT_EQ(c.restricts[3].location.line, 17);
  // restrict 127.127.1.0
  EXPECT_EQ(c.restricts[4].address, Ip("127.127.1.0"));
  EXPECT_TRUE(c.restricts[4].flags.none());
  EXPECT_EQ(c.restricts[4].location.line, 20);
  ExpectLanRule(c.restricts[5]);
  EXPECT_EQ(c.restricts[5].location.line, 21);

  ExpectFiles(c, 5, 54);
}

TEST(SeedConfigTest, ClientConfParsesIntoTheTutorialsModel) {
  ParsedConfig parsed = ParseSeed(kClientConf);
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  const std::string pw = std::string(kRoot) + "/etc/ntp/crypto/pw";
  EXPECT_THAT(
      parsed.diagnostics,
      ElementsAre(
          WarningAt(8, "restrict default: KOD does nothing without LIMITED."),
          WarningAt(9, "restrict default: KOD does nothing without LIMITED."),
          WarningAt(44, "getconfig: Couldn't open <" + pw + ">")));

  const NtpConfig& c = parsed.config;
  // server 192.168.31.223 prefer
  ASSERT_EQ(c.servers.size(), 1u);
  const ServerConfig& server = c.servers[0];
  EXPECT_EQ(server.kind, AssociationKind::kServer);
  EXPECT_EQ(server.host, "192.168.31.223");
  EXPECT_EQ(server.address, Ip("192.168.31.223"));
  EXPECT_FALSE(server.is_refclock());
  EXPECT_TRUE(server.prefer);
  EXPECT_FALSE(server.iburst);
  EXPECT_FALSE(server.burst);
  EXPECT_EQ(server.minpoll, 6);
  EXPECT_EQ(server.maxpoll, 10);
  EXPECT_EQ(server.version, 4);
  EXPECT_FALSE(server.key_id.has_value());
  EXPECT_EQ(server.location, (SourceLocation{kClientConf, 32, 1}));
  EXPECT_THAT(c.fudges, IsEmpty());

  ASSERT_EQ(c.restricts.size(), 5u);
  ExpectTutorialDefaults(c.restricts, 8);
  ExpectLanRule(c.restricts[4]);
  EXPECT_EQ(c.restricts[4].location.line, 21);

  ExpectFiles(c, 4, 48);
}

TEST(SeedConfigTest, WithRhelsCryptoPwFileThereIsNothingButTheKodWarnings) {
  // RHEL ships /etc/ntp/crypto/pw holding one comment
  // ("#crypto pw apassword").
  clocks::PosixFileReader disk;
  absl::StatusOr<std::string> text = disk.Read(kServerConf, 1 << 20);
  ASSERT_TRUE(text.ok()) << text.status();
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf", *text);
  reader.AddFile("/etc/ntp/crypto/pw", "#crypto pw apassword\n");
  ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
  EXPECT_THAT(parsed.diagnostics,
              ElementsAre(WarningAt(9, "KOD does nothing without LIMITED."),
                          WarningAt(10, "KOD does nothing without LIMITED.")));
  ASSERT_EQ(parsed.config.included_files.size(), 1u);
  EXPECT_EQ(parsed.config.included_files[0].path, "/etc/ntp/crypto/pw");
  EXPECT_EQ(parsed.config.driftfile->path, "/var/lib/ntp/drift");
}

}  // namespace
}  // namespace ntp
