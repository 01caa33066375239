// Kiss-o'-Death packets (RFC 5905 §7.4): recognising a stratum-0 packet's
// ASCII kiss code and building a KoD reply. What a client does on a kiss
// (back off on RATE, stop on DENY/RSTR, ...) is the protocol's business.
#ifndef NTP_WIRE_KISS_CODE_H_
#define NTP_WIRE_KISS_CODE_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "ntp/wire/packet.h"

namespace ntp {

// RFC 5905 §7.4 Figure 13, plus NTSN from RFC 8915 §5.7.
enum class KissCode : uint8_t {
  kUnknown = 0,   // not a registered code and not an X... code
  kAcst,          // association belongs to a unicast server
  kAuth,          // server authentication failed
  kAuto,          // Autokey sequence failed
  kBcst,          // association belongs to a broadcast server
  kCryp,          // cryptographic authentication or identification failed
  kDeny,          // access denied by remote server
  kDrop,          // lost peer in symmetric mode
  kRstr,          // access denied due to local policy
  kInit,          // association not yet synchronized for the first time
  kMcst,          // association belongs to a dynamically discovered server
  kNkey,          // no key found
  kNtsn,          // NTS negative acknowledgment (RFC 8915)
  kRate,          // rate exceeded: reduce the polling rate
  kRmot,          // alteration of association from a remote host
  kStep,          // a step change in system time has occurred
  kExperimental,  // "X..." codes, for unregistered experimentation
};

// The kiss code in a refid. Registered codes match all four octets; any
// refid whose first octet is 'X' is kExperimental; anything else kUnknown.
KissCode KissCodeFromRefId(uint32_t reference_id);

// The registered code's refid (AsciiRefId("RATE") for kRate); 0 for
// kUnknown and kExperimental.
uint32_t KissCodeRefId(KissCode code);

// "RATE", "DENY", ...; "X" for kExperimental and "" for kUnknown.
absl::string_view KissCodeName(KissCode code);

// RFC 5905 §7.4: a packet with stratum 0 carries a kiss code in its refid.
// (Unsynchronized servers send stratum 0 with INIT or STEP as well; the
// caller decides by mode and code what it means.)
inline bool IsKissOfDeath(const NtpPacket& packet) {
  return packet.stratum == 0;
}

// A KoD reply to `request` as ntpd builds one: LI 3, stratum 0, refid =
// `code`, the request's version, `reply_mode` (kServer for a client request;
// ntpd uses kSymmetricActive for other modes), `poll_log2_seconds`;
// precision, root delay, root dispersion and reference timestamp copied from
// the request; origin = receive = transmit = the request's transmit
// timestamp. No extension fields and no MAC.
// REQUIRES: code is neither kUnknown nor kExperimental (else refid 0).
NtpPacket MakeKissOfDeath(const NtpPacket& request, KissCode code,
                          Mode reply_mode, int8_t poll_log2_seconds);

}  // namespace ntp

#endif  // NTP_WIRE_KISS_CODE_H_
