// ntpd's trace on disk: settings from the directive and flags, files of
// mode 0600 without key secrets unless asked, size-capped rotation that
// replays from the rotated files, and requests served left out on request.
#include "tools/trace_file.h"

#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/auth/keys_file.h"
#include "ntp/config/parser.h"
#include "ntp/host.h"
#include "ntp/testing/host_driver.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/trace.pb.h"
#include "tools/trace_setup.h"

namespace tools {
namespace {

using ::ntp::testing::HostDriver;
using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kConf[] =
    "server 127.127.1.0\n"
    "fudge 127.127.1.0 stratum 10\n"
    "server 192.0.2.1 iburst key 1\n"
    "trustedkey 1\n";
constexpr char kSecret[] = "Tr4ceSecretPw";

ntp::NtpConfig Parse(const std::string& text) {
  ntp::ParsedConfig parsed = ntp::ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config;
}

ntp::KeyStore Keys(const std::string& secret) {
  ntp::ParsedKeysFile parsed = ntp::ParseKeysFile("keys", "1 MD5 " + secret + "\n");
  EXPECT_FALSE(parsed.HasErrors());
  return std::move(parsed.keys);
}

std::string TempPath(const std::string& name) {
  return std::string(getenv("TEST_TMPDIR")) + "/" + name;
}

// Records 20 minutes of a client that also serves one request a second,
// through the daemon's own setup (StartDaemonTrace).
void RecordRun(const TraceSettings& settings, const ntp::KeyStore& keys) {
  const ntp::NtpConfig config = Parse(kConf);
  ntp::HostOptions options;
  options.listen = {*net::SocketAddress::Parse("10.0.0.1:123")};
  options.random_seed = 5;
  auto host = ntp::Host::Create(config, options, &keys);
  ASSERT_THAT(host, IsOk());
  absl::StatusOr<DaemonTrace> trace =
      StartDaemonTrace(settings, config, options, keys, absl::FromUnixSeconds(1700000000), "t");
  ASSERT_THAT(trace, IsOk());
  HostDriver driver(host->get());
  driver.observe = [&trace](const ntp::Input& input, const ntp::Actions& actions) {
    trace->recorder->OnInput(input);
    trace->recorder->OnActions(actions);
  };
  driver.Start();
  std::vector<uint8_t> request(48, 0);
  request[0] = 0xE3;  // version 4, mode 3
  for (int s = 0; s < 1200; ++s) {
    request[47] = static_cast<uint8_t>(s);
    driver.Receive(1, request, *net::SocketAddress::Parse("10.0.0.9:40000"));
    driver.AdvanceBy(absl::Seconds(1));
  }
  driver.Shutdown();
  ASSERT_THAT(trace->recorder->Flush(), IsOk());
}

TEST(TraceSettingsTest, FlagsWinOverTheDirective) {
  ntp::NtpConfig config = Parse("trace /a maxsize 8192 keep 2 serverreplies none\n");
  absl::StatusOr<std::optional<TraceSettings>> s = ChooseTraceSettings(config, {});
  ASSERT_THAT(s, IsOk());
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->path, "/a");
  EXPECT_EQ((*s)->file.max_size_bytes, 8192);
  EXPECT_EQ((*s)->server_replies, ntp::TraceConfig::ServerReplies::kNone);
  TraceFlags flags;
  flags.path = "/b";
  flags.keep = 7;
  flags.keys = "include";
  flags.server_replies = "sample:10";
  s = ChooseTraceSettings(config, flags);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ((*s)->path, "/b");
  EXPECT_EQ((*s)->file.max_size_bytes, 8192);
  EXPECT_EQ((*s)->file.keep, 7);
  EXPECT_TRUE((*s)->include_keys);
  EXPECT_EQ((*s)->server_replies, ntp::TraceConfig::ServerReplies::kSample);
  EXPECT_EQ((*s)->sample_every, 10);
  s = ChooseTraceSettings(Parse("server 10.0.0.1\n"), {});
  ASSERT_THAT(s, IsOk());
  EXPECT_FALSE(s->has_value());
}

TEST(TraceSettingsTest, BadFlagsNameTheFlag) {
  const ntp::NtpConfig config;
  TraceFlags flags;
  flags.path = "/t";
  flags.max_size = 10;
  EXPECT_THAT(ChooseTraceSettings(config, flags),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--trace_maxsize")));
  flags.max_size.reset();
  flags.keep = 0;
  EXPECT_THAT(ChooseTraceSettings(config, flags),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--trace_keep")));
  flags.keep.reset();
  flags.keys = "plain";
  EXPECT_THAT(ChooseTraceSettings(config, flags),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--trace_keys")));
  flags.keys.clear();
  flags.server_replies = "sample:0";
  EXPECT_THAT(ChooseTraceSettings(config, flags),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--trace_serverreplies")));
}

TEST(TraceFileTest, KeysAreRedactedByDefaultAndCheckedAgainstTheKeysFileGiven) {
  TraceSettings settings;
  settings.path = TempPath("redacted.trace");
  const ntp::KeyStore keys = Keys(kSecret);
  RecordRun(settings, keys);
  struct stat st;
  ASSERT_EQ(stat(settings.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  absl::StatusOr<std::string> bytes = ReadTraceFile(settings.path);
  ASSERT_THAT(bytes, IsOk());
  EXPECT_EQ(bytes->find(kSecret), std::string::npos);

  EXPECT_THAT(ntp::trace::Replay(*bytes),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--keys=FILE")));
  const ntp::KeyStore other = Keys("AnotherSecret");
  ntp::trace::ReplayOptions options;
  options.keys = &other;
  EXPECT_THAT(ntp::trace::Replay(*bytes, options),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("differs")));
  options.keys = &keys;
  absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(*bytes, options);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;
  absl::StatusOr<std::string> dump = ntp::trace::Dump(*bytes);
  ASSERT_THAT(dump, IsOk());
  EXPECT_THAT(*dump, HasSubstr("key { id: 1 algorithm: 0 sha256: "));
}

TEST(TraceFileTest, IncludedKeysReplayAlone) {
  TraceSettings settings;
  settings.path = TempPath("included.trace");
  settings.include_keys = true;
  RecordRun(settings, Keys(kSecret));
  absl::StatusOr<std::string> bytes = ReadTraceFile(settings.path);
  ASSERT_THAT(bytes, IsOk());
  EXPECT_NE(bytes->find(kSecret), std::string::npos);
  absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(*bytes);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;
  // The dump never prints a secret.
  absl::StatusOr<std::string> dump = ntp::trace::Dump(*bytes);
  ASSERT_THAT(dump, IsOk());
  EXPECT_EQ(dump->find(kSecret), std::string::npos);
  EXPECT_THAT(*dump, HasSubstr("secret: included"));
}

TEST(TraceFileTest, RotatedSegmentsReplayTogetherAndNotApart) {
  TraceSettings settings;
  settings.path = TempPath("rotated.trace");
  settings.include_keys = true;
  settings.file.max_size_bytes = 16384;
  settings.file.keep = 100;
  RecordRun(settings, Keys(kSecret));
  std::vector<std::string> files;
  absl::StatusOr<std::string> bytes = ReadRotatedTrace(settings.path, &files);
  ASSERT_THAT(bytes, IsOk());
  ASSERT_GE(files.size(), 3u);
  for (const std::string& f : files) {
    struct stat st;
    ASSERT_EQ(stat(f.c_str(), &st), 0);
    EXPECT_LE(st.st_size, 16384 + 64) << f;  // one segment header beyond the cap
  }
  absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(*bytes);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;

  absl::StatusOr<std::string> last = ReadTraceFile(settings.path);
  ASSERT_THAT(last, IsOk());
  EXPECT_THAT(ntp::trace::Replay(*last),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("rotated trace")));
  // A middle segment lost.
  ASSERT_EQ(std::remove(files[1].c_str()), 0);
  bytes = ReadRotatedTrace(settings.path, nullptr);
  ASSERT_THAT(bytes, IsOk());
  EXPECT_THAT(ntp::trace::Replay(*bytes),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("a rotated file is missing")));
}

TEST(TraceFileTest, KeepBoundsTheRotatedFiles) {
  TraceSettings settings;
  settings.path = TempPath("kept.trace");
  settings.file.max_size_bytes = 8192;
  settings.file.keep = 2;
  RecordRun(settings, Keys(kSecret));
  std::vector<std::string> files;
  ASSERT_THAT(ReadRotatedTrace(settings.path, &files), IsOk());
  EXPECT_EQ(files.size(), 3u);  // FILE.2 FILE.1 FILE
}

TEST(TraceFileTest, ServedRequestsLeftOutOrSampled) {
  TraceSettings all;
  all.path = TempPath("all.trace");
  all.include_keys = true;
  RecordRun(all, Keys(kSecret));
  TraceSettings none = all;
  none.path = TempPath("none.trace");
  none.server_replies = ntp::TraceConfig::ServerReplies::kNone;
  RecordRun(none, Keys(kSecret));
  TraceSettings sample = all;
  sample.path = TempPath("sample.trace");
  sample.server_replies = ntp::TraceConfig::ServerReplies::kSample;
  sample.sample_every = 10;
  RecordRun(sample, Keys(kSecret));
  absl::StatusOr<std::string> a = ReadTraceFile(all.path);
  absl::StatusOr<std::string> n = ReadTraceFile(none.path);
  absl::StatusOr<std::string> s = ReadTraceFile(sample.path);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(n, IsOk());
  ASSERT_THAT(s, IsOk());
  EXPECT_LT(n->size(), a->size() / 2);
  EXPECT_LT(n->size(), s->size());
  EXPECT_LT(s->size(), a->size());
  absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(*n);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;
  result = ntp::trace::Replay(*s);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;
  EXPECT_THAT(result->report, HasSubstr("120 served requests replayed but not compared"));
}

}  // namespace
}  // namespace tools
