#include "ntp/wire/packet.h"

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using Bytes = std::vector<uint8_t>;

// A server reply with a distinct value in every field.
const Bytes kServerReply = {
    0x24, 0x02, 0x06, 0xE9,                          // LI VN Mode, stratum..
    0x00, 0x00, 0x03, 0x26,                          // root delay
    0x00, 0x01, 0x0B, 0xAC,                          // root dispersion
    0xC0, 0x00, 0x02, 0x01,                          // refid 192.0.2.1
    0xE9, 0x3C, 0x5A, 0x00, 0x10, 0x00, 0x00, 0x01,  // reference
    0xE9, 0x3C, 0x5A, 0x71, 0x3D, 0x2B, 0x8F, 0x11,  // origin
    0xE9, 0x3C, 0x5A, 0x71, 0x3E, 0x00, 0x01, 0x02,  // receive
    0xE9, 0x3C, 0x5A, 0x71, 0x3E, 0x00, 0x42, 0x17,  // transmit
};

Bytes Serialize(const NtpPacket& packet) {
  Bytes out(SerializedSize(packet));
  absl::StatusOr<size_t> n = SerializePacket(packet, absl::MakeSpan(out));
  EXPECT_THAT(n, IsOk());
  if (n.ok()) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

Bytes WithTrailer(Bytes header, const Bytes& trailer) {
  header.insert(header.end(), trailer.begin(), trailer.end());
  return header;
}

Bytes Field(uint16_t type, uint16_t length) {
  Bytes b(4);
  StoreBe16(b.data(), type);
  StoreBe16(b.data() + 2, length);
  for (size_t i = 4; i < length; ++i) b.push_back(static_cast<uint8_t>(i));
  return b;
}

Bytes Mac(uint32_t key_id, size_t digest_octets) {
  Bytes b(4);
  StoreBe32(b.data(), key_id);
  for (size_t i = 0; i < digest_octets; ++i) b.push_back(0xD0 + i);
  return b;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(ParsePacketTest, DecodesEveryHeaderField) {
  WireResult<NtpPacket, PacketError> r = ParsePacket(kServerReply);
  ASSERT_TRUE(r.ok()) << PacketErrorName(r.error());
  const NtpPacket& p = *r;
  EXPECT_EQ(p.leap, LeapIndicator::kNoWarning);
  EXPECT_EQ(p.version, 4);
  EXPECT_EQ(p.mode, Mode::kServer);
  EXPECT_EQ(p.stratum, 2);
  EXPECT_EQ(p.poll_log2_seconds, 6);
  EXPECT_EQ(p.precision_log2_seconds, -23);
  EXPECT_EQ(p.root_delay.raw(), 0x00000326u);
  EXPECT_EQ(p.root_dispersion.raw(), 0x00010BACu);
  EXPECT_EQ(p.reference_id, 0xC0000201u);
  EXPECT_EQ(p.reference_timestamp,
            NtpTimestamp::FromParts(0xE93C5A00, 0x10000001));
  EXPECT_EQ(p.origin_timestamp,
            NtpTimestamp::FromParts(0xE93C5A71, 0x3D2B8F11));
  EXPECT_EQ(p.receive_timestamp,
            NtpTimestamp::FromParts(0xE93C5A71, 0x3E000102));
  EXPECT_EQ(p.transmit_timestamp,
            NtpTimestamp::FromParts(0xE93C5A71, 0x3E004217));
  EXPECT_TRUE(p.extension_fields.empty());
  EXPECT_FALSE(p.mac.has_value());
  EXPECT_EQ(Serialize(p), kServerReply);
}

// Octet 0 packing for every leap indicator, version and mode.
TEST(ParsePacketTest, FirstOctetAllCombinations) {
  for (int leap = 0; leap < 4; ++leap) {
    for (int version = 0; version < 8; ++version) {
      for (int mode = 0; mode < 8; ++mode) {
        Bytes b = kServerReply;
        b[0] = static_cast<uint8_t>(leap << 6 | version << 3 | mode);
        WireResult<NtpPacket, PacketError> r = ParsePacket(b);
        if (version < 1 || version > 4) {
          ASSERT_FALSE(r.ok());
          EXPECT_EQ(r.error(), PacketError::kBadVersion);
          continue;
        }
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(static_cast<int>(r->leap), leap);
        EXPECT_EQ(r->version, version);
        EXPECT_EQ(static_cast<int>(r->mode), mode);
        EXPECT_EQ(PeekMode(b), static_cast<Mode>(mode));
        EXPECT_EQ(Serialize(*r), b);
      }
    }
  }
}

TEST(ParsePacketTest, KnownFirstOctets) {
  struct Case {
    uint8_t octet;
    LeapIndicator leap;
    uint8_t version;
    Mode mode;
  };
  const Case cases[] = {
      {0xE3, LeapIndicator::kUnsynchronized, 4, Mode::kClient},  // ntpdig
      {0x24, LeapIndicator::kNoWarning, 4, Mode::kServer},
      {0x1B, LeapIndicator::kNoWarning, 3, Mode::kClient},
      {0x5C, LeapIndicator::kLastMinuteHas61Seconds, 3, Mode::kServer},
      {0x8D, LeapIndicator::kLastMinuteHas59Seconds, 1, Mode::kBroadcast},
      {0x16, LeapIndicator::kNoWarning, 2, Mode::kControl},
      {0x27, LeapIndicator::kNoWarning, 4, Mode::kPrivate},
      {0x08, LeapIndicator::kNoWarning, 1, Mode::kReserved},
  };
  for (const Case& c : cases) {
    Bytes b = kServerReply;
    b[0] = c.octet;
    WireResult<NtpPacket, PacketError> r = ParsePacket(b);
    ASSERT_TRUE(r.ok()) << int{c.octet};
    EXPECT_EQ(r->leap, c.leap);
    EXPECT_EQ(r->version, c.version);
    EXPECT_EQ(r->mode, c.mode);
  }
}

// Every header field at its extremes, one at a time and all at once.
TEST(SerializePacketTest, FieldExtremesRoundTrip) {
  std::vector<NtpPacket> packets;
  NtpPacket base;
  for (uint8_t stratum : {0, 1, 15, 16, 255}) {
    NtpPacket p = base;
    p.stratum = stratum;
    packets.push_back(p);
  }
  for (int8_t v : {int8_t{-128}, int8_t{-1}, int8_t{0}, int8_t{127}}) {
    NtpPacket p = base;
    p.poll_log2_seconds = v;
    p.precision_log2_seconds = static_cast<int8_t>(-v - 1);
    packets.push_back(p);
  }
  for (uint32_t raw : {0u, 1u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu}) {
    NtpPacket p = base;
    p.root_delay = NtpShort::FromRaw(raw);
    p.root_dispersion = NtpShort::FromRaw(~raw);
    p.reference_id = raw;
    packets.push_back(p);
  }
  for (uint64_t raw :
       {uint64_t{0}, uint64_t{1}, ~uint64_t{0}, uint64_t{0x8000000000000000}}) {
    NtpPacket p = base;
    p.reference_timestamp = NtpTimestamp::FromRaw(raw);
    p.origin_timestamp = NtpTimestamp::FromRaw(~raw);
    p.receive_timestamp = NtpTimestamp::FromRaw(raw ^ 0x5555555555555555);
    p.transmit_timestamp = NtpTimestamp::FromRaw(raw + 7);
    packets.push_back(p);
  }
  NtpPacket all_max;
  all_max.leap = LeapIndicator::kUnsynchronized;
  all_max.version = 4;
  all_max.mode = Mode::kPrivate;
  all_max.stratum = 255;
  all_max.poll_log2_seconds = 127;
  all_max.precision_log2_seconds = 127;
  all_max.root_delay = NtpShort::Max();
  all_max.root_dispersion = NtpShort::Max();
  all_max.reference_id = 0xFFFFFFFF;
  all_max.reference_timestamp = NtpTimestamp::FromRaw(~uint64_t{0});
  all_max.origin_timestamp = NtpTimestamp::FromRaw(~uint64_t{0});
  all_max.receive_timestamp = NtpTimestamp::FromRaw(~uint64_t{0});
  all_max.transmit_timestamp = NtpTimestamp::FromRaw(~uint64_t{0});
  packets.push_back(all_max);

  for (const NtpPacket& p : packets) {
    Bytes b = Serialize(p);
    ASSERT_EQ(b.size(), kNtpHeaderOctets);
    WireResult<NtpPacket, PacketError> r = ParsePacket(b);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(*r == p);
  }
  Bytes all_max_wire(48, 0xFF);
  all_max_wire[0] = 0xE7;  // LI 3, VN 4, mode 7
  all_max_wire[2] = 0x7F;  // poll +127
  all_max_wire[3] = 0x7F;  // precision +127
  EXPECT_EQ(Serialize(all_max), all_max_wire);
}

TEST(SerializePacketTest, FieldOffsets) {
  NtpPacket p;
  p.leap = LeapIndicator::kLastMinuteHas59Seconds;
  p.version = 3;
  p.mode = Mode::kSymmetricPassive;
  p.stratum = 0xAB;
  p.poll_log2_seconds = -3;
  p.precision_log2_seconds = -29;
  p.root_delay = NtpShort::FromRaw(0x01020304);
  p.root_dispersion = NtpShort::FromRaw(0x05060708);
  p.reference_id = 0x090A0B0C;
  p.reference_timestamp = NtpTimestamp::FromRaw(0x1011121314151617);
  p.origin_timestamp = NtpTimestamp::FromRaw(0x2021222324252627);
  p.receive_timestamp = NtpTimestamp::FromRaw(0x3031323334353637);
  p.transmit_timestamp = NtpTimestamp::FromRaw(0x4041424344454647);
  const Bytes expected = {
      0x9A, 0xAB, 0xFD, 0xE3, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
      0x09, 0x0A, 0x0B, 0x0C, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
      0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x30, 0x31, 0x32, 0x33,
      0x34, 0x35, 0x36, 0x37, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
  EXPECT_EQ(Serialize(p), expected);
}

struct RejectCase {
  std::string name;
  Bytes bytes;
  PacketError error;
};

Bytes WithFirstOctet(uint8_t octet, Bytes b = kServerReply) {
  b[0] = octet;
  return b;
}

std::vector<RejectCase> RejectCases() {
  const Bytes v3 = WithFirstOctet(0x1C);
  return {
      {"empty", {}, PacketError::kTooShort},
      {"one_octet", {0x23}, PacketError::kTooShort},
      {"47_octets", Bytes(kServerReply.begin(), kServerReply.end() - 1),
       PacketError::kTooShort},
      {"version_0", WithFirstOctet(0x04), PacketError::kBadVersion},
      {"version_5", WithFirstOctet(0x2C), PacketError::kBadVersion},
      {"version_6", WithFirstOctet(0x34), PacketError::kBadVersion},
      {"version_7", WithFirstOctet(0x3C), PacketError::kBadVersion},
      {"version_0_short_trailer", WithTrailer(WithFirstOctet(0x04), {1}),
       PacketError::kBadVersion},
      {"49_octets", WithTrailer(kServerReply, {0}),
       PacketError::kTrailingGarbage},
      {"50_octets", WithTrailer(kServerReply, {0, 0}),
       PacketError::kTrailingGarbage},
      {"51_octets", WithTrailer(kServerReply, {0, 0, 0}),
       PacketError::kTrailingGarbage},
      {"ext_plus_odd", WithTrailer(kServerReply, Concat({Field(1, 28), {0}})),
       PacketError::kTrailingGarbage},
      {"v3_extension_field", WithTrailer(v3, Field(1, 28)),
       PacketError::kTrailingGarbage},
      {"v1_28_octets", WithTrailer(WithFirstOctet(0x0C), Bytes(28, 0)),
       PacketError::kTrailingGarbage},
      {"mac_8", WithTrailer(kServerReply, Mac(1, 4)),
       PacketError::kBadMacLength},
      {"mac_12", WithTrailer(kServerReply, Mac(1, 8)),
       PacketError::kBadMacLength},
      {"mac_16", WithTrailer(kServerReply, Mac(1, 12)),
       PacketError::kBadMacLength},
      {"v3_mac_16", WithTrailer(v3, Mac(1, 12)), PacketError::kBadMacLength},
      {"lone_ext16", WithTrailer(kServerReply, Field(1, 16)),
       PacketError::kBadMacLength},
      {"ext16_ext16",
       WithTrailer(kServerReply, Concat({Field(1, 16), Field(2, 16)})),
       PacketError::kBadMacLength},
      {"ext_then_mac_8",
       WithTrailer(kServerReply, Concat({Field(1, 28), Mac(1, 4)})),
       PacketError::kBadMacLength},
      {"ext_length_0",
       WithTrailer(kServerReply, Concat({{0, 1, 0, 0}, Bytes(24, 0)})),
       PacketError::kBadExtensionField},
      {"ext_length_12",
       WithTrailer(kServerReply, Concat({{0, 1, 0, 12}, Bytes(24, 0)})),
       PacketError::kBadExtensionField},
      {"ext_length_30",
       WithTrailer(kServerReply, Concat({{0, 1, 0, 30}, Bytes(28, 0)})),
       PacketError::kBadExtensionField},
      {"ext_length_past_end",
       WithTrailer(kServerReply, Concat({{0, 1, 0, 32}, Bytes(24, 0)})),
       PacketError::kBadExtensionField},
      {"ext_length_65535",
       WithTrailer(kServerReply, Concat({{0, 1, 0xFF, 0xFF}, Bytes(24, 0)})),
       PacketError::kBadExtensionField},
      {"second_ext_bad",
       WithTrailer(kServerReply,
                   Concat({Field(1, 16), {0, 2, 0, 8}, Bytes(24, 0)})),
       PacketError::kBadExtensionField},
  };
}

TEST(ParsePacketTest, RejectsWithTypedReason) {
  for (const RejectCase& c : RejectCases()) {
    WireResult<NtpPacket, PacketError> r = ParsePacket(c.bytes);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error(), c.error)
        << c.name << ": got " << PacketErrorName(r.error());
  }
}

TEST(ParsePacketTest, EveryReasonIsCovered) {
  std::array<bool, kPacketErrorCount> seen{};
  for (const RejectCase& c : RejectCases()) {
    seen[static_cast<size_t>(c.error)] = true;
  }
  for (size_t i = 0; i < kPacketErrorCount; ++i) EXPECT_TRUE(seen[i]) << i;
}

struct AcceptCase {
  std::string name;
  Bytes bytes;
  size_t field_count;
  int mac_digest_octets;  // -1: no MAC
};

std::vector<AcceptCase> AcceptCases() {
  const Bytes v3 = WithFirstOctet(0x1C);
  const Bytes v1 = WithFirstOctet(0x0C);
  return {
      {"plain", kServerReply, 0, -1},
      {"crypto_nak", WithTrailer(kServerReply, Mac(0, 0)), 0, 0},
      {"md5", WithTrailer(kServerReply, Mac(1, 16)), 0, 16},
      {"sha1", WithTrailer(kServerReply, Mac(65535, 20)), 0, 20},
      {"v3_md5", WithTrailer(v3, Mac(2, 16)), 0, 16},
      {"v1_nak", WithTrailer(v1, Mac(0, 0)), 0, 0},
      {"ext28", WithTrailer(kServerReply, Field(0x0104, 28)), 1, -1},
      {"ext16_md5",
       WithTrailer(kServerReply, Concat({Field(1, 16), Mac(3, 16)})), 1, 16},
      {"ext16_sha1",
       WithTrailer(kServerReply, Concat({Field(1, 16), Mac(3, 20)})), 1, 20},
      {"ext24_nak",
       WithTrailer(kServerReply, Concat({Field(1, 24), Mac(0, 0)})), 1, 0},
      {"ext16_ext28",
       WithTrailer(kServerReply, Concat({Field(1, 16), Field(2, 28)})), 2, -1},
      {"three_fields_mac",
       WithTrailer(kServerReply, Concat({Field(1, 16), Field(0xFFFF, 20),
                                         Field(0, 16), Mac(9, 16)})),
       3, 16},
      {"big_field", WithTrailer(kServerReply, Field(0x8000, 1024)), 1, -1},
      // RFC 7822 §7.5: 24 octets after the header are a MAC, even if the
      // sender meant an extension field.
      {"field24_alone_is_mac", WithTrailer(kServerReply, Field(1, 24)), 0, 20},
      {"field20_nak_is_sha1",
       WithTrailer(kServerReply, Concat({Field(1, 20), Mac(0, 0)})), 0, 20},
  };
}

TEST(ParsePacketTest, AcceptsTrailersAndRoundTrips) {
  for (const AcceptCase& c : AcceptCases()) {
    WireResult<NtpPacket, PacketError> r = ParsePacket(c.bytes);
    ASSERT_TRUE(r.ok()) << c.name << ": " << PacketErrorName(r.error());
    EXPECT_EQ(r->extension_fields.field_count(), c.field_count) << c.name;
    if (c.mac_digest_octets < 0) {
      EXPECT_FALSE(r->mac.has_value()) << c.name;
    } else {
      ASSERT_TRUE(r->mac.has_value()) << c.name;
      EXPECT_EQ(r->mac->digest.size(), c.mac_digest_octets) << c.name;
      EXPECT_EQ(r->mac->IsCryptoNak(), c.mac_digest_octets == 0) << c.name;
    }
    EXPECT_EQ(AuthenticatedOctets(*r),
              c.bytes.size() - (r->mac ? r->mac->size_octets() : 0))
        << c.name;
    EXPECT_EQ(Serialize(*r), c.bytes) << c.name;
  }
}

TEST(ParsePacketTest, MacFieldsAreViews) {
  const Bytes b = WithTrailer(kServerReply, Mac(0x01020304, 20));
  WireResult<NtpPacket, PacketError> r = ParsePacket(b);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->mac.has_value());
  EXPECT_EQ(r->mac->key_id, 0x01020304u);
  EXPECT_EQ(r->mac->digest.data(), b.data() + 52);
  EXPECT_EQ(r->mac->digest[0], 0xD0);
  EXPECT_EQ(r->mac->digest[19], 0xD0 + 19);
}

TEST(ParsePacketTest, UnknownExtensionFieldsAreReported) {
  const Bytes b = WithTrailer(
      kServerReply, Concat({Field(0xABCD, 16), Field(0x0000, 40), Mac(5, 16)}));
  WireResult<NtpPacket, PacketError> r = ParsePacket(b);
  ASSERT_TRUE(r.ok());
  std::vector<std::pair<uint16_t, size_t>> seen;
  for (const ExtensionField& f : r->extension_fields) {
    seen.emplace_back(f.field_type, f.length_octets);
    EXPECT_EQ(f.body.size(), f.length_octets - 4u);
    EXPECT_EQ(f.body[0], 4);  // the pattern starts right after the header
  }
  EXPECT_THAT(seen,
              ::testing::ElementsAre(std::pair<uint16_t, size_t>{0xABCD, 16},
                                     std::pair<uint16_t, size_t>{0, 40}));
  EXPECT_EQ(r->extension_fields.bytes().data(), b.data() + 48);
}

TEST(SerializePacketTest, RejectsUnencodablePackets) {
  NtpPacket ok;
  Bytes buffer(256);
  struct Case {
    std::string name;
    NtpPacket packet;
  };
  std::vector<Case> cases;
  for (uint8_t v : {0, 5, 7, 8, 255}) {
    NtpPacket p = ok;
    p.version = v;
    cases.push_back({"version " + std::to_string(v), p});
  }
  {
    NtpPacket p = ok;
    p.leap = static_cast<LeapIndicator>(4);
    cases.push_back({"leap 4", p});
  }
  {
    NtpPacket p = ok;
    p.mode = static_cast<Mode>(8);
    cases.push_back({"mode 8", p});
  }
  const Bytes digest8(8, 1);
  {
    NtpPacket p = ok;
    p.mac = MacTrailer{.key_id = 1, .digest = digest8};
    cases.push_back({"digest 8", p});
  }
  const Bytes ext16 = Field(1, 16);
  const Bytes ext20 = Field(1, 20);
  const Bytes ext28 = Field(1, 28);
  {
    NtpPacket p = ok;
    p.extension_fields = *ExtensionFields::FromBytes(ext16);
    cases.push_back({"lone ext16", p});
  }
  {
    NtpPacket p = ok;
    p.extension_fields = *ExtensionFields::FromBytes(ext20);
    p.mac = MacTrailer{.key_id = 0, .digest = {}};
    cases.push_back({"ext20 + nak", p});
  }
  {
    NtpPacket p = ok;
    p.version = 3;
    p.extension_fields = *ExtensionFields::FromBytes(ext28);
    cases.push_back({"v3 ext", p});
  }
  for (const Case& c : cases) {
    EXPECT_THAT(SerializePacket(c.packet, absl::MakeSpan(buffer)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << c.name;
  }
}

TEST(SerializePacketTest, BufferTooSmall) {
  NtpPacket p;
  Bytes buffer(47);
  EXPECT_THAT(SerializePacket(p, absl::MakeSpan(buffer)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  const Bytes digest(16, 0);
  p.mac = MacTrailer{.key_id = 1, .digest = digest};
  Bytes exact(67);
  EXPECT_THAT(SerializePacket(p, absl::MakeSpan(exact)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  exact.resize(68);
  EXPECT_THAT(SerializePacket(p, absl::MakeSpan(exact)), IsOk());
}

TEST(SerializePacketTest, InPlaceEditKeepsTrailer) {
  Bytes b = WithTrailer(kServerReply, Concat({Field(7, 16), Mac(4, 16)}));
  const Bytes original = b;
  WireResult<NtpPacket, PacketError> r = ParsePacket(b);
  ASSERT_TRUE(r.ok());
  NtpPacket p = *r;
  p.stratum = 9;
  ASSERT_THAT(SerializePacket(p, absl::MakeSpan(b)), IsOk());
  Bytes expected = original;
  expected[1] = 9;
  EXPECT_EQ(b, expected);
}

TEST(PacketErrorTest, NamesAreDistinct) {
  std::set<std::string> names;
  for (size_t i = 0; i < kPacketErrorCount; ++i) {
    const auto e = static_cast<PacketError>(i);
    std::string name(PacketErrorName(e));
    EXPECT_NE(name, "unknown");
    names.insert(name);
    EXPECT_THAT(PacketErrorToStatus(e),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr(name)));
  }
  EXPECT_EQ(names.size(), kPacketErrorCount);
  EXPECT_EQ(PacketErrorName(static_cast<PacketError>(200)), "unknown");
}

TEST(PeekModeTest, EmptyAndModes) {
  EXPECT_EQ(PeekMode({}), std::nullopt);
  const Bytes one = {0x16};
  EXPECT_EQ(PeekMode(one), Mode::kControl);
}

// Random valid packets (every header value, random extension fields and
// MACs within the RFC 7822 rules) survive serialize -> parse -> serialize.
TEST(SerializePacketTest, RandomValidPacketsRoundTrip) {
  std::mt19937_64 rng(20240601);
  Bytes storage(4096);
  Bytes out(4096);
  for (int iteration = 0; iteration < 20000; ++iteration) {
    NtpPacket p;
    const uint64_t r = rng();
    p.leap = static_cast<LeapIndicator>(r & 3);
    p.version = static_cast<uint8_t>(1 + ((r >> 2) & 3));
    p.mode = static_cast<Mode>((r >> 4) & 7);
    p.stratum = static_cast<uint8_t>(r >> 8);
    p.poll_log2_seconds = static_cast<int8_t>(r >> 16);
    p.precision_log2_seconds = static_cast<int8_t>(r >> 24);
    p.root_delay = NtpShort::FromRaw(static_cast<uint32_t>(rng()));
    p.root_dispersion = NtpShort::FromRaw(static_cast<uint32_t>(rng()));
    p.reference_id = static_cast<uint32_t>(rng());
    p.reference_timestamp = NtpTimestamp::FromRaw(rng());
    p.origin_timestamp = NtpTimestamp::FromRaw(rng());
    p.receive_timestamp = NtpTimestamp::FromRaw(rng());
    p.transmit_timestamp = NtpTimestamp::FromRaw(rng());

    const int mac_kind = static_cast<int>(rng() % 4);  // none, NAK, 16, 20
    const size_t digest_octets = mac_kind == 2 ? 16 : mac_kind == 3 ? 20 : 0;
    size_t used = 0;
    const int fields = p.version == 4 ? static_cast<int>(rng() % 4) : 0;
    for (int i = 0; i < fields; ++i) {
      const bool last = i + 1 == fields;
      size_t min = kMinExtensionFieldOctets;
      if (last && mac_kind == 0) min = kMinLastExtensionFieldOctets;
      if (last && mac_kind == 1) min = 24;
      Bytes value(rng() % 64);
      for (uint8_t& v : value) v = static_cast<uint8_t>(rng());
      absl::StatusOr<size_t> n =
          EncodeExtensionField(static_cast<uint16_t>(rng()), value,
                               absl::MakeSpan(storage).subspan(used), min);
      ASSERT_THAT(n, IsOk());
      used += *n;
    }
    std::optional<ExtensionFields> ef =
        ExtensionFields::FromBytes(absl::MakeConstSpan(storage).first(used));
    ASSERT_TRUE(ef.has_value());
    p.extension_fields = *ef;
    if (mac_kind != 0) {
      for (size_t i = 0; i < digest_octets; ++i) {
        storage[used + i] = static_cast<uint8_t>(rng());
      }
      p.mac = MacTrailer{
          .key_id = static_cast<uint32_t>(rng()),
          .digest = absl::MakeConstSpan(storage).subspan(used, digest_octets)};
    }
    absl::StatusOr<size_t> n = SerializePacket(p, absl::MakeSpan(out));
    ASSERT_THAT(n, IsOk()) << iteration;
    const absl::Span<const uint8_t> wire = absl::MakeConstSpan(out).first(*n);
    WireResult<NtpPacket, PacketError> parsed = ParsePacket(wire);
    ASSERT_TRUE(parsed.ok())
        << iteration << ": " << PacketErrorName(parsed.error());
    ASSERT_TRUE(*parsed == p) << iteration;
    Bytes again(*n);
    ASSERT_THAT(SerializePacket(*parsed, absl::MakeSpan(again)), IsOk());
    ASSERT_TRUE(absl::MakeConstSpan(again) == wire) << iteration;
  }
}

}  // namespace
}  // namespace ntp
