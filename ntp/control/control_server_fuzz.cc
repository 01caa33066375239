// libFuzzer target for the mode 6 server inside ntp::Host: each input is
// one datagram (mode 6 checked; other modes go to the time server) from a
// permitted client of a synchronised server with an
// upstream association, the LOCAL clock and a controlkey. Aborts if any
// reply is not a well-formed response (ParseControlMessage, R set, the
// request's opcode and sequence), carries more than 468 data octets, is
// larger than ControlServer::kMaxDatagramOctets, or if one request gets
// more than kMaxReplyFragments datagrams.
// Run: tools/fuzz.sh control_server_fuzz 60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "ntp/config/parser.h"
#include "ntp/control/control_server.h"
#include "ntp/host.h"
#include "ntp/testing/host_driver.h"
#include "ntp/testing/test_keys.h"
#include "ntp/wire/control_message.h"

namespace {

struct Fixture {
  Fixture() {
    keys = ntp::testing::MakeMd5KeyStore(5, "controlsecret");
    ntp::ParsedConfig parsed = ntp::ParseNtpConfText(
        "restrict 192.168.31.0 mask 255.255.255.0\n"
        "server 192.168.31.1 iburst\n"
        "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\ntos orphanwait 0\n"
        "controlkey 5\ntrustedkey 5\n",
        "fuzz.conf", nullptr);
    if (!parsed.ok()) std::abort();
    ntp::HostOptions options;
    options.listen = {*net::SocketAddress::Parse("192.168.31.223:123")};
    auto created = ntp::Host::Create(parsed.config, options, keys.get());
    if (!created.ok()) std::abort();
    host = std::move(*created);
    ntp::testing::HostDriver::Options o;
    o.clock_read_only = true;
    driver = std::make_unique<ntp::testing::HostDriver>(host.get(), o);
    driver->Start();
    driver->AdvanceBy(absl::Seconds(30));
  }
  std::shared_ptr<ntp::KeyStore> keys;
  std::unique_ptr<ntp::Host> host;
  std::unique_ptr<ntp::testing::HostDriver> driver;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();
  ntp::testing::HostDriver& driver = *fixture->driver;
  // Time moves on so the rate limiter refills (16 per second).
  driver.AdvanceBy(absl::Milliseconds(100));
  const net::SocketAddress client = *net::SocketAddress::Parse("192.168.31.50:40000");
  const size_t before = driver.sent.size();
  driver.Receive(1, absl::MakeConstSpan(data, size), client);
  // Other modes reach the time server (mode 3 gets a mode 4 reply).
  const bool control = size >= 1 && (data[0] & 7) == 6;
  size_t replies = 0;
  for (size_t i = before; control && i < driver.sent.size(); ++i) {
    const auto& sent = driver.sent[i];
    if (!(sent.to == client)) continue;
    ++replies;
    if (sent.bytes.size() > ntp::ControlServer::kMaxDatagramOctets) std::abort();
    auto reply = ntp::ParseControlMessage(sent.bytes);
    if (!reply.ok() || !reply->is_response) std::abort();
    if (reply->data.size() > ntp::kMaxControlDataOctets) std::abort();
    if (size < 4 || reply->opcode != (data[1] & 0x1f) ||
        reply->sequence != (data[2] << 8 | data[3])) {
      std::abort();
    }
  }
  if (replies > ntp::ControlServer::kMaxReplyFragments) std::abort();
  driver.sent.clear();
  return 0;
}
