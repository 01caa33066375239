#include "ntp/actions.h"

namespace ntp {

const char* ClockOpKindName(ClockOpKind kind) {
  switch (kind) {
    case ClockOpKind::kStep: return "step";
    case ClockOpKind::kSlew: return "slew";
    case ClockOpKind::kFrequency: return "frequency";
    case ClockOpKind::kSyncStatus: return "sync status";
  }
  return "?";
}

const Readings& InputReadings(const Input& input) {
  return std::visit([](const auto& in) -> const Readings& { return in.now; }, input);
}

void Actions::Send(SocketId socket, const net::SocketAddress& to,
                   absl::Span<const uint8_t> bytes, uint64_t token) {
  const size_t offset = bytes_.size();
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  list_.emplace_back(SendDatagram{socket, to, static_cast<uint32_t>(offset),
                                  static_cast<uint32_t>(bytes.size()), token});
}

}  // namespace ntp
