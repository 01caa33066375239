#include "sim/pcap.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace sim {
namespace {

constexpr uint32_t kMagicNanoseconds = 0xa1b23c4d;
constexpr uint32_t kLinkTypeRaw = 101;
constexpr uint32_t kSnapLength = 65535;
constexpr size_t kMaxPayload = 65507;
constexpr uint8_t kProtocolUdp = 17;

// The file is written in little-endian order (the magic tells readers).
void PutLe32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutLe16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v));
  out.push_back(static_cast<char>(v >> 8));
}
// Packet headers are in network order.
void PutBe16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// RFC 1071 one's-complement sum.
uint32_t Sum(absl::Span<const uint8_t> data, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < data.size(); i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.size() % 2 == 1) sum += data.back() << 8;
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

absl::Span<const uint8_t> Ip(const net::IpAddress& ip) {
  return absl::MakeConstSpan(ip.bytes().data(), ip.size());
}

}  // namespace

std::string PcapFileHeader() {
  std::string out;
  PutLe32(out, kMagicNanoseconds);
  PutLe16(out, 2);
  PutLe16(out, 4);
  PutLe32(out, 0);  // thiszone
  PutLe32(out, 0);  // sigfigs
  PutLe32(out, kSnapLength);
  PutLe32(out, kLinkTypeRaw);
  return out;
}

void AppendPcapRecord(absl::Time when, const net::SocketAddress& source,
                      const net::SocketAddress& destination, absl::Span<const uint8_t> payload,
                      std::string& file) {
  payload = payload.first(std::min(payload.size(), kMaxPayload));
  const bool v4 = source.ip().is_v4();
  const uint16_t udp_length = static_cast<uint16_t>(8 + payload.size());
  // UDP header and checksum over the pseudo-header (RFC 768, RFC 8200 §8.1).
  std::vector<uint8_t> udp;
  PutBe16(udp, source.port());
  PutBe16(udp, destination.port());
  PutBe16(udp, udp_length);
  PutBe16(udp, 0);
  uint32_t sum = Sum(Ip(source.ip())) + Sum(Ip(destination.ip())) + kProtocolUdp + udp_length;
  sum = Sum(payload, Sum(udp, sum));
  uint16_t checksum = Fold(sum);
  if (checksum == 0) checksum = 0xFFFF;
  udp[6] = static_cast<uint8_t>(checksum >> 8);
  udp[7] = static_cast<uint8_t>(checksum);

  std::vector<uint8_t> ip;
  if (v4) {
    const uint16_t total = static_cast<uint16_t>(20 + udp_length);
    ip = {0x45, 0};
    PutBe16(ip, total);
    PutBe16(ip, 0);       // identification
    PutBe16(ip, 0x4000);  // don't fragment
    ip.push_back(64);     // TTL
    ip.push_back(kProtocolUdp);
    PutBe16(ip, 0);
    ip.insert(ip.end(), Ip(source.ip()).begin(), Ip(source.ip()).end());
    ip.insert(ip.end(), Ip(destination.ip()).begin(), Ip(destination.ip()).end());
    const uint16_t header_sum = Fold(Sum(ip));
    ip[10] = static_cast<uint8_t>(header_sum >> 8);
    ip[11] = static_cast<uint8_t>(header_sum);
  } else {
    ip = {0x60, 0, 0, 0};
    PutBe16(ip, udp_length);
    ip.push_back(kProtocolUdp);
    ip.push_back(64);  // hop limit
    ip.insert(ip.end(), Ip(source.ip()).begin(), Ip(source.ip()).end());
    ip.insert(ip.end(), Ip(destination.ip()).begin(), Ip(destination.ip()).end());
  }
  const uint32_t length = static_cast<uint32_t>(ip.size() + udp.size() + payload.size());
  const int64_t ns = absl::ToUnixNanos(when);
  PutLe32(file, static_cast<uint32_t>(ns / 1000000000));
  PutLe32(file, static_cast<uint32_t>(ns % 1000000000));
  PutLe32(file, length);
  PutLe32(file, length);
  file.append(ip.begin(), ip.end());
  file.append(udp.begin(), udp.end());
  file.append(payload.begin(), payload.end());
}

}  // namespace sim
