#include "ntp/server/counters.h"

namespace ntp {
namespace {

constexpr absl::string_view kDropNames[kServerDropReasonCount] = {
    "bad_source_port",   "empty",
    "multicast_source",  "ignored",
    "noquery",           "private_mode",
    "control_not_served", "noserve",
    "too_short",         "bad_version",
    "bad_trailer",       "version_restricted",
    "unexpected_mode",   "symmetric_unknown_peer",
    "not_trusted",       "rate_limited",
    "kod_rate_limited",  "bad_mac",
    "crypto_nak_request", "would_amplify",
    "internal_error",    "send_failed",
    "interface_drop",
};

constexpr absl::string_view kReplyNames[kServerReplyKindCount] = {
    "plain", "authenticated", "crypto_nak", "kiss_of_death"};

}  // namespace

absl::string_view ServerDropReasonName(ServerDropReason reason) {
  const auto i = static_cast<size_t>(reason);
  return i < kServerDropReasonCount ? kDropNames[i] : "unknown";
}

absl::string_view ServerReplyKindName(ServerReplyKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < kServerReplyKindCount ? kReplyNames[i] : "unknown";
}

uint64_t ServerCounters::total_replies() const {
  uint64_t n = 0;
  for (uint64_t r : replies) n += r;
  return n;
}

uint64_t ServerCounters::total_drops() const {
  uint64_t n = 0;
  for (uint64_t d : drops) n += d;
  return n;
}

}  // namespace ntp
