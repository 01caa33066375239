#include "ntp/nts/ke_records.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/nts/test_hex.h"
#include "ntp/testing/status_matchers.h"

namespace ntp::nts {
namespace {

using ::ntp::nts::testing::Hex;
using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

std::vector<KeRecord> Parse(const std::vector<uint8_t>& bytes) {
  size_t consumed = 0;
  auto records = ParseKeMessage(bytes, &consumed);
  EXPECT_THAT(records, IsOk());
  EXPECT_EQ(consumed, bytes.size());
  return records.ok() ? *records : std::vector<KeRecord>{};
}

// The request a client sends for NTPv4 with AES-SIV-CMAC-256, byte for
// byte (RFC 8915 §4: C bit, type, length, body).
TEST(KeRecordsTest, RequestWireFormat) {
  KeRequest request;
  request.next_protocols = {kNextProtocolNtpV4};
  request.aead_algorithms = {15};
  EXPECT_EQ(EncodeKeRequest(request),
            Hex("8001 0002 0000  8004 0002 000f  8000 0000"));
}

TEST(KeRecordsTest, RequestRoundTrip) {
  KeRequest request;
  request.next_protocols = {0, 7};
  request.aead_algorithms = {15, 17};
  request.server = "ntp.example";
  request.port = 1234;
  KeRequestOrError back = DecodeKeRequest(Parse(EncodeKeRequest(request)));
  ASSERT_TRUE(back.request.has_value());
  EXPECT_EQ(back.request->next_protocols, request.next_protocols);
  EXPECT_EQ(back.request->aead_algorithms, request.aead_algorithms);
  EXPECT_EQ(back.request->server, request.server);
  EXPECT_EQ(back.request->port, request.port);
}

TEST(KeRecordsTest, ResponseRoundTrip) {
  KeResponse response;
  response.next_protocol = 0;
  response.aead_algorithm = 15;
  response.cookies = {std::vector<uint8_t>(100, 1), std::vector<uint8_t>(3, 2)};
  response.server = "192.0.2.1";
  response.port = 123;
  response.warning = 9;
  ASSERT_OK_AND_ASSIGN(KeResponse back,
                       DecodeKeResponse(Parse(EncodeKeResponse(response))));
  EXPECT_EQ(back.next_protocol, response.next_protocol);
  EXPECT_EQ(back.aead_algorithm, response.aead_algorithm);
  EXPECT_EQ(back.cookies, response.cookies);
  EXPECT_EQ(back.server, response.server);
  EXPECT_EQ(back.port, response.port);
  EXPECT_EQ(back.warning, response.warning);
  EXPECT_FALSE(back.error.has_value());
}

TEST(KeRecordsTest, IncompleteAndOversizedMessages) {
  size_t consumed = 0;
  std::vector<uint8_t> full = Hex("8001 0002 0000 8000 0000");
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> part(full.begin(), full.begin() + n);
    EXPECT_THAT(ParseKeMessage(part, &consumed),
                StatusIs(absl::StatusCode::kUnavailable))
        << n;
  }
  // Octets after End of Message stay unconsumed.
  std::vector<uint8_t> more = full;
  more.push_back(0x42);
  ASSERT_THAT(ParseKeMessage(more, &consumed), IsOk());
  EXPECT_EQ(consumed, full.size());
  // A record that claims more than a message may hold.
  std::vector<uint8_t> big(20000, 0);
  big[0] = 0x00;
  big[1] = 0x05;
  big[2] = 0xff;
  big[3] = 0xff;
  EXPECT_THAT(ParseKeMessage(big, &consumed),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Many small records without an end.
  std::vector<uint8_t> endless;
  while (endless.size() <= kMaxKeMessageOctets + 8) {
    for (uint8_t b : Hex("0005 0000")) endless.push_back(b);
  }
  EXPECT_THAT(ParseKeMessage(endless, &consumed),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // End of Message must be critical and empty.
  EXPECT_THAT(ParseKeMessage(Hex("0000 0000"), &consumed),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseKeMessage(Hex("8000 0001 00"), &consumed),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeRecordsTest, BadRequests) {
  auto error_of = [](const char* hex) {
    KeRequestOrError r = DecodeKeRequest(Parse(Hex(hex)));
    EXPECT_FALSE(r.request.has_value()) << hex;
    return r.error;
  };
  // No Next Protocol.
  EXPECT_EQ(error_of("8004 0002 000f 8000 0000"), KeErrorCode::kBadRequest);
  // NTPv4 without AEAD.
  EXPECT_EQ(error_of("8001 0002 0000 8000 0000"), KeErrorCode::kBadRequest);
  // Two Next Protocol records.
  EXPECT_EQ(error_of("8001 0002 0000 8001 0002 0000 8004 0002 000f 8000 0000"),
            KeErrorCode::kBadRequest);
  // Odd-length list.
  EXPECT_EQ(error_of("8001 0001 00 8004 0002 000f 8000 0000"),
            KeErrorCode::kBadRequest);
  // A client may not send New Cookie.
  EXPECT_EQ(error_of("8001 0002 0000 8004 0002 000f 0005 0001 aa 8000 0000"),
            KeErrorCode::kBadRequest);
  // Unknown critical record.
  EXPECT_EQ(error_of("8001 0002 0000 8004 0002 000f 8123 0000 8000 0000"),
            KeErrorCode::kUnrecognizedCriticalRecord);
  // Unknown non-critical record is ignored.
  EXPECT_TRUE(DecodeKeRequest(
                  Parse(Hex("8001 0002 0000 8004 0002 000f 0123 0000 8000 0000")))
                  .request.has_value());
}

TEST(KeRecordsTest, BadResponses) {
  auto decode = [](const char* hex) { return DecodeKeResponse(Parse(Hex(hex))); };
  EXPECT_THAT(decode("8004 0002 000f 8000 0000"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(decode("8001 0004 0000 0001 8000 0000"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(decode("8001 0002 0000 8123 0000 8000 0000"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(decode("8001 0002 0000 0005 0000 8000 0000"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // An Error record alone is a valid response the caller must report.
  ASSERT_OK_AND_ASSIGN(KeResponse error, decode("8002 0002 0001 8000 0000"));
  EXPECT_EQ(error.error, 1);
  // An empty Next Protocol: the server supports none of ours.
  ASSERT_OK_AND_ASSIGN(KeResponse none, decode("8001 0000 8000 0000"));
  EXPECT_FALSE(none.next_protocol.has_value());
}

TEST(KeRecordsTest, AppendRefusesOversizedRecords) {
  std::vector<uint8_t> out;
  EXPECT_THAT(AppendKeRecord(KeRecord{false, 0x8000, {}}, &out),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      AppendKeRecord(KeRecord{false, 5, std::vector<uint8_t>(65536)}, &out),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace ntp::nts
