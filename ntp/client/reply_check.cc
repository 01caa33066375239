#include "ntp/client/reply_check.h"

#include <algorithm>
#include <cmath>

namespace ntp {

const char* ReplyVerdictName(ReplyVerdict verdict) {
  switch (verdict) {
    case ReplyVerdict::kAccept: return "accept";
    case ReplyVerdict::kKissRate: return "kiss_rate";
    case ReplyVerdict::kKissDeny: return "kiss_deny";
    case ReplyVerdict::kWrongMode: return "wrong_mode";
    case ReplyVerdict::kDuplicate: return "duplicate";
    case ReplyVerdict::kBogus: return "bogus";
    case ReplyVerdict::kInvalid: return "invalid";
    case ReplyVerdict::kUnsynchronized: return "unsynchronized";
    case ReplyVerdict::kBadHeader: return "bad_header";
    case ReplyVerdict::kTooFar: return "too_far";
    case ReplyVerdict::kCount: break;
  }
  return "unknown";
}

ReplyVerdict CheckReply(const NtpPacket& reply, const ReplyCheckContext& context) {
  if (reply.mode != Mode::kServer) return ReplyVerdict::kWrongMode;
  // TEST1: a replay of the last accepted reply.
  if (!reply.transmit_timestamp.IsZero() &&
      reply.transmit_timestamp == context.last_accepted_transmit) {
    return ReplyVerdict::kDuplicate;
  }
  // TEST2: the origin must echo the nonce of the request in flight.
  if (!context.expected_origin.has_value() || reply.origin_timestamp.IsZero() ||
      reply.origin_timestamp != *context.expected_origin) {
    return ReplyVerdict::kBogus;
  }
  // Kiss-o'-Death (RFC 5905 §7.4), only now that the origin matched.
  if (reply.stratum == 0) {
    switch (KissCodeFromRefId(reply.reference_id)) {
      case KissCode::kRate: return ReplyVerdict::kKissRate;
      case KissCode::kDeny:
      case KissCode::kRstr: return ReplyVerdict::kKissDeny;
      default: return ReplyVerdict::kUnsynchronized;  // INIT, STEP, unknown
    }
  }
  // TEST3: the server's timestamps must be set and in order.
  if (reply.receive_timestamp.IsZero() || reply.transmit_timestamp.IsZero() ||
      (reply.transmit_timestamp - reply.receive_timestamp).raw() < 0) {
    return ReplyVerdict::kInvalid;
  }
  // TEST6: unsynchronised or out of the acceptable stratum range.
  const int stratum = InternalStratum(reply.stratum);
  if (reply.leap == LeapIndicator::kUnsynchronized || stratum >= kMaxStratumValue ||
      stratum < context.stratum_floor || stratum >= context.stratum_ceiling) {
    return ReplyVerdict::kUnsynchronized;
  }
  // TEST7: header sanity.
  if (reply.root_delay.ToSeconds() / 2 + reply.root_dispersion.ToSeconds() >=
      kMaxDispersion) {
    return ReplyVerdict::kBadHeader;
  }
  if (!reply.reference_timestamp.IsZero() &&
      (reply.transmit_timestamp - reply.reference_timestamp).raw() < 0) {
    return ReplyVerdict::kBadHeader;
  }
  return ReplyVerdict::kAccept;
}

ExchangeSample ComputeSample(NtpTimestamp t1, NtpTimestamp t2, NtpTimestamp t3,
                             NtpTimestamp t4, int8_t server_precision_log2,
                             double local_precision_seconds, double phi) {
  // First-order differences in 32.32 fixed point, then doubles (RFC 5905
  // §8: the unambiguous range is then +-68 years).
  const double t21 = (t2 - t1).ToSeconds();
  const double t34 = (t3 - t4).ToSeconds();
  ExchangeSample s;
  s.offset_seconds = (t21 + t34) / 2;
  // |t21 - t34| as ntpd, clamped at the local precision (RFC 5905 §8).
  s.delay_seconds = std::max(std::fabs(t21 - t34), local_precision_seconds);
  s.dispersion_seconds = std::ldexp(1.0, server_precision_log2) +
                         local_precision_seconds + phi * s.delay_seconds;
  return s;
}

}  // namespace ntp
