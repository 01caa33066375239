#include "ntp/config/writer.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/parser.h"
#include "ntp/config/parser_test_util.h"
#include "clock/posix_file_reader.h"

namespace ntp {
namespace {

using ::ntp::testing::ExpectClean;

// parse -> format -> parse gives the same model, and formatting is stable.
void ExpectRoundTrip(const NtpConfig& config) {
  const std::string text = FormatNtpConf(config);
  ParsedConfig again = ntp::testing::Parse(text);
  ASSERT_TRUE(again.ok()) << again.FormatAll() << "\n" << text;
  EXPECT_EQ(WithoutProvenance(again.config), WithoutProvenance(config))
      << text;
  EXPECT_EQ(FormatNtpConf(again.config), text);
}

TEST(FormatConfigNumberTest, ShortestExactText) {
  EXPECT_EQ(FormatConfigNumber(0.128), "0.128");
  EXPECT_EQ(FormatConfigNumber(1000), "1000");
  EXPECT_EQ(FormatConfigNumber(1e-7), "1e-07");
  EXPECT_EQ(FormatConfigNumber(-12.5), "-12.5");
  EXPECT_EQ(FormatConfigNumber(0), "0");
  EXPECT_EQ(FormatConfigNumber(100000), "100000");
  // std::to_chars's shortest form: the fewest digits that read back exactly,
  // and the shorter of fixed and exponent notation.
  EXPECT_EQ(FormatConfigNumber(0.0001), "1e-04");
  EXPECT_EQ(FormatConfigNumber(0.00015), "0.00015");
  EXPECT_EQ(FormatConfigNumber(std::ldexp(1.0, -24)), "5.960464477539063e-08");
  for (double x : {0.1, 1.0 / 3, 123456.789, 5e-324, 1.7976931348623157e308}) {
    EXPECT_EQ(std::strtod(FormatConfigNumber(x).c_str(), nullptr), x) << x;
  }
}

TEST(WriterTest, TutorialServerText) {
  ParsedConfig parsed = ntp::testing::Parse(
      "driftfile /var/lib/ntp/drift\n"
      "restrict default kod nomodify notrap nopeer noquery\n"
      "restrict -6 default kod nomodify notrap nopeer noquery\n"
      "restrict 127.0.0.1\n"
      "restrict -6 ::1\n"
      "restrict 192.168.31.0 mask 255.255.255.0 nomodify notrap\n"
      "server 127.127.1.0\n"
      "fudge 127.127.1.0 stratum 10\n"
      "keys /etc/ntp/keys\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(FormatNtpConf(parsed.config),
            "driftfile /var/lib/ntp/drift\n"
            "keys /etc/ntp/keys\n"
            "restrict default kod nomodify nopeer noquery notrap\n"
            "restrict -6 default kod nomodify nopeer noquery notrap\n"
            "restrict 127.0.0.1\n"
            "restrict ::1\n"
            "restrict 192.168.31.0 mask 255.255.255.0 nomodify notrap\n"
            "server 127.127.1.0\n"
            "fudge 127.127.1.0 stratum 10\n");
  ExpectRoundTrip(parsed.config);
}

TEST(WriterTest, QuotingAndSpecialValues) {
  ParsedConfig parsed = ExpectClean(
      "logfile \"/var/log/ntp log#1\"\n"
      "driftfile \"\"\n"
      "setvar a = default\n"  // value "default"? no: the flag, empty value
      "setvar b = \"default\"\n"
      "setvar c = \"x # y\"\n"
      "fudge 127.127.1.0 refid \"a#\"\n"
      "server 127.127.1.0\n");
  ASSERT_EQ(parsed.config.setvars.size(), 3u);
  EXPECT_EQ(parsed.config.setvars[0].value, "");
  EXPECT_TRUE(parsed.config.setvars[0].is_default);
  EXPECT_EQ(parsed.config.setvars[1].value, "default");
  EXPECT_FALSE(parsed.config.setvars[1].is_default);
  ExpectRoundTrip(parsed.config);
}

TEST(WriterTest, EveryOptionRoundTrips) {
  ParsedConfig parsed = ExpectClean(
      "server -6 time.example.com prefer iburst burst noselect true preempt "
      "xleave minpoll 4 maxpoll 9 version 2 ttl 3\n"
      "server 127.127.1.2 mode 7 minpoll 5\n"
      "pool pool.example.org\n"
      "peer 10.1.2.3 minpoll 3\n"
      "fudge 127.127.1.2 time1 0.25 time2 -1e-3 stratum 7 refid GPS flag1 1 "
      "flag2 0 flag3 1 flag4 0 minjitter 0.0001\n"
      "restrict source ippeerlimit 0 flake ignore lowpriotrap mssntp noepeer "
      "nomrulist noserve notrust ntpport serverresponse fuzz version\n"
      "restrict 10.9.0.0 mask 255.255.0.0\n"
      "restrict 10.0.0.0/8\n"
      "restrict host.example.net limited\n"
      "discard average 5\n"
      "mru maxmem 2048 incmem 8\n"
      "tinker panic 0 freq 3.25 stepback 1 stepfwd 2 tick 0.001 huffpuff 900\n"
      "tos orphan 9 cohort 1 floor 1 ceiling 14 basedate 2020-02-02 "
      "bcpollbstep 2 beacon 60\n"
      "disable kernel monitor\n"
      "interface listen 192.168.1.1/24\n"
      "nic drop ipv6\n"
      "interface ignore \"eth#1\"\n"
      "statistics sysstats protostats timingstats\n"
      "filegen sysstats file \"sys stats\" type age nolink disable\n"
      "broadcastdelay 0.5\n"
      "nonvolatile 2e-7\n"
      "leapfile /leap ignorehash\n"
      "logconfig =allall -syncinfo\n"
      "trustedkey (1 ... 3) 9\n"
      "keys /k\n"
      "requestkey 9\n"
      "controlkey 2\n"
      "saveconfigdir /s\n"
      "keysdir /kd\n"
      "pidfile relative.pid\n"
      "statsdir .\n"
      "trace /t maxsize 8192 keep 2 keys include serverreplies sample 7\n");
  ExpectRoundTrip(parsed.config);
}

TEST(WriterTest, TestdataConfigsRoundTrip) {
  clocks::PosixFileReader reader;
  for (const char* path : {"testdata/configs/good/full.conf",
                           "testdata/configs/good/orphan_server.conf",
                           "testdata/configs/good/with_include.conf"}) {
    SCOPED_TRACE(path);
    ParsedConfig parsed = ParseNtpConfFile(path, reader);
    ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
    ExpectRoundTrip(parsed.config);
  }
}

TEST(WriterTest, EmptyConfigIsEmptyText) {
  EXPECT_EQ(FormatNtpConf(NtpConfig()), "");
}

}  // namespace
}  // namespace ntp
