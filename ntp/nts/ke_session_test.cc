// NTS-KE client and server over memory BIOs, TLS 1.3 in-process: the
// bytes go straight from one to the other, as the executor would move them
// over TCP.
#include "ntp/nts/ke_session.h"

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <vector>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/nts/client.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/ke_records.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/nts/server.h"
#include "ntp/nts/test_certs.h"
#include "ntp/testing/status_matchers.h"

namespace ntp::nts {
namespace {

using ::ntp::nts::testing::MakeTestCa;
using ::ntp::nts::testing::MakeTestLeaf;
using ::ntp::nts::testing::TestCa;
using ::ntp::nts::testing::TestLeaf;
using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1000);

class KeSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new TestCa(MakeTestCa("NTS test CA"));
    leaf_ = new TestLeaf(
        MakeTestLeaf(*ca_, "ntp.test", "DNS:ntp.test,IP:127.0.0.2"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete leaf_;
  }

  void SetUp() override {
    ASSERT_THAT(keyring_.Rotate(gen_), IsOk());
    auto server_ctx = KeTlsContext::ForServer(leaf_->cert_pem, leaf_->key_pem);
    ASSERT_THAT(server_ctx, IsOk());
    server_ctx_.emplace(std::move(server_ctx).value());
    auto client_ctx = KeTlsContext::ForClient(ca_->cert_pem);
    ASSERT_THAT(client_ctx, IsOk());
    client_ctx_.emplace(std::move(client_ctx).value());
  }

  // Moves bytes between `client` and connection 1 of `server` until the
  // client finishes or nobody has anything to say.
  void Pump(NtsKeClient& client, KeServer& server) {
    ASSERT_TRUE(server.Accept(1, kStart));
    for (int round = 0; round < 10 && client.state() == KeState::kInProgress;
         ++round) {
      std::vector<uint8_t> to_server = client.TakeOutgoing();
      if (to_server.empty()) break;
      KeServer::Step step = server.Receive(1, to_server, kStart, gen_);
      client.Receive(step.send);
      if (step.close) client.ReceiveEof();
    }
  }

  absl::Time Now() const { return absl::Now(); }

  static TestCa* ca_;
  static TestLeaf* leaf_;
  absl::BitGen gen_;
  CookieKeyring keyring_;
  std::optional<KeTlsContext> server_ctx_;
  std::optional<KeTlsContext> client_ctx_;
};
TestCa* KeSessionTest::ca_ = nullptr;
TestLeaf* KeSessionTest::leaf_ = nullptr;

TEST_F(KeSessionTest, ExchangeYieldsKeysTheServerSealedInItsCookies) {
  KeServerOptions options;
  options.ntp_port = 10123;
  KeServer server(&*server_ctx_, &keyring_, options);
  ASSERT_OK_AND_ASSIGN(NtsKeClient client,
                       NtsKeClient::Start(*client_ctx_, "ntp.test", Now()));
  Pump(client, server);
  ASSERT_EQ(client.state(), KeState::kDone) << client.error();
  const KeOutcome& outcome = client.outcome();
  EXPECT_EQ(outcome.cookies.size(), kMaxCookies);
  EXPECT_EQ(outcome.port, 10123);
  EXPECT_NE(outcome.keys.c2s, outcome.keys.s2c);
  // The server exported the same keys: every cookie opens to them.
  for (const std::vector<uint8_t>& cookie : outcome.cookies) {
    EXPECT_THAT(keyring_.Open(cookie), ::ntp::testing::IsOkAndHolds(outcome.keys));
  }
  EXPECT_EQ(server.counters().completed, 1u);
  EXPECT_EQ(server.session_count(), 0u);

  // And NTS-protected NTP works with what the exchange produced.
  ASSERT_OK_AND_ASSIGN(NtsClient nts, NtsClient::Create(outcome.keys,
                                                        outcome.cookies));
  ASSERT_OK_AND_ASSIGN(NtsServer nts_server, NtsServer::Create(&keyring_));
  std::vector<uint8_t> header(48, 0);
  header[0] = (4 << 3) | 3;
  std::vector<uint8_t> request(2048);
  ASSERT_OK_AND_ASSIGN(size_t n,
                       nts.BuildRequest(header, gen_, absl::MakeSpan(request)));
  request.resize(n);
  NtsCheck check = nts_server.CheckRequest(request);
  ASSERT_EQ(check.verdict, NtsVerdict::kRespond);
  header[0] = (4 << 3) | 4;
  std::vector<uint8_t> reply(2048);
  ASSERT_OK_AND_ASSIGN(n, nts_server.SealReply(check.request, header, gen_,
                                                absl::MakeSpan(reply)));
  reply.resize(n);
  EXPECT_EQ(nts.ProcessReply(reply).verdict, NtsReplyVerdict::kAccepted);
}

TEST_F(KeSessionTest, AddressIsCheckedAgainstIpSubjectAltName) {
  KeServer server(&*server_ctx_, &keyring_);
  ASSERT_OK_AND_ASSIGN(NtsKeClient client,
                       NtsKeClient::Start(*client_ctx_, "127.0.0.2", Now()));
  Pump(client, server);
  EXPECT_EQ(client.state(), KeState::kDone) << client.error();
  KeServer server2(&*server_ctx_, &keyring_);
  ASSERT_OK_AND_ASSIGN(NtsKeClient wrong,
                       NtsKeClient::Start(*client_ctx_, "127.0.0.3", Now()));
  Pump(wrong, server2);
  EXPECT_EQ(wrong.state(), KeState::kFailed);
  EXPECT_THAT(wrong.error(), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(KeSessionTest, WrongNameIsRefused) {
  KeServer server(&*server_ctx_, &keyring_);
  ASSERT_OK_AND_ASSIGN(NtsKeClient client,
                       NtsKeClient::Start(*client_ctx_, "other.test", Now()));
  Pump(client, server);
  EXPECT_EQ(client.state(), KeState::kFailed);
  EXPECT_THAT(client.error(), StatusIs(absl::StatusCode::kPermissionDenied,
                                       HasSubstr("certificate")));
  EXPECT_EQ(server.counters().completed, 0u);
}

TEST_F(KeSessionTest, UntrustedCaAndExpiryAreRefused) {
  TestCa other = MakeTestCa("someone else");
  ASSERT_OK_AND_ASSIGN(KeTlsContext other_ctx,
                       KeTlsContext::ForClient(other.cert_pem));
  KeServer server(&*server_ctx_, &keyring_);
  ASSERT_OK_AND_ASSIGN(NtsKeClient client,
                       NtsKeClient::Start(other_ctx, "ntp.test", Now()));
  Pump(client, server);
  EXPECT_THAT(client.error(), StatusIs(absl::StatusCode::kPermissionDenied));

  // The certificate is valid for a day; checked two days on it is not.
  KeServer server2(&*server_ctx_, &keyring_);
  ASSERT_OK_AND_ASSIGN(
      NtsKeClient late,
      NtsKeClient::Start(*client_ctx_, "ntp.test", Now() + absl::Hours(48)));
  Pump(late, server2);
  EXPECT_THAT(late.error(), StatusIs(absl::StatusCode::kPermissionDenied,
                                     HasSubstr("expired")));
}

TEST_F(KeSessionTest, NovalSkipsVerification) {
  ASSERT_OK_AND_ASSIGN(KeTlsContext noval, KeTlsContext::ForClient("", false));
  KeServer server(&*server_ctx_, &keyring_);
  ASSERT_OK_AND_ASSIGN(NtsKeClient client,
                       NtsKeClient::Start(noval, "other.test", Now()));
  Pump(client, server);
  EXPECT_EQ(client.state(), KeState::kDone) << client.error();
}

TEST_F(KeSessionTest, ServerContextErrors) {
  TestLeaf other = MakeTestLeaf(*ca_, "x", "DNS:x");
  EXPECT_THAT(KeTlsContext::ForServer(leaf_->cert_pem, other.key_pem),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not match")));
  // An RSA key for an EC certificate.
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  ASSERT_NE(rsa, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, rsa, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string rsa_pem(data, len);
  BIO_free(bio);
  EVP_PKEY_free(rsa);
  EXPECT_THAT(KeTlsContext::ForServer(leaf_->cert_pem, rsa_pem),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("key type")));
  EXPECT_THAT(KeTlsContext::ForServer("garbage", leaf_->key_pem),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("certificate")));
  EXPECT_THAT(KeTlsContext::ForServer(leaf_->cert_pem, "garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("private key")));
  EXPECT_THAT(KeTlsContext::ForClient("garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("CA certificate")));
}

TEST_F(KeSessionTest, SessionCountIsBounded) {
  KeServerLimits limits;
  limits.max_sessions = 2;
  KeServer server(&*server_ctx_, &keyring_, {}, limits);
  EXPECT_TRUE(server.Accept(1, kStart));
  EXPECT_TRUE(server.Accept(2, kStart));
  EXPECT_FALSE(server.Accept(3, kStart));
  EXPECT_EQ(server.counters().refused_busy, 1u);
  server.Closed(1);
  EXPECT_TRUE(server.Accept(3, kStart));
}

TEST_F(KeSessionTest, SlowClientsExpire) {
  KeServerLimits limits;
  limits.session_timeout = absl::Seconds(5);
  KeServer server(&*server_ctx_, &keyring_, {}, limits);
  ASSERT_TRUE(server.Accept(7, kStart));
  ASSERT_TRUE(server.Accept(8, kStart + absl::Seconds(3)));
  ASSERT_OK_AND_ASSIGN(NtsKeClient client,
                       NtsKeClient::Start(*client_ctx_, "ntp.test", Now()));
  // Half a ClientHello, then nothing.
  std::vector<uint8_t> hello = client.TakeOutgoing();
  hello.resize(hello.size() / 2);
  EXPECT_FALSE(server.Receive(7, hello, kStart + absl::Seconds(1), gen_).close);
  EXPECT_EQ(server.NextDeadline(), kStart + absl::Seconds(5));
  EXPECT_TRUE(server.Expire(kStart + absl::Seconds(4)).empty());
  EXPECT_EQ(server.Expire(kStart + absl::Seconds(5)),
            std::vector<uint64_t>{7});
  // A late byte on an expired connection closes it.
  EXPECT_TRUE(server.Receive(8, hello, kStart + absl::Seconds(9), gen_).close);
  EXPECT_EQ(server.counters().timed_out, 2u);
  EXPECT_EQ(server.session_count(), 0u);
}

TEST_F(KeSessionTest, GarbageAndFloodsAreClosed) {
  KeServerLimits limits;
  limits.max_received_octets = 4096;
  KeServer server(&*server_ctx_, &keyring_, {}, limits);
  ASSERT_TRUE(server.Accept(1, kStart));
  std::vector<uint8_t> garbage(100, 0x42);
  KeServer::Step step = server.Receive(1, garbage, kStart, gen_);
  EXPECT_TRUE(step.close);
  EXPECT_EQ(server.counters().failed, 1u);
  // A plausible TLS record header that promises a lot, fed slowly.
  ASSERT_TRUE(server.Accept(2, kStart));
  std::vector<uint8_t> flood = {0x16, 0x03, 0x01, 0x40, 0x00};
  EXPECT_FALSE(server.Receive(2, flood, kStart, gen_).close);
  std::vector<uint8_t> more(1000, 0);
  bool closed = false;
  for (int i = 0; i < 10 && !closed; ++i) {
    closed = server.Receive(2, more, kStart, gen_).close;
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(server.session_count(), 0u);
}

// A TLS client that sends whatever records a test gives it.
class RawKeClient : public TlsPipe {
 public:
  static RawKeClient Start(const KeTlsContext& ctx) {
    SSL* ssl = SSL_new(ctx.get());
    static constexpr unsigned char kAlpn[] = "\x07ntske/1";
    SSL_set_alpn_protos(ssl, kAlpn, sizeof(kAlpn) - 1);
    SSL_set_connect_state(ssl);
    RawKeClient c(ssl);
    SSL_do_handshake(ssl);
    return c;
  }
  void Receive(absl::Span<const uint8_t> bytes) {
    Feed(bytes);
    SSL_do_handshake(ssl());
  }
  bool Send(const std::vector<uint8_t>& bytes) { return Write(bytes); }
  std::vector<uint8_t> Read() {
    std::vector<uint8_t> in;
    bool closed = false;
    ReadAvailable(&in, &closed);
    return in;
  }

 private:
  explicit RawKeClient(SSL* ssl) : TlsPipe(ssl) {}
};

TEST_F(KeSessionTest, BadRequestsGetErrorRecords) {
  ASSERT_OK_AND_ASSIGN(KeTlsContext noval, KeTlsContext::ForClient("", false));
  struct Case {
    std::vector<uint8_t> request;
    uint16_t error;
  };
  KeRequest no_siv;
  no_siv.next_protocols = {0};
  no_siv.aead_algorithms = {17};
  std::vector<uint8_t> unknown_critical = {0x81, 0x23, 0, 0, 0x80, 0, 0, 0};
  for (const Case& c :
       {Case{EncodeKeRequest(no_siv), 1}, Case{unknown_critical, 0}}) {
    KeServer server(&*server_ctx_, &keyring_);
    ASSERT_TRUE(server.Accept(1, kStart));
    RawKeClient raw = RawKeClient::Start(noval);
    KeServer::Step step = server.Receive(1, raw.TakeOutgoing(), kStart, gen_);
    raw.Receive(step.send);
    ASSERT_TRUE(raw.Send(c.request));
    step = server.Receive(1, raw.TakeOutgoing(), kStart, gen_);
    EXPECT_TRUE(step.close);
    raw.Receive(step.send);
    std::vector<uint8_t> answer = raw.Read();
    size_t consumed = 0;
    ASSERT_OK_AND_ASSIGN(std::vector<KeRecord> records,
                         ParseKeMessage(answer, &consumed));
    ASSERT_OK_AND_ASSIGN(KeResponse response, DecodeKeResponse(records));
    EXPECT_EQ(response.error, c.error);
    EXPECT_TRUE(response.cookies.empty());
  }
}

}  // namespace
}  // namespace ntp::nts
