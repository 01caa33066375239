// Real-socket tests, loopback only (127.0.0.2, 127.0.0.3, ::1), ephemeral ports.
#include "net/udp_socket.h"

#include <time.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace net {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

absl::Time RealNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return absl::TimeFromTimespec(ts);
}

SocketAddress Loopback(uint8_t last_octet) {
  return SocketAddress(IpAddress::V4(0x7F000000u | last_octet), 0);
}

// Waits (bounded) for one datagram on `socket`.
absl::StatusOr<std::vector<uint8_t>> ReceiveWithin(UdpSocket& socket,
                                                   ReceivedDatagram* out) {
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<ReceivedDatagram> d = socket.TryReceive();
    if (d.ok()) {
      *out = *d;
      return std::vector<uint8_t>(d->payload.begin(), d->payload.end());
    }
    if (!absl::IsUnavailable(d.status())) return d.status();
    timespec pause{0, 1'000'000};
    nanosleep(&pause, nullptr);
  }
  return absl::DeadlineExceededError("no datagram within 2 s");
}

TEST(UdpSocketTest, LoopbackDatagramCarriesKernelTimestampAndAddresses) {
  ASSERT_OK_AND_ASSIGN(auto a, UdpSocket::Open(Loopback(2), nullptr));
  ASSERT_OK_AND_ASSIGN(auto b, UdpSocket::Open(Loopback(3), nullptr));
  EXPECT_NE(a->local_address().port(), 0);
  EXPECT_EQ(a->local_address().ip().ToString(), "127.0.0.2");
  EXPECT_EQ(b->timestamp_source(), RxTimestampSource::kKernelTimestamping);

  // Linux enables RX software timestamping through a static key that is
  // switched on asynchronously when the first socket asks for it, so the
  // very first datagrams on an otherwise idle machine may arrive unstamped
  // (the socket then records a user-space stamp). Retry a few times.
  const std::vector<uint8_t> payload = {0x23, 0, 1, 2, 3, 0xFF};
  ReceivedDatagram d;
  absl::Time before, after;
  for (int attempt = 0; attempt < 20; ++attempt) {
    before = RealNow();
    ASSERT_THAT(a->SendTo(payload, b->local_address()), IsOk());
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got, ReceiveWithin(*b, &d));
    after = RealNow();
    EXPECT_EQ(got, payload);
    if (d.rx_source == RxTimestampSource::kKernelTimestamping) break;
    timespec pause{0, 10'000'000};
    nanosleep(&pause, nullptr);
  }
  EXPECT_EQ(d.source, a->local_address());
  EXPECT_EQ(d.destination.ip().ToString(), "127.0.0.3");
  EXPECT_EQ(d.destination.port(), b->local_address().port());
  // The kernel stamped it on arrival: between the send and our read.
  EXPECT_EQ(d.rx_source, RxTimestampSource::kKernelTimestamping)
      << RxTimestampSourceName(d.rx_source);
  EXPECT_GE(d.rx_time, before);
  EXPECT_LE(d.rx_time, after);
}

TEST(UdpSocketTest, Ipv6Loopback) {
  absl::StatusOr<std::unique_ptr<UdpSocket>> a =
      UdpSocket::Open(SocketAddress(IpAddress::LoopbackV6(), 0), nullptr);
  if (!a.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << a.status();
  ASSERT_OK_AND_ASSIGN(auto b,
                       UdpSocket::Open(SocketAddress(IpAddress::LoopbackV6(), 0), nullptr));
  const std::vector<uint8_t> payload(48, 0x1B);
  ASSERT_THAT((*a)->SendTo(payload, b->local_address()), IsOk());
  ReceivedDatagram d;
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got, ReceiveWithin(*b, &d));
  EXPECT_EQ(got, payload);
  EXPECT_EQ(d.source, (*a)->local_address());
  EXPECT_EQ(d.destination.ip(), IpAddress::LoopbackV6());
}

TEST(UdpSocketTest, AddressInUseIsAlreadyExists) {
  ASSERT_OK_AND_ASSIGN(auto a, UdpSocket::Open(Loopback(2), nullptr));
  EXPECT_THAT(UdpSocket::Open(a->local_address(), nullptr),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr(a->local_address().ToString())));
}

TEST(UdpSocketTest, ForeignAddressIsNotFound) {
  // 192.0.2.1 (TEST-NET-1) is not configured here; bind fails, nothing is sent.
  EXPECT_THAT(UdpSocket::Open(SocketAddress(IpAddress::V4(0xC0000201), 0), nullptr),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(UdpSocketTest, FamilyMismatchAndEmptyQueue) {
  ASSERT_OK_AND_ASSIGN(auto a, UdpSocket::Open(Loopback(2), nullptr));
  const std::vector<uint8_t> payload(48, 0);
  EXPECT_THAT(a->SendTo(payload, SocketAddress(IpAddress::LoopbackV6(), 9)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(a->TryReceive(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(UdpSocketTest, OversizedDatagramIsDroppedAndCounted) {
  ASSERT_OK_AND_ASSIGN(auto a, UdpSocket::Open(Loopback(2), nullptr));
  ASSERT_OK_AND_ASSIGN(auto b, UdpSocket::Open(Loopback(3), nullptr));
  ASSERT_THAT(a->SendTo(std::vector<uint8_t>(4000, 7), b->local_address()), IsOk());
  ASSERT_THAT(a->SendTo(std::vector<uint8_t>(48, 9), b->local_address()), IsOk());
  ReceivedDatagram d;
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got, ReceiveWithin(*b, &d));
  EXPECT_EQ(got, std::vector<uint8_t>(48, 9));
  EXPECT_EQ(b->truncated_drops(), 1u);
}

TEST(UdpNetworkTest, PollLoopDispatchesToTheHandler) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  UdpNetwork network(loop.get());
  ASSERT_OK_AND_ASSIGN(auto server, network.Bind(Loopback(2)));
  ASSERT_OK_AND_ASSIGN(auto client, network.Bind(Loopback(3)));
  std::vector<std::string> log;
  server->SetReceiveHandler([&](const ReceivedDatagram& d) {
    log.push_back("server got " + std::to_string(d.payload.size()));
    const std::vector<uint8_t> reply = {4, 5, 6};
    EXPECT_THAT(server->SendTo(reply, d.source), IsOk());
  });
  client->SetReceiveHandler([&](const ReceivedDatagram& d) {
    log.push_back("client got " + std::to_string(d.payload.size()));
    loop->Stop();
  });
  const std::vector<uint8_t> request(48, 0x23);
  ASSERT_THAT(client->SendTo(request, server->local_address()), IsOk());
  ASSERT_THAT(loop->Run(loop->Now() + absl::Seconds(5)), IsOk());
  EXPECT_THAT(log, ::testing::ElementsAre("server got 48", "client got 3"));
}

TEST(UdpNetworkTest, BatchedDispatchAnswersEveryDatagramInOrder) {
  // 200 requests queued before the loop runs: the server reads them in
  // recvmmsg batches and its replies leave in sendmmsg batches.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  ASSERT_OK_AND_ASSIGN(auto server, UdpSocket::Open(Loopback(2), loop.get()));
  ASSERT_OK_AND_ASSIGN(auto client, UdpSocket::Open(Loopback(3), loop.get()));
  int served = 0;
  server->SetReceiveHandler([&](const ReceivedDatagram& d) {
    ++served;
    EXPECT_EQ(d.rx_source, RxTimestampSource::kKernelTimestamping);
    EXPECT_EQ(d.destination.ip().ToString(), "127.0.0.2");
    std::vector<uint8_t> reply(d.payload.begin(), d.payload.end());
    reply.push_back(0xAA);
    EXPECT_THAT(server->SendTo(reply, d.source), IsOk());
  });
  std::vector<int> got;
  client->SetReceiveHandler([&](const ReceivedDatagram& d) {
    ASSERT_EQ(d.payload.size(), 3u);
    EXPECT_EQ(d.payload[2], 0xAA);
    got.push_back(d.payload[0] | (d.payload[1] << 8));
    if (got.size() == 200) loop->Stop();
  });
  for (int i = 0; i < 200; ++i) {
    const std::vector<uint8_t> request = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8)};
    ASSERT_THAT(client->SendTo(request, server->local_address()), IsOk());
  }
  ASSERT_THAT(loop->Run(loop->Now() + absl::Seconds(5)), IsOk());
  EXPECT_EQ(served, 200);
  ASSERT_EQ(got.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(got[i], i);
  EXPECT_EQ(server->deferred_send_failures(), 0u);
}

TEST(UdpSocketTest, FailedSendsAreCountedAndLoggedRateLimited) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PollLoop> loop, PollLoop::Create());
  UdpNetwork network(loop.get());
  std::vector<std::string> log;
  network.SetLogFunction([&](const std::string& line) { log.push_back(line); });
  ASSERT_OK_AND_ASSIGN(auto bound, network.Bind(Loopback(2)));
  auto* socket = static_cast<UdpSocket*>(bound.get());
  ASSERT_OK_AND_ASSIGN(auto client, UdpSocket::Open(Loopback(3), nullptr));
  // Port 0 is not a destination: the kernel refuses with EINVAL.
  const SocketAddress nowhere = Loopback(3);
  const std::vector<uint8_t> payload(48, 1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(socket->SendTo(payload, nowhere), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_EQ(socket->send_failures(), 3u);
  ASSERT_EQ(log.size(), 1u);  // one line per kSendFailureLogInterval
  EXPECT_THAT(log[0], HasSubstr("send from 127.0.0.2:"));
  EXPECT_THAT(log[0], HasSubstr("to 127.0.0.3:0 failed: Invalid argument"));

  // A reply queued during a batch dispatch fails at the flush: counted too.
  socket->SetReceiveHandler([&](const ReceivedDatagram&) {
    EXPECT_THAT(socket->SendTo(payload, nowhere), IsOk());  // queued
    loop->Stop();
  });
  ASSERT_THAT(client->SendTo(payload, socket->local_address()), IsOk());
  ASSERT_THAT(loop->Run(loop->Now() + absl::Seconds(5)), IsOk());
  EXPECT_EQ(socket->deferred_send_failures(), 1u);
  EXPECT_EQ(socket->send_failures(), 4u);
  EXPECT_EQ(log.size(), 1u);
}

}  // namespace
}  // namespace net
