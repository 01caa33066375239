#include "ntp/wire/kiss_code.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/wire/refid.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;

TEST(KissCodeTest, EveryRegisteredCode) {
  struct Case {
    const char* text;
    KissCode code;
  };
  const Case cases[] = {
      {"ACST", KissCode::kAcst}, {"AUTH", KissCode::kAuth},
      {"AUTO", KissCode::kAuto}, {"BCST", KissCode::kBcst},
      {"CRYP", KissCode::kCryp}, {"DENY", KissCode::kDeny},
      {"DROP", KissCode::kDrop}, {"RSTR", KissCode::kRstr},
      {"INIT", KissCode::kInit}, {"MCST", KissCode::kMcst},
      {"NKEY", KissCode::kNkey}, {"NTSN", KissCode::kNtsn},
      {"RATE", KissCode::kRate}, {"RMOT", KissCode::kRmot},
      {"STEP", KissCode::kStep},
  };
  for (const Case& c : cases) {
    absl::StatusOr<uint32_t> refid = RefIdFromAscii(c.text);
    ASSERT_THAT(refid, IsOk());
    EXPECT_EQ(KissCodeFromRefId(*refid), c.code) << c.text;
    EXPECT_EQ(KissCodeRefId(c.code), *refid) << c.text;
    EXPECT_EQ(KissCodeName(c.code), c.text);
  }
}

TEST(KissCodeTest, UnknownAndExperimental) {
  EXPECT_EQ(KissCodeFromRefId(AsciiRefId("XFOO")), KissCode::kExperimental);
  EXPECT_EQ(KissCodeFromRefId(AsciiRefId("X")), KissCode::kExperimental);
  EXPECT_EQ(KissCodeFromRefId(AsciiRefId("rate")), KissCode::kUnknown);
  EXPECT_EQ(KissCodeFromRefId(AsciiRefId("RAT")), KissCode::kUnknown);
  EXPECT_EQ(KissCodeFromRefId(0), KissCode::kUnknown);
  EXPECT_EQ(KissCodeFromRefId(0xC0000201), KissCode::kUnknown);
  EXPECT_EQ(KissCodeRefId(KissCode::kUnknown), 0u);
  EXPECT_EQ(KissCodeRefId(KissCode::kExperimental), 0u);
  EXPECT_EQ(KissCodeName(KissCode::kExperimental), "X");
  EXPECT_EQ(KissCodeName(KissCode::kUnknown), "");
}

TEST(KissCodeTest, RecognisedOnTheWire) {
  // LI 3, VN 4, mode 4, stratum 0, refid "RATE".
  std::vector<uint8_t> b(48, 0);
  b[0] = 0xE4;
  b[12] = 'R';
  b[13] = 'A';
  b[14] = 'T';
  b[15] = 'E';
  WireResult<NtpPacket, PacketError> r = ParsePacket(b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(IsKissOfDeath(*r));
  EXPECT_EQ(KissCodeFromRefId(r->reference_id), KissCode::kRate);
  b[1] = 1;  // stratum 1: "RATE" is then just a clock name
  r = ParsePacket(b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(IsKissOfDeath(*r));
}

TEST(KissCodeTest, MakeKissOfDeathFollowsNtpd) {
  NtpPacket request;
  request.leap = LeapIndicator::kNoWarning;
  request.version = 3;
  request.mode = Mode::kClient;
  request.stratum = 2;
  request.poll_log2_seconds = 4;
  request.precision_log2_seconds = -20;
  request.root_delay = NtpShort::FromRaw(0x1234);
  request.root_dispersion = NtpShort::FromRaw(0x5678);
  request.reference_id = 0x01020304;
  request.reference_timestamp = NtpTimestamp::FromRaw(0x1111);
  request.origin_timestamp = NtpTimestamp::FromRaw(0x2222);
  request.receive_timestamp = NtpTimestamp::FromRaw(0x3333);
  request.transmit_timestamp = NtpTimestamp::FromRaw(0xABCDEF0123456789);

  const NtpPacket kod =
      MakeKissOfDeath(request, KissCode::kRate, Mode::kServer, 10);
  EXPECT_EQ(kod.leap, LeapIndicator::kUnsynchronized);
  EXPECT_EQ(kod.version, 3);
  EXPECT_EQ(kod.mode, Mode::kServer);
  EXPECT_EQ(kod.stratum, 0);
  EXPECT_EQ(kod.poll_log2_seconds, 10);
  EXPECT_EQ(kod.precision_log2_seconds, -20);
  EXPECT_EQ(kod.root_delay, request.root_delay);
  EXPECT_EQ(kod.root_dispersion, request.root_dispersion);
  EXPECT_EQ(kod.reference_id, AsciiRefId("RATE"));
  EXPECT_EQ(kod.reference_timestamp, request.reference_timestamp);
  EXPECT_EQ(kod.origin_timestamp, request.transmit_timestamp);
  EXPECT_EQ(kod.receive_timestamp, request.transmit_timestamp);
  EXPECT_EQ(kod.transmit_timestamp, request.transmit_timestamp);
  EXPECT_TRUE(kod.extension_fields.empty());
  EXPECT_FALSE(kod.mac.has_value());

  std::vector<uint8_t> wire(SerializedSize(kod));
  ASSERT_THAT(SerializePacket(kod, absl::MakeSpan(wire)), IsOk());
  EXPECT_EQ(wire[0], 0xDC);  // LI 3, VN 3, mode 4
  EXPECT_EQ(wire[1], 0);
  WireResult<NtpPacket, PacketError> back = ParsePacket(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(IsKissOfDeath(*back));
  EXPECT_EQ(KissCodeFromRefId(back->reference_id), KissCode::kRate);
}

}  // namespace
}  // namespace ntp
