#include "ntp/client/reply_check.h"

#include <cmath>

#include "gtest/gtest.h"
#include "ntp/wire/refid.h"

namespace ntp {
namespace {

const NtpTimestamp kNonce = NtpTimestamp::FromRaw(0x0123456789ABCDEFull);

NtpPacket GoodReply() {
  NtpPacket p;
  p.leap = LeapIndicator::kNoWarning;
  p.mode = Mode::kServer;
  p.stratum = 2;
  p.root_delay = NtpShort::FromSeconds(0.01);
  p.root_dispersion = NtpShort::FromSeconds(0.02);
  p.origin_timestamp = kNonce;
  p.reference_timestamp = NtpTimestamp::FromParts(3913056000u, 0);
  p.receive_timestamp = NtpTimestamp::FromParts(3913056010u, 0);
  p.transmit_timestamp = NtpTimestamp::FromParts(3913056010u, 1000);
  return p;
}

ReplyCheckContext Context() {
  ReplyCheckContext c;
  c.expected_origin = kNonce;
  return c;
}

TEST(CheckReplyTest, GoodReplyIsAccepted) {
  EXPECT_EQ(CheckReply(GoodReply(), Context()), ReplyVerdict::kAccept);
}

TEST(CheckReplyTest, EachRejection) {
  struct Case {
    const char* name;
    void (*mutate)(NtpPacket&, ReplyCheckContext&);
    ReplyVerdict want;
  } cases[] = {
      {"mode 3", [](NtpPacket& p, ReplyCheckContext&) { p.mode = Mode::kClient; },
       ReplyVerdict::kWrongMode},
      {"symmetric", [](NtpPacket& p, ReplyCheckContext&) { p.mode = Mode::kSymmetricPassive; },
       ReplyVerdict::kWrongMode},
      {"duplicate",
       [](NtpPacket& p, ReplyCheckContext& c) { c.last_accepted_transmit = p.transmit_timestamp; },
       ReplyVerdict::kDuplicate},
      {"zero origin", [](NtpPacket& p, ReplyCheckContext&) { p.origin_timestamp = {}; },
       ReplyVerdict::kBogus},
      {"wrong origin",
       [](NtpPacket& p, ReplyCheckContext&) { p.origin_timestamp = NtpTimestamp::FromRaw(5); },
       ReplyVerdict::kBogus},
      {"nothing outstanding", [](NtpPacket&, ReplyCheckContext& c) { c.expected_origin.reset(); },
       ReplyVerdict::kBogus},
      {"zero receive", [](NtpPacket& p, ReplyCheckContext&) { p.receive_timestamp = {}; },
       ReplyVerdict::kInvalid},
      {"zero transmit", [](NtpPacket& p, ReplyCheckContext&) { p.transmit_timestamp = {}; },
       ReplyVerdict::kInvalid},
      {"T3 before T2",
       [](NtpPacket& p, ReplyCheckContext&) {
         p.transmit_timestamp = p.receive_timestamp - NtpDuration::FromSeconds(1);
       },
       ReplyVerdict::kInvalid},
      {"leap 3", [](NtpPacket& p, ReplyCheckContext&) { p.leap = LeapIndicator::kUnsynchronized; },
       ReplyVerdict::kUnsynchronized},
      {"stratum 16", [](NtpPacket& p, ReplyCheckContext&) { p.stratum = 16; },
       ReplyVerdict::kUnsynchronized},
      {"unsync INIT kiss",
       [](NtpPacket& p, ReplyCheckContext&) {
         p.stratum = 0;
         p.leap = LeapIndicator::kUnsynchronized;
         p.reference_id = AsciiRefId("INIT");
       },
       ReplyVerdict::kUnsynchronized},
      {"above ceiling", [](NtpPacket& p, ReplyCheckContext& c) { c.stratum_ceiling = 2; },
       ReplyVerdict::kUnsynchronized},
      {"below floor", [](NtpPacket& p, ReplyCheckContext& c) { c.stratum_floor = 3; },
       ReplyVerdict::kUnsynchronized},
      {"root distance",
       [](NtpPacket& p, ReplyCheckContext&) { p.root_dispersion = NtpShort::FromSeconds(16); },
       ReplyVerdict::kBadHeader},
      {"reftime after xmt",
       [](NtpPacket& p, ReplyCheckContext&) {
         p.reference_timestamp = p.transmit_timestamp + NtpDuration::FromSeconds(5);
       },
       ReplyVerdict::kBadHeader},
      {"RATE kiss",
       [](NtpPacket& p, ReplyCheckContext&) {
         p.stratum = 0;
         p.reference_id = AsciiRefId("RATE");
       },
       ReplyVerdict::kKissRate},
      {"DENY kiss",
       [](NtpPacket& p, ReplyCheckContext&) {
         p.stratum = 0;
         p.reference_id = AsciiRefId("DENY");
       },
       ReplyVerdict::kKissDeny},
      {"RSTR kiss",
       [](NtpPacket& p, ReplyCheckContext&) {
         p.stratum = 0;
         p.reference_id = AsciiRefId("RSTR");
       },
       ReplyVerdict::kKissDeny},
      {"kiss with wrong origin is just bogus",
       [](NtpPacket& p, ReplyCheckContext&) {
         p.stratum = 0;
         p.reference_id = AsciiRefId("DENY");
         p.origin_timestamp = NtpTimestamp::FromRaw(9);
       },
       ReplyVerdict::kBogus},
  };
  for (const Case& c : cases) {
    NtpPacket p = GoodReply();
    ReplyCheckContext ctx = Context();
    c.mutate(p, ctx);
    EXPECT_EQ(CheckReply(p, ctx), c.want) << c.name;
  }
}

// On-wire worked example (RFC 5905 §8): T1 = 1000.000, T2 = 1000.600,
// T3 = 1000.601, T4 = 1000.201 -> offset +0.500 s, delay 0.200 s.
TEST(ComputeSampleTest, WorkedExample) {
  const NtpTimestamp base = NtpTimestamp::FromParts(3913056000u, 0);
  auto at = [&](double s) { return base + NtpDuration::FromSeconds(s); };
  ExchangeSample s = ComputeSample(at(1000.000), at(1000.600), at(1000.601), at(1000.201),
                                   -20, 1e-6);
  EXPECT_NEAR(s.offset_seconds, 0.5, 1e-9);
  EXPECT_NEAR(s.delay_seconds, 0.2, 1e-9);
  EXPECT_NEAR(s.dispersion_seconds, std::ldexp(1.0, -20) + 1e-6 + kPhi * 0.2, 1e-12);
}

TEST(ComputeSampleTest, NegativeDelayIsMadePositiveAndClamped) {
  const NtpTimestamp base = NtpTimestamp::FromParts(3913056000u, 0);
  auto at = [&](double s) { return base + NtpDuration::FromSeconds(s); };
  // Server turnaround longer than the round trip: delta = -1 ms -> 1 ms.
  ExchangeSample s = ComputeSample(at(0), at(0.001), at(0.003), at(0.001), -20, 1e-6);
  EXPECT_NEAR(s.delay_seconds, 0.001, 1e-9);
  // Zero delay is clamped at the precision.
  s = ComputeSample(at(0), at(0), at(0), at(0), -20, 4e-6);
  EXPECT_DOUBLE_EQ(s.delay_seconds, 4e-6);
}

TEST(ComputeSampleTest, AcrossTheEraBoundary) {
  // T1 just before the era 0/1 wrap, server 1 s ahead.
  const NtpTimestamp t1 = NtpTimestamp::FromParts(0xFFFFFFFFu, 0x80000000u);
  const NtpTimestamp t2 = t1 + NtpDuration::FromSeconds(1.0001);
  const NtpTimestamp t3 = t2 + NtpDuration::FromSeconds(0.0001);
  const NtpTimestamp t4 = t1 + NtpDuration::FromSeconds(0.0003);
  ExchangeSample s = ComputeSample(t1, t2, t3, t4, -20, 1e-9);
  EXPECT_NEAR(s.offset_seconds, 1.0, 1e-6);
  EXPECT_NEAR(s.delay_seconds, 0.0002, 1e-6);
}

TEST(InternalStratumTest, ZeroMeansSixteen) {
  EXPECT_EQ(InternalStratum(0), 16);
  EXPECT_EQ(InternalStratum(3), 3);
}

}  // namespace
}  // namespace ntp
