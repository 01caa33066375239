// NTS Key Establishment records (RFC 8915 §4): the codec for the record
// stream inside the TLS connection, and the request and response messages
// built from it. Parse and build only; the TLS side is ke_session.h.
//
// Record: C bit (1) ‖ Record Type (15) ‖ Body Length (16) ‖ Body. A message
// is a sequence of records ending with End of Message.
#ifndef NTP_NTS_KE_RECORDS_H_
#define NTP_NTS_KE_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ntp::nts {

// RFC 8915 §7.6 (IANA "NTS Key Establishment Record Types").
enum class KeRecordType : uint16_t {
  kEndOfMessage = 0,
  kNextProtocol = 1,
  kError = 2,
  kWarning = 3,
  kAeadAlgorithm = 4,
  kNewCookie = 5,
  kServer = 6,
  kPort = 7,
};

// RFC 8915 §4.1.3 and §7.7 (IANA "NTS Error Codes").
enum class KeErrorCode : uint16_t {
  kUnrecognizedCriticalRecord = 0,
  kBadRequest = 1,
  kInternalServerError = 2,
};

// RFC 8915 §7.7 (IANA "NTS Next Protocols"): 0 is NTPv4.
inline constexpr uint16_t kNextProtocolNtpV4 = 0;
// TCP port for NTS-KE (RFC 8915 §7.1), and its ALPN ID (§4).
inline constexpr uint16_t kNtsKePort = 4460;
inline constexpr char kNtsKeAlpn[] = "ntske/1";
// The TLS exporter label (RFC 8915 §5.1).
inline constexpr char kNtsExporterLabel[] = "EXPORTER-network-time-security";

inline constexpr size_t kKeRecordHeaderOctets = 4;
// A whole message may be no larger than this; anything longer is a
// hostile or broken peer (8 cookies of a few hundred octets fit easily).
inline constexpr size_t kMaxKeMessageOctets = 16384;

struct KeRecord {
  bool critical = false;
  uint16_t type = 0;  // 15 bits
  std::vector<uint8_t> body;
  friend bool operator==(const KeRecord&, const KeRecord&) = default;
};

// Appends one record to `out`. InvalidArgument: type over 15 bits or body
// over 65535 octets.
absl::Status AppendKeRecord(const KeRecord& record, std::vector<uint8_t>* out);

// Splits a complete message. Returns the records (End of Message
// included, last) and sets *consumed to the octets used, or:
//   Unavailable: no End of Message yet (read more);
//   InvalidArgument: over kMaxKeMessageOctets, or a malformed record.
// Octets after End of Message are left unconsumed.
absl::StatusOr<std::vector<KeRecord>> ParseKeMessage(
    absl::Span<const uint8_t> bytes, size_t* consumed);

// The client's request (RFC 8915 §4.1.2..§4.1.8).
struct KeRequest {
  std::vector<uint16_t> next_protocols;
  std::vector<uint16_t> aead_algorithms;
  std::optional<std::string> server;
  std::optional<uint16_t> port;
};

// The server's response.
struct KeResponse {
  std::optional<uint16_t> next_protocol;  // absent: an empty record
  std::optional<uint16_t> aead_algorithm;
  std::vector<std::vector<uint8_t>> cookies;
  std::optional<std::string> server;
  std::optional<uint16_t> port;
  std::optional<uint16_t> error;
  std::optional<uint16_t> warning;
};

std::vector<uint8_t> EncodeKeRequest(const KeRequest& request);
std::vector<uint8_t> EncodeKeResponse(const KeResponse& response);

// A request the server can act on, or the Error code to send back
// (RFC 8915 §4.1.3): kUnrecognizedCriticalRecord for an unknown critical
// record, kBadRequest for a missing, repeated or malformed Next Protocol or
// AEAD record, or records a client may not send.
struct KeRequestOrError {
  std::optional<KeRequest> request;
  KeErrorCode error = KeErrorCode::kBadRequest;
};
KeRequestOrError DecodeKeRequest(absl::Span<const KeRecord> records);

// The server's response, checked as RFC 8915 §4.1 requires of a client:
// InvalidArgument for a malformed, repeated or unknown critical record;
// an Error record is returned in `error` for the caller to report.
absl::StatusOr<KeResponse> DecodeKeResponse(absl::Span<const KeRecord> records);

}  // namespace ntp::nts

#endif  // NTP_NTS_KE_RECORDS_H_
