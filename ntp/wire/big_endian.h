// Big-endian (network order) loads and stores on raw octet pointers: the one
// copy for every codec and test that reads or writes NTP fields by hand.
// Callers check bounds first. Byte order is pinned by big_endian_test.cc.
#ifndef NTP_WIRE_BIG_ENDIAN_H_
#define NTP_WIRE_BIG_ENDIAN_H_

#include <bit>
#include <cstdint>
#include <cstring>

namespace ntp {

inline uint16_t LoadBe16(const uint8_t* p) {
  return static_cast<uint16_t>((uint32_t{p[0]} << 8) | p[1]);
}
inline uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint64_t LoadBe64(const uint8_t* p) {
  return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4);
}

inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
// One swap and one 8-octet store (compilers merge the loads above into a
// swapped load by themselves, but not byte stores): the AES-SIV counter
// and doubling loops (ntp/nts/aead.cc) write blocks with it.
inline void StoreBe64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    v = __builtin_bswap64(v);
  }
  std::memcpy(p, &v, sizeof(v));
}

}  // namespace ntp

#endif  // NTP_WIRE_BIG_ENDIAN_H_
