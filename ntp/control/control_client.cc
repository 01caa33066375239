#include "ntp/control/control_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/wire/control_message.h"

namespace ntp {

std::vector<uint8_t> BuildControlRequest(uint8_t opcode, uint16_t sequence,
                                         uint16_t association_id, absl::string_view data,
                                         uint8_t version) {
  const size_t count = std::min(data.size(), kMaxControlDataOctets);
  std::vector<uint8_t> out(kControlHeaderOctets + (count + 3) / 4 * 4, 0);
  out[0] = static_cast<uint8_t>((version & 7) << 3 | 6);
  out[1] = opcode & 0x1f;
  out[2] = static_cast<uint8_t>(sequence >> 8);
  out[3] = static_cast<uint8_t>(sequence);
  out[6] = static_cast<uint8_t>(association_id >> 8);
  out[7] = static_cast<uint8_t>(association_id);
  out[10] = static_cast<uint8_t>(count >> 8);
  out[11] = static_cast<uint8_t>(count);
  std::copy(data.begin(), data.begin() + count, out.begin() + kControlHeaderOctets);
  return out;
}

ControlResponseAssembler::ControlResponseAssembler(uint8_t opcode, uint16_t sequence,
                                                   uint16_t association_id)
    : opcode_(opcode), sequence_(sequence), association_id_(association_id) {}

ControlResponseAssembler::Verdict ControlResponseAssembler::Fail(std::string reason) {
  malformed_reason_ = std::move(reason);
  final_ = Verdict::kMalformed;
  return final_;
}

ControlResponseAssembler::Verdict ControlResponseAssembler::Add(
    absl::Span<const uint8_t> datagram) {
  if (final_ != Verdict::kIncomplete) return final_;
  const auto parsed = ParseControlMessage(datagram);
  if (!parsed.ok()) {
    if (datagram.size() < kControlHeaderOctets) {
      return Fail(absl::StrCat("too short: ", datagram.size(), " octets"));
    }
    return Fail(absl::StrCat("malformed: ", ControlErrorName(parsed.error())));
  }
  const ControlMessage& m = parsed.value();
  if (!m.is_response) return Fail("not a response (R bit clear)");
  if (m.opcode != opcode_ || m.sequence != sequence_) return Verdict::kNotOurs;
  if (m.is_error) {
    error_code_ = static_cast<uint8_t>(m.status >> 8);
    status_ = m.status;
    final_ = Verdict::kError;
    return final_;
  }
  if (association_id_ != 0 && m.association_id != association_id_) {
    return Fail(absl::StrCat("association ", m.association_id, " in a reply about ",
                             association_id_));
  }
  status_ = m.status;
  const size_t begin = m.offset;
  const size_t end = begin + m.data.size();
  for (const auto& [offset, text] : fragments_) {
    if (begin < offset + text.size() && offset < end) return Fail("overlapping fragment");
  }
  if (have_last_ && end > total_) return Fail("fragment beyond the last one");
  if (!m.has_more) {
    if (have_last_) return Fail("two last fragments");
    for (const auto& [offset, text] : fragments_) {
      if (offset + text.size() > end) return Fail("fragment beyond the last one");
    }
    have_last_ = true;
    total_ = end;
  }
  if (fragments_.size() >= 64) return Fail("too many fragments");
  fragments_.emplace_back(begin, std::string(reinterpret_cast<const char*>(m.data.data()),
                                             m.data.size()));
  if (!have_last_) return Verdict::kIncomplete;
  size_t covered = 0;
  for (const auto& f : fragments_) covered += f.second.size();
  if (covered < total_) return Verdict::kIncomplete;
  std::sort(fragments_.begin(), fragments_.end());
  data_.clear();
  for (const auto& f : fragments_) data_ += f.second;
  final_ = Verdict::kComplete;
  return final_;
}

std::string ControlErrorText(uint8_t code) {
  switch (static_cast<ControlErrorCode>(code)) {
    case ControlErrorCode::kUnspecified:
      return "Server reports an unspecified error";
    case ControlErrorCode::kPermissionDenied:
      return "Server says permission denied";
    case ControlErrorCode::kBadFormat:
      return "Server says request format bad";
    case ControlErrorCode::kBadOpcode:
      return "Server says unknown opcode";
    case ControlErrorCode::kUnknownAssociation:
      return "Association ID unknown to server";
    case ControlErrorCode::kUnknownVariable:
      return "A request variable unknown to the server";
    case ControlErrorCode::kBadValue:
      return "Server indicates a request variable was bad";
    case ControlErrorCode::kRestricted:
      return "Server says request restricted";
  }
  return absl::StrCat("Server returned an unknown error code ", code);
}

}  // namespace ntp
