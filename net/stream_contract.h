// The StreamNetwork contract (net/stream.h) as one typed GoogleTest suite,
// run against every implementation (as clock/clock_contract.h does for
// clocks). Test-only and header-only. An implementation's test supplies
// traits types:
//
//   struct MyStreamTraits {
//     static constexpr const char* kName = "My";  // test name suffix
//     static std::unique_ptr<net::testing::StreamHarness> Make();
//   };
//   namespace net::testing {
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, StreamContractTest,
//       ::testing::Types<MyStreamTraits>, StreamTraitsName);
//   }
#ifndef NET_STREAM_CONTRACT_H_
#define NET_STREAM_CONTRACT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/stream.h"
#include "ntp/testing/status_matchers.h"

namespace net::testing {

// Two hosts (a server and a client) and the world that moves bytes.
class StreamHarness {
 public:
  virtual ~StreamHarness() = default;
  virtual StreamNetwork& server() = 0;
  virtual StreamNetwork& client() = 0;
  virtual IpAddress server_ip() const = 0;
  virtual IpAddress client_ip() const = 0;
  // Runs the world until `done()` or until `limit` of its time passed;
  // returns done().
  virtual bool RunUntil(absl::FunctionRef<bool()> done, absl::Duration limit) = 0;
};

struct StreamTraitsName {
  template <typename Traits>
  static std::string GetName(int) {
    return Traits::kName;
  }
};

// What one connection's handlers saw.
struct StreamLog {
  std::vector<uint8_t> bytes;
  int data_calls = 0;
  std::optional<absl::Status> closed;

  void Attach(StreamConnection& c) {
    c.SetHandlers(
        [this](absl::Span<const uint8_t> b) {
          EXPECT_FALSE(closed.has_value()) << "data after the closed handler";
          bytes.insert(bytes.end(), b.begin(), b.end());
          ++data_calls;
        },
        [this](const absl::Status& s) {
          EXPECT_FALSE(closed.has_value()) << "closed handler ran twice";
          closed = s;
        });
  }
};

inline std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return v;
}

template <typename Traits>
class StreamContractTest : public ::testing::Test {
 protected:
  static constexpr absl::Duration kLimit = absl::Seconds(10);

  void SetUp() override { h_ = Traits::Make(); }

  StreamHarness& h() { return *h_; }

  std::unique_ptr<StreamListener> Listen(const StreamLimits& limits = {}) {
    auto l = h().server().Listen(SocketAddress(h().server_ip(), 0), limits);
    EXPECT_THAT(l.status(), ::ntp::testing::IsOk());
    if (!l.ok()) return nullptr;
    (*l)->SetAcceptHandler([this](std::unique_ptr<StreamConnection> c) {
      accepted_logs_.push_back(std::make_unique<StreamLog>());
      accepted_logs_.back()->Attach(*c);
      accepted_.push_back(std::move(c));
    });
    return *std::move(l);
  }

  std::unique_ptr<StreamConnection> Connect(const SocketAddress& to, StreamLog& log,
                                            const StreamLimits& limits = {}) {
    auto c = h().client().Connect(h().client_ip(), to, limits);
    EXPECT_THAT(c.status(), ::ntp::testing::IsOk());
    if (!c.ok()) return nullptr;
    log.Attach(**c);
    return *std::move(c);
  }

  bool Run(absl::FunctionRef<bool()> done) { return h().RunUntil(done, kLimit); }

  std::unique_ptr<StreamHarness> h_;
  std::vector<std::unique_ptr<StreamConnection>> accepted_;
  std::vector<std::unique_ptr<StreamLog>> accepted_logs_;
};

TYPED_TEST_SUITE_P(StreamContractTest);

TYPED_TEST_P(StreamContractTest, ListenPicksAPortAndRefusesASecondListener) {
  auto listener = this->Listen();
  ASSERT_NE(listener, nullptr);
  const SocketAddress bound = listener->local_address();
  EXPECT_NE(bound.port(), 0);
  EXPECT_EQ(bound.ip(), this->h().server_ip());
  EXPECT_THAT(this->h().server().Listen(bound, {}).status(),
              ::ntp::testing::StatusIs(absl::StatusCode::kAlreadyExists));
}

TYPED_TEST_P(StreamContractTest, ConnectRefusesPortZeroAndMixedFamilies) {
  EXPECT_THAT(this->h().client().Connect(this->h().client_ip(),
                                         SocketAddress(this->h().server_ip(), 0), {}).status(),
              ::ntp::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  const IpAddress other_family =
      this->h().server_ip().is_v4() ? IpAddress::LoopbackV6() : IpAddress::LoopbackV4();
  EXPECT_THAT(this->h().client().Connect(other_family,
                                         SocketAddress(this->h().server_ip(), 4460), {}).status(),
              ::ntp::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

// Bytes arrive complete and in order both ways, with the right addresses.
TYPED_TEST_P(StreamContractTest, BytesArriveInOrderBothWays) {
  StreamLimits limits;
  limits.max_receive_bytes = 1 << 20;
  limits.max_send_buffer_bytes = 1 << 20;
  auto listener = this->Listen(limits);
  ASSERT_NE(listener, nullptr);
  StreamLog client_log;
  auto client = this->Connect(listener->local_address(), client_log, limits);
  ASSERT_NE(client, nullptr);
  EXPECT_FALSE(client->connected());
  EXPECT_TRUE(client->open());
  const std::vector<uint8_t> up = Pattern(300000, 1);
  // Queued while connecting, in three pieces.
  for (size_t at = 0; at < up.size(); at += 100000) {
    ASSERT_THAT(client->Send(absl::MakeConstSpan(up).subspan(at, 100000)),
                ::ntp::testing::IsOk());
  }
  ASSERT_TRUE(this->Run([&] {
    return !this->accepted_logs_.empty() && this->accepted_logs_[0]->bytes.size() >= up.size();
  }));
  EXPECT_TRUE(client->connected());
  EXPECT_EQ(this->accepted_logs_[0]->bytes, up);
  StreamConnection& server = *this->accepted_[0];
  EXPECT_TRUE(server.connected());
  EXPECT_EQ(server.peer_address(), client->local_address());
  EXPECT_EQ(server.local_address(), listener->local_address());
  EXPECT_EQ(client->peer_address(), listener->local_address());
  EXPECT_EQ(client->local_address().ip(), this->h().client_ip());
  EXPECT_EQ(listener->open_connections(), 1u);

  const std::vector<uint8_t> down = Pattern(5000, 9);
  ASSERT_THAT(server.Send(down), ::ntp::testing::IsOk());
  ASSERT_TRUE(this->Run([&] { return client_log.bytes.size() >= down.size(); }));
  EXPECT_EQ(client_log.bytes, down);
  EXPECT_FALSE(client_log.closed.has_value());
}

// Close delivers what was sent, then the peer sees OK; the closer hears
// nothing more.
TYPED_TEST_P(StreamContractTest, OrderlyCloseDeliversEverythingThenOk) {
  auto listener = this->Listen();
  ASSERT_NE(listener, nullptr);
  StreamLog client_log;
  auto client = this->Connect(listener->local_address(), client_log);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(this->Run([&] { return !this->accepted_.empty(); }));
  const std::vector<uint8_t> reply = Pattern(3000, 5);
  ASSERT_THAT(this->accepted_[0]->Send(reply), ::ntp::testing::IsOk());
  this->accepted_[0]->Close();
  EXPECT_FALSE(this->accepted_[0]->open());
  EXPECT_THAT(this->accepted_[0]->Send(reply),
              ::ntp::testing::StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(this->Run([&] { return client_log.closed.has_value(); }));
  EXPECT_EQ(client_log.bytes, reply);
  EXPECT_THAT(*client_log.closed, ::ntp::testing::IsOk());
  EXPECT_FALSE(client->open());
  EXPECT_FALSE(this->accepted_logs_[0]->closed.has_value());
  EXPECT_EQ(listener->open_connections(), 0u);
}

TYPED_TEST_P(StreamContractTest, ConnectingToNobodyReachesTheClosedHandler) {
  SocketAddress nobody;
  {
    auto listener = this->Listen();
    ASSERT_NE(listener, nullptr);
    nobody = listener->local_address();
  }
  StreamLog log;
  auto client = this->Connect(nobody, log);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(this->Run([&] { return log.closed.has_value(); }));
  EXPECT_FALSE(log.closed->ok());
  EXPECT_TRUE(absl::IsUnavailable(*log.closed) || absl::IsDeadlineExceeded(*log.closed))
      << *log.closed;
  EXPECT_FALSE(client->connected());
  EXPECT_FALSE(client->open());
}

TYPED_TEST_P(StreamContractTest, ListenerRefusesConnectionsBeyondItsLimit) {
  StreamLimits limits;
  limits.max_connections = 1;
  auto listener = this->Listen(limits);
  ASSERT_NE(listener, nullptr);
  StreamLog first_log, second_log;
  auto first = this->Connect(listener->local_address(), first_log);
  ASSERT_TRUE(this->Run([&] { return this->accepted_.size() == 1; }));
  auto second = this->Connect(listener->local_address(), second_log);
  ASSERT_TRUE(this->Run([&] { return second_log.closed.has_value(); }));
  EXPECT_EQ(this->accepted_.size(), 1u);
  EXPECT_EQ(listener->refused(), 1u);
  EXPECT_EQ(listener->open_connections(), 1u);
  EXPECT_FALSE(first_log.closed.has_value());
  // Closing the first makes room again.
  this->accepted_[0].reset();
  EXPECT_EQ(listener->open_connections(), 0u);
  StreamLog third_log;
  auto third = this->Connect(listener->local_address(), third_log);
  ASSERT_TRUE(this->Run([&] { return this->accepted_.size() == 2; }));
  EXPECT_EQ(listener->refused(), 1u);
}

// A peer that sends more than max_receive_bytes is cut off.
TYPED_TEST_P(StreamContractTest, ReceiveLimitClosesWithResourceExhausted) {
  StreamLimits limits;
  limits.max_receive_bytes = 100;
  auto listener = this->Listen(limits);
  ASSERT_NE(listener, nullptr);
  StreamLog client_log;
  auto client = this->Connect(listener->local_address(), client_log);
  ASSERT_NE(client, nullptr);
  ASSERT_THAT(client->Send(Pattern(60, 1)), ::ntp::testing::IsOk());
  ASSERT_TRUE(this->Run([&] {
    return !this->accepted_logs_.empty() && this->accepted_logs_[0]->bytes.size() == 60;
  }));
  ASSERT_THAT(client->Send(Pattern(60, 2)), ::ntp::testing::IsOk());
  ASSERT_TRUE(this->Run([&] { return this->accepted_logs_[0]->closed.has_value(); }));
  EXPECT_THAT(*this->accepted_logs_[0]->closed,
              ::ntp::testing::StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(this->accepted_logs_[0]->bytes.size(), 60u);
  EXPECT_FALSE(this->accepted_[0]->open());
  EXPECT_EQ(listener->open_connections(), 0u);
  ASSERT_TRUE(this->Run([&] { return client_log.closed.has_value(); }));
}

TYPED_TEST_P(StreamContractTest, SendBufferIsBounded) {
  auto listener = this->Listen();
  ASSERT_NE(listener, nullptr);
  StreamLimits limits;
  limits.max_send_buffer_bytes = 10;
  StreamLog log;
  auto client = this->Connect(listener->local_address(), log, limits);
  ASSERT_NE(client, nullptr);
  // Still connecting: nothing has left yet.
  EXPECT_THAT(client->Send(Pattern(8, 0)), ::ntp::testing::IsOk());
  EXPECT_THAT(client->Send(Pattern(8, 0)),
              ::ntp::testing::StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_TRUE(this->Run([&] {
    return !this->accepted_logs_.empty() && this->accepted_logs_[0]->bytes.size() == 8;
  }));
  // Delivered, so the buffer has room again.
  bool sent = false;
  ASSERT_TRUE(this->Run([&] {
    if (!sent) sent = client->Send(Pattern(8, 0)).ok();
    return sent;
  }));
  client->Close();
  client->Close();  // idempotent
  ASSERT_TRUE(this->Run([&] { return this->accepted_logs_[0]->closed.has_value(); }));
  EXPECT_THAT(*this->accepted_logs_[0]->closed, ::ntp::testing::IsOk());
  EXPECT_EQ(this->accepted_logs_[0]->bytes.size(), 16u);
  EXPECT_FALSE(log.closed.has_value());
}

// Closing with more queued than the transport takes at once: the peer
// sees either every byte and OK, or an error; never OK on a truncated
// stream.
TYPED_TEST_P(StreamContractTest, CloseNeverPassesOffATruncatedStreamAsComplete) {
  StreamLimits limits;
  limits.max_receive_bytes = 64 << 20;
  limits.max_send_buffer_bytes = 64 << 20;
  auto listener = this->Listen(limits);
  ASSERT_NE(listener, nullptr);
  StreamLog log;
  auto client = this->Connect(listener->local_address(), log, limits);
  ASSERT_TRUE(this->Run([&] { return !this->accepted_.empty() && client->connected(); }));
  const std::vector<uint8_t> big = Pattern(16 << 20, 3);
  ASSERT_THAT(this->accepted_[0]->Send(big), ::ntp::testing::IsOk());
  this->accepted_[0]->Close();
  ASSERT_TRUE(this->Run([&] { return log.closed.has_value(); }));
  if (log.closed->ok()) {
    EXPECT_EQ(log.bytes.size(), big.size());
    EXPECT_TRUE(log.bytes == big);
  } else {
    EXPECT_TRUE(absl::IsUnavailable(*log.closed)) << *log.closed;
    EXPECT_LT(log.bytes.size(), big.size());
  }
}

// Handlers may close or destroy their own connection or listener.
TYPED_TEST_P(StreamContractTest, HandlersMayDestroyTheirOwnConnectionAndListener) {
  std::unique_ptr<StreamListener> listener =
      this->h().server().Listen(SocketAddress(this->h().server_ip(), 0), {}).value();
  std::unique_ptr<StreamConnection> server;
  int server_data = 0;
  listener->SetAcceptHandler([&](std::unique_ptr<StreamConnection> c) {
    server = std::move(c);
    server->SetHandlers(
        [&](absl::Span<const uint8_t>) {
          ++server_data;
          EXPECT_THAT(server->Send(Pattern(4, 0)), ::ntp::testing::IsOk());
          server.reset();  // sends the reply, then an orderly close
        },
        [](const absl::Status&) { ADD_FAILURE() << "closed handler after reset"; });
    listener.reset();
  });
  const SocketAddress to = listener->local_address();
  StreamLog log;
  auto client = this->Connect(to, log);
  ASSERT_THAT(client->Send(Pattern(3, 0)), ::ntp::testing::IsOk());
  ASSERT_TRUE(this->Run([&] { return log.closed.has_value(); }));
  EXPECT_EQ(listener, nullptr);
  EXPECT_EQ(server_data, 1);
  EXPECT_EQ(log.bytes, Pattern(4, 0));
  EXPECT_THAT(*log.closed, ::ntp::testing::IsOk());
}

REGISTER_TYPED_TEST_SUITE_P(StreamContractTest, ListenPicksAPortAndRefusesASecondListener,
                            ConnectRefusesPortZeroAndMixedFamilies,
                            BytesArriveInOrderBothWays, OrderlyCloseDeliversEverythingThenOk,
                            ConnectingToNobodyReachesTheClosedHandler,
                            ListenerRefusesConnectionsBeyondItsLimit,
                            ReceiveLimitClosesWithResourceExhausted, SendBufferIsBounded,
                            HandlersMayDestroyTheirOwnConnectionAndListener,
                            CloseNeverPassesOffATruncatedStreamAsComplete);

}  // namespace net::testing

#endif  // NET_STREAM_CONTRACT_H_
