// libFuzzer target for the client side of mode 6: the input is a series of
// datagrams (each a 2-octet big-endian length, then that many octets) "from
// the server" for one READVAR request, fed to ControlResponseAssembler, and
// whatever it assembles is parsed as a variable list and escaped for
// display. Aborts if the assembled data is longer than the fragments could
// carry, or if the escaped text holds a non-printable octet.
// Run: tools/fuzz.sh control_reply_fuzz 60
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ntp/control/control_client.h"
#include "ntp/control/control_vars.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ntp::ControlResponseAssembler assembler(2, 7, 0);
  size_t offset = 0;
  size_t carried = 0;
  ntp::ControlResponseAssembler::Verdict verdict =
      ntp::ControlResponseAssembler::Verdict::kIncomplete;
  while (offset + 2 <= size) {
    const size_t length = std::min<size_t>(data[offset] << 8 | data[offset + 1],
                                           size - offset - 2);
    verdict = assembler.Add(absl::MakeConstSpan(data + offset + 2, length));
    carried += length;
    offset += 2 + length;
  }
  if (verdict != ntp::ControlResponseAssembler::Verdict::kComplete) return 0;
  if (assembler.data().size() > carried) std::abort();
  for (const ntp::ControlVariable& v : ntp::ParseControlVariables(assembler.data())) {
    for (const std::string* text : {&v.name, &v.value}) {
      for (char c : ntp::EscapeForDisplay(*text)) {
        if (c < 0x20 || c > 0x7e) std::abort();
      }
    }
    (void)ntp::ParseControlTimestamp(v.value);
  }
  return 0;
}
