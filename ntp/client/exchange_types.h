// Plain result types of the client's reply processing: why a reply was
// rejected, and the on-wire statistics of an accepted exchange. Kept apart
// from reply_check.h so that headers can use them without ntp/wire.
#ifndef NTP_CLIENT_EXCHANGE_TYPES_H_
#define NTP_CLIENT_EXCHANGE_TYPES_H_

#include <cstdint>

namespace ntp {

enum class ReplyVerdict : uint8_t {
  kAccept,
  kKissRate,         // RATE kiss: slow down
  kKissDeny,         // DENY / RSTR kiss: stop using the server
  kWrongMode,        // not a mode 4 reply (RFC 5905 Figure 20: DSCRD)
  kDuplicate,        // TEST1: the transmit timestamp of the last accepted reply
  kBogus,            // TEST2: origin is 0, not our nonce, or nothing outstanding
  kInvalid,          // TEST3: zero receive/transmit timestamp, T3 < T2
  kUnsynchronized,   // TEST6: LI 3, stratum 0/16 (incl. INIT/STEP kisses),
                     //        stratum outside [floor, ceiling)
  kBadHeader,        // TEST7: rootdelay/2 + rootdisp >= MAXDISP, reftime > T3
  kTooFar,           // delay beyond `tos maxdist` (ntpsec BOGON14)
  kCount,            // number of verdicts (array size)
};
// "accept", "bogus", ... (defined in reply_check.cc).
const char* ReplyVerdictName(ReplyVerdict verdict);

// The on-wire statistics of an exchange (RFC 5905 §8): T1 = our real send
// time, T2/T3 from the reply, T4 = our receive time.
struct ExchangeSample {
  double offset_seconds = 0;      // theta = ((T2 - T1) + (T3 - T4)) / 2
  double delay_seconds = 0;       // delta = |(T4 - T1) - (T3 - T2)|, >= precision
  double dispersion_seconds = 0;  // epsilon0 = rho_server + rho_local + PHI * delta
};

}  // namespace ntp

#endif  // NTP_CLIENT_EXCHANGE_TYPES_H_
