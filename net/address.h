// IP addresses and socket addresses as plain values (IPv4 and IPv6), part of
// the Network seam. Pure: parsing and formatting only, no sockets. Used by the
// core for access control and rate limiting and by both worlds for endpoints.
#ifndef NET_ADDRESS_H_
#define NET_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace net {

class IpAddress {
 public:
  enum class Family : uint8_t { kV4 = 4, kV6 = 6 };

  // 0.0.0.0.
  IpAddress() = default;
  // `host_order` is the address as a number, e.g. 0x7F000001 for 127.0.0.1.
  static IpAddress V4(uint32_t host_order);
  // `bytes` in network order.
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);
  static IpAddress AnyV4() { return V4(0); }
  static IpAddress AnyV6() { return V6({}); }
  static IpAddress LoopbackV4() { return V4(0x7F000001); }
  static IpAddress LoopbackV6();
  // Parses dotted-quad IPv4 ("127.0.0.2") or RFC 4291 text IPv6 ("::1",
  // "fe80::1", no brackets, no zone). InvalidArgument names the text.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);
  // The netmask with the first `prefix_length` bits set. REQUIRES:
  // 0 <= prefix_length <= 32 (v4) or 128 (v6).
  static IpAddress PrefixMask(Family family, int prefix_length);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  // REQUIRES: is_v4().
  uint32_t v4() const;
  // Network-order bytes: 4 significant bytes for v4 (rest zero), 16 for v6.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // Number of significant bytes: 4 or 16.
  int size() const { return is_v4() ? 4 : 16; }

  bool IsUnspecified() const;  // 0.0.0.0 or ::
  bool IsLoopback() const;     // 127.0.0.0/8 or ::1
  // Bitwise AND with `mask`. REQUIRES: same family.
  IpAddress Masked(const IpAddress& mask) const;
  // Number of leading one bits if `*this` is a contiguous netmask, else -1.
  int PrefixLength() const;

  // "127.0.0.2", "::1" (RFC 5952 canonical form).
  std::string ToString() const;

  // Total order: all IPv4 before all IPv6, then bytewise.
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};
};

class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(IpAddress ip, uint16_t port) : ip_(ip), port_(port) {}
  // "127.0.0.2:123", "[::1]:123"; a bare address gets `default_port`.
  static absl::StatusOr<SocketAddress> Parse(absl::string_view text,
                                             uint16_t default_port = 0);

  const IpAddress& ip() const { return ip_; }
  uint16_t port() const { return port_; }
  // "127.0.0.2:123" or "[::1]:123".
  std::string ToString() const;

  friend auto operator<=>(const SocketAddress&, const SocketAddress&) = default;
  friend bool operator==(const SocketAddress&, const SocketAddress&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const SocketAddress& a) {
    return H::combine(std::move(h), a.ip_, a.port_);
  }

 private:
  IpAddress ip_;
  uint16_t port_ = 0;
};

}  // namespace net

#endif  // NET_ADDRESS_H_
