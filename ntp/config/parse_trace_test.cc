// The `trace` directive (TraceConfig in config.h).
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/parser.h"
#include "ntp/config/parser_test_util.h"

namespace ntp {
namespace {

using ::ntp::testing::ExpectClean;
using ::ntp::testing::ExpectSingleError;
using ::ntp::testing::Parse;

TEST(TraceDirectiveTest, FileAloneRecordsEverythingInOneFile) {
  ParsedConfig parsed = ExpectClean("server 10.0.0.1\n");
  EXPECT_FALSE(parsed.config.trace.has_value());
  parsed = ExpectClean("trace /var/log/ntp.trace\n");
  ASSERT_TRUE(parsed.config.trace.has_value());
  const TraceConfig& t = *parsed.config.trace;
  EXPECT_EQ(t.path.path, "/var/log/ntp.trace");
  EXPECT_EQ(t.path.location.line, 1);
  EXPECT_EQ(t.max_size_bytes, 0);
  EXPECT_FALSE(t.include_keys);
  EXPECT_EQ(t.server_replies, TraceConfig::ServerReplies::kAll);
}

TEST(TraceDirectiveTest, EveryOption) {
  ParsedConfig parsed = ExpectClean(
      "trace t.bin maxsize 1048576 keep 3 keys include serverreplies sample 100\n");
  ASSERT_TRUE(parsed.config.trace.has_value());
  const TraceConfig& t = *parsed.config.trace;
  EXPECT_EQ(t.max_size_bytes, 1048576);
  EXPECT_EQ(t.keep, 3);
  EXPECT_TRUE(t.include_keys);
  EXPECT_EQ(t.server_replies, TraceConfig::ServerReplies::kSample);
  EXPECT_EQ(t.sample_every, 100);
  parsed = ExpectClean("trace t.bin serverreplies none keys redact\n");
  EXPECT_EQ(parsed.config.trace->server_replies, TraceConfig::ServerReplies::kNone);
  EXPECT_FALSE(parsed.config.trace->include_keys);
}

TEST(TraceDirectiveTest, KeepWithoutMaxsizeWarns) {
  ParsedConfig parsed = Parse("trace t.bin keep 2\n");
  EXPECT_TRUE(parsed.ok());
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_THAT(parsed.diagnostics[0].message, ::testing::HasSubstr("keep has no effect"));
}

TEST(TraceDirectiveTest, BadLinesNameTheLine) {
  ExpectSingleError("trace", 1, "trace: missing file name");
  ExpectSingleError("\ntrace t.bin maxsize", 2, "missing value");
  ExpectSingleError("trace t.bin maxsize 100", 1, "below 4096");
  ExpectSingleError("trace t.bin maxsize -5", 1, "out of range");
  ExpectSingleError("trace t.bin keep 0", 1, "out of range");
  ExpectSingleError("trace t.bin keys clear", 1, "expected include or redact");
  ExpectSingleError("trace t.bin serverreplies some", 1, "expected all, none or sample N");
  ExpectSingleError("trace t.bin serverreplies sample 0", 1, "out of range");
  ExpectSingleError("trace t.bin serverreplies sample", 1, "missing value");
  ExpectSingleError("trace t.bin compress", 1, "unknown option");
}

}  // namespace
}  // namespace ntp
