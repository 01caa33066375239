#include "ntp/wire/control_message.h"

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using Bytes = std::vector<uint8_t>;

Bytes Header(uint8_t first, uint8_t rem_op, uint16_t sequence, uint16_t status,
             uint16_t association_id, uint16_t offset, uint16_t count) {
  Bytes b = {first, rem_op};
  for (uint16_t v : {sequence, status, association_id, offset, count}) {
    b.resize(b.size() + 2);
    StoreBe16(&b[b.size() - 2], v);
  }
  return b;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Serialize(const ControlMessage& m) {
  Bytes out(SerializedControlMessageSize(m));
  absl::StatusOr<size_t> n = SerializeControlMessage(m, absl::MakeSpan(out));
  EXPECT_THAT(n, IsOk());
  if (n.ok()) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

TEST(ParseControlMessageTest, ClassicReadvarRequest) {
  const Bytes b = Header(0x16, 0x02, 0x0001, 0, 0, 0, 0);
  WireResult<ControlMessage, ControlError> r = ParseControlMessage(b);
  ASSERT_TRUE(r.ok()) << ControlErrorName(r.error());
  EXPECT_EQ(r->leap, LeapIndicator::kNoWarning);
  EXPECT_EQ(r->version, 2);
  EXPECT_FALSE(r->is_response);
  EXPECT_FALSE(r->is_error);
  EXPECT_FALSE(r->has_more);
  EXPECT_EQ(r->opcode, static_cast<uint8_t>(ControlOpcode::kReadVariables));
  EXPECT_EQ(r->sequence, 1);
  EXPECT_EQ(r->status, 0);
  EXPECT_EQ(r->association_id, 0);
  EXPECT_EQ(r->offset, 0);
  EXPECT_TRUE(r->data.empty());
  EXPECT_FALSE(r->pad_to_8_octets);
  EXPECT_FALSE(r->mac.has_value());
  EXPECT_TRUE(r->ignored_trailer.empty());
  EXPECT_EQ(Serialize(*r), b);
}

TEST(ParseControlMessageTest, EveryHeaderFieldAtItsExtremes) {
  const Bytes b =
      Concat({Header(0xE6, 0xFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF - 4, 4),
              {'a', 'b', 'c', 'd'}});
  WireResult<ControlMessage, ControlError> r = ParseControlMessage(b);
  ASSERT_TRUE(r.ok()) << ControlErrorName(r.error());
  EXPECT_EQ(r->leap, LeapIndicator::kUnsynchronized);
  EXPECT_EQ(r->version, 4);
  EXPECT_TRUE(r->is_response);
  EXPECT_TRUE(r->is_error);
  EXPECT_TRUE(r->has_more);
  EXPECT_EQ(r->opcode, 31);
  EXPECT_EQ(r->sequence, 0xFFFF);
  EXPECT_EQ(r->status, 0xFFFF);
  EXPECT_EQ(r->association_id, 0xFFFF);
  EXPECT_EQ(r->offset, 0xFFFB);
  EXPECT_EQ(r->data.size(), 4u);
  EXPECT_EQ(r->data.data(), b.data() + 12);
  EXPECT_EQ(Serialize(*r), b);
}

TEST(ParseControlMessageTest, ResponseBitsAndOpcode) {
  for (int bits = 0; bits < 256; ++bits) {
    const Bytes b = Header(0x16, static_cast<uint8_t>(bits), 0, 0, 0, 0, 0);
    WireResult<ControlMessage, ControlError> r = ParseControlMessage(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->is_response, (bits & 0x80) != 0);
    EXPECT_EQ(r->is_error, (bits & 0x40) != 0);
    EXPECT_EQ(r->has_more, (bits & 0x20) != 0);
    EXPECT_EQ(r->opcode, bits & 0x1F);
    EXPECT_EQ(Serialize(*r), b);
  }
}

TEST(ParseControlMessageTest, DataPaddingAndMac) {
  struct Case {
    std::string name;
    Bytes bytes;
    size_t count;
    bool pad_to_8;
    int mac_digest;  // -1 none
    size_t ignored;
  };
  const Bytes data5 = {'h', 'e', 'l', 'l', 'o'};
  const Bytes mac20 = Concat({{0, 0, 0, 1}, Bytes(16, 0xAA)});
  const Bytes mac24 = Concat({{0, 0, 0, 2}, Bytes(20, 0xBB)});
  const std::vector<Case> cases = {
      {"count5_pad4",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 5), data5, {0, 0, 0}}), 5, false, -1,
       0},
      {"count5_pad8",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 5), data5, Bytes(7, 0)}), 5, true,
       -1, 0},
      {"count4_no_pad", Concat({Header(0x16, 2, 1, 0, 0, 0, 4), Bytes(4, 1)}),
       4, false, -1, 0},
      {"count0_pad8", Concat({Header(0x16, 2, 1, 0, 0, 0, 0), Bytes(4, 0)}), 0,
       true, -1, 0},
      {"count5_md5",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 5), data5, Bytes(7, 0), mac20}), 5,
       false, 16, 0},
      {"count4_sha1",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 4), Bytes(4, 1), mac24}), 4, false,
       20, 0},
      {"count0_nak",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 0), Bytes(4, 0), {0, 0, 0, 0}}), 0,
       false, 0, 0},
      {"ntpstat_576",
       Concat({Header(0x16, 1, 1, 0, 0, 0, 0), Bytes(576 - 12, 0)}), 0, false,
       -1, 576 - 16},
      {"count8_trailer_28",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 8), Bytes(8, 1), Bytes(4, 0),
               Bytes(28, 9)}),
       8, false, -1, 28},
  };
  for (const Case& c : cases) {
    WireResult<ControlMessage, ControlError> r = ParseControlMessage(c.bytes);
    ASSERT_TRUE(r.ok()) << c.name << ": " << ControlErrorName(r.error());
    EXPECT_EQ(r->data.size(), c.count) << c.name;
    EXPECT_EQ(r->pad_to_8_octets, c.pad_to_8) << c.name;
    if (c.mac_digest < 0) {
      EXPECT_FALSE(r->mac.has_value()) << c.name;
    } else {
      ASSERT_TRUE(r->mac.has_value()) << c.name;
      EXPECT_EQ(r->mac->digest.size(), c.mac_digest) << c.name;
      // The MAC starts at an 8-octet boundary.
      EXPECT_EQ((r->mac->digest.data() - c.bytes.data() - 4) % 8, 0) << c.name;
    }
    EXPECT_EQ(r->ignored_trailer.size(), c.ignored) << c.name;
    EXPECT_EQ(Serialize(*r), c.bytes) << c.name;
  }
}

struct RejectCase {
  std::string name;
  Bytes bytes;
  ControlError error;
};

std::vector<RejectCase> RejectCases() {
  return {
      {"empty", {}, ControlError::kTooShort},
      {"11_octets", Bytes{0x16, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0},
       ControlError::kTooShort},
      {"mode_3", Header(0x13, 2, 1, 0, 0, 0, 0), ControlError::kBadMode},
      {"mode_7", Header(0x17, 2, 1, 0, 0, 0, 0), ControlError::kBadMode},
      {"version_0", Header(0x06, 2, 1, 0, 0, 0, 0), ControlError::kBadVersion},
      {"version_5", Header(0x2E, 2, 1, 0, 0, 0, 0), ControlError::kBadVersion},
      {"version_7", Header(0x3E, 2, 1, 0, 0, 0, 0), ControlError::kBadVersion},
      {"length_13", Concat({Header(0x16, 2, 1, 0, 0, 0, 1), {'a'}}),
       ControlError::kBadLength},
      {"length_14", Concat({Header(0x16, 2, 1, 0, 0, 0, 0), {0, 0}}),
       ControlError::kBadLength},
      {"count_beyond", Concat({Header(0x16, 2, 1, 0, 0, 0, 5), Bytes(4, 0)}),
       ControlError::kCountBeyondData},
      {"count_65535",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 0xFFFF), Bytes(4, 0)}),
       ControlError::kCountBeyondData},
      {"count_469",
       Concat({Header(0x16, 0x82, 1, 0, 0, 0, 469), Bytes(472, 0)}),
       ControlError::kCountTooLarge},
      {"request_offset", Header(0x16, 0x02, 1, 0, 0, 4, 0),
       ControlError::kBadOffset},
      {"offset_overflow",
       Concat({Header(0x16, 0x82, 1, 0, 0, 0xFFFF, 4), Bytes(4, 0)}),
       ControlError::kBadOffset},
      {"nonzero_pad4", Concat({Header(0x16, 2, 1, 0, 0, 0, 1), {'a', 0, 1, 0}}),
       ControlError::kBadPadding},
      {"nonzero_pad8", Concat({Header(0x16, 2, 1, 0, 0, 0, 0), {0, 0, 0, 1}}),
       ControlError::kBadPadding},
      {"nonzero_pad_before_mac",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 0), {0, 0, 1, 0}, Bytes(20, 0)}),
       ControlError::kBadPadding},
      {"mac_8",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 0), Bytes(4, 0), Bytes(8, 0)}),
       ControlError::kBadMacLength},
      {"mac_12",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 4), Bytes(4, 1), Bytes(12, 0)}),
       ControlError::kBadMacLength},
      {"mac_16",
       Concat({Header(0x16, 2, 1, 0, 0, 0, 4), Bytes(4, 1), Bytes(16, 0)}),
       ControlError::kBadMacLength},
  };
}

TEST(ParseControlMessageTest, RejectsWithTypedReason) {
  std::array<bool, kControlErrorCount> seen{};
  for (const RejectCase& c : RejectCases()) {
    WireResult<ControlMessage, ControlError> r = ParseControlMessage(c.bytes);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error(), c.error)
        << c.name << ": got " << ControlErrorName(r.error());
    seen[static_cast<size_t>(c.error)] = true;
  }
  for (size_t i = 0; i < kControlErrorCount; ++i) EXPECT_TRUE(seen[i]) << i;
}

TEST(ControlErrorTest, NamesAreDistinct) {
  std::set<std::string> names;
  for (size_t i = 0; i < kControlErrorCount; ++i) {
    std::string name(ControlErrorName(static_cast<ControlError>(i)));
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kControlErrorCount);
}

TEST(SerializeControlMessageTest, RejectsUnencodableMessages) {
  const Bytes data469(469, 'x');
  const Bytes digest8(8, 0);
  const Bytes trailer24(24, 0);
  const Bytes trailer30(30, 0);
  const Bytes trailer28(28, 0);
  const Bytes digest16(16, 0);
  std::vector<std::pair<std::string, ControlMessage>> cases;
  auto add = [&](std::string name, auto edit) {
    ControlMessage m;
    edit(m);
    cases.emplace_back(std::move(name), m);
  };
  add("version 0", [](ControlMessage& m) { m.version = 0; });
  add("version 5", [](ControlMessage& m) { m.version = 5; });
  add("leap 4",
      [](ControlMessage& m) { m.leap = static_cast<LeapIndicator>(4); });
  add("opcode 32", [](ControlMessage& m) { m.opcode = 32; });
  add("data 469", [&](ControlMessage& m) { m.data = data469; });
  add("request offset", [](ControlMessage& m) { m.offset = 1; });
  add("offset overflow", [](ControlMessage& m) {
    m.is_response = true;
    m.offset = 0xFFFF;
    m.data = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>("ab"), 2);
  });
  add("digest 8", [&](ControlMessage& m) {
    m.mac = MacTrailer{.key_id = 1, .digest = digest8};
  });
  add("trailer 24", [&](ControlMessage& m) { m.ignored_trailer = trailer24; });
  add("trailer 30", [&](ControlMessage& m) { m.ignored_trailer = trailer30; });
  add("trailer + mac", [&](ControlMessage& m) {
    m.ignored_trailer = trailer28;
    m.mac = MacTrailer{.key_id = 1, .digest = digest16};
  });
  Bytes out(2048);
  for (const auto& [name, m] : cases) {
    EXPECT_THAT(SerializeControlMessage(m, absl::MakeSpan(out)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << name;
  }
  ControlMessage fine;
  EXPECT_THAT(SerializeControlMessage(fine, absl::MakeSpan(out).first(11)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(SerializeControlMessage(fine, absl::MakeSpan(out).first(12)),
              IsOk());
}

TEST(SerializeControlMessageTest, MacGoesToEightOctetBoundary) {
  const Bytes data = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'};  // 9
  const Bytes digest(20, 0xCC);
  ControlMessage m;
  m.opcode = 2;
  m.sequence = 0x1234;
  m.data = data;
  m.mac = MacTrailer{.key_id = 0xAABBCCDD, .digest = digest};
  const Bytes wire = Serialize(m);
  // 12 + 9 = 21 -> MAC at 24, 24 + 24 = 48.
  ASSERT_EQ(wire.size(), 48u);
  EXPECT_EQ(wire[21], 0);
  EXPECT_EQ(wire[22], 0);
  EXPECT_EQ(wire[23], 0);
  EXPECT_EQ(wire[24], 0xAA);
  EXPECT_EQ(wire[27], 0xDD);
  EXPECT_EQ(wire[28], 0xCC);
  WireResult<ControlMessage, ControlError> r = ParseControlMessage(wire);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r == m);
}

// Random canonical messages round-trip both ways.
TEST(SerializeControlMessageTest, RandomMessagesRoundTrip) {
  std::mt19937_64 rng(9327);
  Bytes storage(1024);
  Bytes out(1024);
  for (int iteration = 0; iteration < 20000; ++iteration) {
    for (uint8_t& b : storage) b = static_cast<uint8_t>(rng());
    ControlMessage m;
    const uint64_t r = rng();
    m.leap = static_cast<LeapIndicator>(r & 3);
    m.version = static_cast<uint8_t>(1 + ((r >> 2) & 3));
    m.is_response = (r >> 4) & 1;
    m.is_error = (r >> 5) & 1;
    m.has_more = (r >> 6) & 1;
    m.opcode = (r >> 7) & 0x1F;
    m.sequence = static_cast<uint16_t>(r >> 16);
    m.status = static_cast<uint16_t>(r >> 32);
    m.association_id = static_cast<uint16_t>(r >> 48);
    const size_t count = rng() % (kMaxControlDataOctets + 1);
    m.data = absl::MakeConstSpan(storage).first(count);
    if (m.is_response) {
      m.offset = static_cast<uint16_t>(rng() % (0xFFFF - count + 1));
    }
    const int trailer = static_cast<int>(rng() % 6);
    if (trailer == 1) m.mac = MacTrailer{.key_id = 0, .digest = {}};
    if (trailer == 2 || trailer == 3) {
      m.mac = MacTrailer{.key_id = static_cast<uint32_t>(rng()),
                         .digest = absl::MakeConstSpan(storage).subspan(
                             500, trailer == 2 ? 16 : 20)};
    }
    if (trailer == 4) {
      m.ignored_trailer =
          absl::MakeConstSpan(storage).subspan(600, 28 + 4 * (rng() % 50));
    }
    // Canonical padding flag: only meaningful without a trailer and when
    // 8-alignment adds octets.
    const size_t data_end = kControlHeaderOctets + count;
    if (trailer == 0 && ((data_end + 3) & ~size_t{3}) % 8 != 0) {
      m.pad_to_8_octets = rng() & 1;
    }
    absl::StatusOr<size_t> n = SerializeControlMessage(m, absl::MakeSpan(out));
    ASSERT_THAT(n, IsOk()) << iteration;
    ASSERT_EQ(*n % 4, 0u);
    const absl::Span<const uint8_t> wire = absl::MakeConstSpan(out).first(*n);
    WireResult<ControlMessage, ControlError> parsed = ParseControlMessage(wire);
    ASSERT_TRUE(parsed.ok())
        << iteration << ": " << ControlErrorName(parsed.error());
    ASSERT_TRUE(*parsed == m) << iteration;
    Bytes again(*n);
    ASSERT_THAT(SerializeControlMessage(*parsed, absl::MakeSpan(again)),
                IsOk());
    ASSERT_TRUE(absl::MakeConstSpan(again) == wire) << iteration;
  }
}

}  // namespace
}  // namespace ntp
