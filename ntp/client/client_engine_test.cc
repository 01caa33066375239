// The client side of ntp::Host, driven directly: a Host built from an
// ntp.conf text, a HostDriver (ntp/testing/host_driver.h) feeding it inputs
// and answering its actions, and scripted servers that build their replies
// with ntp/wire. Assertions are on the actions (datagrams, clock
// operations, log events, drift writes) and the engine's read-only views.
// Accuracy under noise is checked by the simulator scenarios in
// testdata/scenarios/client/.
#include "ntp/client/client_engine.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/client/packet_auth.h"
#include "ntp/config/parser.h"
#include "ntp/host.h"
#include "ntp/random.h"
#include "ntp/testing/host_driver.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/testing/test_keys.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"

namespace ntp::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const net::IpAddress kClientIp = *net::IpAddress::Parse("10.0.0.1");

net::SocketAddress ServerAddress(int i) {
  return net::SocketAddress(*net::IpAddress::Parse(absl::StrCat("10.0.1.", i + 1)), 123);
}

NtpConfig Parse(const std::string& text) {
  ParsedConfig parsed = ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config;
}

// An NTP server answering from true time (plus `offset`, for a liar), or
// with a kiss, or not at all; it keeps what it received and sent.
struct ScriptedServer {
  int stratum = 1;
  LeapIndicator leap = LeapIndicator::kNoWarning;
  uint32_t reference_id = AsciiRefId("GPS");
  absl::Duration offset;                           // its clock minus true time
  absl::Duration delay = absl::Microseconds(100);  // one way, both ways alike
  double root_dispersion_seconds = 1e-4;
  std::optional<KissCode> kiss;  // answer every request with this kiss
  int8_t kiss_poll = 0;
  bool silent = false;
  bool bad_origin = false;                // an origin timestamp that is not the request's
  ClientAuthenticator* signer = nullptr;  // MAC replies with sign_key_id
  uint32_t sign_key_id = 0;

  std::vector<SentDatagram> requests;
  std::vector<std::vector<uint8_t>> replies;

  std::optional<ScriptedReply> Answer(const SentDatagram& request, absl::Time true_time) {
    requests.push_back(request);
    if (silent) return std::nullopt;
    WireResult<NtpPacket, PacketError> parsed = ParsePacket(request.bytes);
    if (!parsed.ok()) return std::nullopt;
    NtpPacket reply;
    if (kiss.has_value()) {
      reply = MakeKissOfDeath(*parsed, *kiss, Mode::kServer, kiss_poll);
    } else {
      // The request arrives after `delay`; the answer leaves at once.
      const absl::Time now = true_time + delay + offset;
      reply.leap = leap;
      reply.version = parsed->version;
      reply.mode = Mode::kServer;
      reply.stratum = static_cast<uint8_t>(stratum);
      reply.poll_log2_seconds = parsed->poll_log2_seconds;
      reply.precision_log2_seconds = -20;
      reply.root_dispersion = NtpShort::FromSeconds(root_dispersion_seconds);
      reply.reference_id = reference_id;
      reply.reference_timestamp = NtpTimestamp::FromTime(now - absl::Seconds(16));
      reply.origin_timestamp = bad_origin
                                   ? NtpTimestamp::FromRaw(parsed->transmit_timestamp.raw() + 1)
                                   : parsed->transmit_timestamp;
      reply.receive_timestamp = NtpTimestamp::FromTime(now);
      reply.transmit_timestamp = reply.receive_timestamp;
    }
    std::vector<uint8_t> bytes(kNtpHeaderOctets);
    if (!SerializePacket(reply, absl::MakeSpan(bytes)).ok()) return std::nullopt;
    if (signer != nullptr && !signer->Sign(sign_key_id, &bytes).ok()) return std::nullopt;
    replies.push_back(bytes);
    return ScriptedReply{bytes, delay};
  }
};

// A Host built from an ntp.conf text (client at 10.0.0.1), its driver and
// scripted servers at 10.0.1.1, 10.0.1.2, ... (in the order added).
class ClientEngineTest : public ::testing::Test {
 protected:
  ScriptedServer& AddServer(ScriptedServer server = {}) {
    servers_.push_back(std::move(server));
    return servers_.back();
  }
  // `server 10.0.1.N` lines for every scripted server, with `options`.
  std::string ServerLines(const std::string& options = "") const {
    std::string lines;
    for (size_t i = 0; i < servers_.size(); ++i) {
      absl::StrAppend(&lines, "server ", ServerAddress(i).ip().ToString(), options, "\n");
    }
    return lines;
  }

  void Start(const std::string& conf, HostDriver::Options options = {},
             HostOptions host_options = {}, const KeyStore* keys = nullptr) {
    host_options.listen = {net::SocketAddress(kClientIp, 123)};
    host_options.own_addresses = {kClientIp};
    if (host_options.random_seed == 0) host_options.random_seed = 1;
    absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(Parse(conf), host_options, keys);
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
    ASSERT_NE(host_->client(), nullptr);
    driver_ = std::make_unique<HostDriver>(host_.get(), options);
    for (size_t i = 0; i < servers_.size(); ++i) {
      ScriptedServer* s = &servers_[i];
      driver_->AddPeer(ServerAddress(i), [s](const SentDatagram& request, absl::Time t) {
        return s->Answer(request, t);
      });
    }
    driver_->Start();
  }
  void RunFor(absl::Duration d) { driver_->AdvanceBy(d); }
  // One server and -g (one big first correction allowed), the clock as
  // `options` say; runs for two minutes.
  void RunOneServerWithMinusG(const HostDriver::Options& options) {
    AddServer();
    HostOptions flags;
    flags.allow_big_first_step = true;
    Start(ServerLines(), options, flags);
    RunFor(absl::Seconds(120));
  }
  // Still running after exactly one step, of `seconds` (to 10 ms).
  void ExpectRunningAfterOneStepOf(double seconds) {
    EXPECT_EQ(host_->exit_state(), HostExit::kRunning);
    ASSERT_EQ(driver_->steps.size(), 1u);
    EXPECT_NEAR(absl::ToDoubleSeconds(driver_->steps[0]), seconds, 0.01);
  }

  const ClientEngine& engine() const { return *host_->client(); }
  const Association& association(int i) const { return *engine().associations()[i]; }
  uint64_t Verdicts(int i, ReplyVerdict verdict) const {
    return association(i).counters().verdicts[static_cast<size_t>(verdict)];
  }
  std::vector<ClockOperation> Operations(ClockOpKind kind) const {
    std::vector<ClockOperation> out;
    for (const ClockOperation& op : driver_->clock_operations) {
      if (op.kind == kind) out.push_back(op);
    }
    return out;
  }
  // Requests sent to the servers (port 123), in order.
  std::vector<SentDatagram> Requests() const {
    std::vector<SentDatagram> out;
    for (const SentDatagram& d : driver_->sent) {
      if (d.to.port() == 123) out.push_back(d);
    }
    return out;
  }

  std::deque<ScriptedServer> servers_;  // stable addresses for the peers
  std::unique_ptr<Host> host_;
  std::unique_ptr<HostDriver> driver_;
};

HostDriver::Options ClockOff(double offset_seconds, double oscillator_ppm = 0) {
  HostDriver::Options o;
  o.clock_offset = absl::Seconds(offset_seconds);
  o.oscillator_ppm = oscillator_ppm;
  return o;
}

// ---- Requests and the poll process (RFC 5905 §13, RFC 9109) ------------

TEST_F(ClientEngineTest, RequestsAreDataMinimisedFromAFreshSocketEach) {
  AddServer();
  Start(ServerLines());
  RunFor(absl::Seconds(400));
  const std::vector<SentDatagram> requests = Requests();
  ASSERT_GE(requests.size(), 3u);
  for (const SentDatagram& r : requests) {
    ASSERT_EQ(r.bytes.size(), kNtpHeaderOctets);
    EXPECT_EQ(r.bytes[0], 0x23);  // LI 0, VN 4, mode 3
    EXPECT_EQ(r.bytes[1], 0);     // stratum
    EXPECT_EQ(r.bytes[3], 0);     // precision
    for (size_t i = 4; i < 40; ++i) EXPECT_EQ(r.bytes[i], 0) << "octet " << i;
    EXPECT_NE(r.from.port(), 123);
  }
  for (size_t i = 1; i < requests.size(); ++i) {
    // A new random transmit timestamp, a new socket on a new port, and the
    // previous socket closed.
    EXPECT_NE(
        std::vector<uint8_t>(requests[i].bytes.begin() + 40, requests[i].bytes.end()),
        std::vector<uint8_t>(requests[i - 1].bytes.begin() + 40, requests[i - 1].bytes.end()));
    EXPECT_NE(requests[i].socket, requests[i - 1].socket);
    EXPECT_NE(requests[i].from.port(), requests[i - 1].from.port());
    EXPECT_EQ(driver_->open_sockets.count(requests[i - 1].socket), 0u);
  }
  EXPECT_EQ(driver_->open_sockets.count(requests.back().socket), 1u);
}

TEST_F(ClientEngineTest, IburstSendsSixPacketsTwoSecondsApartAfterTheFirstReply) {
  AddServer();
  Start(ServerLines(" iburst"));
  RunFor(absl::Seconds(40));
  const std::vector<SentDatagram> requests = Requests();
  ASSERT_EQ(requests.size(), 6u);
  for (size_t i = 1; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].monotonic - requests[i - 1].monotonic, absl::Seconds(2));
  }
  EXPECT_TRUE(host_->system().synchronized());
}

TEST_F(ClientEngineTest, BurstSendsBurstsOnceThePollGrows) {
  AddServer();
  HostDriver::Options o;
  // A clock read to 1 ns (as a TSC-based one): with 1 us the timestamp
  // noise keeps the poll at 2^5 s for 2 h.
  o.clock.precision = absl::Nanoseconds(1);
  Start(ServerLines(" burst minpoll 3 maxpoll 6"), o);
  RunFor(absl::Hours(2));
  ASSERT_EQ(association(0).hpoll(), 6)
      << "samples " << association(0).tracker().samples() << " outliers "
      << association(0).counters().outliers << " q " << association(0).tracker().wander() << " R "
      << association(0).tracker().TypicalMeasurementVariance();
  // min(2^(hpoll - minpoll), 8) packets per poll, 2 s apart (association.cc).
  const std::vector<SentDatagram> requests = Requests();
  ASSERT_GT(requests.size(), 41u);
  int two_second_gaps = 0, long_gaps = 0;
  for (size_t i = requests.size() - 40; i < requests.size(); ++i) {
    const absl::Duration gap = requests[i].monotonic - requests[i - 1].monotonic;
    if (gap == absl::Seconds(2)) ++two_second_gaps;
    if (gap > absl::Seconds(40)) ++long_gaps;
  }
  EXPECT_GE(long_gaps, 4);
  EXPECT_NEAR(two_second_gaps, 7 * long_gaps, 7);
}

TEST_F(ClientEngineTest, PollClimbsToMaxpollWhileStableAndReturnsToMinpollAfterAStep) {
  AddServer().delay = absl::Milliseconds(5);
  Start(ServerLines(), ClockOff(0.02, 10));
  RunFor(absl::Hours(5));
  EXPECT_EQ(association(0).hpoll(), 10);
  size_t sent = Requests().size();
  RunFor(absl::Hours(1));
  EXPECT_LE(Requests().size() - sent, 4u);  // 1024 s apart
  EXPECT_TRUE(driver_->steps.empty());
  // The server jumps 0.5 s: outliers take the poll down, the tracker
  // re-acquires, the clock steps, and the poll is back at minpoll.
  servers_[0].offset = absl::Milliseconds(500);
  int lowest = association(0).hpoll();
  for (int i = 0; i < 240 && driver_->steps.empty(); ++i) {
    RunFor(absl::Seconds(30));
    lowest = std::min(lowest, association(0).hpoll());
  }
  EXPECT_EQ(driver_->steps.size(), 1u);
  EXPECT_EQ(lowest, 6);
  RunFor(absl::Seconds(1));
  EXPECT_EQ(association(0).hpoll(), 6);
}

TEST_F(ClientEngineTest, UnreachableServerBacksOff) {
  AddServer().silent = true;
  Start(ServerLines());
  RunFor(absl::Seconds(64 * 8.5));  // nine silent polls: not yet (back-off after 10)
  EXPECT_EQ(association(0).hpoll(), 6);
  RunFor(absl::Seconds(20000));
  EXPECT_GT(association(0).hpoll(), 6);
  EXPECT_LE(association(0).hpoll(), 10);
}

TEST_F(ClientEngineTest, PartialLossKeepsThePoll) {
  // A server that answered within the last 64 polls suffers loss, not an
  // outage: no unreachable back-off, however long the silence in the
  // 8-poll reach register. Past 64 silent polls the back-off applies.
  ScriptedServer& server = AddServer();
  Start(ServerLines());
  ASSERT_TRUE(driver_->AdvanceUntilSent(driver_->monotonic() + absl::Minutes(2)));
  RunFor(absl::Seconds(1));
  ASSERT_EQ(association(0).reach(), 0x01);
  server.silent = true;
  RunFor(absl::Seconds(64 * 40));  // about 40 silent polls
  EXPECT_EQ(association(0).reach(), 0);
  EXPECT_TRUE(association(0).PartialLoss());
  EXPECT_EQ(association(0).hpoll(), 6);
  RunFor(absl::Seconds(64 * 40));
  EXPECT_FALSE(association(0).PartialLoss());
  RunFor(absl::Seconds(20000));
  EXPECT_GT(association(0).hpoll(), 6);
}

TEST_F(ClientEngineTest, ReachRegisterShiftsAtEveryPoll) {
  ScriptedServer& server = AddServer();
  Start(ServerLines());
  // RFC 5905 §13.2: shifted left at every poll, bit 0 set by a valid reply.
  // Four answered polls, eight silent ones, then one answered again.
  std::vector<int> reach;
  for (int poll = 0; poll < 13; ++poll) {
    server.silent = poll >= 4 && poll < 12;
    ASSERT_TRUE(driver_->AdvanceUntilSent(driver_->monotonic() + absl::Minutes(2)));
    RunFor(absl::Seconds(1));
    reach.push_back(association(0).reach());
  }
  EXPECT_THAT(reach, ElementsAre(0x01, 0x03, 0x07, 0x0F, 0x1E, 0x3C, 0x78, 0xF0, 0xE0, 0xC0, 0x80,
                                 0x00, 0x01));
  std::vector<std::string> reachability;
  for (const std::string& text : driver_->Texts(EventKind::kInfo)) {
    if (absl::StrContains(text, "reachable")) reachability.push_back(text);
  }
  EXPECT_THAT(reachability, ElementsAre("10.0.1.1 unreachable", "10.0.1.1 reachable"));
  // The kernel is told in ntpd's words: synchronised, unsynchronised
  // (STA_UNSYNC) once the peer is lost, synchronised again.
  std::vector<std::string> kernel;
  for (const std::string& text : driver_->Texts(EventKind::kInfo)) {
    if (absl::StartsWith(text, "kernel time sync status change")) kernel.push_back(text);
  }
  EXPECT_THAT(kernel, ElementsAre("kernel time sync status change 0000",
                                  "kernel time sync status change 0040",
                                  "kernel time sync status change 0000"));
  EXPECT_THAT(driver_->Texts(EventKind::kLostSync),
              ElementsAre(::testing::HasSubstr("no servers reachable")));
}

// ---- Kiss-o'-Death (RFC 5905 §7.4) --------------------------------------

TEST_F(ClientEngineTest, KissRateRaisesThePollOneStepPerKiss) {
  ScriptedServer& server = AddServer();
  server.kiss = KissCode::kRate;
  server.kiss_poll = 17;  // not trusted: one kiss is one step
  Start(ServerLines());
  RunFor(absl::Seconds(30));
  EXPECT_EQ(association(0).hpoll(), 7);
  EXPECT_EQ(association(0).minpoll(), 7);
  EXPECT_EQ(driver_->Count(EventKind::kKissOfDeath), 1);
  // The next request comes 2^7 s after the first (at about 1.5 s), and its
  // kiss raises the poll one more step.
  const size_t before = server.requests.size();
  RunFor(absl::Seconds(90));
  EXPECT_EQ(server.requests.size(), before);
  RunFor(absl::Seconds(20));
  EXPECT_EQ(server.requests.size(), before + 1);
  EXPECT_EQ(association(0).hpoll(), 8);
}

TEST_F(ClientEngineTest, KissRateIsBounded) {
  ScriptedServer& server = AddServer();
  server.kiss = KissCode::kRate;
  server.kiss_poll = 17;
  Start(ServerLines());
  RunFor(absl::Hours(4));
  EXPECT_EQ(association(0).hpoll(), 10);  // max(maxpoll, 10)
  EXPECT_GT(server.requests.size(), 2u);
}

TEST_F(ClientEngineTest, UnauthenticatedKissDenyCountsAsUnreachable) {
  ScriptedServer& server = AddServer();
  server.kiss = KissCode::kDeny;
  Start(ServerLines());
  RunFor(absl::Seconds(30));
  EXPECT_TRUE(association(0).enabled());
  ASSERT_EQ(driver_->Count(EventKind::kKissOfDeath), 1);
  EXPECT_THAT(driver_->Texts(EventKind::kKissOfDeath)[0],
              HasSubstr("DENY from 10.0.1.1 without authentication"));
  EXPECT_EQ(association(0).reach(), 0);
  // Polled on, with the unreachable back-off: fewer requests in the
  // second hour than at 64 s, and the poll grows.
  RunFor(absl::Hours(1));
  const size_t after_one_hour = server.requests.size();
  RunFor(absl::Hours(1));
  EXPECT_GT(server.requests.size(), after_one_hour);
  EXPECT_LT(server.requests.size() - after_one_hour, 3600u / 64);
  EXPECT_GT(association(0).hpoll(), 6);
  EXPECT_EQ(driver_->Count(EventKind::kKissOfDeath), 1);  // said once
}

TEST_F(ClientEngineTest, UnauthenticatedKissDenyDoesNotDisarmTheGenuineReply) {
  AddServer().delay = absl::Milliseconds(5);
  Start(ServerLines(), ClockOff(0.05));
  ASSERT_TRUE(driver_->AdvanceUntilSent(driver_->monotonic() + absl::Seconds(10)));
  const SentDatagram request = driver_->sent.back();
  // An on-path forgery: the right origin, but no MAC.
  WireResult<NtpPacket, PacketError> parsed = ParsePacket(request.bytes);
  ASSERT_TRUE(parsed.ok());
  const NtpPacket kiss = MakeKissOfDeath(*parsed, KissCode::kDeny, Mode::kServer, 0);
  std::vector<uint8_t> bytes(kNtpHeaderOctets);
  ASSERT_THAT(SerializePacket(kiss, absl::MakeSpan(bytes)), IsOk());
  driver_->Receive(request.socket, bytes, request.to);
  RunFor(absl::Seconds(1));
  EXPECT_TRUE(association(0).enabled());
  EXPECT_EQ(Verdicts(0, ReplyVerdict::kAccept), 1u);
  EXPECT_EQ(association(0).reach(), 1);
}

TEST_F(ClientEngineTest, AuthenticatedKissDenyStopsUsingTheServer) {
  std::shared_ptr<KeyStore> keys = MakeMd5KeyStore(7, "sesame");
  ASSERT_NE(keys, nullptr);
  absl::StatusOr<std::unique_ptr<ClientAuthenticator>> signer =
      ClientAuthenticator::Create(keys.get());
  ASSERT_THAT(signer, IsOk());
  ScriptedServer& server = AddServer();
  server.kiss = KissCode::kDeny;
  server.signer = signer->get();
  server.sign_key_id = 7;
  Start(ServerLines(" key 7"), {}, {}, keys.get());
  RunFor(absl::Seconds(30));
  EXPECT_FALSE(association(0).enabled());
  ASSERT_EQ(driver_->Count(EventKind::kKissOfDeath), 1);
  EXPECT_THAT(driver_->Texts(EventKind::kKissOfDeath)[0], HasSubstr("access denied"));
  const size_t requests = server.requests.size();
  RunFor(absl::Hours(1));
  EXPECT_EQ(server.requests.size(), requests);
}

// ---- Which replies count (RFC 5905 §8, TEST1-3, TEST5) ------------------

TEST_F(ClientEngineTest, ReplyWithWrongOriginIsNeverAccepted) {
  AddServer().bad_origin = true;
  Start(ServerLines(), ClockOff(0.05));
  RunFor(absl::Seconds(600));
  EXPECT_EQ(association(0).reach(), 0);
  EXPECT_GT(Verdicts(0, ReplyVerdict::kBogus), 0u);
  EXPECT_EQ(Verdicts(0, ReplyVerdict::kAccept), 0u);
  EXPECT_EQ(engine().updates(), 0);
}

TEST_F(ClientEngineTest, SpoofedReplyNeitherAcceptedNorDisarmsTheGenuineOne) {
  AddServer().delay = absl::Milliseconds(5);  // room for a forgery to win the race
  Start(ServerLines(), ClockOff(0.05));
  ASSERT_TRUE(driver_->AdvanceUntilSent(driver_->monotonic() + absl::Seconds(10)));
  const SentDatagram request = driver_->sent.back();
  // From the server's address to the request's socket, before the real
  // reply, with a guessed origin.
  NtpPacket forged;
  forged.mode = Mode::kServer;
  forged.stratum = 1;
  forged.origin_timestamp = NtpTimestamp::FromRaw(0x1234);
  forged.receive_timestamp = NtpTimestamp::FromTime(driver_->clock_time() + absl::Seconds(100));
  forged.transmit_timestamp = forged.receive_timestamp;
  std::vector<uint8_t> bytes(kNtpHeaderOctets);
  ASSERT_THAT(SerializePacket(forged, absl::MakeSpan(bytes)), IsOk());
  driver_->Receive(request.socket, bytes, request.to);
  RunFor(absl::Seconds(1));
  EXPECT_EQ(Verdicts(0, ReplyVerdict::kBogus), 1u);
  EXPECT_EQ(Verdicts(0, ReplyVerdict::kAccept), 1u);
  EXPECT_EQ(association(0).reach(), 1);
  // The genuine reply measured the clock's 50 ms lead (the delay is
  // symmetric and the model clock noise-free: exact to its 1 us precision).
  EXPECT_NEAR(association(0).filter().offset_seconds(), -0.05, 1e-6);
  EXPECT_TRUE(driver_->steps.empty());
}

TEST_F(ClientEngineTest, GarbageRepliesNeverCrashOrCount) {
  AddServer().delay = absl::Milliseconds(5);
  Start(ServerLines(), ClockOff(0.02));
  SplitMix64 rng(99);
  constexpr int kRounds = 30;
  for (int round = 0; round < kRounds; ++round) {
    // Race junk against each genuine reply (5 ms away): random lengths
    // around the header size, random octets, some with a plausible first
    // octet (mode 4) and the request's nonce as the origin. The poll
    // climbs towards maxpoll (1024 s) meanwhile.
    ASSERT_TRUE(driver_->AdvanceUntilSent(driver_->monotonic() + absl::Minutes(20)));
    const SentDatagram request = driver_->sent.back();
    std::vector<uint8_t> junk(rng.Below(120));
    for (auto& b : junk) b = static_cast<uint8_t>(rng.Next());
    if (junk.size() >= 48 && rng.Below(2) == 0) {
      junk[0] = 0x24;
      std::copy(request.bytes.begin() + 40, request.bytes.begin() + 48, junk.begin() + 24);
    }
    driver_->Receive(request.socket, junk, request.to);
    RunFor(absl::Milliseconds(20));
  }
  EXPECT_GT(association(0).counters().malformed, 0u);
  // Every genuine reply was accepted, and nothing else.
  EXPECT_EQ(Verdicts(0, ReplyVerdict::kAccept), static_cast<uint64_t>(kRounds));
  EXPECT_TRUE(driver_->steps.empty());
}

TEST_F(ClientEngineTest, DuplicateReplyIsRejected) {
  ScriptedServer& server = AddServer();
  server.delay = absl::Milliseconds(5);
  Start(ServerLines());
  RunFor(absl::Seconds(3));  // the first exchange is done
  ASSERT_EQ(server.replies.size(), 1u);
  driver_->Receive(server.requests[0].socket, server.replies[0], ServerAddress(0));
  RunFor(absl::Seconds(1));
  EXPECT_EQ(Verdicts(0, ReplyVerdict::kAccept), 1u);
  EXPECT_EQ(Verdicts(0, ReplyVerdict::kDuplicate), 1u);
}

TEST_F(ClientEngineTest, KeyedAssociationAcceptsOnlyAuthenticReplies) {
  std::shared_ptr<KeyStore> keys = MakeMd5KeyStore(7, "sesame");
  ASSERT_NE(keys, nullptr);
  absl::StatusOr<std::unique_ptr<ClientAuthenticator>> signer =
      ClientAuthenticator::Create(keys.get());
  ASSERT_THAT(signer, IsOk());
  ScriptedServer& good = AddServer();
  good.signer = signer->get();
  good.sign_key_id = 7;
  AddServer();  // answers without a MAC
  Start(ServerLines(" key 7"), ClockOff(0.01), {}, keys.get());
  RunFor(absl::Seconds(600));
  EXPECT_NE(association(0).reach(), 0);
  EXPECT_EQ(association(1).reach(), 0);
  EXPECT_GT(association(1).counters().auth_failed, 0u);
  // Requests of a keyed association carry the MAC (48 + 4 + 16 octets).
  EXPECT_EQ(good.requests[0].bytes.size(), kNtpHeaderOctets + 20);
  EXPECT_TRUE(host_->system().synchronized());
  EXPECT_EQ(host_->system().system_peer, "10.0.1.1");
}

// ---- Era and budget -----------------------------------------------------

TEST_F(ClientEngineTest, EraIsResolvedAgainstThePivot) {
  // The clock reads 2100: on the wire the offset is only known modulo
  // 2^32 s (RFC 5905 section 6); the step lands within 68 years of 2026.
  for (int i = 0; i < 3; ++i) AddServer();
  HostOptions host_options;
  host_options.allow_big_first_step = true;
  Start(ServerLines(" iburst"), ClockOff(2398377600.0), host_options);
  RunFor(absl::Seconds(60));
  ASSERT_EQ(driver_->steps.size(), 1u);
  EXPECT_NEAR(absl::ToDoubleSeconds(driver_->steps[0]), -2398377600.0, 0.01);
  EXPECT_THAT(driver_->Texts(EventKind::kWarning), Contains(HasSubstr("NTP era resolved")));
}

TEST_F(ClientEngineTest, CorrectionBudgetStopsFollowingAndSaysSo) {
  for (int i = 0; i < 3; ++i) AddServer();
  Start("tos budget 0.05 budgetwindow 86400\n" + ServerLines(" iburst"), ClockOff(0.001));
  RunFor(absl::Seconds(600));
  for (auto& s : servers_) s.offset = absl::Milliseconds(30);
  RunFor(absl::Seconds(600));
  EXPECT_THAT(driver_->Texts(EventKind::kWarning),
              Not(Contains(HasSubstr("correction budget exhausted"))));
  for (auto& s : servers_) s.offset = absl::Milliseconds(60);
  RunFor(absl::Seconds(600));
  EXPECT_THAT(driver_->Texts(EventKind::kWarning),
              Contains(HasSubstr("correction budget exhausted")));
  EXPECT_TRUE(driver_->steps.empty());
}

// ---- A biased survivor -------------------------------------------------

TEST_F(ClientEngineTest, BiasedSurvivorOfThreeIsLeftOutOfTheCombination) {
  // Wide root dispersions: the intersection keeps all three, the bias
  // is found among the survivors.
  for (int i = 0; i < 3; ++i) AddServer().root_dispersion_seconds = 0.02;
  servers_[2].offset = absl::Milliseconds(5);
  Start(ServerLines(" iburst"), ClockOff(0.001));
  RunFor(absl::Seconds(600));
  EXPECT_EQ(engine().select_status(2), PeerSelect::kOutlier);
  EXPECT_LT(std::fabs(host_->system().offset_seconds), 0.0005);
  EXPECT_NE(host_->system().system_peer, "10.0.1.3");
}

// ---- Steps by another process ------------------------------------------

TEST_F(ClientEngineTest, ExternalStepIsFoundWithinOnePollRoundAndUndone) {
  for (int i = 0; i < 3; ++i) AddServer();
  Start(ServerLines(" iburst"), ClockOff(0.01, 20));
  RunFor(absl::Seconds(1200));
  ASSERT_TRUE(driver_->steps.empty());
  int poll = 0;
  for (int i = 0; i < 3; ++i) poll = std::max(poll, association(i).hpoll());
  driver_->InjectClockStep(absl::Seconds(100));
  RunFor(absl::Seconds(std::ldexp(1.0, poll) + 10));  // one poll round
  ASSERT_EQ(driver_->steps.size(), 1u);
  EXPECT_NEAR(absl::ToDoubleSeconds(driver_->steps[0]), -100, 0.01);
  EXPECT_THAT(driver_->Texts(EventKind::kWarning),
              Contains(HasSubstr("stepped by another process: +100.0")));
}

TEST_F(ClientEngineTest, OneServerJumpingIsNotAnExternalStep) {
  for (int i = 0; i < 3; ++i) AddServer();
  Start(ServerLines(" iburst"), ClockOff(0.01, 20));
  RunFor(absl::Seconds(1200));
  servers_[0].offset = absl::Seconds(100);
  RunFor(absl::Seconds(600));
  EXPECT_TRUE(driver_->steps.empty());
  EXPECT_THAT(driver_->Texts(EventKind::kWarning),
              Not(Contains(HasSubstr("another process"))));
}

// ---- Selection (RFC 5905 §10-§11) ---------------------------------------

TEST_F(ClientEngineTest, SynchronisesToTheServerAndTellsTheKernel) {
  AddServer();
  Start(ServerLines(), ClockOff(0.1, 10));
  RunFor(absl::Seconds(600));
  EXPECT_TRUE(driver_->steps.empty());  // 0.1 s is below the step threshold
  EXPECT_FALSE(Operations(ClockOpKind::kFrequency).empty());
  const SystemVariables& sys = host_->system();
  EXPECT_TRUE(sys.synchronized());
  EXPECT_EQ(sys.stratum, 2);
  EXPECT_EQ(sys.reference_id, 0x0A000101u);  // the server's IPv4 address
  EXPECT_EQ(sys.system_peer, "10.0.1.1");
  EXPECT_EQ(engine().select_status(0), PeerSelect::kSystemPeer);
  EXPECT_THAT(driver_->Texts(EventKind::kSync), ElementsAre("synchronized to 10.0.1.1, stratum 2"));
  const std::vector<ClockOperation> status = Operations(ClockOpKind::kSyncStatus);
  ASSERT_FALSE(status.empty());
  EXPECT_TRUE(status.back().sync.synchronized);
}

// ---- The first update under loss ----------------------------------------

TEST_F(ClientEngineTest, OneServerSynchronisesAfterOneSample) {
  ScriptedServer& server = AddServer();
  Start(ServerLines(), ClockOff(0.01));
  RunFor(absl::Seconds(3));  // the first poll goes out after 1 to 1.5 s
  EXPECT_EQ(server.replies.size(), 1u);
  EXPECT_EQ(engine().updates(), 1);
  EXPECT_EQ(driver_->Count(EventKind::kSync), 1);
}

TEST_F(ClientEngineTest, FirstUpdateComesWithThePollThatEndsTheWaitNotTheNextSample) {
  // Of three servers only the first answers, and only once. The first
  // update waits until the silent ones have missed their first polls (a
  // majority of three would otherwise be needed), and then comes at once,
  // from the sample already held: no further sample ever arrives.
  ScriptedServer& answering = AddServer();
  AddServer().silent = true;
  AddServer().silent = true;
  Start(ServerLines(" iburst"), ClockOff(0.01));
  RunFor(absl::Seconds(2));  // the first server's first poll: 1 to 1.5 s
  ASSERT_EQ(answering.replies.size(), 1u);
  answering.silent = true;
  RunFor(absl::Seconds(60));
  EXPECT_EQ(engine().updates(), 0);  // two servers may still answer
  RunFor(absl::Seconds(240));
  EXPECT_EQ(answering.replies.size(), 1u);
  EXPECT_EQ(engine().updates(), 1);
  EXPECT_TRUE(driver_->steps.empty());
  EXPECT_EQ(driver_->Count(EventKind::kSync), 1);
}

TEST_F(ClientEngineTest, AnOldSampleAtAVagueRateStillAgreesWithAFreshOne) {
  // The oscillator is 100 ppm fast and no frequency is known. The first
  // server answers once at about 1 s, the second only its second request
  // at about 65 s: by then the first server's sample, extrapolated at a
  // rate it cannot know yet, is 6 ms off. Its interval widens with the
  // rate's uncertainty times the sample's age, so the two still intersect
  // and the client synchronises to the pair.
  ScriptedServer& first = AddServer();
  ScriptedServer& second = AddServer();
  second.silent = true;
  Start(ServerLines(), ClockOff(0.05, 100));
  RunFor(absl::Seconds(2));
  ASSERT_EQ(first.replies.size(), 1u);
  first.silent = true;
  RunFor(absl::Seconds(50));
  second.silent = false;
  RunFor(absl::Seconds(30));
  ASSERT_EQ(second.replies.size(), 1u);
  EXPECT_EQ(engine().updates(), 1);
  EXPECT_THAT(driver_->Texts(EventKind::kWarning), Not(Contains(HasSubstr("no majority"))));
  EXPECT_TRUE(driver_->steps.empty());
}

// ntpd's peerstats and loopstats records: the peer status word carries
// configured and reachable, and the select code of the last selection.
TEST_F(ClientEngineTest, StatisticsRecordsCarryThePeerStatusWordAndWander) {
  AddServer();
  Start(ServerLines(), ClockOff(0.1, 10));
  RunFor(absl::Seconds(600));
  ASSERT_GE(driver_->peer_stats.size(), 2u);
  // Nothing selected yet; two events (mobilize, then reachable).
  EXPECT_EQ(driver_->peer_stats.front().status, 0x9024);
  // The system peer; three events, the last sys_peer.
  EXPECT_EQ(driver_->peer_stats.back().status, 0x963a);
  EXPECT_EQ(driver_->peer_stats.back().peer.ToString(), "10.0.1.1");
  EXPECT_GT(driver_->peer_stats.back().delay, absl::ZeroDuration());
  EXPECT_LE(driver_->peer_stats.back().clock_time, driver_->clock_time());
  ASSERT_GE(driver_->loop_stats.size(), 3u);
  EXPECT_EQ(driver_->loop_stats.front().wander_ppm, 0);
  EXPECT_GT(driver_->loop_stats.back().wander_ppm, 0);
  EXPECT_GT(driver_->loop_stats.back().jitter, absl::ZeroDuration());
  EXPECT_EQ(driver_->loop_stats.back().frequency_ppm, engine().discipline().frequency_ppm());
}

TEST_F(ClientEngineTest, ReadOnlyClockStillSelectsTheServer) {
  AddServer();
  HostDriver::Options options = ClockOff(0.05);
  options.clock_read_only = true;
  Start(ServerLines(" iburst"), options);
  RunFor(absl::Seconds(900));
  EXPECT_FALSE(driver_->clock_operations.empty());
  EXPECT_TRUE(driver_->steps.empty());
  EXPECT_EQ(engine().system_peer(), std::optional<int>(0));
  EXPECT_THAT(driver_->Texts(EventKind::kSync), ElementsAre("synchronized to 10.0.1.1, stratum 2"));
  // Each kind of refusal is logged once, however often the client asks.
  std::vector<std::string> refusals;
  for (const std::string& text : driver_->Texts(EventKind::kWarning)) {
    if (absl::StrContains(text, "refused")) refusals.push_back(text);
  }
  ASSERT_FALSE(refusals.empty());
  std::vector<std::string> unique = refusals;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  EXPECT_EQ(unique.size(), refusals.size()) << absl::StrJoin(refusals, "\n");
  EXPECT_LT(refusals.size(), driver_->clock_operations.size());
}

TEST_F(ClientEngineTest, FalsetickerIsNeverSelected) {
  for (int i = 0; i < 4; ++i) AddServer();
  servers_[2].offset = absl::Seconds(1);
  Start(ServerLines(" iburst"), ClockOff(0.02));
  for (int k = 0; k < 60; ++k) {
    RunFor(absl::Seconds(30));
    ASSERT_NE(engine().system_peer(), std::optional<int>(2));
  }
  EXPECT_TRUE(engine().system_peer().has_value());
  EXPECT_EQ(engine().select_status(2), PeerSelect::kFalseticker);
  EXPECT_TRUE(driver_->steps.empty());
}

TEST_F(ClientEngineTest, NoMajorityNeverTouchesTheClock) {
  // Three of five servers lie, each by a different amount.
  for (int i = 0; i < 5; ++i) AddServer();
  servers_[1].offset = absl::Milliseconds(500);
  servers_[2].offset = absl::Milliseconds(-700);
  servers_[4].offset = absl::Seconds(2);
  Start(ServerLines(" iburst"), ClockOff(0.01));
  RunFor(absl::Hours(1));
  EXPECT_EQ(engine().updates(), 0);
  EXPECT_TRUE(Operations(ClockOpKind::kStep).empty());
  EXPECT_TRUE(Operations(ClockOpKind::kSlew).empty());
  for (const ClockOperation& op : Operations(ClockOpKind::kFrequency)) EXPECT_EQ(op.ppm, 0);
  EXPECT_FALSE(host_->system().synchronized());
  EXPECT_FALSE(engine().system_peer().has_value());
  EXPECT_THAT(driver_->Texts(EventKind::kWarning), ElementsAre(HasSubstr("no majority among")));
}

TEST_F(ClientEngineTest, UnsynchronisedServerIsNeverUsed) {
  // Stratum 0 with refid INIT: what an unsynchronised ntpd sends.
  ScriptedServer& server = AddServer();
  server.leap = LeapIndicator::kUnsynchronized;
  server.stratum = 0;
  server.reference_id = AsciiRefId("INIT");
  Start(ServerLines(), ClockOff(0.05));
  RunFor(absl::Seconds(1200));
  EXPECT_EQ(engine().updates(), 0);
  EXPECT_EQ(association(0).reach(), 0);
  EXPECT_GT(Verdicts(0, ReplyVerdict::kUnsynchronized), 0u);
}

TEST_F(ClientEngineTest, LoopIsDetectedWhenTheServerIsSynchronisedToUs) {
  ScriptedServer& server = AddServer();
  server.stratum = 3;
  server.reference_id = 0x0A000001;  // the client's own address (TEST12)
  Start(ServerLines(), ClockOff(0.01));
  RunFor(absl::Seconds(600));
  EXPECT_NE(association(0).reach(), 0);
  EXPECT_TRUE(association(0).loop_detected());
  EXPECT_EQ(engine().updates(), 0);
}

TEST_F(ClientEngineTest, PreferredServerBecomesSystemPeer) {
  AddServer().delay = absl::Microseconds(50);
  AddServer().delay = absl::Milliseconds(3);
  AddServer().delay = absl::Microseconds(60);
  Start("server 10.0.1.1\nserver 10.0.1.2 prefer\nserver 10.0.1.3\n");
  RunFor(absl::Seconds(900));
  EXPECT_EQ(engine().system_peer(), std::optional<int>(1));
}

TEST_F(ClientEngineTest, NoselectServerIsPolledButNeverSelected) {
  ScriptedServer& server = AddServer();
  Start(ServerLines(" noselect"), ClockOff(0.01));
  RunFor(absl::Seconds(900));
  EXPECT_GT(server.requests.size(), 5u);
  EXPECT_NE(association(0).reach(), 0);
  EXPECT_EQ(engine().updates(), 0);
  EXPECT_FALSE(engine().system_peer().has_value());
}

TEST_F(ClientEngineTest, MinsaneRequiresThatManySurvivors) {
  AddServer();
  AddServer();
  Start(ServerLines() + "tos minclock 4 minsane 3\n", ClockOff(0.01));
  RunFor(absl::Seconds(900));
  EXPECT_NE(association(0).reach(), 0);
  EXPECT_NE(association(1).reach(), 0);
  EXPECT_EQ(engine().updates(), 0);
  EXPECT_FALSE(host_->system().synchronized());
}

// ---- Leap warnings (majority vote of the survivors, client_engine.cc) -----

Leap LastKernelLeap(const std::vector<ClockOperation>& status) {
  return status.empty() ? Leap::kUnsynchronized : status.back().sync.leap;
}

TEST_F(ClientEngineTest, LeapWarningFromMajorityArmsTheKernel) {
  for (int i = 0; i < 3; ++i) AddServer();
  servers_[0].leap = LeapIndicator::kLastMinuteHas61Seconds;
  servers_[1].leap = LeapIndicator::kLastMinuteHas61Seconds;
  Start(ServerLines());
  RunFor(absl::Seconds(600));
  EXPECT_EQ(host_->system().leap, Leap::kInsertSecond);
  EXPECT_EQ(LastKernelLeap(Operations(ClockOpKind::kSyncStatus)), Leap::kInsertSecond);
  EXPECT_EQ(driver_->Count(EventKind::kLeapArmed), 1);
}

TEST_F(ClientEngineTest, LeapWarningFromMinorityIsIgnored) {
  for (int i = 0; i < 3; ++i) AddServer();
  servers_[0].leap = LeapIndicator::kLastMinuteHas61Seconds;
  Start(ServerLines());
  RunFor(absl::Seconds(600));
  EXPECT_EQ(host_->system().leap, Leap::kNoWarning);
  EXPECT_EQ(LastKernelLeap(Operations(ClockOpKind::kSyncStatus)), Leap::kNoWarning);
  EXPECT_EQ(driver_->Count(EventKind::kLeapArmed), 0);
}

// ---- Drift store (ntpd's driftfile) ---------------------------------------

HostDriver::Options WithDrift(HostDriver::Options o, DriftReading::State state, double ppm = 0) {
  o.drift.state = state;
  o.drift.frequency_ppm = ppm;
  o.drift.where = "/var/lib/ntp/drift";
  if (state == DriftReading::State::kUnreadable) o.drift.error = "bad frequency value";
  return o;
}

TEST_F(ClientEngineTest, DriftStoreIsReadAtStartAndWrittenAtStop) {
  AddServer();
  Start(ServerLines(), WithDrift(ClockOff(0.001, -12.5), DriftReading::State::kValue, 12.0));
  EXPECT_DOUBLE_EQ(driver_->frequency_ppm(), 12.0);
  EXPECT_EQ(engine().discipline().state(), DisciplineState::kFset);
  EXPECT_THAT(driver_->Texts(EventKind::kDriftFile),
              ElementsAre("frequency initialized 12.000 PPM from /var/lib/ntp/drift"));
  RunFor(absl::Seconds(1800));
  EXPECT_TRUE(driver_->drift_writes.empty());  // the first hourly check is at 3600 s
  driver_->Shutdown();
  ASSERT_EQ(driver_->drift_writes.size(), 1u);
  EXPECT_EQ(driver_->drift_writes[0], engine().steering().base_frequency_ppm());
  // The noise-free model clock runs 12.5 ppm slow (written: 12.5000008);
  // the drift file keeps three decimals.
  EXPECT_NEAR(driver_->drift_writes[0], 12.5, 1e-3);
}

TEST_F(ClientEngineTest, DriftStoreIsWrittenHourlyWhenItChanges) {
  AddServer();
  Start(ServerLines(), WithDrift(ClockOff(0, 30), DriftReading::State::kAbsent));
  RunFor(absl::Seconds(3600 + 10));
  ASSERT_EQ(driver_->drift_writes.size(), 1u);
  EXPECT_NEAR(driver_->drift_writes[0], -30, 1e-3);  // written: -30.0000001
  RunFor(absl::Hours(3));                            // unchanged frequency: no more writes
  EXPECT_EQ(driver_->drift_writes.size(), 1u);
}

TEST_F(ClientEngineTest, CorruptDriftStoreMeansAFreshStart) {
  AddServer();
  Start(ServerLines(), WithDrift(ClockOff(0.01, 5), DriftReading::State::kUnreadable, 99));
  EXPECT_EQ(engine().discipline().state(), DisciplineState::kNset);
  EXPECT_EQ(driver_->frequency_ppm(), 0.0);
  EXPECT_THAT(driver_->Texts(EventKind::kWarning),
              ElementsAre(HasSubstr("starting without a known frequency")));
  RunFor(absl::Seconds(600));
  EXPECT_GT(engine().updates(), 0);
  EXPECT_TRUE(host_->system().synchronized());
}

TEST_F(ClientEngineTest, MissingDriftStoreIsLoggedAndFine) {
  AddServer();
  Start(ServerLines(), WithDrift({}, DriftReading::State::kAbsent));
  EXPECT_THAT(driver_->Texts(EventKind::kDriftFile), ElementsAre(HasSubstr("not found")));
  EXPECT_EQ(engine().discipline().state(), DisciplineState::kNset);
  RunFor(absl::Seconds(600));
  EXPECT_TRUE(host_->system().synchronized());
}

// ---- Steps, panic, -g, -x, -q (RFC 5905 §11.3; discipline.h) --------------

TEST_F(ClientEngineTest, HalfSecondOffIsSteppedExactlyOnce) {
  AddServer();
  Start(ServerLines(), ClockOff(0.5));
  RunFor(absl::Seconds(900));
  // Noise-free model and symmetric delay: the step is exact to the 1 us
  // precision of the timestamps.
  ASSERT_EQ(driver_->steps.size(), 1u);
  EXPECT_NEAR(absl::ToDoubleSeconds(driver_->steps[0]), -0.5, 1e-6);
  EXPECT_EQ(driver_->Count(EventKind::kClockStep), 1);
  EXPECT_LT(absl::AbsDuration(driver_->clock_offset()), absl::Microseconds(1));
  EXPECT_TRUE(host_->system().synchronized());
}

TEST_F(ClientEngineTest, BeyondPanicThresholdExitsWithNtpdsMessage) {
  AddServer();
  Start(ServerLines(), ClockOff(2000));
  RunFor(absl::Seconds(60));
  EXPECT_EQ(host_->exit_state(), HostExit::kPanic);
  EXPECT_TRUE(Operations(ClockOpKind::kStep).empty());
  EXPECT_TRUE(Operations(ClockOpKind::kSlew).empty());
  for (const ClockOperation& op : Operations(ClockOpKind::kFrequency)) EXPECT_EQ(op.ppm, 0);
  ASSERT_EQ(driver_->Count(EventKind::kPanic), 1);
  EXPECT_THAT(driver_->Texts(EventKind::kPanic)[0],
              HasSubstr("exceeds sanity limit (1000); set clock manually"));
  EXPECT_FALSE(host_->system().synchronized());
  // No more requests once exited.
  const size_t sent = driver_->sent.size();
  RunFor(absl::Seconds(600));
  EXPECT_EQ(driver_->sent.size(), sent);
}

TEST_F(ClientEngineTest, MinusGAllowsOneBigStepThenSyncs) {
  AddServer();
  HostOptions flags;
  flags.allow_big_first_step = true;
  Start(ServerLines(), ClockOff(-2000), flags);
  RunFor(absl::Seconds(600));
  EXPECT_EQ(host_->exit_state(), HostExit::kRunning);
  ASSERT_EQ(driver_->steps.size(), 1u);
  EXPECT_NEAR(absl::ToDoubleSeconds(driver_->steps[0]), 2000, 1e-6);
  EXPECT_FALSE(engine().discipline().panic_allowance_left());
  EXPECT_TRUE(host_->system().synchronized());
}

TEST_F(ClientEngineTest, PanicThresholdZeroDisablesTheCheck) {
  AddServer();
  Start(ServerLines() + "tinker panic 0\n", ClockOff(5000));
  RunFor(absl::Seconds(120));
  EXPECT_EQ(host_->exit_state(), HostExit::kRunning);
  EXPECT_EQ(driver_->steps.size(), 1u);
}

TEST_F(ClientEngineTest, MinusXNeverStepsAndLeavesTheKernelUnsynchronised) {
  AddServer();
  HostOptions flags;
  flags.never_step = true;
  Start(ServerLines(), ClockOff(0.5), flags);
  RunFor(absl::Seconds(900));
  EXPECT_TRUE(Operations(ClockOpKind::kStep).empty());
  EXPECT_GT(engine().updates(), 0);  // slewed instead
  // ntpd -x leaves the kernel's UNSYNC flag alone.
  for (const ClockOperation& op : Operations(ClockOpKind::kSyncStatus)) {
    EXPECT_FALSE(op.sync.synchronized);
  }
}

TEST_F(ClientEngineTest, MinusQSlewsOnceAndExits) {
  AddServer();
  HostOptions flags;
  flags.set_once_and_exit = true;
  Start(ServerLines(), ClockOff(0.05), flags);
  RunFor(absl::Seconds(30));
  EXPECT_EQ(host_->exit_state(), HostExit::kDone);
  ASSERT_EQ(driver_->Count(EventKind::kExit), 1);
  EXPECT_THAT(driver_->Texts(EventKind::kExit)[0], HasSubstr("ntpd: time slew -0.05"));
  EXPECT_TRUE(driver_->steps.empty());
  // One kernel slew; no frequency offset is left behind.
  const std::vector<ClockOperation> slews = Operations(ClockOpKind::kSlew);
  ASSERT_EQ(slews.size(), 1u);
  EXPECT_NEAR(absl::ToDoubleSeconds(slews[0].offset), -0.05, 1e-6);
  EXPECT_EQ(driver_->frequency_ppm(), 0.0);
  const size_t sent = driver_->sent.size();
  RunFor(absl::Seconds(600));
  EXPECT_EQ(driver_->sent.size(), sent);
}

TEST_F(ClientEngineTest, MinusQStepsOnceAndExits) {
  AddServer();
  HostOptions flags;
  flags.set_once_and_exit = true;
  Start(ServerLines(), ClockOff(0.5), flags);
  RunFor(absl::Seconds(30));
  EXPECT_EQ(host_->exit_state(), HostExit::kDone);
  ASSERT_EQ(driver_->Count(EventKind::kExit), 1);
  EXPECT_THAT(driver_->Texts(EventKind::kExit)[0], HasSubstr("ntpd: time set -0.5"));
  EXPECT_EQ(driver_->steps.size(), 1u);
}

TEST_F(ClientEngineTest, MinusQWithNoServerSaysNoServersFound) {
  AddServer().silent = true;
  HostOptions flags;
  flags.set_once_and_exit = true;
  Start(ServerLines(), ClockOff(0.05), flags);
  RunFor(absl::Hours(1));
  EXPECT_EQ(host_->exit_state(), HostExit::kDone);
  EXPECT_THAT(driver_->Texts(EventKind::kExit), ElementsAre("ntpd: no servers found"));
  EXPECT_TRUE(Operations(ClockOpKind::kSlew).empty());
  EXPECT_TRUE(driver_->steps.empty());
}

TEST_F(ClientEngineTest, OutageLosesThePeerKeepsServingAndReacquiresWithoutAStep) {
  ScriptedServer& server = AddServer();
  Start(ServerLines(" iburst"), ClockOff(0.02, 25));
  RunFor(absl::Hours(1));
  ASSERT_TRUE(engine().system_peer().has_value());
  const NtpTimestamp reference_time = host_->system().reference_time;
  server.silent = true;
  RunFor(absl::Hours(2));
  EXPECT_FALSE(engine().system_peer().has_value());
  EXPECT_EQ(driver_->Count(EventKind::kLostSync), 1);
  // Still serving, with the old reference time: the responder ages the
  // root dispersion from it.
  EXPECT_TRUE(host_->system().synchronized());
  EXPECT_EQ(host_->system().reference_time, reference_time);
  server.silent = false;
  RunFor(absl::Hours(1));
  EXPECT_TRUE(engine().system_peer().has_value());
  EXPECT_NE(host_->system().reference_time, reference_time);
  EXPECT_TRUE(driver_->steps.empty());
}

// ---- Determinism -----------------------------------------------------------

// Everything the host asked for, in order per kind.
std::string Trace(const HostDriver& d) {
  std::string out;
  for (const SentDatagram& s : d.sent) {
    absl::StrAppend(&out, "send ", absl::FormatTime(s.monotonic), " ", s.to.ToString(), " ");
    for (uint8_t b : s.bytes) absl::StrAppendFormat(&out, "%02x", b);
    out += "\n";
  }
  for (const ClockOperation& op : d.clock_operations) {
    absl::StrAppend(&out, "clock ", ClockOpKindName(op.kind), " ", absl::FormatDuration(op.offset),
                    " ", absl::StrFormat("%.17g", op.ppm), " ", static_cast<int>(op.sync.leap),
                    op.sync.synchronized, "\n");
  }
  for (const Event& e : d.events) absl::StrAppend(&out, "event ", e.text, "\n");
  for (double ppm : d.drift_writes) absl::StrAppendFormat(&out, "drift %.17g\n", ppm);
  return out;
}

TEST_F(ClientEngineTest, RunsAreDeterministic) {
  auto run = [this](uint64_t seed) {
    servers_.clear();
    AddServer();
    HostOptions options;
    options.random_seed = seed;
    Start(ServerLines(" iburst"), ClockOff(0.1, 10), options);
    RunFor(absl::Hours(1));
    driver_->Shutdown();
    return Trace(*driver_);
  };
  const std::string first = run(3);
  EXPECT_EQ(run(3), first);
  EXPECT_NE(run(4), first);  // other nonces and poll dither
}

// ---- Against a real server Host ------------------------------------------

// A peer backed by a server ntp::Host driven by its own HostDriver on the
// same timelines: a request reaches its listen socket after `delay`, the
// answer comes back after the same delay. The server's timers run as far
// as the requests take it (AdvanceTo it before looking at it).
Peer HostPeer(HostDriver* server, const net::SocketAddress& listen, absl::Duration delay) {
  return [server, listen, delay](const SentDatagram& request,
                                 absl::Time) -> std::optional<ScriptedReply> {
    server->AdvanceTo(request.monotonic + delay);
    SocketId socket = 0;
    for (const auto& [id, bound] : server->open_sockets) {
      if (bound == listen) socket = id;
    }
    const size_t before = server->sent.size();
    server->Receive(socket, request.bytes, request.from);
    if (server->sent.size() == before) return std::nullopt;
    return ScriptedReply{server->sent.back().bytes, delay};
  };
}

std::unique_ptr<Host> MakeHost(const std::string& conf, const net::IpAddress& ip,
                               HostOptions options = {}) {
  options.listen = {net::SocketAddress(ip, 123)};
  options.own_addresses = {ip};
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(Parse(conf), options, nullptr);
  EXPECT_THAT(host, IsOk());
  return host.ok() ? *std::move(host) : nullptr;
}

// The tutorial's seed topology (testdata/configs/seed/): a server serving
// its LOCAL clock at stratum 10 and a client `server SERVER prefer iburst`
// (with RHEL's -g) starting 0.3 s behind. The server becomes synchronised after the 300 s orphan
// wait; the client steps once, then follows it at stratum 12.
TEST(ClientAgainstServerHostTest, SeedTopologyClientSynchronisesToLocalClockServer) {
  const net::SocketAddress server_address(*net::IpAddress::Parse("192.168.31.223"), 123);
  const net::IpAddress client_ip = *net::IpAddress::Parse("192.168.31.10");
  std::unique_ptr<Host> server_host =
      MakeHost("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n", server_address.ip());
  ASSERT_NE(server_host, nullptr);
  HostDriver server(server_host.get());
  server.Start();

  HostOptions flags;
  flags.allow_big_first_step = true;
  flags.random_seed = 2;
  std::unique_ptr<Host> client_host =
      MakeHost("server 192.168.31.223 prefer iburst\n", client_ip, flags);
  ASSERT_NE(client_host, nullptr);
  HostDriver::Options options = ClockOff(-0.3);
  options.drift.state = DriftReading::State::kAbsent;
  options.drift.where = "/var/lib/ntp/drift";
  HostDriver client(client_host.get(), options);
  client.AddPeer(server_address, HostPeer(&server, server_address, absl::Microseconds(200)));
  client.Start();

  client.AdvanceBy(absl::Seconds(1200));
  server.AdvanceTo(client.monotonic());
  EXPECT_TRUE(server_host->system().synchronized());
  EXPECT_EQ(server_host->system().stratum, 11);
  ASSERT_TRUE(client_host->system().synchronized());
  EXPECT_EQ(client_host->system().stratum, 12);
  EXPECT_EQ(client_host->system().system_peer, "192.168.31.223");
  ASSERT_EQ(client.steps.size(), 1u);
  EXPECT_NEAR(absl::ToDoubleSeconds(client.steps[0]), 0.3, 1e-6);
  EXPECT_LT(absl::AbsDuration(client.clock_offset() - server.clock_offset()),
            absl::Microseconds(1));
  EXPECT_EQ(client_host->exit_state(), HostExit::kRunning);
  client.Shutdown();
  server.Shutdown();
  EXPECT_EQ(client.drift_writes.size(), 1u);
}

// A client 2000 s ahead of a stratum 1 LOCAL-clock server: nothing happens
// while the server's root dispersion is above 1.5 s (until its LOCAL clock
// filter holds four samples, 4 x 64 s), then the client panics.
TEST(ClientAgainstServerHostTest, PanicShowsAsHostExit) {
  const net::SocketAddress server_address(*net::IpAddress::Parse("10.0.0.9"), 123);
  std::unique_ptr<Host> server_host =
      MakeHost("server 127.127.1.0 prefer\nfudge 127.127.1.0 stratum 1\n", server_address.ip());
  ASSERT_NE(server_host, nullptr);
  HostDriver server(server_host.get());
  server.Start();
  std::unique_ptr<Host> client_host = MakeHost("server 10.0.0.9 iburst\n", kClientIp);
  ASSERT_NE(client_host, nullptr);
  HostDriver client(client_host.get(), ClockOff(2000));
  client.AddPeer(server_address, HostPeer(&server, server_address, absl::Microseconds(200)));
  client.Start();
  client.AdvanceBy(absl::Seconds(120));
  EXPECT_EQ(client_host->exit_state(), HostExit::kRunning);
  EXPECT_FALSE(client.sent.empty());
  client.AdvanceBy(absl::Seconds(600));
  server.AdvanceTo(client.monotonic());
  EXPECT_TRUE(server_host->system().synchronized());
  EXPECT_EQ(client_host->exit_state(), HostExit::kPanic);
  EXPECT_EQ(client.Count(EventKind::kPanic), 1);
  EXPECT_TRUE(client.steps.empty());
}

// ---- Configuration change (ntpd's SIGHUP re-read) ------------------------

TEST_F(ClientEngineTest, ReloadKeepsAnUnchangedAssociationStopsARemovedOneAddsANewOne) {
  AddServer();
  AddServer();
  AddServer();  // not configured at first
  Start("server 10.0.1.1 iburst\nserver 10.0.1.2 iburst\n", ClockOff(0.010));
  RunFor(absl::Minutes(20));
  ASSERT_EQ(engine().associations().size(), 2u);
  const Association* kept = engine().associations()[0].get();
  const uint8_t reach = kept->reach();
  const int samples = kept->tracker().samples();
  const double delay = kept->filter().delay_seconds();
  const int hpoll = kept->hpoll();
  ASSERT_NE(reach, 0);
  ASSERT_GT(samples, 4);
  ASSERT_TRUE(engine().system_peer().has_value());
  const size_t removed_requests = servers_[1].requests.size();
  ASSERT_GT(removed_requests, 0u);
  const uint64_t sent_by_kept = kept->counters().sent;

  // The first line stays (moved to another line number), the second goes,
  // a third server comes.
  driver_->Reconfigure(Parse("# reloaded\nserver 10.0.1.3 iburst\nserver 10.0.1.1 iburst\n"));
  EXPECT_THAT(driver_->Texts(EventKind::kInfo),
              ::testing::Contains("reconfigured: 1 associations kept, 1 added, 1 removed"));
  ASSERT_EQ(engine().associations().size(), 2u);
  // The kept association is the same object with all its state.
  EXPECT_EQ(engine().associations()[1].get(), kept);
  EXPECT_EQ(kept->reach(), reach);
  EXPECT_EQ(kept->tracker().samples(), samples);
  EXPECT_EQ(kept->filter().delay_seconds(), delay);
  EXPECT_EQ(kept->hpoll(), hpoll);
  EXPECT_EQ(engine().associations()[0]->config().server, ServerAddress(2));

  RunFor(absl::Minutes(20));
  // The removed server is never asked again; the new one polls and the kept
  // one goes on polling from where it was.
  EXPECT_EQ(servers_[1].requests.size(), removed_requests);
  EXPECT_GT(servers_[2].requests.size(), 4u);
  EXPECT_GT(kept->counters().sent, sent_by_kept);
  EXPECT_GT(kept->tracker().samples(), samples);
  EXPECT_NE(engine().associations()[0]->reach(), 0);
  // No socket of the removed association stays open (its ids are
  // [2 * 2^32, 3 * 2^32): ClientEngine numbers association slot i's sockets
  // from (i + 1) * 2^32).
  for (const auto& [socket, address] : driver_->open_sockets) {
    EXPECT_NE(socket >> 32, 2u) << socket;
  }
}

TEST_F(ClientEngineTest, ReloadThatRemovesTheSystemPeerLosesItAndCountsEverything) {
  AddServer();
  AddServer();
  Start(ServerLines(" iburst"), ClockOff(0.010));
  RunFor(absl::Minutes(10));
  ASSERT_TRUE(engine().system_peer().has_value());
  driver_->Reconfigure(Parse("tos minsane 1\n"));
  EXPECT_THAT(driver_->Texts(EventKind::kInfo),
              ::testing::Contains("reconfigured: 0 associations kept, 0 added, 2 removed"));
  EXPECT_TRUE(engine().associations().empty());
  EXPECT_FALSE(engine().system_peer().has_value());
  EXPECT_EQ(driver_->Count(EventKind::kLostSync), 1);
  const size_t sent = Requests().size();
  RunFor(absl::Minutes(30));
  EXPECT_EQ(Requests().size(), sent);
  // A reload with the same lines again adds them back.
  driver_->Reconfigure(Parse(ServerLines(" iburst")));
  RunFor(absl::Minutes(5));
  EXPECT_GT(Requests().size(), sent);
  EXPECT_TRUE(engine().system_peer().has_value());
}

TEST_F(ClientEngineTest, ReloadAppliesTosValues) {
  AddServer();
  Start(ServerLines(" iburst"), ClockOff(0.010));
  RunFor(absl::Minutes(10));
  ASSERT_TRUE(engine().system_peer().has_value());
  // One server cannot satisfy minsane 2 (after the next sample).
  driver_->Reconfigure(Parse(ServerLines(" iburst") + "tos minsane 2 minclock 3\n"));
  EXPECT_THAT(driver_->Texts(EventKind::kInfo),
              ::testing::Contains("reconfigured: 1 associations kept, 0 added, 0 removed"));
  EXPECT_FALSE(engine().system_peer().has_value());
}


// ---- The hardware clock (RTC) ----------------------------------------------

// 2026-05-28, after kRtcPlausibleAfterUnixSeconds.
constexpr int64_t kRtcEra = 1780000000;

HostDriver::Options WithRtc(double clock_offset_seconds, std::optional<absl::Time> rtc) {
  HostDriver::Options o = ClockOff(clock_offset_seconds);
  o.true_start = absl::FromUnixSeconds(kRtcEra);
  o.rtc_time = rtc;
  return o;
}

TEST_F(ClientEngineTest, MinusGStepThatAgreesWithTheRtcIsTaken) {
  AddServer();
  HostOptions flags;
  flags.allow_big_first_step = true;
  // The clock is 2000 s behind; the RTC kept true time.
  Start(ServerLines(), WithRtc(-2000, absl::FromUnixSeconds(kRtcEra)), flags);
  RunFor(absl::Seconds(600));
  EXPECT_EQ(host_->exit_state(), HostExit::kRunning);
  ASSERT_EQ(driver_->steps.size(), 1u);
  EXPECT_NEAR(absl::ToDoubleSeconds(driver_->steps[0]), 2000, 1e-6);
  EXPECT_THAT(driver_->Texts(EventKind::kInfo),
              ::testing::Contains(HasSubstr("RTC test RTC reads 2026-05-28")));
}

TEST_F(ClientEngineTest, MinusGStepThatDisagreesWithTheRtcIsAPanic) {
  // The clock is 2000 s behind and the RTC says the same: a server that
  // claims otherwise (or an era error) must not step the clock.
  RunOneServerWithMinusG(WithRtc(-2000, absl::FromUnixSeconds(kRtcEra) - absl::Seconds(2000)));
  EXPECT_EQ(host_->exit_state(), HostExit::kPanic);
  EXPECT_TRUE(driver_->steps.empty());
  ASSERT_EQ(driver_->Count(EventKind::kPanic), 1);
  EXPECT_THAT(driver_->Texts(EventKind::kPanic)[0],
              HasSubstr("would leave the clock 2000 seconds from the RTC"));
}

TEST_F(ClientEngineTest, APlausibleRtcIsTheEraPivot) {
  // True time 2100-01-01 (NTP era 1); the clock reads 2024; the RTC kept
  // true time. Against the 2026 pivot the era would come out 136 years
  // early (1964); against the RTC the step lands on 2100.
  HostDriver::Options o = ClockOff(-2398377600.0);
  o.true_start = absl::FromUnixSeconds(4102444800);
  o.rtc_time = absl::FromUnixSeconds(4102444800);
  RunOneServerWithMinusG(o);
  ExpectRunningAfterOneStepOf(2398377600.0);
}

HostDriver::Options WithDriftWritten(double clock_offset_seconds, absl::Time written) {
  HostDriver::Options o = ClockOff(clock_offset_seconds);
  o.drift.state = DriftReading::State::kValue;
  o.drift.where = "test drift";
  o.drift.last_written = written;
  return o;
}

TEST_F(ClientEngineTest, WithoutAnRtcTheDriftFilesTimeIsTheEraPivot) {
  // True time 2100-01-01 (NTP era 1), the clock reads 2024, no RTC; the
  // drift file was written a day ago. Against the 2026 pivot the era would
  // come out 136 years early (1964); against the file's time the step
  // lands on 2100.
  HostDriver::Options o =
      WithDriftWritten(-2398377600.0, absl::FromUnixSeconds(4102444800) - absl::Hours(24));
  o.true_start = absl::FromUnixSeconds(4102444800);
  RunOneServerWithMinusG(o);
  ExpectRunningAfterOneStepOf(2398377600.0);
  EXPECT_THAT(driver_->Texts(EventKind::kWarning),
              Contains(HasSubstr("pivot 2099-12-31 (drift file)")));
}

TEST_F(ClientEngineTest, APlausibleRtcOutranksTheDriftFile) {
  // The same, but the RTC kept true time and the drift file's time is
  // 136 years off (copied from elsewhere): the RTC decides.
  HostDriver::Options o = WithDriftWritten(-2398377600.0, absl::FromUnixSeconds(1704067200));
  o.true_start = absl::FromUnixSeconds(4102444800);
  o.rtc_time = absl::FromUnixSeconds(4102444800);
  RunOneServerWithMinusG(o);
  ExpectRunningAfterOneStepOf(2398377600.0);
}

// The clock and the drift file agree on a time `ahead` seconds ahead of
// what the servers say; the daemon runs with -g.
HostDriver::Options AheadOfTheServersWithTheDriftFile(double ahead) {
  const absl::Time true_start = absl::FromUnixSeconds(1767225600 + 86400 * 30);
  HostDriver::Options o = WithDriftWritten(ahead, true_start + absl::Seconds(ahead));
  o.true_start = true_start;
  return o;
}

TEST_F(ClientEngineTest, ACorrectionToBeforeTheDriftFileWasWrittenIsAPanic) {
  // Stepping back an hour would put the clock before a file this daemon
  // wrote while synchronised.
  RunOneServerWithMinusG(AheadOfTheServersWithTheDriftFile(3600));
  EXPECT_EQ(host_->exit_state(), HostExit::kPanic);
  EXPECT_TRUE(driver_->steps.empty());
  ASSERT_EQ(driver_->Count(EventKind::kPanic), 1);
  EXPECT_THAT(driver_->Texts(EventKind::kPanic)[0],
              HasSubstr("time correction of -3600 s would set the clock"));
  EXPECT_THAT(driver_->Texts(EventKind::kPanic)[0], HasSubstr("before test drift was written"));
}

TEST_F(ClientEngineTest, ACorrectionToJustBeforeTheDriftFileWasWrittenIsTaken) {
  // 500 s is within the slack (the file's time came from a clock that was
  // itself within a step of true time).
  RunOneServerWithMinusG(AheadOfTheServersWithTheDriftFile(500));
  ExpectRunningAfterOneStepOf(-500);
}

TEST_F(ClientEngineTest, AnRtcFromBeforeThisSoftwareIsNotUsed) {
  AddServer();
  HostOptions flags;
  flags.allow_big_first_step = true;
  // A dead battery: the RTC reads 1970.
  Start(ServerLines(), WithRtc(-2000, absl::FromUnixSeconds(0)), flags);
  RunFor(absl::Seconds(600));
  EXPECT_EQ(host_->exit_state(), HostExit::kRunning);
  EXPECT_EQ(driver_->steps.size(), 1u);
  EXPECT_THAT(driver_->Texts(EventKind::kWarning),
              ::testing::Contains(HasSubstr("dead battery")));
}

TEST_F(ClientEngineTest, SmallFirstCorrectionsIgnoreTheRtc) {
  AddServer();
  // An RTC kept in local time (hours off) must not stop a normal start.
  Start(ServerLines(),
        WithRtc(0.05, absl::FromUnixSeconds(kRtcEra) + absl::Hours(2)));
  RunFor(absl::Seconds(300));
  EXPECT_EQ(host_->exit_state(), HostExit::kRunning);
  EXPECT_TRUE(host_->system().synchronized());
}

TEST_F(ClientEngineTest, LosingThePeerTellsTheKernelUnsynchronised) {
  ScriptedServer& server = AddServer();
  Start(ServerLines(" iburst"), ClockOff(0.02));
  RunFor(absl::Minutes(30));
  std::vector<ClockOperation> sync = Operations(ClockOpKind::kSyncStatus);
  ASSERT_FALSE(sync.empty());
  EXPECT_TRUE(sync.back().sync.synchronized);
  server.silent = true;
  RunFor(absl::Hours(2));
  ASSERT_FALSE(engine().system_peer().has_value());
  sync = Operations(ClockOpKind::kSyncStatus);
  // STA_UNSYNC set again: the kernel's 11-minute RTC updates stop.
  EXPECT_FALSE(sync.back().sync.synchronized);
}

TEST_F(ClientEngineTest, RtcWriteCopiesTheClockOnlyWhileSynchronised) {
  ScriptedServer& server = AddServer();
  server.silent = true;
  Start(ServerLines(" iburst") + "rtc write interval 60\n", ClockOff(0.02));
  RunFor(absl::Minutes(5));
  EXPECT_TRUE(driver_->rtc_writes.empty());  // nothing to copy yet
  server.silent = false;
  RunFor(absl::Minutes(10));
  ASSERT_GE(driver_->rtc_writes.size(), 5u);
  // One write a minute of the model clock's time at the write (which the
  // discipline is still slewing by up to its 20 ms offset).
  for (size_t i = 1; i < driver_->rtc_writes.size(); ++i) {
    EXPECT_NEAR(absl::ToDoubleSeconds(driver_->rtc_writes[i] - driver_->rtc_writes[i - 1]), 60,
                0.02);
  }
  EXPECT_EQ(host_->rtc_writes(), driver_->rtc_writes.size());
  EXPECT_THAT(driver_->Texts(EventKind::kInfo),
              ::testing::Contains(HasSubstr("RTC set from the system clock")));
  server.silent = true;
  RunFor(absl::Hours(2));
  ASSERT_FALSE(engine().system_peer().has_value());
  const size_t writes = driver_->rtc_writes.size();
  RunFor(absl::Minutes(10));
  EXPECT_EQ(driver_->rtc_writes.size(), writes);
}

}  // namespace
}  // namespace ntp::testing
