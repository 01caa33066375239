// The daemon's whole per-request path (poll loop, recvmmsg, the executor,
// ntp::Host, responder, sendmmsg) allocates nothing in steady state: this
// test binary counts every operator new while a real UDP client on loopback
// keeps an ntp::runtime::Instance busy, built as tools/ntpd_main.cc builds
// it (read-only SystemClock, UdpNetwork, PollLoop).
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "clock/system_clock.h"
#include "gtest/gtest.h"
#include "ntp/testing/allocation_counter.h"
#include "net/poll_loop.h"
#include "net/udp_socket.h"
#include "ntp/config/parser.h"
#include "ntp/host.h"
#include "ntp/runtime/instance.h"

namespace {

TEST(ServerAllocationTest, DaemonRequestPathDoesNotAllocate) {
  auto loop = net::PollLoop::Create();
  ASSERT_TRUE(loop.ok());
  auto clock = clocks::SystemClock::Create(clocks::SystemClock::Mode::kReadOnly);
  net::UdpNetwork network(loop->get());
  ntp::ParsedConfig parsed = ntp::ParseNtpConfText(
      "server 127.127.1.0 prefer\nfudge 127.127.1.0 stratum 10\n"
      "restrict default limited kod\ndiscard minimum 0 average 0\n",
      "test.conf", nullptr);
  ASSERT_TRUE(parsed.ok()) << parsed.FormatAll();
  ntp::HostOptions options;
  options.port = 0;  // ephemeral
  options.listen = {net::SocketAddress(net::IpAddress::V4(0x7F000002), 0)};
  ntp::runtime::Seams seams;
  seams.clock = clock.get();
  seams.network = &network;
  seams.scheduler = loop->get();
  auto instance = ntp::runtime::Instance::Create(parsed.config, options, nullptr, seams);
  ASSERT_TRUE(instance.ok()) << instance.status();
  const absl::Status started = (*instance)->Start();
  ASSERT_TRUE(started.ok()) << started;
  ASSERT_EQ((*instance)->host().bound_addresses().size(), 1u);
  const net::SocketAddress server = (*instance)->host().bound_addresses()[0];
  const ntp::runtime::Executor::Counters& counters = (*instance)->executor().counters();

  auto client = net::UdpSocket::Open(
      net::SocketAddress(net::IpAddress::V4(0x7F000003), 0), loop->get());
  ASSERT_TRUE(client.ok());
  uint64_t replies = 0;
  std::vector<uint8_t> request(48, 0);
  request[0] = 0xE3;
  (*client)->SetReceiveHandler([&](const net::ReceivedDatagram& d) {
    if (d.payload.size() == 48 && (d.payload[0] & 7) == 4) ++replies;
    (*client)->SendTo(request, server).IgnoreError();  // keep one in flight
  });

  auto run = [&](uint64_t want) {
    const uint64_t target = replies + want;
    for (int i = 0; i < 32; ++i) (*client)->SendTo(request, server).IgnoreError();
    const absl::Time deadline = (*loop)->Now() + absl::Seconds(10);
    while (replies < target && (*loop)->Now() < deadline) {
      ASSERT_TRUE((*loop)->RunOnce(absl::Milliseconds(10)).ok());
    }
  };
  // Warm-up: client table, poll set, batches, and the LOCAL clock's first
  // poll (1 s after the start; its sync event is a log line, once).
  run(2000);
  const absl::Time sync_deadline = (*loop)->Now() + absl::Seconds(10);
  while ((*instance)->host().system().stratum != 11 && (*loop)->Now() < sync_deadline) {
    ASSERT_TRUE((*loop)->RunOnce(absl::Milliseconds(100)).ok());
  }
  ASSERT_EQ((*instance)->host().system().stratum, 11);
  run(2000);
  const uint64_t before = ::ntp::testing::CppAllocationCount();
  const uint64_t replies_before = replies;
  const uint64_t sent_before = counters.datagrams_sent;
  run(20000);
  const uint64_t allocations = ::ntp::testing::CppAllocationCount() - before;
  EXPECT_GE(replies - replies_before, 20000u);
  // The replies went through the executor (not some other path).
  EXPECT_GE(counters.datagrams_sent - sent_before, 20000u);
  EXPECT_EQ(counters.send_failures, 0u);
  EXPECT_EQ(allocations, 0u);
  (*instance)->Shutdown();
}

}  // namespace
