#include "sim/pcap.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sim {
namespace {

uint32_t Le32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) | uint32_t(uint8_t(s[at + 1])) << 8 |
         uint32_t(uint8_t(s[at + 2])) << 16 | uint32_t(uint8_t(s[at + 3])) << 24;
}

// RFC 1071: a correct checksum makes the one's-complement sum 0xFFFF.
uint16_t OnesSum(const std::string& s, size_t from, size_t to, uint32_t sum = 0) {
  for (size_t i = from; i + 1 < to; i += 2) sum += uint8_t(s[i]) << 8 | uint8_t(s[i + 1]);
  if ((to - from) % 2 == 1) sum += uint8_t(s[to - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

TEST(PcapTest, HeaderAndIpv4RecordWithValidChecksums) {
  std::string file = PcapFileHeader();
  ASSERT_EQ(file.size(), 24u);
  EXPECT_EQ(Le32(file, 0), 0xa1b23c4du);  // nanosecond timestamps
  EXPECT_EQ(Le32(file, 20), 101u);        // raw IP
  const std::vector<uint8_t> payload = {0x23, 0, 1, 2, 3};
  AppendPcapRecord(absl::FromUnixNanos(1704067200'000000123),
                   *net::SocketAddress::Parse("10.0.0.1:32768"),
                   *net::SocketAddress::Parse("10.0.0.2:123"), payload, file);
  ASSERT_EQ(file.size(), 24u + 16 + 20 + 8 + payload.size());
  EXPECT_EQ(Le32(file, 24), 1704067200u);
  EXPECT_EQ(Le32(file, 28), 123u);
  EXPECT_EQ(Le32(file, 32), 33u);
  const size_t ip = 40;
  EXPECT_EQ(uint8_t(file[ip]), 0x45);
  EXPECT_EQ(OnesSum(file, ip, ip + 20), 0xFFFF);
  // UDP checksum over the pseudo-header, header and payload.
  const uint32_t pseudo = OnesSum(file, ip + 12, ip + 20) + 17 + 13;
  EXPECT_EQ(OnesSum(file, ip + 20, file.size(), pseudo), 0xFFFF);
  EXPECT_EQ(uint8_t(file[ip + 22]) << 8 | uint8_t(file[ip + 23]), 123);
}

TEST(PcapTest, Ipv6Record) {
  std::string file;
  AppendPcapRecord(absl::UnixEpoch(), *net::SocketAddress::Parse("[fd00::1]:5000"),
                   *net::SocketAddress::Parse("[fd00::2]:123"), std::vector<uint8_t>(48),
                   file);
  ASSERT_EQ(file.size(), 16u + 40 + 8 + 48);
  EXPECT_EQ(uint8_t(file[16]) >> 4, 6);
  const uint32_t pseudo = OnesSum(file, 16 + 8, 16 + 40) + 17 + 56;
  EXPECT_EQ(OnesSum(file, 16 + 40, file.size(), pseudo), 0xFFFF);
}

}  // namespace
}  // namespace sim
