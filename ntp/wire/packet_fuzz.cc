// libFuzzer target for ParsePacket (header, extension fields, MAC trailer).
// Aborts if an accepted input does not re-serialize to the same bytes or
// re-parse to the same packet. Build and run: tools/fuzz.sh packet_fuzz 60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ntp/wire/kiss_code.h"
#include "ntp/wire/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  ntp::WireResult<ntp::NtpPacket, ntp::PacketError> packet =
      ntp::ParsePacket(input);
  if (!packet.ok()) {
    if (ntp::PacketErrorName(packet.error()) == "unknown") std::abort();
    return 0;
  }
  std::vector<uint8_t> out(ntp::SerializedSize(*packet));
  absl::StatusOr<size_t> written =
      ntp::SerializePacket(*packet, absl::MakeSpan(out));
  if (!written.ok() || *written != size ||
      (size != 0 && std::memcmp(out.data(), data, size) != 0)) {
    std::abort();
  }
  ntp::WireResult<ntp::NtpPacket, ntp::PacketError> again =
      ntp::ParsePacket(out);
  if (!again.ok() || !(*again == *packet)) std::abort();
  size_t octets = 0;
  for (const ntp::ExtensionField& field : packet->extension_fields) {
    octets += field.length_octets;
  }
  if (octets != packet->extension_fields.bytes().size()) std::abort();
  if (ntp::IsKissOfDeath(*packet)) {
    (void)ntp::KissCodeFromRefId(packet->reference_id);
  }
  return 0;
}
