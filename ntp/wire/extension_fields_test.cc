#include "ntp/wire/extension_fields.h"

#include <cstdint>
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

Bytes Header(uint16_t type, uint16_t length) {
  Bytes b(4);
  StoreBe16(b.data(), type);
  StoreBe16(b.data() + 2, length);
  return b;
}

Bytes Field(uint16_t type, uint16_t length) {
  Bytes b = Header(type, length);
  b.resize(length, 0x5A);
  return b;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(ExtensionFieldsTest, FromBytesValidSequences) {
  struct Case {
    std::string name;
    Bytes bytes;
    size_t count;
  };
  const Case cases[] = {
      {"empty", {}, 0},
      {"one16", Field(1, 16), 1},
      {"one28", Field(1, 28), 1},
      {"16_16_16", Concat({Field(1, 16), Field(2, 16), Field(3, 16)}), 3},
      {"max", Field(9, 65532), 1},
  };
  for (const Case& c : cases) {
    std::optional<ExtensionFields> f = ExtensionFields::FromBytes(c.bytes);
    ASSERT_TRUE(f.has_value()) << c.name;
    EXPECT_EQ(f->field_count(), c.count) << c.name;
    EXPECT_EQ(f->bytes().size(), c.bytes.size()) << c.name;
    EXPECT_EQ(f->empty(), c.bytes.empty()) << c.name;
    size_t iterated = 0;
    for (const ExtensionField& field : *f) {
      EXPECT_GE(field.length_octets, kMinExtensionFieldOctets);
      ++iterated;
    }
    EXPECT_EQ(iterated, c.count) << c.name;
  }
}

TEST(ExtensionFieldsTest, FromBytesRejects) {
  const Bytes cases[] = {
      {0},
      Bytes(15, 0),
      Header(1, 16),                          // length past end
      Concat({Header(1, 12), Bytes(12, 0)}),  // below 16
      Concat({Header(1, 0), Bytes(12, 0)}),   // zero length
      Concat({Header(1, 18), Bytes(14, 0)}),  // not a multiple of 4
      Concat({Field(1, 16), Bytes(4, 0)}),    // trailing partial field
      Concat({Field(1, 16), Header(2, 20), Bytes(12, 0)}),
      Concat({Header(1, 0xFFFC), Bytes(100, 0)}),
  };
  for (const Bytes& b : cases) {
    EXPECT_FALSE(ExtensionFields::FromBytes(b).has_value()) << b.size();
  }
}

TEST(ExtensionFieldsTest, IteratorYieldsTypesAndBodies) {
  Bytes b = Concat({Field(0x0104, 16), Field(0xFFFF, 32)});
  b[4] = 0x11;       // first body octet of field 1
  b[16 + 4] = 0x22;  // first body octet of field 2
  std::optional<ExtensionFields> f = ExtensionFields::FromBytes(b);
  ASSERT_TRUE(f.has_value());
  auto it = f->begin();
  ASSERT_NE(it, f->end());
  EXPECT_EQ(it->field_type, 0x0104);
  EXPECT_EQ(it->length_octets, 16);
  EXPECT_EQ(it->body.size(), 12u);
  EXPECT_EQ(it->body.data(), b.data() + 4);
  EXPECT_EQ(it->body[0], 0x11);
  auto old = it++;
  EXPECT_EQ(old->field_type, 0x0104);
  EXPECT_EQ(it->field_type, 0xFFFF);
  EXPECT_EQ(it->length_octets, 32);
  EXPECT_EQ(it->body[0], 0x22);
  ++it;
  EXPECT_EQ(it, f->end());
  ExtensionFields empty;
  EXPECT_EQ(empty.begin(), empty.end());
}

TEST(EncodeExtensionFieldTest, PadsToFourAndMinimum) {
  struct Case {
    size_t value_octets;
    size_t min;
    size_t expected;
  };
  const Case cases[] = {
      {0, 16, 16},    {1, 16, 16},        {12, 16, 16}, {13, 16, 20},
      {0, 28, 28},    {24, 28, 28},       {25, 28, 32}, {0, 30, 32},
      {100, 16, 104}, {65528, 16, 65532},
  };
  for (const Case& c : cases) {
    Bytes value(c.value_octets, 0x77);
    Bytes out(70000, 0xEE);
    absl::StatusOr<size_t> n =
        EncodeExtensionField(0xBEEF, value, absl::MakeSpan(out), c.min);
    ASSERT_THAT(n, IsOk()) << c.value_octets << "/" << c.min;
    EXPECT_EQ(*n, c.expected);
    EXPECT_EQ(out[0], 0xBE);
    EXPECT_EQ(out[1], 0xEF);
    EXPECT_EQ(LoadBe16(&out[2]), c.expected);
    for (size_t i = 0; i < c.value_octets; ++i) ASSERT_EQ(out[4 + i], 0x77);
    for (size_t i = 4 + c.value_octets; i < c.expected; ++i) {
      ASSERT_EQ(out[i], 0) << i;
    }
    EXPECT_EQ(out[c.expected], 0xEE);  // nothing written past the field
    std::optional<ExtensionFields> f =
        ExtensionFields::FromBytes(absl::MakeConstSpan(out).first(*n));
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->begin()->field_type, 0xBEEF);
  }
}

TEST(EncodeExtensionFieldTest, Errors) {
  Bytes out(100);
  EXPECT_THAT(EncodeExtensionField(1, {}, absl::MakeSpan(out), 12),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeExtensionField(1, {}, absl::MakeSpan(out), 70000),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Bytes big(65529);
  Bytes huge_out(70000);
  EXPECT_THAT(EncodeExtensionField(1, big, absl::MakeSpan(huge_out)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeExtensionField(1, {}, absl::MakeSpan(out).first(15)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  Bytes value(20);
  EXPECT_THAT(EncodeExtensionField(1, value, absl::MakeSpan(out).first(23)),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

// The trailer splitter on its own, by remaining length (RFC 7822 §7.5).
TEST(ParsePacketTrailerTest, DisambiguationByRemainingLength) {
  for (size_t rem = 0; rem <= 64; ++rem) {
    Bytes b(rem, 0);
    if (rem > 24 && rem % 4 == 0) {
      // One field covering everything.
      StoreBe16(&b[2], static_cast<uint16_t>(rem));
    }
    WireResult<PacketTrailer, PacketError> r = ParsePacketTrailer(b, true);
    if (rem % 4 != 0) {
      ASSERT_FALSE(r.ok()) << rem;
      EXPECT_EQ(r.error(), PacketError::kTrailingGarbage) << rem;
    } else if (rem == 0) {
      ASSERT_TRUE(r.ok());
      EXPECT_FALSE(r->mac.has_value());
      EXPECT_TRUE(r->extension_fields.empty());
    } else if (rem == 4 || rem == 20 || rem == 24) {
      ASSERT_TRUE(r.ok()) << rem;
      ASSERT_TRUE(r->mac.has_value());
      EXPECT_EQ(r->mac->size_octets(), rem);
      EXPECT_TRUE(r->extension_fields.empty());
    } else if (rem < 24) {
      ASSERT_FALSE(r.ok()) << rem;
      EXPECT_EQ(r.error(), PacketError::kBadMacLength) << rem;
    } else {
      ASSERT_TRUE(r.ok()) << rem;
      EXPECT_FALSE(r->mac.has_value());
      EXPECT_EQ(r->extension_fields.field_count(), 1u);
      // Not allowed before NTPv4.
      WireResult<PacketTrailer, PacketError> old = ParsePacketTrailer(b, false);
      ASSERT_FALSE(old.ok());
      EXPECT_EQ(old.error(), PacketError::kTrailingGarbage);
    }
  }
}

}  // namespace
}  // namespace ntp
