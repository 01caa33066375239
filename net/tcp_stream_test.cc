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
  TcpHarness() : loop_(*PollLoop::Create()), network_(loop_.get()) {}
  StreamNetwork& server() override { return network_; }
  StreamNetwork& client() override { return network_; }
  IpAddress server_ip() const override { return *IpAddress::Parse("127.0.0.2"); }
  IpAddress client_ip() const override { return *IpAddress::Parse("127.0.0.3"); }
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
};

struct TcpTraits {
  static constexpr const char* kName = "Tcp";
  static std::unique_ptr<StreamHarness> Make() { return std::make_unique<TcpHarness>(); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Real, StreamContractTest, ::testing::Types<TcpTraits>,
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
