#include "ntp/control/control_client.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/wire/control_message.h"

namespace ntp {
namespace {

using Verdict = ControlResponseAssembler::Verdict;

// A response fragment as a server would send it.
std::vector<uint8_t> Fragment(uint16_t sequence, const std::string& data, uint16_t offset,
                              bool more, uint8_t opcode = 2, uint16_t association = 0,
                              bool error = false, uint16_t status = 0) {
  ControlMessage m;
  m.is_response = true;
  m.is_error = error;
  m.has_more = more;
  m.opcode = opcode;
  m.sequence = sequence;
  m.status = status;
  m.association_id = association;
  m.offset = offset;
  m.data = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  std::vector<uint8_t> out(SerializedControlMessageSize(m));
  EXPECT_TRUE(SerializeControlMessage(m, absl::MakeSpan(out)).ok());
  return out;
}

TEST(ControlClientTest, RequestLayout) {
  const std::vector<uint8_t> r = BuildControlRequest(2, 0x1234, 7, "abcde");
  ASSERT_EQ(r.size(), 20u);  // 12 + 5 padded to 8
  EXPECT_EQ(r[0], 0x16);     // VN 2, mode 6
  EXPECT_EQ(r[1], 2);
  EXPECT_EQ(r[2], 0x12);
  EXPECT_EQ(r[3], 0x34);
  EXPECT_EQ(r[7], 7);
  EXPECT_EQ(r[11], 5);
  auto parsed = ParseControlMessage(r);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->is_response);
}

TEST(ControlClientTest, FragmentsInAnyOrder) {
  ControlResponseAssembler a(2, 9, 0);
  EXPECT_EQ(a.Add(Fragment(9, "world", 6, false)), Verdict::kIncomplete);
  EXPECT_EQ(a.Add(Fragment(8, "stale", 0, false)), Verdict::kNotOurs);
  EXPECT_EQ(a.Add(Fragment(9, "hello ", 0, true)), Verdict::kComplete);
  EXPECT_EQ(a.data(), "hello world");
}

TEST(ControlClientTest, InconsistentFragmentsAreMalformed) {
  {
    ControlResponseAssembler a(2, 1, 0);
    EXPECT_EQ(a.Add(Fragment(1, "abcd", 0, true)), Verdict::kIncomplete);
    EXPECT_EQ(a.Add(Fragment(1, "cdef", 2, false)), Verdict::kMalformed);
    EXPECT_EQ(a.malformed_reason(), "overlapping fragment");
    // Stays malformed.
    EXPECT_EQ(a.Add(Fragment(1, "ef", 4, false)), Verdict::kMalformed);
  }
  {
    ControlResponseAssembler a(2, 1, 0);
    EXPECT_EQ(a.Add(Fragment(1, "ab", 8, false)), Verdict::kIncomplete);
    EXPECT_EQ(a.Add(Fragment(1, "cd", 4, false)), Verdict::kMalformed);
    EXPECT_EQ(a.malformed_reason(), "two last fragments");
  }
  {
    ControlResponseAssembler a(2, 1, 0);
    EXPECT_EQ(a.Add(Fragment(1, "ab", 0, false)), Verdict::kComplete);
    ControlResponseAssembler b(2, 1, 0);
    EXPECT_EQ(b.Add(Fragment(1, "ab", 2, false)), Verdict::kIncomplete);
    EXPECT_EQ(b.Add(Fragment(1, "abcd", 4, true)), Verdict::kMalformed);
    EXPECT_EQ(b.malformed_reason(), "fragment beyond the last one");
  }
  {
    ControlResponseAssembler a(2, 1, 5);
    EXPECT_EQ(a.Add(Fragment(1, "x", 0, false, 2, 6)), Verdict::kMalformed);
  }
  {
    ControlResponseAssembler a(2, 1, 0);
    EXPECT_EQ(a.Add(std::vector<uint8_t>{0x16, 0x82, 0, 1}), Verdict::kMalformed);
    EXPECT_EQ(a.malformed_reason(), "too short: 4 octets");
  }
  {
    ControlResponseAssembler a(2, 1, 0);
    EXPECT_EQ(a.Add(BuildControlRequest(2, 1, 0, "")), Verdict::kMalformed);
    EXPECT_EQ(a.malformed_reason(), "not a response (R bit clear)");
  }
}

TEST(ControlClientTest, ErrorReplies) {
  ControlResponseAssembler a(2, 3, 4);
  EXPECT_EQ(a.Add(Fragment(3, "", 0, false, 2, 4, /*error=*/true, 0x0400)), Verdict::kError);
  EXPECT_EQ(a.error_code(), 4);
  EXPECT_EQ(ControlErrorText(a.error_code()), "Association ID unknown to server");
  EXPECT_EQ(ControlErrorText(9), "Server returned an unknown error code 9");
}

TEST(ControlClientTest, EndlessFragmentsAreCut) {
  ControlResponseAssembler a(2, 1, 0);
  Verdict v = Verdict::kIncomplete;
  for (uint16_t i = 0; i < 100 && v == Verdict::kIncomplete; ++i) {
    v = a.Add(Fragment(1, "abcd", static_cast<uint16_t>(i * 4), true));
  }
  EXPECT_EQ(v, Verdict::kMalformed);
  EXPECT_EQ(a.malformed_reason(), "too many fragments");
}

}  // namespace
}  // namespace ntp
