// Parsing and formatting of IP and socket addresses.
#include "net/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace net {

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::kV4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = bytes;
  return a;
}

IpAddress IpAddress::LoopbackV6() {
  std::array<uint8_t, 16> b{};
  b[15] = 1;
  return V6(b);
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  const std::string s(text);
  if (s.find(':') == std::string::npos) {
    in_addr v4;
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
      return V4(ntohl(v4.s_addr));
    }
  } else {
    std::array<uint8_t, 16> b;
    static_assert(sizeof(in6_addr) == 16);
    if (inet_pton(AF_INET6, s.c_str(), b.data()) == 1) return V6(b);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("not an IPv4 or IPv6 address: \"", text, "\""));
}

IpAddress IpAddress::PrefixMask(Family family, int prefix_length) {
  IpAddress m;
  m.family_ = family;
  const int bits = family == Family::kV4 ? 32 : 128;
  if (prefix_length < 0) prefix_length = 0;
  if (prefix_length > bits) prefix_length = bits;
  for (int i = 0; i < prefix_length; ++i) {
    m.bytes_[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  }
  return m;
}

uint32_t IpAddress::v4() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) |
         (uint32_t{bytes_[2]} << 8) | bytes_[3];
}

bool IpAddress::IsUnspecified() const {
  for (int i = 0; i < size(); ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

bool IpAddress::IsLoopback() const {
  if (is_v4()) return bytes_[0] == 127;
  return *this == LoopbackV6();
}

IpAddress IpAddress::Masked(const IpAddress& mask) const {
  IpAddress r = *this;
  for (int i = 0; i < 16; ++i) r.bytes_[i] &= mask.bytes_[i];
  return r;
}

int IpAddress::PrefixLength() const {
  int ones = 0;
  const int bits = size() * 8;
  while (ones < bits && (bytes_[ones / 8] & (0x80 >> (ones % 8)))) ++ones;
  for (int i = ones; i < bits; ++i) {
    if (bytes_[i / 8] & (0x80 >> (i % 8))) return -1;
  }
  return ones;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  const int af = is_v4() ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes_.data(), buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

absl::StatusOr<SocketAddress> SocketAddress::Parse(absl::string_view text,
                                                   uint16_t default_port) {
  absl::string_view host = text;
  absl::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing ']' in address \"", text, "\""));
    }
    host = text.substr(1, close - 1);
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(
            absl::StrCat("expected ':' after ']' in \"", text, "\""));
      }
      port_text = rest.substr(1);
      has_port = true;
    }
  } else if (text.find(':') == text.rfind(':') &&
             text.find(':') != absl::string_view::npos) {
    // Exactly one colon: IPv4 with port.
    const size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    has_port = true;
  }
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(host);
  if (!ip.ok()) return ip.status();
  uint16_t port = default_port;
  if (has_port) {
    uint32_t value = 0;
    if (!absl::SimpleAtoi(port_text, &value) || value > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad port \"", port_text, "\" in \"", text, "\""));
    }
    port = static_cast<uint16_t>(value);
  }
  return SocketAddress(*ip, port);
}

std::string SocketAddress::ToString() const {
  if (ip_.is_v4()) return absl::StrCat(ip_.ToString(), ":", port_);
  return absl::StrCat("[", ip_.ToString(), "]:", port_);
}

}  // namespace net
