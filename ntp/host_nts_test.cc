// NTS (RFC 8915) in the core, driven with ntp/testing/host_driver: the
// client association's key exchange actions and results, NTS-protected
// exchanges, forged/replayed/truncated replies, NTS NAK, the key exchange
// back-off; and the server side's NTS path in the host.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/client/association.h"
#include "ntp/config/parser.h"
#include "ntp/host.h"
#include "ntp/nts/client.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/fields.h"
#include "ntp/nts/server.h"
#include "ntp/testing/host_driver.h"
#include "ntp/testing/nts_peer.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"

namespace ntp {
namespace {

using ::ntp::testing::HostDriver;
using ::ntp::testing::IsOk;
using ::ntp::testing::NtsUpstreamServer;
using ::ntp::testing::Peer;
using ::ntp::testing::ScriptedReply;
using ::ntp::testing::SentDatagram;
using ::ntp::testing::UpstreamServer;
using ::testing::HasSubstr;

NtpConfig Parse(const std::string& text) {
  ParsedConfig parsed = ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config;
}

net::SocketAddress Addr(const std::string& text) { return *net::SocketAddress::Parse(text); }

class HostNtsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::BitGen gen;
    ASSERT_THAT(keyring_.Rotate(gen), IsOk());
    auto server = nts::NtsServer::Create(&keyring_);
    ASSERT_THAT(server, IsOk());
    server_.emplace(*std::move(server));
  }

  // A key exchange that succeeds: fresh keys, 8 cookies under keyring_,
  // and the NTP port named.
  std::optional<KeyExchangeResultInput> GoodExchange(const RunKeyExchange&) {
    return ::ntp::testing::NtsKeyExchange(keyring_, ++exchanges_, 10123);
  }

  std::unique_ptr<Host> MakeClient(const std::string& server_line) {
    HostOptions options;
    options.random_seed = 11;
    options.listen = {Addr("127.0.0.3:10124")};
    auto host = Host::Create(Parse(server_line + "\ntinker panic 0\n"), options, nullptr);
    EXPECT_THAT(host, IsOk());
    return host.ok() ? *std::move(host) : nullptr;
  }

  const Association& Only(const Host& host) { return *host.client()->associations().at(0); }

  nts::CookieKeyring keyring_;
  std::optional<nts::NtsServer> server_;
  uint64_t exchanges_ = 0;
};

TEST_F(HostNtsTest, KeyExchangeFirstThenAuthenticatedExchangesReachSync) {
  auto host = MakeClient("server 127.0.0.2 nts ca /etc/lan-ca.pem ntsport 14460 iburst");
  HostDriver driver(host.get());
  driver.key_exchange = [this](const RunKeyExchange& run) { return GoodExchange(run); };
  driver.AddPeer(Addr("127.0.0.2:10123"), NtsUpstreamServer(&*server_, absl::Milliseconds(3)));
  driver.Start();
  driver.AdvanceBy(absl::Seconds(2));
  ASSERT_EQ(driver.key_exchanges.size(), 1u);
  const RunKeyExchange& run = driver.key_exchanges[0].run;
  EXPECT_EQ(run.server_name, "127.0.0.2");
  EXPECT_EQ(run.server, Addr("127.0.0.2:14460"));
  EXPECT_EQ(run.ca_file, "/etc/lan-ca.pem");
  EXPECT_TRUE(run.verify);

  driver.AdvanceBy(absl::Seconds(120));
  // Every request is NTS-protected and goes to the negotiated port.
  ASSERT_FALSE(driver.sent.empty());
  for (const SentDatagram& d : driver.sent) {
    EXPECT_EQ(d.to, Addr("127.0.0.2:10123"));
    nts::NtsFieldError error;
    EXPECT_TRUE(nts::ParseNtsFields(d.bytes, &error).has_value());
  }
  const Association& a = Only(*host);
  EXPECT_GE(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], 4u);
  EXPECT_EQ(a.counters().nts_dropped, 0u);
  EXPECT_EQ(host->client()->system_peer(), 0);
  EXPECT_EQ(driver.key_exchanges.size(), 1u);  // replies replenish the cookies
  EXPECT_EQ(a.nts()->cookie_count(), nts::kMaxCookies);
}

TEST_F(HostNtsTest, ForgedReplayedTruncatedAndPlainRepliesAreDroppedAndChangeNothing) {
  auto host = MakeClient("server 127.0.0.2 nts noval");
  HostDriver driver(host.get());
  driver.key_exchange = [this](const RunKeyExchange& run) { return GoodExchange(run); };
  Peer genuine = NtsUpstreamServer(&*server_, absl::Milliseconds(3));
  driver.AddPeer(Addr("127.0.0.2:10123"), genuine);
  driver.Start();
  driver.AdvanceBy(absl::Seconds(300));
  const Association& a = Only(*host);
  const uint64_t accepted = a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)];
  ASSERT_GE(accepted, 2u);
  const std::vector<uint8_t> old_reply = [&] {
    // A genuine reply to the last request (already answered: a replay).
    std::optional<ScriptedReply> r = genuine(driver.sent.back(), driver.true_time());
    return r.has_value() ? r->bytes : std::vector<uint8_t>();
  }();

  // Race bad replies against the next genuine one.
  ASSERT_TRUE(driver.AdvanceUntilSent(driver.monotonic() + absl::Seconds(2000)));
  const SentDatagram request = driver.sent.back();
  std::optional<ScriptedReply> reply = genuine(request, driver.true_time());
  // The genuine peer already consumed nothing (NtsServer is stateless), so
  // this reply is as good as the one on its way.
  ASSERT_TRUE(reply.has_value());
  const uint8_t reach = a.reach();
  const size_t cookies = a.nts()->cookie_count();
  const double filter_epoch = a.filter().epoch_seconds();
  std::vector<std::vector<uint8_t>> bad;
  std::vector<uint8_t> forged = reply->bytes;
  forged[60] ^= 0x01;  // inside the Unique Identifier field
  bad.push_back(forged);
  forged = reply->bytes;
  forged.back() ^= 0x80;  // the authenticator's ciphertext
  bad.push_back(forged);
  forged = reply->bytes;
  forged[40] ^= 0x01;  // the transmit timestamp, under the authenticator
  bad.push_back(forged);
  bad.push_back(std::vector<uint8_t>(reply->bytes.begin(), reply->bytes.end() - 20));
  bad.push_back(std::vector<uint8_t>(reply->bytes.begin(), reply->bytes.begin() + 48));
  bad.push_back(old_reply);
  for (const std::vector<uint8_t>& bytes : bad) {
    driver.Receive(request.socket, bytes, request.to);
  }
  EXPECT_EQ(a.counters().nts_dropped, bad.size());
  EXPECT_EQ(a.counters().auth_failed, bad.size());
  EXPECT_EQ(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], accepted);
  EXPECT_EQ(a.reach(), reach);
  EXPECT_EQ(a.nts()->cookie_count(), cookies);
  EXPECT_EQ(a.filter().epoch_seconds(), filter_epoch);
  // The genuine reply still lands.
  driver.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], accepted + 1);
}

TEST_F(HostNtsTest, NakAndRunningOutOfCookiesStartANewKeyExchange) {
  auto host = MakeClient("server 127.0.0.2 nts noval");
  HostDriver driver(host.get());
  driver.key_exchange = [this](const RunKeyExchange& run) { return GoodExchange(run); };
  auto silent = std::make_shared<bool>(false);
  Peer genuine = NtsUpstreamServer(&*server_, absl::Milliseconds(3));
  driver.AddPeer(Addr("127.0.0.2:10123"),
                 [silent, genuine](const SentDatagram& request, absl::Time t) {
                   return *silent ? std::nullopt : genuine(request, t);
                 });
  driver.Start();
  driver.AdvanceBy(absl::Seconds(200));
  ASSERT_EQ(driver.key_exchanges.size(), 1u);
  const Association& a = Only(*host);
  // The server forgets the key of the client's cookies: NTS NAK.
  absl::BitGen gen;
  for (size_t i = 0; i < nts::kKeptMasterKeys; ++i) ASSERT_THAT(keyring_.Rotate(gen), IsOk());
  ASSERT_TRUE(driver.AdvanceUntilSent(driver.monotonic() + absl::Seconds(2000)));
  driver.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(a.counters().nts_naks, 1u);
  EXPECT_THAT(driver.Texts(EventKind::kKissOfDeath).back(), HasSubstr("NTS NAK"));
  const absl::Time nak_time = driver.monotonic();
  const size_t sent_at_nak = driver.sent.size();
  // The next poll runs NTS-KE instead of sending, then the exchange goes on.
  ASSERT_TRUE(driver.AdvanceUntilSent(driver.monotonic() + absl::Seconds(2000)));
  ASSERT_EQ(driver.key_exchanges.size(), 2u);
  EXPECT_GT(driver.key_exchanges[1].monotonic, nak_time);
  EXPECT_EQ(driver.sent.size(), sent_at_nak + 1);
  driver.AdvanceBy(absl::Seconds(1));
  const uint64_t accepted = a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)];
  EXPECT_EQ(a.nts()->cookie_count(), nts::kMaxCookies);

  // Replies lost: each request uses one cookie and none come back; after
  // the eighth request the next poll runs NTS-KE.
  *silent = true;
  const size_t sent_before = driver.sent.size();
  while (driver.key_exchanges.size() == 2 &&
         driver.monotonic() < nak_time + absl::Hours(10)) {
    driver.AdvanceBy(absl::Seconds(16));
  }
  ASSERT_EQ(driver.key_exchanges.size(), 3u);
  size_t sent_silent = 0;
  for (size_t i = sent_before; i < driver.sent.size(); ++i) {
    if (driver.sent[i].monotonic < driver.key_exchanges[2].monotonic) ++sent_silent;
  }
  EXPECT_EQ(sent_silent, nts::kMaxCookies);
  EXPECT_EQ(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], accepted);
}

TEST_F(HostNtsTest, KeyExchangeFailuresBackOffFrom16sDoublingTo4096s) {
  auto host = MakeClient("server 127.0.0.2 nts noval");
  HostDriver driver(host.get());
  driver.key_exchange = [](const RunKeyExchange&) {
    KeyExchangeResultInput result;
    result.status = absl::UnavailableError("connection refused");
    return std::optional<KeyExchangeResultInput>(result);
  };
  driver.Start();
  driver.AdvanceBy(absl::Hours(8));
  ASSERT_GE(driver.key_exchanges.size(), 10u);
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < driver.key_exchanges.size(); ++i) {
    gaps.push_back(absl::ToInt64Seconds(driver.key_exchanges[i].monotonic -
                                        driver.key_exchanges[i - 1].monotonic));
  }
  const std::vector<int64_t> want = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 4096};
  EXPECT_EQ(std::vector<int64_t>(gaps.begin(), gaps.begin() + want.size()), want);
  EXPECT_TRUE(driver.sent.empty());  // no NTP request without keys
  EXPECT_THAT(driver.Texts(EventKind::kWarning).front(),
              HasSubstr("NTS-KE with 127.0.0.2 failed: connection refused; retry in 16 s"));
  EXPECT_EQ(Only(*host).nts()->counters().key_exchange_failures, driver.key_exchanges.size());
}

TEST_F(HostNtsTest, PlainRepliesNeverReachAnNtsAssociation) {
  auto host = MakeClient("server 127.0.0.2 nts noval");
  HostDriver driver(host.get());
  driver.key_exchange = [this](const RunKeyExchange& run) { return GoodExchange(run); };
  // A server that ignores NTS and answers in the clear.
  driver.AddPeer(Addr("127.0.0.2:10123"), [](const SentDatagram& request, absl::Time t) {
    SentDatagram header = request;
    header.bytes.resize(kNtpHeaderOctets);
    return UpstreamServer(absl::ZeroDuration())(header, t);
  });
  driver.Start();
  driver.AdvanceBy(absl::Seconds(300));
  const Association& a = Only(*host);
  EXPECT_GT(a.counters().received, 0u);
  EXPECT_EQ(a.counters().nts_dropped, a.counters().received);
  EXPECT_EQ(a.counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], 0u);
  EXPECT_EQ(a.reach(), 0);
  EXPECT_FALSE(host->client()->system_peer().has_value());
}

// The server side: the host answers NTS requests under its keyring.
class HostNtsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::BitGen gen;
    ASSERT_THAT(keyring_.Rotate(gen), IsOk());
    HostOptions options;
    options.random_seed = 5;
    options.listen = {Addr("127.0.0.2:10123")};
    options.nts_keyring = &keyring_;
    auto host = Host::Create(Parse("server 127.127.1.0\nfudge 127.127.1.0 stratum 3\n"),
                             options, nullptr);
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
    driver_ = std::make_unique<HostDriver>(host_.get());
    driver_->Start();
    driver_->AdvanceBy(absl::Seconds(330));  // the LOCAL clock is selected

    for (uint8_t& b : keys_.c2s) b = absl::Uniform<uint8_t>(gen);
    for (uint8_t& b : keys_.s2c) b = absl::Uniform<uint8_t>(gen);
  }

  nts::NtsClient Client(size_t cookies) {
    absl::BitGen gen;
    std::vector<std::vector<uint8_t>> list;
    for (size_t i = 0; i < cookies; ++i) {
      std::vector<uint8_t> cookie(nts::kCookieOctets);
      EXPECT_THAT(keyring_.Seal(keys_, gen, absl::MakeSpan(cookie)), IsOk());
      list.push_back(cookie);
    }
    return *nts::NtsClient::Create(keys_, list);
  }

  std::vector<uint8_t> Request(nts::NtsClient& client) {
    std::vector<uint8_t> header(kNtpHeaderOctets, 0);
    header[0] = 0x23;  // version 4, client
    header[47] = 0x17;
    std::vector<uint8_t> out(client.RequestOctets());
    absl::BitGen gen;
    absl::StatusOr<size_t> octets = client.BuildRequest(header, gen, absl::MakeSpan(out));
    EXPECT_THAT(octets, IsOk());
    out.resize(*octets);
    return out;
  }

  // Sends `request` to the host; returns what came back.
  std::optional<std::vector<uint8_t>> Exchange(const std::vector<uint8_t>& request) {
    const size_t before = driver_->sent.size();
    SocketId socket = driver_->open_sockets.begin()->first;
    driver_->Receive(socket, request, Addr("127.0.0.3:40000"));
    if (driver_->sent.size() == before) return std::nullopt;
    return driver_->sent.back().bytes;
  }

  nts::CookieKeyring keyring_;
  nts::SessionKeys keys_;
  std::unique_ptr<Host> host_;
  std::unique_ptr<HostDriver> driver_;
};

TEST_F(HostNtsServerTest, AnswersAuthenticatedNeverLargerThanTheRequest) {
  nts::NtsClient client = Client(8);
  for (int i = 0; i < 9; ++i) {
    const std::vector<uint8_t> request = Request(client);
    std::optional<std::vector<uint8_t>> reply = Exchange(request);
    ASSERT_TRUE(reply.has_value());
    EXPECT_LE(reply->size(), request.size());
    const nts::NtsReplyCheck check = client.ProcessReply(*reply);
    EXPECT_EQ(check.verdict, nts::NtsReplyVerdict::kAccepted)
        << nts::NtsClientDropName(check.drop);
    EXPECT_GE(check.new_cookies, 1u);
    WireResult<NtpPacket, PacketError> header =
        ParsePacket(absl::MakeConstSpan(*reply).first(kNtpHeaderOctets));
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(header->mode, Mode::kServer);
    EXPECT_EQ(header->stratum, 4);  // LOCAL at stratum 3, and this host one below
  }
  EXPECT_EQ(host_->nts_server()->counters().accepted, 9u);
}

TEST_F(HostNtsServerTest, NakForACookieUnderAnUnknownKeyAndDropForAForgery) {
  nts::NtsClient client = Client(2);
  absl::BitGen gen;
  for (size_t i = 0; i < nts::kKeptMasterKeys; ++i) ASSERT_THAT(keyring_.Rotate(gen), IsOk());
  std::optional<std::vector<uint8_t>> nak = Exchange(Request(client));
  ASSERT_TRUE(nak.has_value());
  EXPECT_EQ(client.ProcessReply(*nak).verdict, nts::NtsReplyVerdict::kNak);
  EXPECT_EQ(host_->nts_server()->counters().naks, 1u);

  nts::NtsClient fresh = Client(2);
  std::vector<uint8_t> forged = Request(fresh);
  forged.back() ^= 1;  // the authenticator
  EXPECT_FALSE(Exchange(forged).has_value());
  uint64_t drops = 0;
  for (uint64_t d : host_->nts_server()->counters().drops) drops += d;
  EXPECT_EQ(drops, 1u);
}

}  // namespace
}  // namespace ntp
