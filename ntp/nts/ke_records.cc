// NTS-KE record codec (see ke_records.h).
#include "ntp/nts/ke_records.h"

#include "absl/strings/str_cat.h"
#include "ntp/wire/big_endian.h"

namespace ntp::nts {
namespace {

KeRecord Record(bool critical, KeRecordType type,
                std::vector<uint8_t> body = {}) {
  return KeRecord{critical, static_cast<uint16_t>(type), std::move(body)};
}

std::vector<uint8_t> U16List(absl::Span<const uint16_t> values) {
  std::vector<uint8_t> body(2 * values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    StoreBe16(body.data() + 2 * i, values[i]);
  }
  return body;
}

// A non-empty list of 16-bit values.
std::optional<std::vector<uint16_t>> ParseU16List(
    const std::vector<uint8_t>& body) {
  if (body.empty() || body.size() % 2 != 0) return std::nullopt;
  std::vector<uint16_t> values(body.size() / 2);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = LoadBe16(body.data() + 2 * i);
  }
  return values;
}

std::optional<uint16_t> ParseU16(const std::vector<uint8_t>& body) {
  if (body.size() != 2) return std::nullopt;
  return LoadBe16(body.data());
}

// RFC 8915 §4.1.7: the server name is ASCII (a name or address).
bool IsPrintableAscii(const std::vector<uint8_t>& body) {
  if (body.empty()) return false;
  for (uint8_t c : body) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

void AppendAll(const std::vector<KeRecord>& records, std::vector<uint8_t>* out) {
  for (const KeRecord& r : records) {
    // Every record built here is within the limits.
    (void)AppendKeRecord(r, out);
  }
}

}  // namespace

absl::Status AppendKeRecord(const KeRecord& record, std::vector<uint8_t>* out) {
  if (record.type > 0x7fff || record.body.size() > 0xffff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "NTS-KE record type ", record.type, " with ", record.body.size(),
        " octets does not fit"));
  }
  uint8_t header[kKeRecordHeaderOctets];
  StoreBe16(header, static_cast<uint16_t>((record.critical ? 0x8000 : 0) |
                                          record.type));
  StoreBe16(header + 2, static_cast<uint16_t>(record.body.size()));
  out->insert(out->end(), header, header + kKeRecordHeaderOctets);
  out->insert(out->end(), record.body.begin(), record.body.end());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<KeRecord>> ParseKeMessage(
    absl::Span<const uint8_t> bytes, size_t* consumed) {
  std::vector<KeRecord> records;
  size_t at = 0;
  while (true) {
    if (at > kMaxKeMessageOctets) {
      return absl::InvalidArgumentError("NTS-KE message too long");
    }
    if (bytes.size() - at < kKeRecordHeaderOctets) {
      if (bytes.size() > kMaxKeMessageOctets) {
        return absl::InvalidArgumentError("NTS-KE message too long");
      }
      return absl::UnavailableError("NTS-KE message incomplete");
    }
    const uint16_t word = LoadBe16(bytes.data() + at);
    const size_t length = LoadBe16(bytes.data() + at + 2);
    if (at + kKeRecordHeaderOctets + length > kMaxKeMessageOctets) {
      return absl::InvalidArgumentError("NTS-KE message too long");
    }
    if (bytes.size() - at - kKeRecordHeaderOctets < length) {
      return absl::UnavailableError("NTS-KE message incomplete");
    }
    const uint8_t* body = bytes.data() + at + kKeRecordHeaderOctets;
    records.push_back(KeRecord{(word & 0x8000) != 0,
                               static_cast<uint16_t>(word & 0x7fff),
                               std::vector<uint8_t>(body, body + length)});
    at += kKeRecordHeaderOctets + length;
    if (records.back().type ==
        static_cast<uint16_t>(KeRecordType::kEndOfMessage)) {
      // RFC 8915 §4.1.1: End of Message is critical with an empty body.
      if (length != 0 || !records.back().critical) {
        return absl::InvalidArgumentError("malformed NTS-KE End of Message");
      }
      *consumed = at;
      return records;
    }
  }
}

std::vector<uint8_t> EncodeKeRequest(const KeRequest& request) {
  std::vector<KeRecord> records;
  records.push_back(Record(true, KeRecordType::kNextProtocol,
                           U16List(request.next_protocols)));
  if (!request.aead_algorithms.empty()) {
    records.push_back(Record(true, KeRecordType::kAeadAlgorithm,
                             U16List(request.aead_algorithms)));
  }
  if (request.server.has_value()) {
    records.push_back(Record(
        false, KeRecordType::kServer,
        std::vector<uint8_t>(request.server->begin(), request.server->end())));
  }
  if (request.port.has_value()) {
    records.push_back(Record(false, KeRecordType::kPort,
                             U16List(absl::MakeConstSpan(&*request.port, 1))));
  }
  records.push_back(Record(true, KeRecordType::kEndOfMessage));
  std::vector<uint8_t> out;
  AppendAll(records, &out);
  return out;
}

std::vector<uint8_t> EncodeKeResponse(const KeResponse& response) {
  std::vector<KeRecord> records;
  // RFC 8915 §4.1.2: a response always has one Next Protocol record; an
  // empty one says the server supports none of the client's protocols.
  records.push_back(Record(
      true, KeRecordType::kNextProtocol,
      response.next_protocol.has_value()
          ? U16List(absl::MakeConstSpan(&*response.next_protocol, 1))
          : std::vector<uint8_t>{}));
  if (response.error.has_value()) {
    records.push_back(Record(true, KeRecordType::kError,
                             U16List(absl::MakeConstSpan(&*response.error, 1))));
  }
  if (response.warning.has_value()) {
    records.push_back(
        Record(true, KeRecordType::kWarning,
               U16List(absl::MakeConstSpan(&*response.warning, 1))));
  }
  if (response.aead_algorithm.has_value()) {
    records.push_back(
        Record(true, KeRecordType::kAeadAlgorithm,
               U16List(absl::MakeConstSpan(&*response.aead_algorithm, 1))));
  }
  for (const std::vector<uint8_t>& cookie : response.cookies) {
    records.push_back(Record(false, KeRecordType::kNewCookie, cookie));
  }
  if (response.server.has_value()) {
    records.push_back(Record(true, KeRecordType::kServer,
                             std::vector<uint8_t>(response.server->begin(),
                                                  response.server->end())));
  }
  if (response.port.has_value()) {
    records.push_back(Record(true, KeRecordType::kPort,
                             U16List(absl::MakeConstSpan(&*response.port, 1))));
  }
  records.push_back(Record(true, KeRecordType::kEndOfMessage));
  std::vector<uint8_t> out;
  AppendAll(records, &out);
  return out;
}

KeRequestOrError DecodeKeRequest(absl::Span<const KeRecord> records) {
  KeRequestOrError result;
  KeRequest request;
  bool have_protocols = false;
  bool have_aead = false;
  for (const KeRecord& r : records) {
    switch (static_cast<KeRecordType>(r.type)) {
      case KeRecordType::kEndOfMessage:
        break;
      case KeRecordType::kNextProtocol: {
        auto list = ParseU16List(r.body);
        if (have_protocols || !list.has_value()) return result;
        have_protocols = true;
        request.next_protocols = *list;
        break;
      }
      case KeRecordType::kAeadAlgorithm: {
        auto list = ParseU16List(r.body);
        if (have_aead || !list.has_value()) return result;
        have_aead = true;
        request.aead_algorithms = *list;
        break;
      }
      case KeRecordType::kServer:
        if (request.server.has_value() || !IsPrintableAscii(r.body)) {
          return result;
        }
        request.server.emplace(r.body.begin(), r.body.end());
        break;
      case KeRecordType::kPort: {
        auto port = ParseU16(r.body);
        if (request.port.has_value() || !port.has_value()) return result;
        request.port = port;
        break;
      }
      // RFC 8915 §4.1.3, §4.1.4, §4.1.6: clients send no Error, Warning or
      // New Cookie records.
      case KeRecordType::kError:
      case KeRecordType::kWarning:
      case KeRecordType::kNewCookie:
        return result;
      default:
        if (r.critical) {
          result.error = KeErrorCode::kUnrecognizedCriticalRecord;
          return result;
        }
        break;
    }
  }
  // RFC 8915 §4.1.2, §4.1.5: exactly one Next Protocol record; an AEAD
  // record whenever NTPv4 is offered.
  if (!have_protocols) return result;
  bool ntpv4 = false;
  for (uint16_t p : request.next_protocols) ntpv4 |= p == kNextProtocolNtpV4;
  if (ntpv4 && !have_aead) return result;
  result.request = std::move(request);
  return result;
}

absl::StatusOr<KeResponse> DecodeKeResponse(
    absl::Span<const KeRecord> records) {
  KeResponse response;
  auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed NTS-KE response: ", what));
  };
  bool have_protocol = false;
  for (const KeRecord& r : records) {
    switch (static_cast<KeRecordType>(r.type)) {
      case KeRecordType::kEndOfMessage:
        break;
      case KeRecordType::kNextProtocol: {
        // RFC 8915 §4.1.2: the server's record has at most one protocol
        // (none means it supports none of ours).
        if (have_protocol || r.body.size() > 2 || r.body.size() == 1) {
          return bad("Next Protocol");
        }
        have_protocol = true;
        if (r.body.size() == 2) response.next_protocol = LoadBe16(r.body.data());
        break;
      }
      case KeRecordType::kAeadAlgorithm: {
        auto v = ParseU16(r.body);
        if (response.aead_algorithm.has_value() || !v.has_value()) {
          return bad("AEAD Algorithm");
        }
        response.aead_algorithm = v;
        break;
      }
      case KeRecordType::kError: {
        auto v = ParseU16(r.body);
        if (!v.has_value()) return bad("Error");
        response.error = v;
        break;
      }
      case KeRecordType::kWarning: {
        auto v = ParseU16(r.body);
        if (!v.has_value()) return bad("Warning");
        response.warning = v;
        break;
      }
      case KeRecordType::kNewCookie:
        if (r.body.empty()) return bad("empty New Cookie");
        response.cookies.push_back(r.body);
        break;
      case KeRecordType::kServer:
        if (response.server.has_value() || !IsPrintableAscii(r.body)) {
          return bad("Server");
        }
        response.server.emplace(r.body.begin(), r.body.end());
        break;
      case KeRecordType::kPort: {
        auto v = ParseU16(r.body);
        if (response.port.has_value() || !v.has_value()) return bad("Port");
        response.port = v;
        break;
      }
      default:
        if (r.critical) {
          return bad(absl::StrCat("unrecognized critical record ", r.type));
        }
        break;
    }
  }
  if (!have_protocol && !response.error.has_value()) {
    return bad("no Next Protocol record");
  }
  return response;
}

}  // namespace ntp::nts
