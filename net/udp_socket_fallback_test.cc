// UdpSocket on a kernel (or syscall-level simulator) without sendmmsg and
// recvmmsg: this test binary defines both (they take precedence over libc's
// at link time) and answers ENOSYS or EBADF, so the socket must fall back to
// sendmsg / recvmsg (net/udp_socket.h). Loopback only, ephemeral ports.
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "gtest/gtest.h"
#include "net/udp_socket.h"
#include "ntp/testing/status_matchers.h"

namespace {
int g_multi_message_errno = ENOSYS;
int g_sendmmsg_calls = 0;
int g_recvmmsg_calls = 0;
}  // namespace

extern "C" int sendmmsg(int, struct mmsghdr*, unsigned int, int) {
  ++g_sendmmsg_calls;
  errno = g_multi_message_errno;
  return -1;
}

extern "C" int recvmmsg(int, struct mmsghdr*, unsigned int, int, struct timespec*) {
  ++g_recvmmsg_calls;
  errno = g_multi_message_errno;
  return -1;
}

namespace net {
namespace {

using ::ntp::testing::IsOk;

SocketAddress Loopback(uint8_t last_octet) {
  return SocketAddress(IpAddress::V4(0x7F000000u | last_octet), 0);
}

class FallbackTest : public ::testing::TestWithParam<int> {};

// 100 requests queued before the loop runs: read with recvmsg, answered with
// sendmsg, every one in order, none lost.
TEST_P(FallbackTest, BatchedDispatchFallsBackToSingleMessageCalls) {
  g_multi_message_errno = GetParam();
  g_sendmmsg_calls = g_recvmmsg_calls = 0;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  ASSERT_OK_AND_ASSIGN(auto server, UdpSocket::Open(Loopback(2), loop.get()));
  ASSERT_OK_AND_ASSIGN(auto client, UdpSocket::Open(Loopback(3), loop.get()));
  server->SetReceiveHandler([&](const ReceivedDatagram& d) {
    // Two replies per request, so the queue holds more than one datagram.
    std::vector<uint8_t> reply(d.payload.begin(), d.payload.end());
    EXPECT_THAT(server->SendTo(reply, d.source), IsOk());
    EXPECT_THAT(server->SendTo(reply, d.source), IsOk());
  });
  std::vector<int> got;
  client->SetReceiveHandler([&](const ReceivedDatagram& d) {
    got.push_back(d.payload[0]);
    if (got.size() == 200) loop->Stop();
  });
  for (int i = 0; i < 100; ++i) {
    const std::vector<uint8_t> request = {static_cast<uint8_t>(i)};
    ASSERT_THAT(client->SendTo(request, server->local_address()), IsOk());
  }
  ASSERT_THAT(loop->Run(loop->Now() + absl::Seconds(5)), IsOk());
  ASSERT_EQ(got.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(got[i], i / 2);
  EXPECT_FALSE(server->uses_sendmmsg());
  EXPECT_FALSE(server->uses_recvmmsg());
  EXPECT_EQ(server->send_failures(), 0u);
  // Each socket gave up on each call after its first failure.
  EXPECT_EQ(g_sendmmsg_calls, 1);
  EXPECT_EQ(g_recvmmsg_calls, 2);
}

INSTANTIATE_TEST_SUITE_P(Errors, FallbackTest, ::testing::Values(ENOSYS, EBADF),
                         [](const auto& info) {
                           return std::string(info.param == ENOSYS ? "ENOSYS" : "EBADF");
                         });

}  // namespace
}  // namespace net
