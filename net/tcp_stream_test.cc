// The StreamNetwork contract (net/stream_contract.h) on real TCP sockets:
// server on 127.0.0.2, client on 127.0.0.3, ports the kernel hands out.
#include "net/tcp_stream.h"

#include <memory>

#include "net/poll_loop.h"
#include "net/stream_contract.h"
#include "ntp/testing/status_matchers.h"

namespace net::testing {
namespace {

class TcpHarness final : public StreamHarness {
 public:
  TcpHarness(const char* server_ip, const char* client_ip)
      : loop_(*PollLoop::Create()),
        network_(loop_.get()),
        server_ip_(*IpAddress::Parse(server_ip)),
        client_ip_(*IpAddress::Parse(client_ip)) {}
  StreamNetwork& server() override { return network_; }
  StreamNetwork& client() override { return network_; }
  IpAddress server_ip() const override { return server_ip_; }
  IpAddress client_ip() const override { return client_ip_; }
  bool RunUntil(absl::FunctionRef<bool()> done, absl::Duration limit) override {
    const absl::Time deadline = loop_->Now() + limit;
    while (!done() && loop_->Now() < deadline) {
      EXPECT_THAT(loop_->RunOnce(absl::Milliseconds(20)).status(), ::ntp::testing::IsOk());
    }
    return done();
  }

 private:
  std::unique_ptr<PollLoop> loop_;
  TcpStreamNetwork network_;
  const IpAddress server_ip_;
  const IpAddress client_ip_;
};

struct TcpTraits {
  static constexpr const char* kName = "Tcp";
  static std::unique_ptr<StreamHarness> Make() {
    return std::make_unique<TcpHarness>("127.0.0.2", "127.0.0.3");
  }
};

struct Tcp6Traits {
  static constexpr const char* kName = "Tcp6";
  static std::unique_ptr<StreamHarness> Make() {
    return std::make_unique<TcpHarness>("::1", "::1");
  }
};

}  // namespace

using RealStreams = ::testing::Types<TcpTraits, Tcp6Traits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Real, StreamContractTest, RealStreams,
                               StreamTraitsName);

namespace {

TEST(TcpStreamNetworkTest, ListenOnAnAddressNotOnThisHostIsNotFound) {
  auto loop = *PollLoop::Create();
  TcpStreamNetwork network(loop.get());
  EXPECT_THAT(network.Listen(*SocketAddress::Parse("192.0.2.77:0"), {}).status(),
              ::ntp::testing::StatusIs(absl::StatusCode::kNotFound));
}

TEST(TcpStreamNetworkTest, LoopWatchesAConnectingSocketForWritingOnly) {
  auto loop = *PollLoop::Create();
  const size_t idle = loop->poll_set_size();
  TcpStreamNetwork network(loop.get());
  auto listener = network.Listen(*SocketAddress::Parse("127.0.0.2:0"), {});
  ASSERT_THAT(listener.status(), ::ntp::testing::IsOk());
  EXPECT_EQ(loop->poll_set_size(), idle + 1);
  auto c = network.Connect(*IpAddress::Parse("127.0.0.3"), (*listener)->local_address(), {});
  ASSERT_THAT(c.status(), ::ntp::testing::IsOk());
  EXPECT_EQ(loop->poll_set_size(), idle + 2);  // one entry per descriptor
  (*c)->Close();
  EXPECT_EQ(loop->poll_set_size(), idle + 1);
}

}  // namespace
}  // namespace net::testing
