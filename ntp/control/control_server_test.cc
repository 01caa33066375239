// The mode 6 server inside ntp::Host, driven through HostDriver: the
// replies as ntpq would receive them (RFC 9327), reassembled by the
// client-side code (control_client.h).
#include "ntp/control/control_server.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/auth/key_store.h"
#include "ntp/auth/mac.h"
#include "ntp/config/parser.h"
#include "ntp/control/control_client.h"
#include "ntp/control/control_vars.h"
#include "ntp/host.h"
#include "ntp/testing/host_driver.h"
#include "ntp/testing/test_keys.h"
#include "ntp/wire/control_message.h"
#include "ntp/wire/packet.h"

namespace ntp {
namespace {

using ::ntp::testing::HostDriver;
using ::ntp::testing::ScriptedReply;
using ::ntp::testing::SentDatagram;

constexpr char kConf[] =
    "restrict default kod nomodify notrap nopeer noquery\n"
    "restrict 127.0.0.1\n"
    "restrict 192.168.31.0 mask 255.255.255.0 nomodify notrap\n"
    "server 192.168.31.1 iburst\n"
    "server 192.168.31.2 iburst\n"
    "server 127.127.1.0\n"
    "fudge 127.127.1.0 stratum 10\n"
    "controlkey 5\n"
    "trustedkey 5\n";

net::SocketAddress Addr(const std::string& text) { return *net::SocketAddress::Parse(text); }


class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = ::ntp::testing::MakeMd5KeyStore(5, "controlsecret");
    ASSERT_TRUE(keys_->Insert(*SymmetricKey::Create(
                                   6, MacAlgorithm::kMd5,
                                   absl::MakeConstSpan(reinterpret_cast<const uint8_t*>("other"),
                                                       5)))
                    .ok());
    ParsedConfig parsed = ParseNtpConfText(kConf, "test.conf", nullptr);
    ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
    HostOptions options;
    options.listen = {Addr("192.168.31.223:123")};
    options.random_seed = 3;
    auto host = Host::Create(parsed.config, options, keys_.get());
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = std::move(*host);
    HostDriver::Options o;
    o.clock.precision = absl::Nanoseconds(100);
    o.clock_read_only = true;
    driver_ = std::make_unique<HostDriver>(host_.get(), o);
    driver_->AddPeer(Addr("192.168.31.1:123"), ::ntp::testing::UpstreamServer(absl::ZeroDuration()));
    driver_->Start();
    driver_->AdvanceBy(absl::Minutes(5));
    ASSERT_TRUE(host_->system().synchronized());
  }

  // Every datagram the host sends back to `from` for `request`.
  std::vector<std::vector<uint8_t>> Exchange(const std::vector<uint8_t>& request,
                                             const net::SocketAddress& from = kClient) {
    const size_t before = driver_->sent.size();
    driver_->Receive(1, request, from);
    std::vector<std::vector<uint8_t>> replies;
    for (size_t i = before; i < driver_->sent.size(); ++i) {
      if (driver_->sent[i].to == from) replies.push_back(driver_->sent[i].bytes);
    }
    return replies;
  }

  // The reassembled response (fails the test unless complete).
  std::string Query(uint8_t opcode, uint16_t association, const std::string& data = "") {
    const uint16_t sequence = ++sequence_;
    ControlResponseAssembler assembler(opcode, sequence, association);
    ControlResponseAssembler::Verdict verdict = ControlResponseAssembler::Verdict::kIncomplete;
    for (const auto& reply : Exchange(BuildControlRequest(opcode, sequence, association, data))) {
      verdict = assembler.Add(reply);
    }
    EXPECT_EQ(verdict, ControlResponseAssembler::Verdict::kComplete)
        << assembler.malformed_reason();
    status_ = assembler.status();
    return assembler.data();
  }

  // The error code of the single reply, or -1.
  int ErrorCode(const std::vector<uint8_t>& request) {
    const auto replies = Exchange(request);
    if (replies.size() != 1) return -1;
    auto parsed = ParseControlMessage(replies[0]);
    if (!parsed.ok() || !parsed->is_error) return -1;
    return parsed->status >> 8;
  }

  std::vector<uint8_t> Signed(std::vector<uint8_t> request, uint32_t key_id,
                              const std::string& secret) {
    request.resize((request.size() + 7) / 8 * 8, 0);
    auto key = SymmetricKey::Create(
        key_id, MacAlgorithm::kMd5,
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()), secret.size()));
    auto mac = MacContext::Create();
    std::array<uint8_t, 16> digest{};
    EXPECT_TRUE(mac->ComputeDigest(*key, request, absl::MakeSpan(digest)).ok());
    request.push_back(0);
    request.push_back(0);
    request.push_back(0);
    request.push_back(static_cast<uint8_t>(key_id));
    request.insert(request.end(), digest.begin(), digest.end());
    return request;
  }

  static inline const net::SocketAddress kClient = Addr("192.168.31.50:40123");
  std::shared_ptr<KeyStore> keys_;
  std::unique_ptr<Host> host_;
  std::unique_ptr<HostDriver> driver_;
  uint16_t sequence_ = 0;
  uint16_t status_ = 0;
};

TEST_F(ControlServerTest, ReadStatusListsAssociationsAndTheSystemPeer) {
  const std::string data = Query(1, 0);
  ASSERT_EQ(data.size(), 12u);  // 3 associations x (ID, status)
  EXPECT_EQ(status_ >> 14, 0);  // leap: synchronised
  EXPECT_EQ(status_ >> 8 & 0x3f, 6);  // clock source: NTP
  auto word = [&](int i) {
    return static_cast<uint16_t>(static_cast<uint8_t>(data[i]) << 8 |
                                 static_cast<uint8_t>(data[i + 1]));
  };
  EXPECT_EQ(word(0), 1);
  EXPECT_EQ(word(2) & 0x9000, 0x9000);  // configured, reachable
  EXPECT_EQ(word(2) >> 8 & 7, 6);       // '*' system peer
  EXPECT_EQ(word(4), 2);
  EXPECT_EQ(word(6) & 0x1000, 0);       // never answered
  EXPECT_EQ(word(8), kLocalClockAssociationId);
}

TEST_F(ControlServerTest, SystemVariablesUseNtpdNames) {
  const auto vars = ParseControlVariables(Query(2, 0));
  std::vector<std::string> names;
  for (const auto& v : vars) names.push_back(v.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "version", "leap", "stratum", "precision", "rootdelay", "rootdisp",
                       "refid", "reftime", "clock", "peer", "tc", "mintc", "offset",
                       "frequency", "sys_jitter", "clk_jitter", "clk_wander"}));
  EXPECT_EQ(FindControlVariable(vars, "stratum")->value, "2");
  EXPECT_EQ(FindControlVariable(vars, "refid")->value, "192.168.31.1");
  EXPECT_EQ(FindControlVariable(vars, "peer")->value, "1");
  EXPECT_TRUE(ParseControlTimestamp(FindControlVariable(vars, "clock")->value).has_value());
}

TEST_F(ControlServerTest, PeerVariablesComeInFragmentsOfAtMost468Octets) {
  std::vector<std::vector<uint8_t>> replies = Exchange(BuildControlRequest(2, 9, 1, ""));
  ASSERT_GE(replies.size(), 2u);
  size_t expected_offset = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    auto m = ParseControlMessage(replies[i]);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(m->is_response);
    EXPECT_EQ(m->sequence, 9);
    EXPECT_EQ(m->association_id, 1);
    EXPECT_EQ(m->offset, expected_offset);
    EXPECT_LE(m->data.size(), kMaxControlDataOctets);
    EXPECT_EQ(m->has_more, i + 1 < replies.size());
    if (i + 1 < replies.size()) EXPECT_EQ(m->data.size(), kMaxControlDataOctets);
    expected_offset += m->data.size();
  }
  const auto vars = ParseControlVariables(Query(2, 1));
  for (const char* name :
       {"srcadr", "srcport", "dstadr", "leap", "stratum", "precision", "rootdelay", "rootdisp",
        "refid", "reftime", "rec", "reach", "unreach", "hmode", "pmode", "hpoll", "ppoll",
        "headway", "flash", "keyid", "offset", "delay", "dispersion", "jitter", "filtdelay",
        "filtoffset", "filtdisp"}) {
    EXPECT_NE(FindControlVariable(vars, name), nullptr) << name;
  }
  EXPECT_EQ(FindControlVariable(vars, "srcadr")->value, "192.168.31.1");
  EXPECT_EQ(FindControlVariable(vars, "refid")->value, "GPS");
  EXPECT_EQ(FindControlVariable(vars, "reach")->value.substr(0, 2), "0x");
  const auto local = ParseControlVariables(Query(2, kLocalClockAssociationId));
  EXPECT_EQ(FindControlVariable(local, "srchost")->value, "LOCAL(0)");
  EXPECT_EQ(FindControlVariable(local, "refid")->value, "LOCL");
}

TEST_F(ControlServerTest, NamedVariablesAndCounters) {
  const auto vars = ParseControlVariables(Query(2, 0, "stratum,ss_received,cs_received"));
  ASSERT_EQ(vars.size(), 3u);
  EXPECT_EQ(vars[0].name, "stratum");
  EXPECT_EQ(vars[1].name, "ss_received");
  EXPECT_EQ(vars[2].value, std::to_string(host_->control().counters().received));
  EXPECT_EQ(ErrorCode(BuildControlRequest(2, 1, 0, "stratum,nosuchvar")), 5);
}

TEST_F(ControlServerTest, ErrorCodes) {
  EXPECT_EQ(ErrorCode(BuildControlRequest(2, 1, 77, "")), 4);   // unknown association
  EXPECT_EQ(ErrorCode(BuildControlRequest(1, 1, 77, "")), 4);
  EXPECT_EQ(ErrorCode(BuildControlRequest(13, 1, 0, "")), 3);   // unknown opcode
  EXPECT_EQ(ErrorCode(BuildControlRequest(7, 1, 0, "")), 3);
  EXPECT_EQ(ErrorCode(BuildControlRequest(4, 1, 0, "")), 4);    // no clock variables
  EXPECT_EQ(ErrorCode(BuildControlRequest(10, 1, 0, "")), 6);   // MRU without nonce
}

TEST_F(ControlServerTest, WritesNeedTheControlKeyAndAreThenRestricted) {
  for (uint8_t opcode : {3, 5, 6, 8, 9, 31}) {
    EXPECT_EQ(ErrorCode(BuildControlRequest(opcode, 1, 0, "x=1")), 1) << int{opcode};
  }
  EXPECT_EQ(ErrorCode(Signed(BuildControlRequest(8, 1, 0, "x=1"), 5, "controlsecret")), 7);
  EXPECT_EQ(ErrorCode(Signed(BuildControlRequest(8, 1, 0, "x=1"), 5, "wrong")), 1);
  EXPECT_EQ(ErrorCode(Signed(BuildControlRequest(8, 1, 0, "x=1"), 6, "other")), 1);
  EXPECT_EQ(host_->control().counters().auth_failed, 1u);
  EXPECT_EQ(host_->control().counters().writes_refused, 9u);
  // A signed read is answered, and signed.
  const auto replies = Exchange(Signed(BuildControlRequest(1, 1, 0, ""), 5, "controlsecret"));
  ASSERT_EQ(replies.size(), 1u);
  auto m = ParseControlMessage(replies[0]);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->mac.has_value());
  EXPECT_EQ(m->mac->key_id, 5u);
}

TEST_F(ControlServerTest, NoQueryAndMalformedAreDroppedSilently) {
  EXPECT_TRUE(Exchange(BuildControlRequest(1, 1, 0, ""), Addr("10.1.1.1:5000")).empty());
  const uint64_t malformed = host_->control().counters().malformed;
  EXPECT_TRUE(Exchange({0x16, 0x01, 0, 0}).empty());         // short
  EXPECT_TRUE(Exchange({0x16, 0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}).empty());  // a response
  std::vector<uint8_t> lying = BuildControlRequest(2, 1, 0, "");
  lying[11] = 200;  // count beyond the datagram
  EXPECT_TRUE(Exchange(lying).empty());
  EXPECT_EQ(host_->control().counters().malformed, malformed + 3);
}

TEST_F(ControlServerTest, RateLimitedToABurstThenSixteenPerSecond) {
  int answered = 0;
  for (int i = 0; i < 100; ++i) {
    if (!Exchange(BuildControlRequest(1, static_cast<uint16_t>(i), 0, "")).empty()) ++answered;
  }
  EXPECT_EQ(answered, 64);
  EXPECT_EQ(host_->control().counters().rate_limited, 36u);
  driver_->AdvanceBy(absl::Seconds(1));
  answered = 0;
  for (int i = 0; i < 100; ++i) {
    if (!Exchange(BuildControlRequest(1, static_cast<uint16_t>(i), 0, "")).empty()) ++answered;
  }
  EXPECT_EQ(answered, 16);
}

TEST_F(ControlServerTest, MruListWithNonce) {
  // Two clients of the time service.
  std::vector<uint8_t> mode3(48, 0);
  mode3[0] = 0xE3;
  Exchange(mode3, Addr("192.168.31.60:123"));
  Exchange(mode3, Addr("192.168.31.61:40000"));
  const auto nonce = ParseControlVariables(Query(12, 0));
  ASSERT_EQ(nonce.size(), 1u);
  EXPECT_EQ(nonce[0].name, "nonce");
  const auto mru =
      ParseControlVariables(Query(10, 0, "nonce=" + nonce[0].value + ", frags=4"));
  EXPECT_NE(FindControlVariable(mru, "now"), nullptr);
  EXPECT_NE(FindControlVariable(mru, "last.newest"), nullptr);
  std::vector<std::string> addresses;
  for (const auto& v : mru) {
    if (v.name.rfind("addr.", 0) == 0) addresses.push_back(v.value);
  }
  EXPECT_EQ(addresses, (std::vector<std::string>{"192.168.31.60:123", "192.168.31.61:40000"}));
  // A nonce from another address, or a stale one, is refused.
  const auto other =
      Exchange(BuildControlRequest(10, 1, 0, "nonce=" + nonce[0].value), Addr("192.168.31.51:9"));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0][1], 0xC0 | 10);
  EXPECT_EQ(other[0][4], 6);
  driver_->AdvanceBy(absl::Seconds(20));
  EXPECT_EQ(ErrorCode(BuildControlRequest(10, 1, 0, "nonce=" + nonce[0].value)), 6);
}

}  // namespace
}  // namespace ntp
