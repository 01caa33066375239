// Deterministic robustness test for the wire parsers: replays the seed
// corpus (test_corpus.h plus the captured datagrams in testdata/golden/) and
// 200,000 seeded mutations of it (bit flips, truncations, extensions,
// length-field edits, ...) through ParsePacket and ParseControlMessage.
// Checks that nothing crashes (run it under --config=asan too) and that every
// accepted input re-serializes to exactly the same bytes and re-parses to the
// same value.
#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/wire/big_endian.h"
#include "ntp/wire/control_message.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/test_corpus.h"

namespace ntp {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr int kMutations = 200000;
constexpr uint64_t kSeed = 0x5EED'2024'0007;

struct Tally {
  size_t packets_accepted = 0;
  size_t controls_accepted = 0;
  std::array<size_t, kPacketErrorCount> packet_errors{};
  std::array<size_t, kControlErrorCount> control_errors{};
};

// Returns false (after recording a gtest failure) on a round-trip mismatch.
bool CheckOne(const Bytes& input, Tally& tally) {
  WireResult<NtpPacket, PacketError> packet = ParsePacket(input);
  if (packet.ok()) {
    ++tally.packets_accepted;
    Bytes out(SerializedSize(*packet));
    absl::StatusOr<size_t> n = SerializePacket(*packet, absl::MakeSpan(out));
    if (!n.ok() || out != input) {
      ADD_FAILURE() << "packet round trip failed, size " << input.size();
      return false;
    }
    WireResult<NtpPacket, PacketError> again = ParsePacket(out);
    if (!again.ok() || !(*again == *packet)) {
      ADD_FAILURE() << "packet re-parse differs, size " << input.size();
      return false;
    }
    size_t fields = 0;
    size_t field_octets = 0;
    for (const ExtensionField& f : packet->extension_fields) {
      ++fields;
      field_octets += f.length_octets;
    }
    if (fields != packet->extension_fields.field_count() ||
        field_octets != packet->extension_fields.bytes().size()) {
      ADD_FAILURE() << "extension field walk disagrees with the parse";
      return false;
    }
    if (IsKissOfDeath(*packet)) {
      (void)KissCodeName(KissCodeFromRefId(packet->reference_id));
    }
  } else {
    ++tally.packet_errors[static_cast<size_t>(packet.error())];
  }

  WireResult<ControlMessage, ControlError> control = ParseControlMessage(input);
  if (control.ok()) {
    ++tally.controls_accepted;
    Bytes out(SerializedControlMessageSize(*control));
    absl::StatusOr<size_t> n =
        SerializeControlMessage(*control, absl::MakeSpan(out));
    if (!n.ok() || out != input) {
      ADD_FAILURE() << "control round trip failed, size " << input.size();
      return false;
    }
    WireResult<ControlMessage, ControlError> again = ParseControlMessage(out);
    if (!again.ok() || !(*again == *control)) {
      ADD_FAILURE() << "control re-parse differs, size " << input.size();
      return false;
    }
  } else {
    ++tally.control_errors[static_cast<size_t>(control.error())];
  }
  return true;
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return n == 0 ? 0 : rng_() % n; }
  uint8_t Octet() { return static_cast<uint8_t>(rng_()); }

  void SetBe16(Bytes& b, size_t pos, size_t value) {
    if (pos + 2 > b.size()) return;
    StoreBe16(&b[pos], static_cast<uint16_t>(value));
  }

  // A length near something meaningful to the parsers.
  size_t InterestingLength(size_t around) {
    static constexpr size_t kFixed[] = {0,  1,  4,  8,   12,  16,     20,    24,
                                        28, 32, 36, 468, 469, 0xFFFC, 0xFFFF};
    switch (Below(3)) {
      case 0:
        return kFixed[Below(std::size(kFixed))];
      case 1:
        return around + Below(9) - 4;
      default:
        return Below(0x10000);
    }
  }

  void MutateOnce(Bytes& b) {
    switch (Below(11)) {
      case 0:  // flip one bit
        if (!b.empty()) b[Below(b.size())] ^= 1u << Below(8);
        break;
      case 1:  // overwrite one octet
        if (!b.empty()) b[Below(b.size())] = Octet();
        break;
      case 2:  // truncate
        b.resize(Below(b.size() + 1));
        break;
      case 3: {  // extend with random octets
        const size_t n = 1 + Below(64);
        for (size_t i = 0; i < n; ++i) b.push_back(Octet());
        break;
      }
      case 4: {  // extend by a 4-octet multiple (zeros or random)
        const size_t n = 4 * (1 + Below(16));
        const bool zeros = Below(2) == 0;
        for (size_t i = 0; i < n; ++i) b.push_back(zeros ? 0 : Octet());
        break;
      }
      case 5: {  // edit an extension field Length at a 4-aligned offset >= 48
        if (b.size() < 52) break;
        const size_t pos = 48 + 4 * Below((b.size() - 48) / 4);
        SetBe16(b, pos + 2, InterestingLength(b.size() - pos));
        break;
      }
      case 6:  // edit the mode 6 Count
        SetBe16(b, 10,
                InterestingLength(b.size() - std::min<size_t>(b.size(), 12)));
        break;
      case 7:  // edit the mode 6 Offset
        SetBe16(b, 8, InterestingLength(0xFFFF - 468));
        break;
      case 8:  // new version / mode / leap
        if (!b.empty()) b[0] = Octet();
        break;
      case 9: {  // duplicate a slice at a random place
        if (b.empty() || b.size() > 4096) break;
        const size_t from = Below(b.size());
        const size_t n = 1 + Below(std::min<size_t>(b.size() - from, 64));
        const Bytes slice(b.begin() + from, b.begin() + from + n);
        b.insert(b.begin() + Below(b.size() + 1), slice.begin(), slice.end());
        break;
      }
      default: {  // remove a 4-octet block after the header
        if (b.size() < 52) break;
        const size_t pos = 48 + 4 * Below((b.size() - 48) / 4);
        b.erase(b.begin() + pos, b.begin() + std::min(b.size(), pos + 4));
        break;
      }
    }
  }

 private:
  std::mt19937_64 rng_;
};

// Datagrams captured from real peers (//testdata/golden, a data dependency;
// the working directory is the runfiles root), in sorted order.
std::vector<testing::Seed> GoldenSeeds() {
  std::vector<testing::Seed> seeds;
  const std::filesystem::path root = "testdata/golden";
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(root, error), end;
       !error && it != end; it.increment(error)) {
    if (it->path().extension() != ".bin") continue;
    std::ifstream in(it->path(), std::ios::binary);
    seeds.push_back(
        {it->path().string(), Bytes(std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>())});
  }
  std::sort(seeds.begin(), seeds.end(),
            [](const testing::Seed& a, const testing::Seed& b) {
              return a.name < b.name;
            });
  return seeds;
}

TEST(WireRobustnessTest, GoldenDatagramsParse) {
  const std::vector<testing::Seed> golden = GoldenSeeds();
  EXPECT_GE(golden.size(), 10u);
  for (const testing::Seed& seed : golden) {
    EXPECT_TRUE(ParsePacket(seed.bytes).ok()) << seed.name;
  }
}

TEST(WireRobustnessTest, SeedsParseAsDocumented) {
  for (const testing::Seed& seed : testing::PacketSeeds()) {
    const bool expect_ok = seed.name != "ext16_alone_rejected";
    EXPECT_EQ(ParsePacket(seed.bytes).ok(), expect_ok) << seed.name;
  }
  for (const testing::Seed& seed : testing::ControlMessageSeeds()) {
    EXPECT_TRUE(ParseControlMessage(seed.bytes).ok()) << seed.name;
  }
}

TEST(WireRobustnessTest, SeedsAndSeededMutations) {
  // Two pools, drawn from alternately, so the 114 golden datagrams do not
  // crowd out the mode 6 seeds.
  std::vector<testing::Seed> packet_seeds = testing::PacketSeeds();
  for (testing::Seed& s : GoldenSeeds()) packet_seeds.push_back(std::move(s));
  const std::vector<testing::Seed> control_seeds =
      testing::ControlMessageSeeds();
  Tally tally;
  for (const std::vector<testing::Seed>& pool : {packet_seeds, control_seeds}) {
    for (const testing::Seed& seed : pool) {
      ASSERT_TRUE(CheckOne(seed.bytes, tally)) << seed.name;
    }
  }
  Mutator mutator(kSeed);
  for (int i = 0; i < kMutations; ++i) {
    const std::vector<testing::Seed>& pool =
        i % 2 == 0 ? packet_seeds : control_seeds;
    Bytes b = pool[mutator.Below(pool.size())].bytes;
    const size_t rounds = 1 + mutator.Below(4);
    for (size_t r = 0; r < rounds; ++r) mutator.MutateOnce(b);
    ASSERT_TRUE(CheckOne(b, tally)) << "mutation " << i;
  }
  // The mutations must reach both acceptance and every rejection reason,
  // or this test exercises less than it claims.
  EXPECT_GT(tally.packets_accepted, size_t{kMutations / 10});
  EXPECT_GT(tally.controls_accepted, size_t{kMutations / 50});
  for (size_t i = 0; i < kPacketErrorCount; ++i) {
    EXPECT_GT(tally.packet_errors[i], 0u)
        << PacketErrorName(static_cast<PacketError>(i));
  }
  for (size_t i = 0; i < kControlErrorCount; ++i) {
    EXPECT_GT(tally.control_errors[i], 0u)
        << ControlErrorName(static_cast<ControlError>(i));
  }
  std::cout << "packets accepted " << tally.packets_accepted
            << ", control messages accepted " << tally.controls_accepted
            << " of " << packet_seeds.size() + control_seeds.size() + kMutations
            << " inputs\n";
}

}  // namespace
}  // namespace ntp
