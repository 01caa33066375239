#include "net/fake_network.h"

#include <vector>

#include "clock/fake_clock.h"
#include "clock/manual_scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace net {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

TEST(FakeNetworkTest, DeliversAfterDelayStampedByTheReceiversClock) {
  clocks::ManualScheduler scheduler;
  FakeNetwork network(&scheduler, absl::Milliseconds(3));
  clocks::FakeClock server_clock(absl::FromUnixSeconds(1'800'000'000));
  const IpAddress server_ip = IpAddress::V4(0x7F000002);
  network.SetHostClock(server_ip, &server_clock);
  ASSERT_OK_AND_ASSIGN(auto server, network.Bind(SocketAddress(server_ip, 123)));
  ASSERT_OK_AND_ASSIGN(auto client,
                       network.Bind(SocketAddress(IpAddress::V4(0x7F000003), 0)));
  EXPECT_EQ(client->local_address().port(), 40000);
  std::vector<ReceivedDatagram> got;
  std::vector<std::vector<uint8_t>> payloads;
  server->SetReceiveHandler([&](const ReceivedDatagram& d) {
    got.push_back(d);
    payloads.emplace_back(d.payload.begin(), d.payload.end());
  });
  ASSERT_THAT(client->SendTo(std::vector<uint8_t>{1, 2, 3}, server->local_address()),
              IsOk());
  scheduler.AdvanceBy(absl::Milliseconds(2));
  EXPECT_TRUE(got.empty());
  scheduler.AdvanceBy(absl::Milliseconds(1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(payloads[0], (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(got[0].source, client->local_address());
  EXPECT_EQ(got[0].rx_time, server_clock.Now());
  EXPECT_EQ(got[0].rx_source, RxTimestampSource::kSimulated);
  ASSERT_EQ(network.sent().size(), 1u);
}

TEST(FakeNetworkTest, DropsAndRejects) {
  clocks::ManualScheduler scheduler;
  FakeNetwork network(&scheduler);
  ASSERT_OK_AND_ASSIGN(auto a, network.Bind(SocketAddress(IpAddress::V4(0x7F000002), 5)));
  EXPECT_THAT(network.Bind(SocketAddress(IpAddress::V4(0x7F000002), 5)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  int received = 0;
  a->SetReceiveHandler([&](const ReceivedDatagram&) { ++received; });
  ASSERT_OK_AND_ASSIGN(auto b, network.Bind(SocketAddress(IpAddress::V4(0x7F000003), 0)));
  network.set_drop_all(true);
  ASSERT_THAT(b->SendTo(std::vector<uint8_t>{1}, a->local_address()), IsOk());
  scheduler.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(received, 0);
  EXPECT_EQ(network.sent().size(), 1u);
  EXPECT_THAT(b->SendTo(std::vector<uint8_t>{1}, SocketAddress(IpAddress::LoopbackV6(), 1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A datagram still in flight when its receiver is gone is dropped.
  network.set_drop_all(false);
  ASSERT_THAT(b->SendTo(std::vector<uint8_t>{1}, a->local_address()), IsOk());
  a.reset();
  scheduler.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(received, 0);
}

}  // namespace
}  // namespace net
