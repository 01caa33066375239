// NTS-KE end to end over real TCP on loopback: our sans-I/O client and
// server (ntp/nts/ke_session.h) moved by KeStreamClient / KeStreamServer
// over TcpStreamNetwork on one PollLoop. Server on 127.0.0.2, client on
// 127.0.0.3, ports from the kernel.
#include "ntp/runtime/nts_ke_stream.h"

#include <memory>
#include <optional>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/poll_loop.h"
#include "net/tcp_stream.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/ke_tls.h"
#include "ntp/nts/test_certs.h"
#include "ntp/testing/status_matchers.h"

namespace ntp::runtime {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

class NtsKeStreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new nts::testing::TestCa(nts::testing::MakeTestCa("NTS stream test CA"));
    leaf_ = new nts::testing::TestLeaf(
        nts::testing::MakeTestLeaf(*ca_, "ntp.test", "DNS:ntp.test,IP:127.0.0.2"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete leaf_;
  }

  void SetUp() override {
    ASSERT_THAT(keyring_.Rotate(gen_), IsOk());
    server_ctx_.emplace(*nts::KeTlsContext::ForServer(leaf_->cert_pem, leaf_->key_pem));
    client_ctx_.emplace(*nts::KeTlsContext::ForClient(ca_->cert_pem));
    loop_ = *net::PollLoop::Create();
    network_ = std::make_unique<net::TcpStreamNetwork>(loop_.get());
  }

  void StartServer(nts::KeServerLimits limits = {}) {
    ke_server_.emplace(&*server_ctx_, &keyring_, nts::KeServerOptions{}, limits);
    auto listener = network_->Listen(*net::SocketAddress::Parse("127.0.0.2:0"), {});
    ASSERT_THAT(listener.status(), IsOk());
    server_ = std::make_unique<KeStreamServer>(&*ke_server_, loop_.get(), gen_,
                                               *std::move(listener));
  }

  KeStreamClient::Options ClientOptions(const std::string& name) {
    KeStreamClient::Options o;
    o.server_name = name;
    o.local_ip = *net::IpAddress::Parse("127.0.0.3");
    o.server = server_->listener().local_address();
    o.verify_time = absl::Now();
    return o;
  }

  // Runs one client exchange to its end (or the test's time limit).
  std::optional<absl::StatusOr<nts::KeOutcome>> Exchange(
      const KeStreamClient::Options& options) {
    std::optional<absl::StatusOr<nts::KeOutcome>> result;
    auto client = KeStreamClient::Start(
        network_.get(), loop_.get(), *client_ctx_, options,
        [&](absl::StatusOr<nts::KeOutcome> r) { result = std::move(r); });
    EXPECT_THAT(client.status(), IsOk());
    if (client.ok()) RunUntil([&] { return result.has_value(); });
    return result;
  }

  bool RunUntil(absl::FunctionRef<bool()> done) {
    const absl::Time deadline = loop_->Now() + absl::Seconds(10);
    while (!done() && loop_->Now() < deadline) {
      EXPECT_THAT(loop_->RunOnce(absl::Milliseconds(20)).status(), IsOk());
    }
    return done();
  }

  static nts::testing::TestCa* ca_;
  static nts::testing::TestLeaf* leaf_;
  absl::BitGen gen_;
  nts::CookieKeyring keyring_;
  std::optional<nts::KeTlsContext> server_ctx_;
  std::optional<nts::KeTlsContext> client_ctx_;
  std::unique_ptr<net::PollLoop> loop_;
  std::unique_ptr<net::TcpStreamNetwork> network_;
  std::optional<nts::KeServer> ke_server_;
  std::unique_ptr<KeStreamServer> server_;
};

nts::testing::TestCa* NtsKeStreamTest::ca_ = nullptr;
nts::testing::TestLeaf* NtsKeStreamTest::leaf_ = nullptr;

TEST_F(NtsKeStreamTest, ExchangeOverLoopbackTcpYieldsKeysAndCookies) {
  StartServer();
  const std::optional<absl::StatusOr<nts::KeOutcome>> result = Exchange(ClientOptions("ntp.test"));
  ASSERT_TRUE(result.has_value());
  ASSERT_THAT(result->status(), IsOk());
  EXPECT_EQ((*result)->cookies.size(), nts::kMaxCookies);
  EXPECT_NE((*result)->keys.c2s, (*result)->keys.s2c);
  // The cookies open under the server's keyring to the same keys.
  auto opened = keyring_.Open((*result)->cookies[0]);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(*opened, (*result)->keys);
  ASSERT_TRUE(RunUntil([&] { return server_->open_streams() == 0; }));
  EXPECT_EQ(ke_server_->counters().completed, 1u);
  EXPECT_EQ(ke_server_->session_count(), 0u);
}

TEST_F(NtsKeStreamTest, WrongServerNameFailsVerification) {
  StartServer();
  const std::optional<absl::StatusOr<nts::KeOutcome>> result = Exchange(ClientOptions("other.test"));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok());
  ASSERT_TRUE(RunUntil([&] { return server_->open_streams() == 0; }));
  EXPECT_EQ(ke_server_->counters().completed, 0u);
}

// A client that connects and says nothing is cut off at the session
// timeout; the server keeps serving others.
TEST_F(NtsKeStreamTest, SilentClientIsClosedAtTheSessionTimeout) {
  nts::KeServerLimits limits;
  limits.session_timeout = absl::Milliseconds(200);
  StartServer(limits);
  auto silent = network_->Connect(*net::IpAddress::Parse("127.0.0.3"),
                                  server_->listener().local_address(), {});
  ASSERT_THAT(silent.status(), IsOk());
  std::optional<absl::Status> silent_closed;
  (*silent)->SetHandlers([](absl::Span<const uint8_t>) {},
                         [&](const absl::Status& s) { silent_closed = s; });
  ASSERT_TRUE(RunUntil([&] { return server_->open_streams() == 1; }));
  const absl::Time accepted = loop_->Now();
  ASSERT_TRUE(RunUntil([&] { return silent_closed.has_value(); }));
  EXPECT_GE(loop_->Now() - accepted, absl::Milliseconds(150));
  EXPECT_EQ(ke_server_->counters().timed_out, 1u);
  EXPECT_EQ(server_->open_streams(), 0u);

  const std::optional<absl::StatusOr<nts::KeOutcome>> result = Exchange(ClientOptions("ntp.test"));
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(result->status(), IsOk());
}

// KE sessions are bounded in count: beyond max_sessions a connection is
// closed at once and the client hears the stream end.
TEST_F(NtsKeStreamTest, SessionsBeyondTheLimitAreClosedAtOnce) {
  nts::KeServerLimits limits;
  limits.max_sessions = 1;
  StartServer(limits);
  auto holder = network_->Connect(*net::IpAddress::Parse("127.0.0.3"),
                                  server_->listener().local_address(), {});
  ASSERT_THAT(holder.status(), IsOk());
  (*holder)->SetHandlers([](absl::Span<const uint8_t>) {}, [](const absl::Status&) {});
  ASSERT_TRUE(RunUntil([&] { return server_->open_streams() == 1; }));
  const std::optional<absl::StatusOr<nts::KeOutcome>> result = Exchange(ClientOptions("ntp.test"));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok());
  EXPECT_EQ(ke_server_->counters().refused_busy, 1u);
  EXPECT_EQ(server_->open_streams(), 1u);
}

TEST_F(NtsKeStreamTest, NobodyListeningReportsTheStreamError) {
  StartServer();
  KeStreamClient::Options o = ClientOptions("ntp.test");
  server_.reset();  // the listener goes with it
  const std::optional<absl::StatusOr<nts::KeOutcome>> result = Exchange(o);
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(result->status(), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace ntp::runtime
