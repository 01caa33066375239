// libFuzzer target for ParseControlMessage (mode 6 header, data, padding,
// MAC). Aborts if an accepted input does not re-serialize to the same bytes
// or re-parse to the same message. Run: tools/fuzz.sh control_message_fuzz 60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ntp/wire/control_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  ntp::WireResult<ntp::ControlMessage, ntp::ControlError> message =
      ntp::ParseControlMessage(input);
  if (!message.ok()) {
    if (ntp::ControlErrorName(message.error()) == "unknown") std::abort();
    return 0;
  }
  std::vector<uint8_t> out(ntp::SerializedControlMessageSize(*message));
  absl::StatusOr<size_t> written =
      ntp::SerializeControlMessage(*message, absl::MakeSpan(out));
  if (!written.ok() || *written != size ||
      (size != 0 && std::memcmp(out.data(), data, size) != 0)) {
    std::abort();
  }
  ntp::WireResult<ntp::ControlMessage, ntp::ControlError> again =
      ntp::ParseControlMessage(out);
  if (!again.ok() || !(*again == *message)) std::abort();
  return 0;
}
