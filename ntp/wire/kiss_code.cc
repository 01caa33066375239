#include "ntp/wire/kiss_code.h"

#include <array>

#include "ntp/wire/refid.h"

namespace ntp {
namespace {

struct KissEntry {
  KissCode code;
  uint32_t refid;
  absl::string_view name;
};

constexpr std::array<KissEntry, 15> kKissCodes = {{
    {KissCode::kAcst, AsciiRefId("ACST"), "ACST"},
    {KissCode::kAuth, AsciiRefId("AUTH"), "AUTH"},
    {KissCode::kAuto, AsciiRefId("AUTO"), "AUTO"},
    {KissCode::kBcst, AsciiRefId("BCST"), "BCST"},
    {KissCode::kCryp, AsciiRefId("CRYP"), "CRYP"},
    {KissCode::kDeny, AsciiRefId("DENY"), "DENY"},
    {KissCode::kDrop, AsciiRefId("DROP"), "DROP"},
    {KissCode::kRstr, AsciiRefId("RSTR"), "RSTR"},
    {KissCode::kInit, AsciiRefId("INIT"), "INIT"},
    {KissCode::kMcst, AsciiRefId("MCST"), "MCST"},
    {KissCode::kNkey, AsciiRefId("NKEY"), "NKEY"},
    {KissCode::kNtsn, AsciiRefId("NTSN"), "NTSN"},
    {KissCode::kRate, AsciiRefId("RATE"), "RATE"},
    {KissCode::kRmot, AsciiRefId("RMOT"), "RMOT"},
    {KissCode::kStep, AsciiRefId("STEP"), "STEP"},
}};

const KissEntry* FindEntry(KissCode code) {
  for (const KissEntry& entry : kKissCodes) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

}  // namespace

KissCode KissCodeFromRefId(uint32_t reference_id) {
  for (const KissEntry& entry : kKissCodes) {
    if (entry.refid == reference_id) return entry.code;
  }
  if ((reference_id >> 24) == 'X') return KissCode::kExperimental;
  return KissCode::kUnknown;
}

uint32_t KissCodeRefId(KissCode code) {
  const KissEntry* entry = FindEntry(code);
  return entry == nullptr ? 0 : entry->refid;
}

absl::string_view KissCodeName(KissCode code) {
  if (code == KissCode::kExperimental) return "X";
  const KissEntry* entry = FindEntry(code);
  return entry == nullptr ? absl::string_view() : entry->name;
}

NtpPacket MakeKissOfDeath(const NtpPacket& request, KissCode code,
                          Mode reply_mode, int8_t poll_log2_seconds) {
  NtpPacket reply;
  reply.leap = LeapIndicator::kUnsynchronized;
  reply.version = request.version;
  reply.mode = reply_mode;
  reply.stratum = 0;
  reply.poll_log2_seconds = poll_log2_seconds;
  reply.precision_log2_seconds = request.precision_log2_seconds;
  reply.root_delay = request.root_delay;
  reply.root_dispersion = request.root_dispersion;
  reply.reference_id = KissCodeRefId(code);
  reply.reference_timestamp = request.reference_timestamp;
  reply.origin_timestamp = request.transmit_timestamp;
  reply.receive_timestamp = request.transmit_timestamp;
  reply.transmit_timestamp = request.transmit_timestamp;
  return reply;
}

}  // namespace ntp
