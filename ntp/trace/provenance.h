// The source locations of a configuration, kept beside its ntp.conf text
// in a trace: the text the writer produces (ntp/config/writer.h) parses
// back to the same model but with locations in that text, and the host's
// warnings name the item's original file and line. Replay parses the text
// and puts the recorded locations back.
#ifndef NTP_TRACE_PROVENANCE_H_
#define NTP_TRACE_PROVENANCE_H_

#include "ntp/config/config.h"
#include "ntp/trace/trace.pb.h"

namespace ntp::trace {

// The locations of the servers, fudges, restrict and interface rules,
// filegens, setvars, file directives and the one-per-kind directives
// (discard, mru, tinker, tos, system, rtc, requestkey, controlkey).
Provenance RecordProvenance(const NtpConfig& config);

// Puts them back into `config` (parsed from the recorded text). A group
// whose count differs from the configuration's is left alone (its
// locations stay those of the text).
void ApplyProvenance(const Provenance& provenance, NtpConfig* config);

}  // namespace ntp::trace

#endif  // NTP_TRACE_PROVENANCE_H_
