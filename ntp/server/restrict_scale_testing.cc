#include "ntp/server/restrict_scale_testing.h"

#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ntp::testing {
namespace {

// A small deterministic generator (SplitMix64), so every run builds the
// same table.
class Generator {
 public:
  explicit Generator(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Next() % n); }

 private:
  uint64_t state_;
};

// Flags that leave time service as it is (no ignore, noserve or limited),
// so serving with this table does the same work per request as with the
// seed's.
constexpr const char* kFlags[] = {"kod nomodify notrap nopeer noquery", "nomodify notrap",
                                  "noquery", "kod nomodify notrap nopeer", "notrap nopeer", ""};

std::string HostV4(uint32_t n) {
  return absl::StrFormat("10.%d.%d.%d", (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF);
}
std::string NetV4(uint32_t n) {
  return absl::StrFormat("172.%d.%d.0", 16 + ((n >> 8) & 0x0F), n & 0xFF);
}
std::string HostV6(uint32_t n) {
  return absl::StrFormat("2001:db8:%x::%x", (n >> 16) & 0xFFFF, n & 0xFFFF);
}
std::string NetV6(uint32_t n) {
  return absl::StrFormat("2001:db8:%x:%x::", (n >> 16) & 0xFFFF, n & 0xFFFF);
}

// The i-th generated line's address (also used to pick lookup hits).
std::string GeneratedLine(Generator& g, std::string* address, bool seed_flags = false) {
  const uint32_t kind = g.Below(100);
  const uint32_t n = g.Below(1u << 20);
  const char* flags = kFlags[g.Below(6)];
  if (seed_flags) flags = kFlags[0];
  if (kind < 60) {
    *address = HostV4(n);
    return absl::StrCat("restrict ", *address, " mask 255.255.255.255 ", flags, "\n");
  }
  if (kind < 80) {
    *address = NetV4(n);
    return absl::StrCat("restrict ", *address, " mask 255.255.255.0 ", flags, "\n");
  }
  if (kind < 95) {
    *address = HostV6(n);
    return absl::StrCat("restrict -6 ", *address, " ", flags, "\n");
  }
  *address = NetV6(n);
  return absl::StrCat("restrict -6 ", *address, " mask ffff:ffff:ffff:ffff:: ", flags, "\n");
}

}  // namespace

std::string SeedServerConfig() {
  return "restrict default kod nomodify notrap nopeer noquery\n"
         "restrict -6 default kod nomodify notrap nopeer noquery\n"
         "restrict 127.0.0.1\n"
         "restrict -6 ::1\n"
         "restrict 127.127.1.0\n"
         "restrict 192.168.31.0 mask 255.255.255.0 nomodify notrap\n"
         "server 127.127.1.0\n"
         "fudge 127.127.1.0 stratum 10\n";
}

std::string ManyRestrictConfig(int extra, bool seed_flags) {
  std::string out = SeedServerConfig();
  Generator g(20261204);
  std::string address;
  for (int i = 0; i < extra; ++i) out += GeneratedLine(g, &address, seed_flags);
  return out;
}

std::vector<net::IpAddress> LookupSources(int count) {
  std::vector<net::IpAddress> out;
  Generator lines(20261204);
  Generator g(42);
  std::string address;
  for (int i = 0; i < count; ++i) {
    std::string text;
    switch (g.Below(8)) {
      case 0:
      case 1:
        GeneratedLine(lines, &address);  // a generated line's own address
        text = address;
        if (text.back() == ':') text += "1";
        if (absl::EndsWith(text, ".0")) text.back() = '7';
        break;
      case 2:
        text = HostV4(g.Below(1u << 24));
        break;
      case 3:
        text = absl::StrFormat("172.%d.%d.%d", 16 + g.Below(16), g.Below(256), g.Below(256));
        break;
      case 4:
        text = absl::StrFormat("192.168.31.%d", g.Below(256));
        break;
      case 5:
        text = HostV6(g.Below(1u << 20));
        break;
      case 6:
        text = absl::StrFormat("2001:db8:%x:%x::%x", g.Below(16), g.Below(65536), g.Below(65536));
        break;
      default:
        text = absl::StrFormat("198.51.100.%d", g.Below(256));
        break;
    }
    out.push_back(*net::IpAddress::Parse(text));
  }
  return out;
}

}  // namespace ntp::testing
