// The client side of mode 6 (RFC 9327), sans I/O: building a request and
// reassembling the fragments of its response. Used by ntpq, ntpstat and
// the exporter (tools/ntpq), which do the socket work.
//
// A reply is the server's only when its mode is 6, R is set, and its
// opcode, sequence and (for the first fragment) association match the
// request; the caller checks the source address and port. Everything else
// about it is hostile: fragments may overlap, lie about offsets, or never
// end; each of those is reported, never trusted.
#ifndef NTP_CONTROL_CONTROL_CLIENT_H_
#define NTP_CONTROL_CONTROL_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ntp {

// A request datagram: header (version `version`, R = 0), `data`, zero
// padding to a multiple of 4 octets.
std::vector<uint8_t> BuildControlRequest(uint8_t opcode, uint16_t sequence,
                                         uint16_t association_id, absl::string_view data,
                                         uint8_t version = 2);

class ControlResponseAssembler {
 public:
  enum class Verdict {
    kNotOurs,     // a valid mode 6 response to another request (stale): ignore
    kMalformed,   // unparseable, not a response, or fragments that do not fit
    kIncomplete,  // a fragment was taken; more are due
    kComplete,    // the whole response is here (data())
    kError,       // the server answered with an error code (error_code())
  };

  ControlResponseAssembler(uint8_t opcode, uint16_t sequence, uint16_t association_id);

  // Takes one datagram from the server's address and port. After kComplete,
  // kError or kMalformed further datagrams return the same verdict.
  Verdict Add(absl::Span<const uint8_t> datagram);

  // Why the last kMalformed ("too short: 7 octets", "overlapping fragment").
  const std::string& malformed_reason() const { return malformed_reason_; }
  uint8_t error_code() const { return error_code_; }
  uint16_t status() const { return status_; }
  uint16_t association_id() const { return association_id_; }
  const std::string& data() const { return data_; }

 private:
  Verdict Fail(std::string reason);
  const uint8_t opcode_;
  const uint16_t sequence_;
  uint16_t association_id_;
  Verdict final_ = Verdict::kIncomplete;
  std::string malformed_reason_;
  uint8_t error_code_ = 0;
  uint16_t status_ = 0;
  // Fragments by offset; the last one's end once seen.
  std::vector<std::pair<size_t, std::string>> fragments_;
  size_t total_ = 0;
  bool have_last_ = false;
  std::string data_;
};

// ntpq's text for an RFC 9327 error code ("Server reports a bad
// association ID", ...).
std::string ControlErrorText(uint8_t code);

}  // namespace ntp

#endif  // NTP_CONTROL_CONTROL_CLIENT_H_
