// Protocol and algorithm constants of the NTP client, each with the RFC 5905
// section (or the ntpd 4.2.8 value where the reference implementation and the
// RFC differ, as ntpd/ntp_proto.c and include/ntp.h define it).
// Values that ntp.conf can change (tinker, tos) are defaults only; the
// configured values travel in the option structs.
#ifndef NTP_CLIENT_CONSTANTS_H_
#define NTP_CLIENT_CONSTANTS_H_

#include <cstdint>

namespace ntp {

// RFC 5905 §7.2 / §9.2: PHI, the frequency tolerance (15 ppm), the rate at
// which dispersion grows (s/s).
inline constexpr double kPhi = 15e-6;
// RFC 5905 §7.2: MAXDISP, the maximum dispersion (s); also the dispersion of
// an empty clock-filter stage (§10) and the header test threshold (TEST7).
inline constexpr double kMaxDispersion = 16.0;
// RFC 5905 §7.2: NSTAGE, clock-filter stages (§10).
inline constexpr int kFilterStages = 8;
// RFC 5905 §7.2: MAXSTRAT; stratum 16 is "unsynchronised".
inline constexpr int kMaxStratumValue = 16;
// RFC 5905 §7.2 MAXDIST is 1 s; ntpd 4.2.8 uses 1.5 s (`tos maxdist`).
inline constexpr double kDefaultMaxDistance = 1.5;
// RFC 5905 §7.2 MINDISP is 0.005 s; ntpd 4.2.8 uses 0.001 s (`tos mindist`).
inline constexpr double kDefaultMinDistance = 0.001;
// RFC 5905 §10 / ntpd: the "Allan intercept", 2^11 s: filter samples older
// than this are ranked by delay + dispersion instead of delay alone.
inline constexpr double kAllanInterceptSeconds = 2048.0;
// ntpd's popcorn spike gate (SGATE): a new filter output further than this
// many jitters from the previous one is discarded once.
inline constexpr double kSpikeGate = 3.0;

// RFC 5905 §11.3 (Figure 27) with ntpd 4.2.8's values (`tinker`).
inline constexpr double kDefaultStepThresholdSeconds = 0.128;
inline constexpr double kDefaultStepoutSeconds = 300.0;
inline constexpr double kDefaultPanicThresholdSeconds = 1000.0;
// ntpd -x: the step threshold becomes 600 s (slew everything below it).
inline constexpr double kSlewOnlyStepThresholdSeconds = 600.0;
// RFC 5905 §11.3: the frequency correction is clamped to +-500 ppm
// (NTP_MAXFREQ); equals clocks::kMaxFrequencyPpm.
inline constexpr double kMaxFrequencyCorrectionPpm = 500.0;
// Largest total frequency ever asked of a clock that can also lengthen or
// shorten its tick, for temporary fast slewing (chrony's default
// maxslewrate, 1/12 of the Linux kernel's +-10% tick range). The clock's
// ClockCapabilities::max_frequency_ppm lowers it.
inline constexpr double kMaxSlewFrequencyPpm = 83333.0;
// An RTC reading earlier than this (2026-01-01T00:00:00Z, before this
// software was written) is taken for a dead battery and not used to bound
// the first correction.
inline constexpr int64_t kRtcPlausibleAfterUnixSeconds = 1767225600;
// The era pivot (RFC 5905 §6): NTP timestamps carry no era, so an offset
// is known only modulo 2^32 s; a clock correction must land within 2^31 s
// (68 years) of this instant (2026-01-01T00:00:00Z, this software's own
// time), which picks the era.
inline constexpr int64_t kEraPivotUnixSeconds = 1767225600;

// RFC 5905 §13 (Figure 29) BCOUNT is 8; ntpd 4.2.8 sends 6 for iburst.
inline constexpr int kIburstCount = 6;
inline constexpr int kBurstMaxCount = 8;
// Seconds between the packets of a burst (RFC 5905 §13.2; ntpd guard time).
inline constexpr double kBurstSpacingSeconds = 2.0;
// RFC 5905 §13 UNREACH is 24; ntpd 4.2.8 backs off after 10 silent polls.
inline constexpr int kUnreachLimit = 10;
// RFC 5905 §7.2: poll exponent limits of the protocol.
inline constexpr int kProtocolMinPoll = 3;   // ntpd NTP_MINPOLL
inline constexpr int kProtocolMaxPoll = 17;  // MAXPOLL
// A RATE kiss raises the poll exponent, but never beyond this (ntpsec caps
// at 10; we never go below the configured maxpoll either).
inline constexpr int kKissRatePollCap = 10;

// The NTP port (RFC 5905 §7.2, PORT).
inline constexpr int kNtpPort = 123;

}  // namespace ntp

#endif  // NTP_CLIENT_CONSTANTS_H_
