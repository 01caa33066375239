// End-to-end tests of the client side in the test world: one client
// ModelClock, TestServers on model links, everything on a ManualScheduler.
#include "ntp/client/client_engine.h"

#include <cmath>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/client/testing/engine_fixture.h"
#include "ntp/random.h"
#include "ntp/client/testing/test_keys.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"

namespace ntp::testing {
namespace {

using ::testing::HasSubstr;

FixtureServer Server(double delay = 100e-6, double jitter = 0) {
  FixtureServer s;
  s.to_server.delay_seconds = delay;
  s.to_server.jitter_mean_seconds = jitter;
  s.to_client = s.to_server;
  s.params.stratum = 1;
  return s;
}

ModelClockParams Client(double offset, double freq_ppm = 0) {
  ModelClockParams c;
  c.offset_seconds = offset;
  c.freq_ppm = freq_ppm;
  return c;
}

TEST(ClientEngineTest, SmallOffsetIsSlewedNeverStepped) {
  EngineFixture f(Client(0.1, 10), {Server(100e-6, 10e-6)});
  ASSERT_THAT(f.Start(), IsOk());
  OffsetStats st = f.Measure(600);
  EXPECT_EQ(f.client_clock->steps(), 0);
  ASSERT_TRUE(st.converge_seconds.has_value());
  EXPECT_LT(*st.converge_seconds, 130);
  EXPECT_LT(std::fabs(st.final_offset_seconds), 50e-6);
  EXPECT_TRUE(f.system.synchronized());
  EXPECT_EQ(f.system.stratum, 2);
  EXPECT_EQ(f.system.reference_id, 0x0A000101u);  // the server's IPv4 address
  EXPECT_EQ(f.system.system_peer, "10.0.1.1");
  EXPECT_EQ(f.engine->select_status(0), PeerSelect::kSystemPeer);
  EXPECT_EQ(f.events.Count(EventKind::kSync), 1);
  EXPECT_TRUE(f.client_clock->sync_status().synchronized);
}

TEST(ClientEngineTest, HalfSecondOffIsSteppedExactlyOnce) {
  EngineFixture f(Client(0.5, -20), {Server()});
  ASSERT_THAT(f.Start(), IsOk());
  OffsetStats st = f.Measure(900);
  ASSERT_EQ(f.client_clock->steps(), 1);
  EXPECT_NEAR(f.client_clock->step_amounts()[0], -0.5, 1e-3);
  EXPECT_EQ(f.events.Count(EventKind::kClockStep), 1);
  EXPECT_LT(std::fabs(st.final_offset_seconds), 20e-6);
  EXPECT_TRUE(f.system.synchronized());
}

TEST(ClientEngineTest, BeyondPanicThresholdExitsWithNtpdsMessage) {
  EngineFixture f(Client(2000), {Server()});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(60);
  EXPECT_EQ(f.engine->exit_state(), ClientExit::kPanic);
  EXPECT_EQ(f.exits, 1);
  EXPECT_EQ(f.client_clock->steps(), 0);
  ASSERT_EQ(f.events.Count(EventKind::kPanic), 1);
  EXPECT_THAT(f.events.Texts(EventKind::kPanic)[0],
              HasSubstr("exceeds sanity limit (1000); set clock manually"));
  EXPECT_FALSE(f.system.synchronized());
  // No more requests once exited.
  const size_t sent = f.network->sent().size();
  f.RunFor(600);
  EXPECT_EQ(f.network->sent().size(), sent);
}

TEST(ClientEngineTest, MinusGAllowsOneBigStepThenSyncs) {
  EngineFixture f(Client(-2000), {Server()});
  ClientEngineOptions options;
  options.discipline.allow_big_first_step = true;
  ASSERT_THAT(f.Start(options), IsOk());
  OffsetStats st = f.Measure(600);
  EXPECT_EQ(f.engine->exit_state(), ClientExit::kRunning);
  ASSERT_EQ(f.client_clock->steps(), 1);
  EXPECT_NEAR(f.client_clock->step_amounts()[0], 2000, 1e-3);
  EXPECT_LT(std::fabs(st.final_offset_seconds), 1e-4);
  EXPECT_FALSE(f.engine->discipline().panic_allowance_left());
}

TEST(ClientEngineTest, PanicThresholdZeroDisablesTheCheck) {
  EngineFixture f(Client(5000), {Server()});
  ClientEngineOptions options;
  options.discipline.panic_threshold_seconds = 0;
  ASSERT_THAT(f.Start(options), IsOk());
  f.RunFor(120);
  EXPECT_EQ(f.engine->exit_state(), ClientExit::kRunning);
  EXPECT_EQ(f.client_clock->steps(), 1);
}

TEST(ClientEngineTest, MinusXNeverStepsBelowSixHundredSeconds) {
  EngineFixture f(Client(0.5), {Server()});
  ClientEngineOptions options;
  options.discipline.never_step = true;
  ASSERT_THAT(f.Start(options), IsOk());
  f.RunFor(600);
  EXPECT_EQ(f.client_clock->steps(), 0);
  EXPECT_LT(std::fabs(f.client_clock->TrueOffset()), 0.5);
  f.RunFor(900);
  EXPECT_LT(std::fabs(f.client_clock->TrueOffset()), 1e-3);
  EXPECT_EQ(f.client_clock->steps(), 0);
  // ntpd -x leaves the kernel's UNSYNC flag alone.
  EXPECT_FALSE(f.client_clock->sync_status().synchronized);
}

TEST(ClientEngineTest, MinusQSlewsOnceAndExits) {
  EngineFixture f(Client(0.05), {Server()});
  ClientEngineOptions options;
  options.set_once_and_exit = true;
  ASSERT_THAT(f.Start(options), IsOk());
  f.RunFor(30);
  EXPECT_EQ(f.engine->exit_state(), ClientExit::kDone);
  EXPECT_EQ(f.exits, 1);
  ASSERT_EQ(f.events.Count(EventKind::kExit), 1);
  EXPECT_THAT(f.events.Texts(EventKind::kExit)[0], HasSubstr("ntpd: time slew -0.05"));
  EXPECT_EQ(f.client_clock->steps(), 0);
  // The kernel slew finishes on its own; no frequency offset is left behind.
  EXPECT_DOUBLE_EQ(f.client_clock->frequency_ppm(), 0.0);
  f.RunFor(200);
  EXPECT_LT(std::fabs(f.client_clock->TrueOffset()), 1e-3);
}

TEST(ClientEngineTest, MinusQStepsOnceAndExits) {
  EngineFixture f(Client(0.5), {Server()});
  ClientEngineOptions options;
  options.set_once_and_exit = true;
  ASSERT_THAT(f.Start(options), IsOk());
  f.RunFor(30);
  EXPECT_EQ(f.engine->exit_state(), ClientExit::kDone);
  ASSERT_EQ(f.events.Count(EventKind::kExit), 1);
  EXPECT_THAT(f.events.Texts(EventKind::kExit)[0], HasSubstr("ntpd: time set -0.5"));
  EXPECT_EQ(f.client_clock->steps(), 1);
}

TEST(ClientEngineTest, MinusQWithNoServerSaysNoServersFound) {
  FixtureServer s = Server();
  s.params.silent = true;
  EngineFixture f(Client(0.05), {s});
  ClientEngineOptions options;
  options.set_once_and_exit = true;
  ASSERT_THAT(f.Start(options), IsOk());
  f.RunFor(3600);
  EXPECT_EQ(f.engine->exit_state(), ClientExit::kDone);
  EXPECT_THAT(f.events.Texts(EventKind::kExit), ::testing::ElementsAre("ntpd: no servers found"));
}

TEST(ClientEngineTest, FalsetickerOneSecondOffIsNeverSelected) {
  std::vector<FixtureServer> servers = {Server(), Server(), Server(), Server()};
  servers[2].params.extra_offset_seconds = 1.0;
  for (auto& s : servers) s.config.iburst = true;
  EngineFixture f(Client(0.02, 5), servers);
  ASSERT_THAT(f.Start(), IsOk());
  for (int k = 0; k < 60; ++k) {
    f.RunFor(30);
    ASSERT_NE(f.engine->system_peer(), std::optional<int>(2));
  }
  EXPECT_EQ(f.client_clock->steps(), 0);
  EXPECT_EQ(f.engine->select_status(2), PeerSelect::kFalseticker);
  EXPECT_LT(std::fabs(f.client_clock->TrueOffset()), 1e-4);
  EXPECT_TRUE(f.system.synchronized());
}

TEST(ClientEngineTest, NoMajorityNeverTouchesTheClock) {
  // Three of five servers lie, each by a different amount.
  std::vector<FixtureServer> servers = {Server(), Server(), Server(), Server(), Server()};
  servers[1].params.extra_offset_seconds = 0.5;
  servers[2].params.extra_offset_seconds = -0.7;
  servers[4].params.extra_offset_seconds = 2.0;
  EngineFixture f(Client(0.01, 3), servers);
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(3600);
  EXPECT_EQ(f.client_clock->steps(), 0);
  EXPECT_EQ(f.engine->updates(), 0);
  EXPECT_FALSE(f.system.synchronized());
  EXPECT_FALSE(f.engine->system_peer().has_value());
  EXPECT_GE(f.events.Count(EventKind::kWarning), 1);
}

TEST(ClientEngineTest, UnsynchronisedServerIsNeverUsed) {
  FixtureServer s = Server();
  s.params.leap = LeapIndicator::kUnsynchronized;
  s.params.stratum = 0;  // with refid INIT: what an unsynchronised ntpd sends
  s.params.reference_id = AsciiRefId("INIT");
  EngineFixture f(Client(0.05), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(1200);
  EXPECT_EQ(f.engine->updates(), 0);
  EXPECT_EQ(f.engine->associations()[0]->reach(), 0);
  EXPECT_GT(f.engine->associations()[0]->counters().verdicts[static_cast<size_t>(
                ReplyVerdict::kUnsynchronized)],
            0u);
}

TEST(ClientEngineTest, KissRateRaisesThePoll) {
  FixtureServer s = Server();
  s.params.kiss = "RATE";
  s.params.kiss_poll = 9;
  EngineFixture f(Client(0), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(30);
  const Association& a = *f.engine->associations()[0];
  EXPECT_GE(a.hpoll(), 9);
  EXPECT_GE(a.minpoll(), 9);
  EXPECT_EQ(f.events.Count(EventKind::kKissOfDeath), 1);
  // Requests now come no faster than every 2^9 s.
  const int before = f.servers[0]->requests();
  f.RunFor(450);  // the KoD came at about 1.5 s
  EXPECT_EQ(f.servers[0]->requests(), before);
  f.RunFor(100);
  EXPECT_EQ(f.servers[0]->requests(), before + 1);
}

TEST(ClientEngineTest, KissRateIsBounded) {
  FixtureServer s = Server();
  s.params.kiss = "RATE";
  s.params.kiss_poll = 17;
  EngineFixture f(Client(0), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(4 * 3600);
  EXPECT_LE(f.engine->associations()[0]->hpoll(), 10);
}

TEST(ClientEngineTest, KissDenyStopsUsingTheServer) {
  FixtureServer s = Server();
  s.params.kiss = "DENY";
  EngineFixture f(Client(0), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(30);
  EXPECT_FALSE(f.engine->associations()[0]->enabled());
  ASSERT_EQ(f.events.Count(EventKind::kKissOfDeath), 1);
  EXPECT_THAT(f.events.Texts(EventKind::kKissOfDeath)[0], HasSubstr("DENY"));
  const int requests = f.servers[0]->requests();
  f.RunFor(3600);
  EXPECT_EQ(f.servers[0]->requests(), requests);
}

TEST(ClientEngineTest, ReplyWithWrongOriginIsNeverAccepted) {
  FixtureServer s = Server();
  s.params.bad_origin = true;
  EngineFixture f(Client(0.05), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(600);
  const Association& a = *f.engine->associations()[0];
  EXPECT_EQ(a.reach(), 0);
  EXPECT_GT(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kBogus)], 0u);
  EXPECT_EQ(f.engine->updates(), 0);
}

TEST(ClientEngineTest, SpoofedReplyNeitherAcceptedNorDisarmsTheGenuineOne) {
  FixtureServer s = Server(5e-3);  // 5 ms each way: room for a spoof to win the race
  EngineFixture f(Client(0.05), {s});
  ASSERT_THAT(f.Start(), IsOk());
  // Run until the first request leaves, then forge a reply from the
  // server's address to the request's source port, arriving first.
  while (f.network->sent().empty()) f.RunFor(0.1);
  const ModelNetwork::Sent request = f.network->sent().front();
  NtpPacket forged;
  forged.mode = Mode::kServer;
  forged.stratum = 1;
  forged.origin_timestamp = NtpTimestamp::FromRaw(0x1234);  // a guess
  forged.receive_timestamp = NtpTimestamp::FromTime(f.client_clock->Now() + absl::Seconds(100));
  forged.transmit_timestamp = forged.receive_timestamp;
  std::vector<uint8_t> bytes(kNtpHeaderOctets);
  ASSERT_TRUE(SerializePacket(forged, absl::MakeSpan(bytes)).ok());
  f.network->Inject(request.to, request.from, bytes, absl::Microseconds(100));
  f.RunFor(1);
  const Association& a = *f.engine->associations()[0];
  EXPECT_EQ(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kBogus)], 1u);
  EXPECT_EQ(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], 1u);
  EXPECT_EQ(a.reach(), 1);
  EXPECT_LT(std::fabs(a.filter().offset_seconds() + 0.05), 1e-3);
}

TEST(ClientEngineTest, GarbageRepliesNeverCrashOrCount) {
  FixtureServer s = Server(5e-3);
  EngineFixture f(Client(0.02), {s});
  ASSERT_THAT(f.Start(), IsOk());
  SplitMix64 rng(99);
  size_t seen = 0;
  for (int round = 0; round < 30; ++round) {
    // Wait for the next request, then race a forged reply against the
    // genuine one (5 ms away).
    std::optional<ModelNetwork::Sent> request;
    while (!request.has_value()) {
      f.RunFor(0.001);
      for (; seen < f.network->sent().size(); ++seen) {
        if (f.network->sent()[seen].to.port() == 123) request = f.network->sent()[seen];
      }
    }
    {
      // Random lengths around the header size, random octets, some with a
      // plausible first octet (mode 4) and our nonce copied in.
      const size_t length = rng.Below(120);
      std::vector<uint8_t> junk(length);
      for (auto& b : junk) b = static_cast<uint8_t>(rng.Next());
      if (length >= 48 && rng.Below(2) == 0) {
        junk[0] = 0x24;
        std::copy(request->payload.begin() + 40, request->payload.begin() + 48, junk.begin() + 24);
      }
      f.network->Inject(request->to, request->from, junk, absl::Microseconds(50));
    }
    f.RunFor(0.02);
  }
  const Association& a = *f.engine->associations()[0];
  EXPECT_GT(a.counters().malformed, 0u);
  EXPECT_GT(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], 0u);
  EXPECT_EQ(f.client_clock->steps(), 0);
}

TEST(ClientEngineTest, DuplicateReplyIsRejected) {
  FixtureServer s = Server(5e-3);
  EngineFixture f(Client(0), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(3);  // first exchange done
  ASSERT_GE(f.network->sent().size(), 2u);
  const ModelNetwork::Sent reply = f.network->sent()[1];
  ASSERT_EQ(reply.from.port(), 123);
  f.network->Inject(reply.from, reply.to, reply.payload, absl::Microseconds(10));
  f.RunFor(1);
  const Association& a = *f.engine->associations()[0];
  EXPECT_EQ(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], 1u);
  EXPECT_EQ(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kDuplicate)], 1u);
}

TEST(ClientEngineTest, RequestsAreDataMinimisedFromFreshPorts) {
  EngineFixture f(Client(0), {Server()});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(400);
  const auto& requests = f.servers[0]->request_bytes();
  ASSERT_GE(requests.size(), 3u);
  for (const auto& r : requests) {
    ASSERT_EQ(r.size(), kNtpHeaderOctets);
    EXPECT_EQ(r[0], 0x23);  // LI 0, VN 4, mode 3
    EXPECT_EQ(r[1], 0);     // stratum
    EXPECT_EQ(r[3], 0);     // precision
    for (size_t i = 4; i < 40; ++i) EXPECT_EQ(r[i], 0) << "octet " << i;
  }
  EXPECT_NE(std::vector<uint8_t>(requests[0].begin() + 40, requests[0].end()),
            std::vector<uint8_t>(requests[1].begin() + 40, requests[1].end()));
  const auto& sources = f.servers[0]->request_sources();
  for (size_t i = 1; i < sources.size(); ++i) {
    EXPECT_NE(sources[i].port(), sources[i - 1].port());
    EXPECT_NE(sources[i].port(), 123);
  }
}

TEST(ClientEngineTest, IburstSendsSixPacketsTwoSecondsApartAfterTheFirstReply) {
  FixtureServer s = Server();
  s.config.iburst = true;
  EngineFixture f(Client(0), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(40);
  std::vector<absl::Time> times;
  for (const auto& sent : f.network->sent()) {
    if (sent.to.port() == 123) times.push_back(sent.at);
  }
  ASSERT_EQ(times.size(), 6u);
  for (size_t i = 1; i < times.size(); ++i) {
    EXPECT_NEAR(absl::ToDoubleSeconds(times[i] - times[i - 1]), 2.0, 1e-3);
  }
  EXPECT_TRUE(f.system.synchronized());
}

TEST(ClientEngineTest, BurstSendsBurstsOnceThePollGrows) {
  FixtureServer s = Server();
  s.config.burst = true;
  s.config.minpoll = 3;
  s.config.maxpoll = 6;
  EngineFixture f(Client(0), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(2 * 3600);
  ASSERT_EQ(f.engine->associations()[0]->hpoll(), 6)
      << "samples " << f.engine->associations()[0]->tracker().samples() << " outliers "
      << f.engine->associations()[0]->counters().outliers << " q "
      << f.engine->associations()[0]->tracker().wander() << " R "
      << f.engine->associations()[0]->tracker().TypicalMeasurementVariance();
  // ntpd 4.2.8: min(2^(hpoll - minpoll), 8) packets per poll, 2 s apart.
  std::vector<double> gaps;
  absl::Time last;
  for (const auto& sent : f.network->sent()) {
    if (sent.to.port() != 123) continue;
    if (last != absl::Time()) gaps.push_back(absl::ToDoubleSeconds(sent.at - last));
    last = sent.at;
  }
  int two_second_gaps = 0, long_gaps = 0;
  for (size_t i = gaps.size() - 40; i < gaps.size(); ++i) {
    if (std::fabs(gaps[i] - 2.0) < 1e-3) ++two_second_gaps;
    if (gaps[i] > 40) ++long_gaps;
  }
  EXPECT_GE(long_gaps, 4);
  EXPECT_NEAR(two_second_gaps, 7 * long_gaps, 7);
}

TEST(ClientEngineTest, UnreachableServerBacksOff) {
  FixtureServer s = Server();
  s.params.silent = true;
  EngineFixture f(Client(0), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(64 * 8.5);  // nine silent polls: not yet (ntpd backs off after 10)
  EXPECT_EQ(f.engine->associations()[0]->hpoll(), 6);
  f.RunFor(20000);
  EXPECT_GT(f.engine->associations()[0]->hpoll(), 6);
  EXPECT_LE(f.engine->associations()[0]->hpoll(), 10);
}

TEST(ClientEngineTest, DriftStoreIsReadAtStartAndWrittenAtStop) {
  EngineFixture f(Client(0.001, -12.5), {Server()});
  f.drift.Write(12.0).IgnoreError();
  ASSERT_THAT(f.Start(), IsOk());
  EXPECT_NEAR(f.client_clock->frequency_ppm(), 12.0, 1e-9);
  EXPECT_EQ(f.engine->discipline().state(), DisciplineState::kFset);
  EXPECT_THAT(f.events.Texts(EventKind::kDriftFile)[0],
              HasSubstr("frequency initialized 12.000 PPM"));
  f.RunFor(1800);
  f.engine->Stop();
  ASSERT_TRUE(f.drift.value().has_value());
  EXPECT_NEAR(*f.drift.value(), 12.5, 0.05);
}

TEST(ClientEngineTest, DriftStoreIsWrittenHourlyWhenItChanges) {
  EngineFixture f(Client(0, 30), {Server()});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(3600 + 10);
  ASSERT_EQ(f.drift.writes().size(), 1u);
  EXPECT_NEAR(f.drift.writes()[0], -30, 0.05);
  f.RunFor(3 * 3600);  // unchanged frequency: no more writes
  EXPECT_EQ(f.drift.writes().size(), 1u);
}

TEST(ClientEngineTest, CorruptDriftStoreMeansAFreshStart) {
  EngineFixture f(Client(0.01, 5), {Server()});
  f.drift.Write(99).IgnoreError();
  f.drift.set_corrupt(true);
  ASSERT_THAT(f.Start(), IsOk());
  EXPECT_EQ(f.engine->discipline().state(), DisciplineState::kNset);
  EXPECT_DOUBLE_EQ(f.client_clock->frequency_ppm(), 0.0);
  ASSERT_GE(f.events.Count(EventKind::kWarning), 1);
  EXPECT_THAT(f.events.Texts(EventKind::kWarning)[0], HasSubstr("starting without"));
  f.RunFor(600);
  EXPECT_LT(std::fabs(f.client_clock->TrueOffset()), 1e-4);
}

TEST(ClientEngineTest, MissingDriftStoreIsLoggedAndFine) {
  EngineFixture f(Client(0), {Server()});
  ASSERT_THAT(f.Start(), IsOk());
  EXPECT_THAT(f.events.Texts(EventKind::kDriftFile)[0], HasSubstr("not found"));
  EXPECT_EQ(f.engine->discipline().state(), DisciplineState::kNset);
}

TEST(ClientEngineTest, HoldoverThroughTwoHourOutageThenReacquireWithoutStep) {
  EngineFixture f(Client(0.02, 25), {Server(100e-6, 10e-6)});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(3 * 3600);
  ASSERT_LT(std::fabs(f.client_clock->TrueOffset()), 50e-6);
  const SystemVariables before = f.system;
  f.network->Link(f.client_ip, f.server_ips[0]).down = true;
  double worst = 0;
  for (int k = 0; k < 120; ++k) {
    f.RunFor(60);
    worst = std::max(worst, std::fabs(f.client_clock->TrueOffset()));
  }
  // Frequency kept: the error stays far below PHI's bound (15 ppm * 2 h).
  EXPECT_LT(worst, 1e-3);
  EXPECT_FALSE(f.engine->system_peer().has_value());
  EXPECT_EQ(f.events.Count(EventKind::kLostSync), 1);
  // Still serving, with the old reference time: the responder ages the
  // root dispersion from it.
  EXPECT_TRUE(f.system.synchronized());
  EXPECT_EQ(f.system.reference_time, before.reference_time);
  f.network->Link(f.client_ip, f.server_ips[0]).down = false;
  f.RunFor(3600);
  EXPECT_EQ(f.client_clock->steps(), 0);
  EXPECT_LT(std::fabs(f.client_clock->TrueOffset()), 50e-6);
  EXPECT_TRUE(f.engine->system_peer().has_value());
}

TEST(ClientEngineTest, LeapWarningFromMajorityArmsTheKernel) {
  std::vector<FixtureServer> servers = {Server(), Server(), Server()};
  servers[0].params.leap = LeapIndicator::kLastMinuteHas61Seconds;
  servers[1].params.leap = LeapIndicator::kLastMinuteHas61Seconds;
  EngineFixture f(Client(0), servers);
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(600);
  EXPECT_EQ(f.system.leap, Leap::kInsertSecond);
  EXPECT_EQ(f.client_clock->sync_status().leap, clocks::LeapStatus::kInsert);
  EXPECT_EQ(f.events.Count(EventKind::kLeapArmed), 1);
}

TEST(ClientEngineTest, LeapWarningFromMinorityIsIgnored) {
  std::vector<FixtureServer> servers = {Server(), Server(), Server()};
  servers[0].params.leap = LeapIndicator::kLastMinuteHas61Seconds;
  EngineFixture f(Client(0), servers);
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(600);
  EXPECT_EQ(f.system.leap, Leap::kNoWarning);
  EXPECT_EQ(f.client_clock->sync_status().leap, clocks::LeapStatus::kNone);
}

TEST(ClientEngineTest, KeyedAssociationAcceptsOnlyAuthenticReplies) {
  std::shared_ptr<KeyStore> keys = MakeMd5KeyStore(7, "sesame");
  ASSERT_NE(keys, nullptr);
  absl::StatusOr<std::unique_ptr<ClientAuthenticator>> signer =
      ClientAuthenticator::Create(keys.get());
  ASSERT_THAT(signer, IsOk());
  FixtureServer good = Server(), unsigned_server = Server();
  good.config.key_id = 7;
  good.params.signer = signer->get();
  good.params.sign_key_id = 7;
  unsigned_server.config.key_id = 7;
  EngineFixture f(Client(0.01), {good, unsigned_server});
  f.keys = keys.get();
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(600);
  EXPECT_NE(f.engine->associations()[0]->reach(), 0);
  EXPECT_EQ(f.engine->associations()[1]->reach(), 0);
  EXPECT_GT(f.engine->associations()[1]->counters().auth_failed, 0u);
  // Requests of a keyed association carry the MAC (48 + 4 + 16 octets).
  EXPECT_EQ(f.servers[0]->request_bytes()[0].size(), kNtpHeaderOctets + 20);
  EXPECT_TRUE(f.system.synchronized());
}

TEST(ClientEngineTest, LoopIsDetectedWhenTheServerIsSynchronisedToUs) {
  FixtureServer s = Server();
  s.params.stratum = 3;
  s.params.reference_id = 0x0A000001;  // the client's own address
  EngineFixture f(Client(0.01), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(600);
  EXPECT_TRUE(f.engine->associations()[0]->loop_detected());
  EXPECT_EQ(f.engine->updates(), 0);
}

TEST(ClientEngineTest, PreferredServerBecomesSystemPeer) {
  std::vector<FixtureServer> servers = {Server(50e-6), Server(3e-3), Server(60e-6)};
  servers[1].config.prefer = true;
  EngineFixture f(Client(0), servers);
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(900);
  EXPECT_EQ(f.engine->system_peer(), std::optional<int>(1));
}

TEST(ClientEngineTest, NoselectServerIsPolledButNeverSelected) {
  FixtureServer s = Server();
  s.config.noselect = true;
  EngineFixture f(Client(0.01), {s});
  ASSERT_THAT(f.Start(), IsOk());
  f.RunFor(900);
  EXPECT_GT(f.servers[0]->requests(), 5);
  EXPECT_EQ(f.engine->updates(), 0);
}

TEST(ClientEngineTest, MinsaneRequiresThatManySurvivors) {
  EngineFixture f(Client(0.01), {Server(), Server()});
  ClientEngineOptions options;
  options.minsane = 3;
  ASSERT_THAT(f.Start(options), IsOk());
  f.RunFor(900);
  EXPECT_EQ(f.engine->updates(), 0);
}

TEST(ClientEngineTest, RunsAreDeterministic) {
  auto run = [](uint64_t seed) {
    EngineFixture f(Client(0.1, 10), {Server(100e-6, 20e-6)}, seed);
    EXPECT_THAT(f.Start(), IsOk());
    f.RunFor(3600);
    return f.client_clock->TrueOffset();
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

}  // namespace
}  // namespace ntp::testing
