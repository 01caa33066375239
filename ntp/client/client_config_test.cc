// ClientOptionsFromConfig: `server` lines, tinker, tos and the -g/-x/-q flags
// mapped onto ClientEngineOptions (client_config.h).
#include "ntp/client/client_config.h"

#include <string>

#include "gtest/gtest.h"
#include "ntp/config/parser.h"

namespace ntp {
namespace {

NtpConfig Parse(const std::string& text) {
  ParsedConfig parsed = ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config;
}

TEST(ClientOptionsFromConfigTest, MapsServersTinkerTosAndFlags) {
  NtpConfig config = Parse(
      "server 10.0.0.1 prefer iburst minpoll 4 maxpoll 8 version 3\n"
      "server 10.0.0.2 noselect true burst\n"
      "server ntp.example.com\n"
      "peer 10.0.0.9\n"
      "server 127.127.1.0\n"
      "tinker step 0.5 stepout 600 panic 0\n"
      "tos minsane 2 minclock 4 maxclock 7 maxdist 2\n");
  ClientFlags flags;
  flags.allow_big_first_step = true;
  flags.never_step = true;
  ClientConfigResult r = ClientOptionsFromConfig(config, flags, 42);
  ASSERT_EQ(r.options.servers.size(), 2u);  // the refclock is the server side's
  const AssociationConfig& a = r.options.servers[0];
  EXPECT_EQ(a.server.ToString(), "10.0.0.1:123");
  EXPECT_TRUE(a.prefer);
  EXPECT_TRUE(a.iburst);
  EXPECT_EQ(a.minpoll, 4);
  EXPECT_EQ(a.maxpoll, 8);
  EXPECT_EQ(a.version, 3);
  EXPECT_TRUE(r.options.servers[1].noselect);
  EXPECT_TRUE(r.options.servers[1].truechimer);
  EXPECT_TRUE(r.options.servers[1].burst);
  EXPECT_EQ(r.warnings.size(), 2u);  // the host name and the peer line
  EXPECT_DOUBLE_EQ(r.options.discipline.step_threshold_seconds, 0.5);
  EXPECT_DOUBLE_EQ(r.options.discipline.stepout_seconds, 600);
  EXPECT_DOUBLE_EQ(r.options.discipline.panic_threshold_seconds, 0);
  EXPECT_TRUE(r.options.discipline.allow_big_first_step);
  EXPECT_TRUE(r.options.discipline.never_step);
  EXPECT_FALSE(r.options.set_once_and_exit);
  EXPECT_EQ(r.options.minsane, 2);
  EXPECT_EQ(r.options.minclock, 4);
  EXPECT_EQ(r.options.maxclock, 7);
  EXPECT_DOUBLE_EQ(r.options.maxdist_seconds, 2.0);
  EXPECT_EQ(r.options.random_seed, 42u);
}

TEST(ClientOptionsFromConfigTest, TinkerDispersionIsTheClientsPhi) {
  EXPECT_DOUBLE_EQ(ClientOptionsFromConfig(Parse("server 10.0.0.1\n"), {}, 1).options.phi,
                   15e-6);  // RFC 5905 PHI
  EXPECT_DOUBLE_EQ(
      ClientOptionsFromConfig(Parse("server 10.0.0.1\ntinker dispersion 40\n"), {}, 1)
          .options.phi,
      40e-6);
}

TEST(ClientOptionsFromConfigTest, SetOnceAndServerPort) {
  ClientFlags flags;
  flags.set_once_and_exit = true;
  ClientConfigResult r = ClientOptionsFromConfig(Parse("server 192.0.2.1\n"), flags, 1,
                                                 /*server_port=*/10123);
  ASSERT_EQ(r.options.servers.size(), 1u);
  EXPECT_EQ(r.options.servers[0].server.ToString(), "192.0.2.1:10123");
  EXPECT_TRUE(r.options.set_once_and_exit);
  EXPECT_FALSE(r.options.discipline.allow_big_first_step);
  EXPECT_FALSE(r.options.discipline.never_step);
  EXPECT_TRUE(r.warnings.empty());
}

}  // namespace
}  // namespace ntp
