// Benchmarks of the packet codec's per-datagram work: parse + validate +
// serialize of a plain 48-octet packet and of one with a 16-octet extension
// field. Linked into //ntp/wire:wire_benchmark and //ntp:wire_benchmark.
//   bazel run -c opt //ntp/wire:wire_benchmark
#include <array>
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "ntp/wire/control_message.h"
#include "ntp/wire/packet.h"

namespace ntp {
namespace {

constexpr std::array<uint8_t, 48> kServerReply = {
    0x24, 0x02, 0x06, 0xE9, 0x00, 0x00, 0x03, 0x26, 0x00, 0x00, 0x0B, 0xAC,
    0xC0, 0x00, 0x02, 0x01, 0xE9, 0x3C, 0x5A, 0x00, 0x10, 0x00, 0x00, 0x00,
    0xE9, 0x3C, 0x5A, 0x71, 0x3D, 0x2B, 0x8F, 0x11, 0xE9, 0x3C, 0x5A, 0x71,
    0x3E, 0x00, 0x01, 0x02, 0xE9, 0x3C, 0x5A, 0x71, 0x3E, 0x00, 0x42, 0x17};

// One round of what a server does with a datagram before its own logic:
// parse (all validation included), read a field, write a reply.
void ParseSerialize(benchmark::State& state,
                    const std::vector<uint8_t>& datagram) {
  std::array<uint8_t, 1024> out{};
  size_t total = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(datagram.data());
    WireResult<NtpPacket, PacketError> packet = ParsePacket(datagram);
    if (!packet.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    absl::StatusOr<size_t> n = SerializePacket(*packet, absl::MakeSpan(out));
    if (!n.ok()) {
      state.SkipWithError("serialize failed");
      break;
    }
    total += *n;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(total);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(datagram.size()));
}

void BM_ParseSerializePlain48(benchmark::State& state) {
  ParseSerialize(
      state, std::vector<uint8_t>(kServerReply.begin(), kServerReply.end()));
}
BENCHMARK(BM_ParseSerializePlain48);

// The header plus one 16-octet extension field. RFC 7822 §7.5 allows a
// 16-octet field only when a MAC follows (alone, it would be read as a
// 16-octet MAC and rejected), so the datagram ends in a 20-octet MAC trailer
// (parsed as a view; no digest is computed here).
void BM_ParseSerializeExt16(benchmark::State& state) {
  std::vector<uint8_t> datagram(kServerReply.begin(), kServerReply.end());
  const uint8_t field[16] = {0x01, 0x04, 0x00, 0x10, 1, 2,  3,  4,
                             5,    6,    7,    8,    9, 10, 11, 12};
  datagram.insert(datagram.end(), std::begin(field), std::end(field));
  const uint8_t mac[20] = {0,    0,    0,    1,    0xAA, 0xAA, 0xAA,
                           0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                           0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
  datagram.insert(datagram.end(), std::begin(mac), std::end(mac));
  ParseSerialize(state, datagram);
}
BENCHMARK(BM_ParseSerializeExt16);

// The header plus a lone 28-octet extension field (the shortest one that
// may end a packet without a MAC).
void BM_ParseSerializeExt28(benchmark::State& state) {
  std::vector<uint8_t> datagram(kServerReply.begin(), kServerReply.end());
  datagram.insert(datagram.end(), {0x01, 0x04, 0x00, 0x1C});
  datagram.resize(datagram.size() + 24, 0x5A);
  ParseSerialize(state, datagram);
}
BENCHMARK(BM_ParseSerializeExt28);

void BM_ParseOnlyPlain48(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(kServerReply.data());
    WireResult<NtpPacket, PacketError> packet = ParsePacket(kServerReply);
    benchmark::DoNotOptimize(packet);
  }
}
BENCHMARK(BM_ParseOnlyPlain48);

void BM_ParseSerializeControlReadvar(benchmark::State& state) {
  // READVAR request (LI 0, VN 2) for "version,stratum", padded to 28 octets.
  constexpr std::array<uint8_t, 28> datagram = {
      0x16, 0x02, 0,   1,   0,   0,   0,   0,   0,   0,   0,   15,  'v', 'e',
      'r',  's',  'i', 'o', 'n', ',', 's', 't', 'r', 'a', 't', 'u', 'm', 0};
  std::array<uint8_t, 600> out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(datagram.data());
    WireResult<ControlMessage, ControlError> message =
        ParseControlMessage(datagram);
    if (!message.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    absl::StatusOr<size_t> n =
        SerializeControlMessage(*message, absl::MakeSpan(out));
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_ParseSerializeControlReadvar);

}  // namespace
}  // namespace ntp
