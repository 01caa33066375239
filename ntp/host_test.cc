#include "ntp/host.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/auth/key_store.h"
#include "ntp/config/parser.h"
#include "ntp/testing/host_driver.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"

namespace ntp {
namespace {

using ::ntp::testing::HostDriver;
using ::ntp::testing::IsOk;
using ::ntp::testing::ScriptedReply;
using ::ntp::testing::SentDatagram;
using ::ntp::testing::StatusIs;
using ::testing::ElementsAre;

constexpr char kSeedServerLines[] =
    "restrict default kod nomodify notrap nopeer noquery\n"
    "restrict -6 default kod nomodify notrap nopeer noquery\n"
    "restrict 127.0.0.1\n"
    "restrict -6 ::1\n"
    "restrict 127.127.1.0\n"
    "restrict 192.168.31.0 mask 255.255.255.0 nomodify notrap\n"
    "server    127.127.1.0         # local clock\n"
    "fudge     127.127.1.0 stratum 10\n";

NtpConfig Parse(const std::string& text) {
  ParsedConfig parsed = ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config;
}

net::SocketAddress Addr(const std::string& text) { return *net::SocketAddress::Parse(text); }
net::IpAddress Ip(const std::string& text) { return *net::IpAddress::Parse(text); }

std::vector<uint8_t> ClientRequest(uint8_t first_octet = 0xE3) {
  std::vector<uint8_t> p(48, 0);
  p[0] = first_octet;
  p[47] = 0x42;
  return p;
}

using ::ntp::testing::UpstreamServer;

class HostTest : public ::testing::Test {
 protected:
  std::unique_ptr<Host> Make(const std::string& conf, HostOptions options = {}) {
    options.random_seed = 7;
    auto host = Host::Create(Parse(conf), options, nullptr);
    EXPECT_THAT(host, IsOk());
    return host.ok() ? std::move(*host) : nullptr;
  }

  // The listen socket that receives datagrams sent to `to` (its exact
  // address or the wildcard of its family), if one is open.
  static std::optional<SocketId> SocketFor(const HostDriver& driver,
                                           const net::SocketAddress& to) {
    for (const auto& [id, bound] : driver.open_sockets) {
      if (bound.port() != to.port()) continue;
      if (bound.ip() == to.ip() ||
          (bound.ip().IsUnspecified() && bound.ip().is_v4() == to.ip().is_v4())) {
        return id;
      }
    }
    return std::nullopt;
  }

  // Delivers `payload` from `from` to the host's socket for `to` and
  // returns what the host sent back to `from`, if anything.
  static std::optional<std::vector<uint8_t>> Query(HostDriver& driver,
                                                   const net::SocketAddress& from,
                                                   const net::SocketAddress& to,
                                                   const std::vector<uint8_t>& payload) {
    std::optional<SocketId> socket = SocketFor(driver, to);
    EXPECT_TRUE(socket.has_value()) << "nothing listens on " << to.ToString();
    if (!socket.has_value()) return std::nullopt;
    const size_t before = driver.sent.size();
    driver.Receive(*socket, payload, from);
    std::optional<std::vector<uint8_t>> reply;
    for (size_t i = before; i < driver.sent.size(); ++i) {
      if (driver.sent[i].to == from) {
        EXPECT_FALSE(reply.has_value()) << "two replies";
        EXPECT_EQ(driver.sent[i].socket, *socket);
        reply = driver.sent[i].bytes;
      }
    }
    return reply;
  }

  static HostDriver::Options DriverOptions() {
    HostDriver::Options o;
    o.clock.precision = absl::Nanoseconds(100);
    return o;
  }
};

TEST_F(HostTest, SeedServerAnswersUnsynchronisedThenAsLocalClockStratum11) {
  HostOptions options;
  options.listen = {Addr("192.168.31.223:0")};
  auto host = Make(kSeedServerLines, options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  EXPECT_EQ(host->bound_addresses(),
            std::vector<net::SocketAddress>{Addr("192.168.31.223:123")});
  EXPECT_EQ(driver.open_sockets.size(), 1u);

  auto reply = Query(driver, Addr("192.168.31.50:40000"), Addr("192.168.31.223:123"),
                     ClientRequest());
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->size(), 48u);
  EXPECT_EQ((*reply)[0], 0xE4);  // LI 3, VN 4, mode 4
  EXPECT_EQ((*reply)[1], 0);     // stratum 0
  EXPECT_EQ(std::string(reply->begin() + 12, reply->begin() + 16), "INIT");
  EXPECT_EQ((*reply)[31], 0x42);  // origin = our transmit
  // Receive and transmit timestamps are the input's readings (the receive
  // stamp of the datagram, the clock reading of the dispatch; both the same
  // here, so the transmit time is the next representable value).
  WireResult<NtpPacket, PacketError> parsed = ParsePacket(*reply);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->receive_timestamp, NtpTimestamp::FromTime(driver.clock_time()));
  EXPECT_EQ(parsed->transmit_timestamp, parsed->receive_timestamp + NtpDuration::FromRaw(1));

  driver.AdvanceBy(absl::Seconds(330));
  reply = Query(driver, Addr("192.168.31.50:40001"), Addr("192.168.31.223:123"),
                ClientRequest());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ((*reply)[0], 0x24);  // LI 0, VN 4, mode 4
  EXPECT_EQ((*reply)[1], 11);
  EXPECT_EQ((*reply)[12], 127);
  EXPECT_EQ((*reply)[13], 127);
  EXPECT_EQ((*reply)[14], 1);
  EXPECT_EQ((*reply)[15], 0);
  EXPECT_EQ(host->system().system_peer, "LOCAL(0)");
  EXPECT_EQ(host->server_counters().reply_count(ServerReplyKind::kPlain), 2u);
  EXPECT_THAT(driver.Texts(EventKind::kSync),
              ElementsAre("synchronized to LOCAL(0), stratum 11"));

  // Mode 6: noquery for everybody but loopback and 192.168.31.0/24: no
  // answer. The others reach the control server, which answers opcode 0
  // with BADOP (RFC 9327 §2: R and E set, error code 3).
  EXPECT_FALSE(Query(driver, Addr("10.0.0.1:5000"), Addr("192.168.31.223:123"),
                     ClientRequest(0x16))
                   .has_value());
  EXPECT_EQ(host->server_counters().drop_count(ServerDropReason::kNoQuery), 1u);
  const auto control_reply = Query(driver, Addr("192.168.31.50:5000"),
                                   Addr("192.168.31.223:123"), ClientRequest(0x16));
  ASSERT_TRUE(control_reply.has_value());
  ASSERT_EQ(control_reply->size(), 12u);
  EXPECT_EQ((*control_reply)[0], 0x16);
  EXPECT_EQ((*control_reply)[1], 0xC0);
  EXPECT_EQ((*control_reply)[4], 3);
  EXPECT_EQ(host->control().counters().errors, 1u);
  EXPECT_EQ(host->access().Lookup(Ip("192.168.31.50"), 5000),
            kRestrictNoModify | kRestrictNoTrap);

  driver.Shutdown();
  EXPECT_TRUE(host->bound_addresses().empty());
  EXPECT_TRUE(driver.open_sockets.empty());  // closed by CloseSocket actions
  EXPECT_TRUE(driver.timers.empty());        // the LOCAL clock's poll cancelled
  EXPECT_EQ(host->exit_state(), HostExit::kDone);
  // A datagram already on its way when the socket closed is not answered.
  DatagramInput late;
  late.now = Readings{driver.monotonic(), driver.clock_time()};
  late.socket = 1;
  const std::vector<uint8_t> request = ClientRequest();
  late.datagram.payload = request;
  late.datagram.source = Addr("192.168.31.50:40002");
  late.datagram.destination = Addr("192.168.31.223:123");
  EXPECT_TRUE(host->Handle(late).empty());
}

TEST_F(HostTest, WildcardListenByDefaultAndInterfaceListenFromConfig) {
  HostOptions options;
  options.port = 11123;
  auto host = Make("server 127.127.1.0 prefer\n", options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  EXPECT_EQ(host->bound_addresses(),
            (std::vector<net::SocketAddress>{Addr("0.0.0.0:11123"), Addr("[::]:11123")}));
  driver.AdvanceBy(absl::Seconds(2));
  auto reply = Query(driver, Addr("10.1.1.1:999"), Addr("10.9.9.9:11123"), ClientRequest());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ((*reply)[1], 6);  // LOCAL default stratum 5, prefer: at once
  reply = Query(driver, Addr("[2001:db8::1]:999"), Addr("[2001:db8::2]:11123"),
                ClientRequest());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ((*reply)[1], 6);

  options.port = 124;
  auto other = Make("interface listen 127.0.0.2\ninterface listen ::1\n", options);
  HostDriver other_driver(other.get(), DriverOptions());
  other_driver.Start();
  ASSERT_THAT(other->start_status(), IsOk());
  EXPECT_EQ(other->bound_addresses(),
            (std::vector<net::SocketAddress>{Addr("127.0.0.2:124"), Addr("[::1]:124")}));
}

TEST_F(HostTest, InterfaceRulesChooseTheAddressesAndDropSocketsAnswerNothing) {
  HostOptions options;
  options.port = 11123;
  NetworkInterface lo{"lo", Ip("127.0.0.1"), 8, true};
  NetworkInterface lo6{"lo", Ip("::1"), 128, true};
  NetworkInterface eth0{"eth0", Ip("192.168.31.223"), 24, false};
  NetworkInterface eth0v6{"eth0", Ip("2001:db8::223"), 64, false};
  NetworkInterface eth1{"eth1", Ip("10.0.0.5"), 8, false};
  options.interfaces = {lo, lo6, eth0, eth0v6, eth1};
  auto host = Make("interface listen all\ninterface ignore ipv6\ninterface drop eth1\n"
                   "interface listen eth7\nserver 127.127.1.0 prefer\n",
                   options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  EXPECT_EQ(host->bound_addresses(),
            (std::vector<net::SocketAddress>{Addr("127.0.0.1:11123"),
                                             Addr("192.168.31.223:11123"),
                                             Addr("10.0.0.5:11123")}));
  EXPECT_THAT(host->warnings(),
              ElementsAre("test.conf:4: warning: interface: the rule matches no address of "
                          "this machine"));
  driver.AdvanceBy(absl::Seconds(2));
  EXPECT_TRUE(Query(driver, Addr("192.168.31.9:999"), Addr("192.168.31.223:11123"),
                    ClientRequest())
                  .has_value());
  EXPECT_FALSE(
      Query(driver, Addr("10.0.0.9:999"), Addr("10.0.0.5:11123"), ClientRequest()).has_value());
  EXPECT_EQ(host->server_counters().drop_count(ServerDropReason::kInterfaceDrop), 1u);

  // --listen overrides the rules.
  options.listen = {Addr("[2001:db8::223]:0")};
  auto flagged = Make("interface ignore ipv6\n", options);
  HostDriver flagged_driver(flagged.get(), DriverOptions());
  flagged_driver.Start();
  EXPECT_EQ(flagged->bound_addresses(),
            std::vector<net::SocketAddress>{Addr("[2001:db8::223]:11123")});
}

TEST_F(HostTest, WithoutInterfaceListIgnoreIpv6LeavesOnlyTheIpv4Wildcard) {
  HostOptions options;
  options.port = 11123;
  auto host = Make("interface ignore ipv6\n", options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  EXPECT_EQ(host->bound_addresses(), std::vector<net::SocketAddress>{Addr("0.0.0.0:11123")});
}

TEST_F(HostTest, ServerKeyMissingFromTheKeysIsRefusedWithItsLine) {
  const NtpConfig config = Parse("keys /etc/ntp/keys\nserver 127.127.1.0\nserver 10.0.0.1 key 5\n");
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(config, HostOptions(), nullptr);
  EXPECT_THAT(host, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(host.status().message(),
            "test.conf:3: 10.0.0.1 key 5: key 5 is not in the keys file /etc/ntp/keys");

  KeyStore keys;
  const std::vector<uint8_t> secret = {'s', 'e', 'c', 'r', 'e', 't'};
  ASSERT_THAT(keys.Insert(*SymmetricKey::Create(4, MacAlgorithm::kMd5, secret)), IsOk());
  EXPECT_THAT(Host::Create(config, HostOptions(), &keys),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(keys.Insert(*SymmetricKey::Create(5, MacAlgorithm::kMd5, secret)), IsOk());
  EXPECT_THAT(Host::Create(config, HostOptions(), &keys), IsOk());
}

TEST_F(HostTest, WildcardWithoutIpv6StillServesIpv4) {
  HostOptions options;
  options.port = 11123;
  auto host = Make("", options);
  HostDriver::Options o = DriverOptions();
  o.bind_failures[Addr("[::]:11123")] = absl::InvalidArgumentError("no IPv6");
  HostDriver driver(host.get(), o);
  driver.Start();
  EXPECT_THAT(host->start_status(), IsOk());
  EXPECT_EQ(host->bound_addresses(), std::vector<net::SocketAddress>{Addr("0.0.0.0:11123")});
  EXPECT_EQ(host->exit_state(), HostExit::kRunning);

  // An explicitly asked IPv6 address is not optional.
  options.listen = {Addr("[::1]:0")};
  auto strict = Make("", options);
  o.bind_failures[Addr("[::1]:11123")] = absl::InvalidArgumentError("no IPv6");
  HostDriver strict_driver(strict.get(), o);
  strict_driver.Start();
  EXPECT_THAT(strict->start_status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(HostTest, PortInUseIsAlreadyExistsAndNothingStaysBound) {
  // The failing address sorts after (first case) and before (second case)
  // one that binds: either way nothing stays bound.
  for (const char* taken : {"127.0.0.3:123", "127.0.0.1:123"}) {
    SCOPED_TRACE(taken);
    HostOptions options;
    options.listen = {Addr("127.0.0.2:0"), Addr(taken)};
    auto host = Make("server 127.127.1.0\n", options);
    HostDriver::Options o = DriverOptions();
    o.bind_failures[Addr(taken)] = absl::AlreadyExistsError("Address already in use");
    HostDriver driver(host.get(), o);
    driver.Start();
    EXPECT_THAT(host->start_status(), StatusIs(absl::StatusCode::kAlreadyExists));
    EXPECT_EQ(host->exit_state(), HostExit::kError);
    EXPECT_TRUE(host->bound_addresses().empty());
    EXPECT_TRUE(driver.open_sockets.empty());  // 127.0.0.2:123 released again
    EXPECT_TRUE(driver.timers.empty());
  }
}

TEST_F(HostTest, OwnPort123PacketsAreIgnored) {
  HostOptions options;
  options.listen = {Addr("127.0.0.1:123")};
  auto host = Make("restrict 127.0.0.1\n", options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  // From our own address and port 123 (a loop): ignored. From an ephemeral
  // port on the same address (ntpdate -u, ntpq): served.
  EXPECT_TRUE(
      Query(driver, Addr("127.0.0.1:40000"), Addr("127.0.0.1:123"), ClientRequest())
          .has_value());
  EXPECT_FALSE(
      Query(driver, Addr("127.0.0.1:123"), Addr("127.0.0.1:123"), ClientRequest())
          .has_value());
  EXPECT_EQ(host->access().Lookup(Ip("127.0.0.1"), 123), kRestrictIgnore);
  EXPECT_EQ(host->server_counters().drop_count(ServerDropReason::kIgnored), 1u);
  // Bound on another port, the address is not ours at 123.
  options.listen = {Addr("127.0.0.1:11123")};
  auto other = Make("restrict 127.0.0.1\n", options);
  HostDriver other_driver(other.get(), DriverOptions());
  other_driver.Start();
  EXPECT_NE(other->access().Lookup(Ip("127.0.0.1"), 123), kRestrictIgnore);
}

TEST_F(HostTest, UnhandledModesAreCounted) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make("", options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  // Mode 4 on the NTP port: the client side receives on its own sockets.
  EXPECT_FALSE(Query(driver, Addr("10.0.0.2:123"), Addr("10.0.0.1:123"), ClientRequest(0x24))
                   .has_value());
  EXPECT_EQ(host->ignored_packets(), 1u);
  EXPECT_FALSE(Query(driver, Addr("10.0.0.2:5000"), Addr("10.0.0.1:123"), ClientRequest(0x17))
                   .has_value());  // mode 7
  const ServerCounters& c = host->server_counters();
  EXPECT_EQ(c.drop_count(ServerDropReason::kPrivateMode), 1u);
  EXPECT_EQ(host->ignored_packets(), 1u);
  EXPECT_TRUE(driver.sent.empty());
}

TEST_F(HostTest, ClientSideStartsAndStopsWithTheHost) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make("server 192.0.2.1 iburst\n", options);
  ASSERT_NE(host->client(), nullptr);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  // Its own socket besides the listen socket, and requests to the server.
  driver.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(driver.open_sockets.size(), 2u);
  ASSERT_FALSE(driver.sent.empty());
  for (const SentDatagram& d : driver.sent) {
    EXPECT_EQ(d.to, Addr("192.0.2.1:123"));
    EXPECT_NE(d.socket, 1u);  // not the listen socket
  }
  EXPECT_EQ(host->exit_state(), HostExit::kRunning);
  driver.Shutdown();
  EXPECT_TRUE(driver.open_sockets.empty());
  EXPECT_TRUE(driver.timers.empty());
  EXPECT_EQ(host->exit_state(), HostExit::kDone);
  const size_t sent = driver.sent.size();
  driver.AdvanceBy(absl::Seconds(100));
  EXPECT_EQ(driver.sent.size(), sent);
}

TEST_F(HostTest, UpstreamPeerSilencesTheLocalClock) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make(std::string(kSeedServerLines) + "server 192.0.2.1 iburst\n", options);
  HostDriver driver(host.get(), DriverOptions());
  driver.AddPeer(Addr("192.0.2.1:123"), UpstreamServer(absl::ZeroDuration(), 2));
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  driver.AdvanceBy(absl::Seconds(60));
  ASSERT_TRUE(host->system().synchronized());
  EXPECT_EQ(host->system().stratum, 3);
  EXPECT_EQ(host->local_reference().source(), ReferenceSource::kUpstream);
  driver.AdvanceBy(absl::Seconds(1000));  // far beyond the orphan wait
  EXPECT_EQ(host->system().stratum, 3);
  EXPECT_NE(host->system().system_peer, "LOCAL(0)");
  EXPECT_EQ(host->local_reference().source(), ReferenceSource::kUpstream);
  EXPECT_EQ(host->local_reference().local_clock_status(host->now()).reach, 0);
  // Served as stratum 3.
  auto reply = Query(driver, Addr("10.0.0.9:40000"), Addr("10.0.0.1:123"), ClientRequest());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ((*reply)[1], 3);
}

TEST_F(HostTest, ClientPanicIsTheHostsExit) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make("server 192.0.2.1 iburst\n", options);
  HostDriver driver(host.get(), DriverOptions());
  driver.AddPeer(Addr("192.0.2.1:123"), UpstreamServer(absl::Seconds(2000)));
  driver.Start();
  driver.AdvanceBy(absl::Seconds(60));
  EXPECT_EQ(host->exit_state(), HostExit::kPanic);
  EXPECT_EQ(driver.Count(EventKind::kPanic), 1);
  EXPECT_TRUE(driver.steps.empty());  // the clock is untouched
}

TEST_F(HostTest, PrecisionComesFromTheClock) {
  for (const auto& [precision, log2] :
       std::vector<std::pair<absl::Duration, int>>{{absl::Microseconds(1), -19},
                                                   {absl::Nanoseconds(1), -29},
                                                   {absl::Milliseconds(10), -6}}) {
    auto host = Make("");
    HostDriver::Options o = DriverOptions();
    o.clock.precision = precision;
    HostDriver driver(host.get(), o);
    driver.Start();
    // RFC 5905 §7.3: log2 seconds, rounded up (2^-19 s = 1.9 us >= 1 us).
    EXPECT_EQ(host->system().precision_log2, log2) << precision;
  }
}

TEST_F(HostTest, UnappliedConfigurationIsWarnedAboutAtStart) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make("server 192.0.2.1 iburst\npeer 192.0.2.2\nrestrict ntp.example.org\n",
                   options);
  const std::vector<std::string> expected = {
      "test.conf:3: warning: restrict ntp.example.org: host names are not resolved by "
      "this server; line ignored",
      "test.conf:2: peer 192.0.2.2: not supported by this client, ignored"};
  EXPECT_EQ(host->warnings(), expected);
  HostDriver driver(host.get(), DriverOptions());
  EXPECT_TRUE(driver.events.empty());
  driver.Start();
  EXPECT_EQ(driver.Texts(EventKind::kWarning), expected);
  // The upstream server itself is polled: no warning about it.
  auto with_client = Make("server 192.0.2.1 iburst\n", options);
  EXPECT_TRUE(with_client->warnings().empty());
  EXPECT_NE(with_client->client(), nullptr);
}

TEST_F(HostTest, NothingHappensBeforeTheStartAndAfterASecondStart) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make(kSeedServerLines, options);
  TimerInput early;
  early.now = Readings{absl::FromUnixSeconds(1000), absl::FromUnixSeconds(1700000000)};
  early.key = 1;
  EXPECT_TRUE(host->Handle(early).empty());
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  const size_t sockets = driver.open_sockets.size();
  driver.Start();  // ignored
  EXPECT_EQ(driver.open_sockets.size(), sockets);
}

// ---- Configuration change (ntpd's SIGHUP re-read) ------------------------

TEST_F(HostTest, ReloadRebuildsRestrictionsAndKeepsTheClientTable) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make("tos orphan 5 orphanwait 0\n", options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  ASSERT_THAT(host->start_status(), IsOk());
  driver.AdvanceBy(absl::Seconds(2));
  const net::SocketAddress client = Addr("10.0.0.9:40000");
  ASSERT_TRUE(Query(driver, client, Addr("10.0.0.1:123"), ClientRequest()).has_value());
  ASSERT_EQ(host->clients().size(), 1u);

  driver.Reconfigure(Parse("tos orphan 5 orphanwait 0\nrestrict 10.0.0.9 ignore\n"));
  EXPECT_THAT(driver.Texts(EventKind::kInfo),
              ::testing::Contains("reconfigured: 0 associations kept, 0 added, 0 removed"));
  // The new restriction applies at once; the clients seen are remembered.
  EXPECT_FALSE(Query(driver, client, Addr("10.0.0.1:123"), ClientRequest()).has_value());
  EXPECT_TRUE(
      Query(driver, Addr("10.0.0.8:40000"), Addr("10.0.0.1:123"), ClientRequest()).has_value());
  EXPECT_EQ(host->clients().size(), 2u);
  EXPECT_EQ(host->system().stratum, 5);  // orphan mode goes on

  // And back: the old configuration answers the client again.
  driver.Reconfigure(Parse("tos orphan 5 orphanwait 0\n"));
  EXPECT_TRUE(Query(driver, client, Addr("10.0.0.1:123"), ClientRequest()).has_value());
  EXPECT_EQ(host->clients().size(), 2u);
  // The listen socket stays.
  EXPECT_EQ(driver.open_sockets.size(), 1u);
}

TEST_F(HostTest, ReloadAddsAClientSideToAServerOnlyHost) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make(kSeedServerLines, options);
  ASSERT_EQ(host->client(), nullptr);
  HostDriver driver(host.get(), DriverOptions());
  driver.AddPeer(Addr("192.0.2.1:123"), UpstreamServer(absl::ZeroDuration(), 2));
  driver.Start();
  driver.AdvanceBy(absl::Seconds(10));
  EXPECT_TRUE(driver.sent.empty());

  driver.Reconfigure(Parse(std::string(kSeedServerLines) + "server 192.0.2.1 iburst\n"));
  EXPECT_THAT(driver.Texts(EventKind::kInfo),
              ::testing::Contains("reconfigured: 0 associations kept, 1 added, 0 removed"));
  ASSERT_NE(host->client(), nullptr);
  driver.AdvanceBy(absl::Seconds(60));
  ASSERT_TRUE(host->system().synchronized());
  EXPECT_EQ(host->system().stratum, 3);
  EXPECT_EQ(host->local_reference().source(), ReferenceSource::kUpstream);
}

TEST_F(HostTest, ReloadWarnsAboutWhatTakesARestart) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make(kSeedServerLines, options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  // The same lines elsewhere in the file: nothing to warn about.
  driver.Reconfigure(Parse(std::string("# moved down\n\n") + kSeedServerLines));
  EXPECT_EQ(driver.Count(EventKind::kWarning), 0);
  std::string changed = kSeedServerLines;
  changed.replace(changed.find("stratum 10"), 10, "stratum 8");
  driver.Reconfigure(Parse(changed));
  EXPECT_THAT(driver.Texts(EventKind::kWarning),
              ElementsAre("the LOCAL clock (fudge) and orphan mode change at restart only"));
  EXPECT_THAT(host->warnings(),
              ElementsAre("the LOCAL clock (fudge) and orphan mode change at restart only"));
}

TEST_F(HostTest, ReloadWarnsThatTheTraceChangesAtRestart) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make(std::string(kSeedServerLines) + "trace /var/log/ntp.trace\n", options);
  HostDriver driver(host.get(), DriverOptions());
  driver.Start();
  driver.Reconfigure(Parse(std::string("\n") + kSeedServerLines + "trace /var/log/ntp.trace\n"));
  EXPECT_EQ(driver.Count(EventKind::kWarning), 0);
  driver.Reconfigure(Parse(std::string(kSeedServerLines) + "trace /tmp/other.trace\n"));
  EXPECT_THAT(driver.Texts(EventKind::kWarning), ElementsAre("trace changes at restart only"));
}

}  // namespace
}  // namespace ntp
