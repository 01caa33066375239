// Client-side checks of a server reply (RFC 5905 §8 and §9.2 Figure 22,
// ntpd 4.2.8 receive()/process_packet() with the ntpsec refinements for
// random transmit timestamps), and the on-wire offset/delay/dispersion
// computation. Pure: the association supplies what it sent and what it
// accepted before. A rejected reply never changes any state, so a spoofed
// reply can neither be accepted nor disarm the genuine one.
#ifndef NTP_CLIENT_REPLY_CHECK_H_
#define NTP_CLIENT_REPLY_CHECK_H_

#include <cstdint>
#include <optional>

#include "ntp/client/constants.h"
#include "ntp/client/exchange_types.h"
#include "ntp/ntp_time.h"
#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"

namespace ntp {

struct ReplyCheckContext {
  // The transmit timestamp we put in the outstanding request (the nonce), or
  // nullopt if no request is outstanding.
  std::optional<NtpTimestamp> expected_origin;
  // Transmit timestamp of the last reply we accepted (TEST1).
  NtpTimestamp last_accepted_transmit;
  int stratum_floor = 0;     // `tos floor`
  int stratum_ceiling = 15;  // `tos ceiling` (exclusive)
};

// Runs the checks in ntpd 4.2.8's order (mode, TEST1, TEST2, kiss codes,
// TEST3, TEST6, TEST7). Kiss codes are only believed from a reply that
// passed the origin check. Authentication (TEST5) is the caller's, before.
ReplyVerdict CheckReply(const NtpPacket& reply, const ReplyCheckContext& context);

// The on-wire statistics of an exchange (RFC 5905 §8), see ExchangeSample:
// T1 = our real send time, T2/T3 from the reply, T4 = our receive time.
ExchangeSample ComputeSample(NtpTimestamp t1, NtpTimestamp t2, NtpTimestamp t3,
                             NtpTimestamp t4, int8_t server_precision_log2,
                             double local_precision_seconds, double phi = kPhi);

// The internal stratum of a packet stratum (RFC 5905 §7.3: 0 means 16).
inline int InternalStratum(uint8_t packet_stratum) {
  return packet_stratum == 0 ? kMaxStratumValue : packet_stratum;
}

}  // namespace ntp

#endif  // NTP_CLIENT_REPLY_CHECK_H_
