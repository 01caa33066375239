#include "ntp/host.h"

#include <optional>
#include <vector>

#include "clock/fake_clock.h"
#include "clock/manual_scheduler.h"
#include "gtest/gtest.h"
#include "net/fake_network.h"
#include "ntp/config/parser.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

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

std::vector<uint8_t> ClientRequest(uint8_t first_octet = 0xE3) {
  std::vector<uint8_t> p(48, 0);
  p[0] = first_octet;
  p[47] = 0x42;
  return p;
}

class RecordingClient final : public HostClient {
 public:
  absl::Status Start() override {
    started = true;
    return absl::OkStatus();
  }
  void Stop() override { stopped = true; }
  void OnPacket(const net::ReceivedDatagram& d, RestrictMask) override {
    packets.push_back(d.source);
  }
  HostExit exit_state() const override { return state; }
  bool started = false, stopped = false;
  HostExit state = HostExit::kRunning;
  std::vector<net::SocketAddress> packets;
};

class RecordingControl final : public ControlHandler {
 public:
  void OnControl(const net::ReceivedDatagram& d, RestrictMask r,
                 net::DatagramSocket& socket) override {
    ++calls;
    restrictions = r;
    socket.SendTo(d.payload.first(12), d.source).IgnoreError();
  }
  int calls = 0;
  RestrictMask restrictions = 0;
};

class HostTest : public ::testing::Test {
 protected:
  HostTest()
      : scheduler_(absl::FromUnixSeconds(1000)),
        clock_(absl::FromUnixSeconds(1704067200)),
        network_(&scheduler_, absl::Milliseconds(1)) {
    env_.clock = &clock_;
    env_.network = &network_;
    env_.scheduler = &scheduler_;
    env_.random_seed = 7;
  }

  std::unique_ptr<Host> Make(const std::string& conf, HostOptions options = {}) {
    auto host = Host::Create(Parse(conf), options, env_);
    EXPECT_THAT(host, IsOk());
    return host.ok() ? std::move(*host) : nullptr;
  }

  // Sends `payload` from `from` to `to`, lets the network deliver, and
  // returns the reply that came back, if any.
  std::optional<std::vector<uint8_t>> Query(const net::SocketAddress& from,
                                            const net::SocketAddress& to,
                                            const std::vector<uint8_t>& payload) {
    auto socket = network_.Bind(from);
    EXPECT_THAT(socket, IsOk());
    std::optional<std::vector<uint8_t>> reply;
    (*socket)->SetReceiveHandler([&](const net::ReceivedDatagram& d) {
      reply = std::vector<uint8_t>(d.payload.begin(), d.payload.end());
    });
    EXPECT_THAT((*socket)->SendTo(payload, to), IsOk());
    scheduler_.AdvanceBy(absl::Milliseconds(5));
    return reply;
  }

  void Advance(absl::Duration d) {
    clock_.Advance(d);
    scheduler_.AdvanceBy(d);
  }

  clocks::ManualScheduler scheduler_;
  clocks::FakeClock clock_;
  net::FakeNetwork network_;
  HostEnvironment env_;
};

TEST_F(HostTest, SeedServerAnswersUnsynchronisedThenAsLocalClockStratum11) {
  HostOptions options;
  options.listen = {Addr("192.168.31.223:0")};
  auto host = Make(kSeedServerLines, options);
  ASSERT_THAT(host->Start(), IsOk());
  EXPECT_EQ(host->bound_addresses(),
            std::vector<net::SocketAddress>{Addr("192.168.31.223:123")});

  auto reply = Query(Addr("192.168.31.50:40000"), Addr("192.168.31.223:123"), ClientRequest());
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->size(), 48u);
  EXPECT_EQ((*reply)[0], 0xE4);  // LI 3, VN 4, mode 4
  EXPECT_EQ((*reply)[1], 0);     // stratum 0
  EXPECT_EQ(std::string(reply->begin() + 12, reply->begin() + 16), "INIT");
  EXPECT_EQ((*reply)[31], 0x42);  // origin = our transmit

  Advance(absl::Seconds(330));
  reply = Query(Addr("192.168.31.50:40001"), Addr("192.168.31.223:123"), ClientRequest());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ((*reply)[0], 0x24);  // LI 0, VN 4, mode 4
  EXPECT_EQ((*reply)[1], 11);
  EXPECT_EQ((*reply)[12], 127);
  EXPECT_EQ((*reply)[13], 127);
  EXPECT_EQ((*reply)[14], 1);
  EXPECT_EQ((*reply)[15], 0);
  EXPECT_EQ(host->system().system_peer, "LOCAL(0)");
  EXPECT_EQ(host->server_counters().reply_count(ServerReplyKind::kPlain), 2u);

  // noquery for everybody but loopback and 192.168.31.0/24.
  RecordingControl control;
  host->SetControlHandler(&control);
  EXPECT_TRUE(Query(Addr("10.0.0.1:5000"), Addr("192.168.31.223:123"), ClientRequest(0x16))
                  .has_value() == false);
  EXPECT_EQ(control.calls, 0);
  reply = Query(Addr("192.168.31.50:5000"), Addr("192.168.31.223:123"), ClientRequest(0x16));
  EXPECT_EQ(control.calls, 1);
  EXPECT_EQ(control.restrictions, kRestrictNoModify | kRestrictNoTrap);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->size(), 12u);
  host->Stop();
  EXPECT_TRUE(host->bound_addresses().empty());
  EXPECT_EQ(host->exit_state(), HostExit::kDone);
}

TEST_F(HostTest, WildcardListenByDefaultAndInterfaceListenFromConfig) {
  HostOptions options;
  options.port = 11123;
  auto host = Make("server 127.127.1.0 prefer\n", options);
  ASSERT_THAT(host->Start(), IsOk());
  EXPECT_EQ(host->bound_addresses(),
            (std::vector<net::SocketAddress>{Addr("0.0.0.0:11123"), Addr("[::]:11123")}));
  Advance(absl::Seconds(2));
  auto reply = Query(Addr("10.1.1.1:999"), Addr("10.9.9.9:11123"), ClientRequest());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ((*reply)[1], 6);  // LOCAL default stratum 5, prefer: at once
  reply = Query(Addr("[2001:db8::1]:999"), Addr("[2001:db8::2]:11123"), ClientRequest());
  ASSERT_TRUE(reply.has_value());

  options.port = 124;
  auto other = Make("interface listen 127.0.0.2\ninterface listen ::1\n", options);
  ASSERT_THAT(other->Start(), IsOk());
  EXPECT_EQ(other->bound_addresses(),
            (std::vector<net::SocketAddress>{Addr("127.0.0.2:124"), Addr("[::1]:124")}));
}

TEST_F(HostTest, PortInUseIsAlreadyExistsAndNothingStaysBound) {
  auto blocker = network_.Bind(Addr("127.0.0.3:123"));
  ASSERT_THAT(blocker, IsOk());
  HostOptions options;
  options.listen = {Addr("127.0.0.2:0"), Addr("127.0.0.3:0")};
  auto host = Make("", options);
  EXPECT_THAT(host->Start(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(host->bound_addresses().empty());
  // 127.0.0.2:123 was released again.
  EXPECT_THAT(network_.Bind(Addr("127.0.0.2:123")), IsOk());
}

TEST_F(HostTest, OwnPort123PacketsAreIgnored) {
  HostOptions options;
  options.listen = {Addr("127.0.0.1:123")};
  auto host = Make("restrict 127.0.0.1\n", options);
  ASSERT_THAT(host->Start(), IsOk());
  // From our own address and port 123 (a loop): ignored. From an ephemeral
  // port on the same address (ntpdate -u, ntpq): served.
  EXPECT_TRUE(Query(Addr("127.0.0.1:40000"), Addr("127.0.0.1:123"), ClientRequest()).has_value());
  EXPECT_EQ(host->access().Lookup(*net::IpAddress::Parse("127.0.0.1"), 123), kRestrictIgnore);
}

TEST_F(HostTest, ClientPacketsGoToTheAttachedClient) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make("", options);
  auto client = std::make_unique<RecordingClient>();
  RecordingClient* raw = client.get();
  host->AttachClient(std::move(client));
  ASSERT_THAT(host->Start(), IsOk());
  EXPECT_TRUE(raw->started);
  Query(Addr("10.0.0.2:123"), Addr("10.0.0.1:123"), ClientRequest(0x24));  // mode 4
  ASSERT_EQ(raw->packets.size(), 1u);
  EXPECT_EQ(raw->packets[0], Addr("10.0.0.2:123"));
  raw->state = HostExit::kPanic;
  EXPECT_EQ(host->exit_state(), HostExit::kPanic);
  host->Stop();
  EXPECT_TRUE(raw->stopped);
}

TEST_F(HostTest, UnhandledModesAreCounted) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make("", options);
  ASSERT_THAT(host->Start(), IsOk());
  Query(Addr("10.0.0.2:5000"), Addr("10.0.0.1:123"), ClientRequest(0x24));  // mode 4
  Query(Addr("10.0.0.2:5000"), Addr("10.0.0.1:123"), ClientRequest(0x16));  // mode 6
  Query(Addr("10.0.0.2:5000"), Addr("10.0.0.1:123"), ClientRequest(0x17));  // mode 7
  const ServerCounters& c = host->server_counters();
  EXPECT_EQ(c.drop_count(ServerDropReason::kUnexpectedMode), 1u);
  EXPECT_EQ(c.drop_count(ServerDropReason::kControlNotServed), 1u);
  EXPECT_EQ(c.drop_count(ServerDropReason::kPrivateMode), 1u);
}

TEST_F(HostTest, UpstreamPeerSilencesTheLocalClock) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make(kSeedServerLines, options);
  ASSERT_THAT(host->Start(), IsOk());
  host->SetUpstreamSystemPeer(true);
  host->mutable_system()->stratum = 3;
  host->mutable_system()->leap = Leap::kNoWarning;
  Advance(absl::Seconds(1000));
  EXPECT_EQ(host->system().stratum, 3);
  EXPECT_EQ(host->local_reference().source(), ReferenceSource::kUpstream);
}

TEST_F(HostTest, PrecisionComesFromTheClock) {
  clocks::FakeClock coarse(absl::FromUnixSeconds(1704067200), absl::Microseconds(1));
  env_.clock = &coarse;
  auto host = Make("");
  EXPECT_EQ(host->system().precision_log2, -19);  // 2^-19 s = 1.9 us >= 1 us
}

TEST_F(HostTest, UpstreamServersWithoutAClientSideAreReported) {
  HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  auto host = Make("server 192.0.2.1 iburst\npeer 192.0.2.2\n", options);
  ASSERT_THAT(host->Start(), IsOk());
  EXPECT_EQ(host->warnings(),
            (std::vector<std::string>{
                "test.conf:1: warning: server 192.0.2.1: this build serves time only; "
                "upstream servers are not polled yet",
                "test.conf:2: warning: peer 192.0.2.2: this build serves time only; "
                "upstream servers are not polled yet"}));
  auto with_client = Make("server 192.0.2.1 iburst\n", options);
  host->Stop();
  with_client->AttachClient(std::make_unique<RecordingClient>());
  ASSERT_THAT(with_client->Start(), IsOk());
  EXPECT_TRUE(with_client->warnings().empty());
}

TEST_F(HostTest, CreateRequiresTheSeams) {
  HostEnvironment env;
  EXPECT_THAT(Host::Create(NtpConfig(), HostOptions(), env),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ntp
