// Trace recording and replay: a HostDriver run recorded in memory replays
// identically; a changed record, a lost record, and truncated, corrupt or
// foreign files are reported as such.
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "ntp/config/parser.h"
#include "ntp/host.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/server.h"
#include "ntp/random.h"
#include "ntp/testing/host_driver.h"
#include "ntp/testing/nts_peer.h"
#include "ntp/testing/status_matchers.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/recorder.h"
#include "ntp/trace/replayer.h"
#include "ntp/trace/trace.pb.h"
#include "ntp/wire/packet.h"
#include "ntp/wire/refid.h"

namespace ntp::trace {
namespace {

using ::ntp::testing::HostDriver;
using ::ntp::testing::IsOk;
using ::ntp::testing::ScriptedReply;
using ::ntp::testing::SentDatagram;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kConf[] =
    "restrict default kod nomodify notrap nopeer noquery\n"
    "restrict 10.0.0.9\n"
    "server 127.127.1.0\n"
    "fudge 127.127.1.0 stratum 10\n"
    "server 192.0.2.1 iburst\n";

NtpConfig Parse(const std::string& text) {
  ParsedConfig parsed = ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config;
}

net::SocketAddress Addr(const std::string& text) { return *net::SocketAddress::Parse(text); }


class StringSink final : public TraceSink {
 public:
  absl::Status Write(absl::string_view bytes) override {
    if (!accept) return absl::UnavailableError("sink refuses");
    data.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  std::string data;
  bool accept = true;
};

// Records a client-and-server run: start, iburst against the upstream
// server, a client's query, a reconfiguration, shutdown.
std::string RecordRun(StringSink* sink, size_t buffer_bytes = size_t{1} << 20) {
  ntp::HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  options.own_addresses = {*net::IpAddress::Parse("10.0.0.1")};
  options.random_seed = 11;
  const NtpConfig config = Parse(kConf);
  auto host = Host::Create(config, options, nullptr);
  EXPECT_THAT(host, IsOk());
  TraceRecorder recorder(MakeHeader(config, options, absl::FromUnixSeconds(1700000000), "test"),
                         sink, buffer_bytes);
  HostDriver::Options driver_options;
  driver_options.clock.precision = absl::Nanoseconds(100);
  driver_options.clock_offset = absl::Milliseconds(-2);
  HostDriver driver(host->get(), driver_options);
  driver.observe = [&recorder](const ntp::Input& input, const Actions& actions) {
    recorder.OnInput(input);
    recorder.OnActions(actions);
  };
  driver.AddPeer(Addr("192.0.2.1:123"), ::ntp::testing::UpstreamServer(absl::Milliseconds(3)));
  driver.Start();
  driver.AdvanceBy(absl::Seconds(100));
  std::vector<uint8_t> request(48, 0);
  request[0] = 0xE3;
  request[47] = 0x42;
  driver.Receive(1, request, Addr("10.0.0.9:40000"));
  driver.Reconfigure(Parse(std::string(kConf) + "tos orphan 7\n"));
  driver.AdvanceBy(absl::Seconds(60));
  driver.Shutdown();
  EXPECT_THAT(recorder.Flush(), IsOk());
  EXPECT_EQ(recorder.records_dropped(), 0u);
  return sink->data;
}

std::string Reframe(const std::vector<Record>& records) {
  std::string out;
  for (const Record& r : records) AppendFramed(r, &out);
  return out;
}

TEST(TraceTest, RecordedRunReplaysIdentically) {
  StringSink sink;
  const std::string trace = RecordRun(&sink);
  absl::StatusOr<ReplayResult> result = Replay(trace);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;
  EXPECT_GT(result->inputs, 20u);
  EXPECT_THAT(result->report, HasSubstr("identical ("));
  // Every kind of record the run produced is in the dump.
  absl::StatusOr<std::string> dump = Dump(trace);
  ASSERT_THAT(dump, IsOk());
  EXPECT_THAT(*dump, HasSubstr("0 header"));
  EXPECT_THAT(*dump, HasSubstr("datagram {"));
  EXPECT_THAT(*dump, HasSubstr("config_change {"));
  EXPECT_THAT(*dump, HasSubstr("send_datagram {"));
  EXPECT_THAT(*dump, HasSubstr("shutdown"));
}

// A start-up warning names the original file and line; the replay must
// name the same ones although it parses the configuration from the trace.
TEST(TraceTest, WarningsNameTheOriginalConfigurationLines) {
  ntp::HostOptions options;
  options.interfaces = {{"eth0", *net::IpAddress::Parse("10.0.0.1"), 24, false}};
  options.random_seed = 3;
  const NtpConfig config = Parse(std::string(kConf) + "interface ignore eth9\n");
  auto host = Host::Create(config, options, nullptr);
  ASSERT_THAT(host, IsOk());
  ASSERT_FALSE((*host)->warnings().empty());
  EXPECT_THAT((*host)->warnings()[0], HasSubstr("test.conf:6: warning: interface"));
  StringSink sink;
  {
    TraceRecorder recorder(MakeHeader(config, options, absl::UnixEpoch(), "test"), &sink);
    HostDriver driver(host->get());
    driver.observe = [&recorder](const ntp::Input& input, const Actions& actions) {
      recorder.OnInput(input);
      recorder.OnActions(actions);
    };
    driver.Start();
    driver.Reconfigure(Parse(std::string(kConf) + "\n\ninterface ignore eth8\n"));
    driver.AdvanceBy(absl::Seconds(10));
    EXPECT_THAT(driver.Texts(EventKind::kWarning),
                ::testing::Contains(HasSubstr("test.conf:6: warning: interface")));
  }
  absl::StatusOr<ReplayResult> result = Replay(sink.data);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;
}

TEST(TraceTest, AFlippedByteOfARecordedReplyIsTheFirstDivergence) {
  StringSink sink;
  absl::StatusOr<std::vector<Record>> records = ParseFramed(RecordRun(&sink));
  ASSERT_THAT(records, IsOk());
  // The reply to the client 10.0.0.9.
  int64_t target = -1;
  for (size_t i = 0; i < records->size() && target < 0; ++i) {
    if (!(*records)[i].has_actions()) continue;
    for (Action& a : *(*records)[i].mutable_actions()->mutable_actions()) {
      if (a.has_send_datagram() && a.send_datagram().to().text() == "10.0.0.9:40000") {
        std::string* payload = a.mutable_send_datagram()->mutable_payload();
        (*payload)[1] ^= 0x01;  // the stratum
        target = static_cast<int64_t>(i);
        break;
      }
    }
  }
  ASSERT_GE(target, 0);
  absl::StatusOr<ReplayResult> result = Replay(Reframe(*records));
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->identical);
  EXPECT_EQ(result->divergent_record, target);
  EXPECT_EQ(result->divergent_monotonic_ns, (*records)[target - 1].input().now().monotonic().ns());
  EXPECT_THAT(result->report,
              HasSubstr(absl::StrCat("first divergence at record ", target, " ")));
  EXPECT_THAT(result->report, HasSubstr("expected (1):"));
  EXPECT_THAT(result->report, HasSubstr("actual (1):"));
}

TEST(TraceTest, AChangedInputDiverges) {
  StringSink sink;
  absl::StatusOr<std::vector<Record>> records = ParseFramed(RecordRun(&sink));
  ASSERT_THAT(records, IsOk());
  // The client's query asks for something else: mode 3 becomes mode 1
  // (symmetric active), which this server does not answer.
  for (Record& r : *records) {
    if (r.has_input() && r.input().has_datagram() &&
        r.input().datagram().source().text() == "10.0.0.9:40000") {
      (*r.mutable_input()->mutable_datagram()->mutable_payload())[0] = 0xE1;
    }
  }
  absl::StatusOr<ReplayResult> result = Replay(Reframe(*records));
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->identical);
}

TEST(TraceTest, ATruncatedTraceIsDataLoss) {
  StringSink sink;
  const std::string trace = RecordRun(&sink);
  EXPECT_THAT(Replay(trace.substr(0, trace.size() - 3)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated trace")));
  EXPECT_THAT(Dump(trace.substr(0, trace.size() - 3)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated trace")));
  // Cut between records: the last input has no action list.
  absl::StatusOr<std::vector<Record>> records = ParseFramed(trace);
  ASSERT_THAT(records, IsOk());
  records->pop_back();
  EXPECT_THAT(Replay(Reframe(*records)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no action list")));
}

TEST(TraceTest, CorruptBytesAreDataLossNeverACrash) {
  StringSink sink;
  const std::string trace = RecordRun(&sink);
  std::string corrupt = trace;
  for (size_t i = 20; i < corrupt.size(); i += 7) corrupt[i] = static_cast<char>(0xFF);
  absl::StatusOr<ReplayResult> result = Replay(corrupt);
  EXPECT_FALSE(result.ok() && result->identical);
  EXPECT_THAT(Replay(std::string("\xff\xff\xff\xff\x0f", 5)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt trace")));
  EXPECT_THAT(Replay(std::string("\x03\xff\xff\xff", 4)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not decode")));
  EXPECT_THAT(Replay(""), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("first record is not a header")));
}

TEST(TraceTest, RandomlyDamagedTracesNeverCrashTheReplayer) {
  StringSink sink;
  const std::string trace = RecordRun(&sink);
  std::mt19937_64 random(1234);  // fixed: a failure reruns exactly
  for (int round = 0; round < 300; ++round) {
    std::string damaged = trace;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      damaged[random() % damaged.size()] ^= static_cast<char>(1 + random() % 255);
    }
    if (round % 3 == 0) damaged.resize(random() % damaged.size());
    absl::StatusOr<ReplayResult> result = Replay(damaged);  // must return, whatever it says
    if (result.ok() && !result->identical) EXPECT_GE(result->divergent_record, 1);
    (void)Dump(damaged);
  }
}

TEST(TraceTest, AnotherFormatVersionIsRefused) {
  StringSink sink;
  absl::StatusOr<std::vector<Record>> records = ParseFramed(RecordRun(&sink));
  ASSERT_THAT(records, IsOk());
  (*records)[0].mutable_header()->set_format_version(2);
  EXPECT_THAT(Replay(Reframe(*records)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("trace format version 2 is not supported")));
}

TEST(TraceTest, AFullBufferDropsRecordsAndTheReplayReportsAnIncompleteTrace) {
  StringSink sink;
  sink.accept = false;  // nothing leaves the buffer
  {
    ntp::HostOptions options;
    const NtpConfig config = Parse(kConf);
    TraceRecorder recorder(MakeHeader(config, options, absl::UnixEpoch(), "test"), &sink, 4096);
    ntp::TimerInput timer{{absl::FromUnixSeconds(5), absl::FromUnixSeconds(7)}, 3};
    Actions actions;
    for (int i = 0; i < 200; ++i) {
      recorder.OnInput(timer);
      recorder.OnActions(actions);
    }
    EXPECT_GT(recorder.records_dropped(), 0u);
    EXPECT_LT(recorder.records_written(), 401u);
    sink.accept = true;
  }
  absl::StatusOr<std::vector<Record>> records = ParseFramed(sink.data);
  ASSERT_THAT(records, IsOk());
  ASSERT_TRUE(records->back().has_dropped());
  EXPECT_THAT(Replay(sink.data),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("incomplete trace")));
}

TEST(TraceTest, ASmallBufferFlushesOftenAndLosesNothing) {
  StringSink sink;
  const std::string trace = RecordRun(&sink, 512);
  absl::StatusOr<ReplayResult> result = Replay(trace);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;
  StringSink big;
  EXPECT_EQ(RecordRun(&big), trace);
}

TEST(TraceTest, ALossInTheMiddleIsMarkedAndReplayStopsThere) {
  StringSink sink;
  uint64_t dropped = 0;
  {
    const NtpConfig config = Parse(kConf);
    TraceRecorder recorder(MakeHeader(config, ntp::HostOptions{}, absl::UnixEpoch(), "test"),
                           &sink, 1024);
    ntp::TimerInput timer{{absl::FromUnixSeconds(5), absl::FromUnixSeconds(7)}, 3};
    Actions actions;
    for (int i = 0; i < 300; ++i) {
      sink.accept = i < 10 || i >= 100;  // the file is stuck for a while
      recorder.OnInput(timer);
      recorder.OnActions(actions);
    }
    dropped = recorder.records_dropped();
  }
  ASSERT_GT(dropped, 0u);
  absl::StatusOr<std::vector<Record>> records = ParseFramed(sink.data);
  ASSERT_THAT(records, IsOk());
  uint64_t marked = 0;
  size_t first_marker = 0;
  for (size_t i = 0; i < records->size(); ++i) {
    if (!(*records)[i].has_dropped()) continue;
    if (marked == 0) first_marker = i;
    marked += (*records)[i].dropped().count();
  }
  EXPECT_EQ(marked, dropped);
  EXPECT_LT(first_marker + 1, records->size());  // records follow the marker
  EXPECT_THAT(Replay(sink.data),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("dropped ", (*records)[first_marker].dropped().count(),
                                              " records at record ", first_marker))));
}

TEST(TraceTest, TheBufferReachesTheSinkOncePerFlushIntervalOfInputTime) {
  StringSink sink;
  TraceRecorder recorder(MakeHeader(Parse(kConf), ntp::HostOptions{}, absl::UnixEpoch(), "test"),
                         &sink, size_t{1} << 20, absl::Seconds(1));
  Actions actions;
  const absl::Time t0 = absl::FromUnixSeconds(100);
  recorder.OnInput(ntp::TimerInput{{t0, t0}, 1});
  recorder.OnActions(actions);
  recorder.OnInput(ntp::TimerInput{{t0 + absl::Milliseconds(900), t0}, 1});
  recorder.OnActions(actions);
  EXPECT_TRUE(sink.data.empty());
  recorder.OnInput(ntp::TimerInput{{t0 + absl::Seconds(1), t0}, 1});
  recorder.OnActions(actions);
  absl::StatusOr<std::vector<Record>> records = ParseFramed(sink.data);
  ASSERT_THAT(records, IsOk());
  EXPECT_EQ(records->size(), 7u);  // the header and three inputs with their actions
}

// An NTS client: the key exchange (action and result) and the protected
// exchanges replay identically.
TEST(TraceTest, AnNtsClientRunReplaysIdentically) {
  nts::CookieKeyring keyring;
  SplitMix64 keys(3);
  ASSERT_THAT(keyring.Rotate(keys), IsOk());
  absl::StatusOr<nts::NtsServer> server = nts::NtsServer::Create(&keyring);
  ASSERT_THAT(server, IsOk());
  ntp::HostOptions options;
  options.listen = {Addr("10.0.0.1:0")};
  options.random_seed = 11;
  const NtpConfig config = Parse("server 192.0.2.1 nts noval iburst\n");
  auto host = Host::Create(config, options, nullptr);
  ASSERT_THAT(host, IsOk());
  StringSink sink;
  TraceRecorder recorder(MakeHeader(config, options, absl::FromUnixSeconds(1700000000), "test"),
                         &sink, size_t{1} << 20);
  HostDriver driver(host->get());
  driver.observe = [&recorder](const ntp::Input& input, const Actions& actions) {
    recorder.OnInput(input);
    recorder.OnActions(actions);
  };
  driver.key_exchange = [&keyring](const ntp::RunKeyExchange&) {
    return std::optional<ntp::KeyExchangeResultInput>(
        ::ntp::testing::NtsKeyExchange(keyring, 5, 0));
  };
  driver.AddPeer(Addr("192.0.2.1:123"),
                 ::ntp::testing::NtsUpstreamServer(&*server, absl::Milliseconds(3)));
  driver.Start();
  driver.AdvanceBy(absl::Seconds(200));
  driver.Shutdown();
  ASSERT_THAT(recorder.Flush(), IsOk());
  ASSERT_GE((*host)->client()->associations()[0]->counters().verdicts[static_cast<size_t>(ReplyVerdict::kAccept)], 1u);

  absl::StatusOr<ReplayResult> result = Replay(sink.data);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->identical) << result->report;
  absl::StatusOr<std::string> dump = Dump(sink.data);
  ASSERT_THAT(dump, IsOk());
  EXPECT_THAT(*dump, HasSubstr("run_key_exchange {"));
  EXPECT_THAT(*dump, HasSubstr("key_exchange_result {"));

  // A changed cookie is a divergence: the request that carries it differs.
  absl::StatusOr<std::vector<Record>> records = ParseFramed(sink.data);
  ASSERT_THAT(records, IsOk());
  bool changed = false;
  for (Record& r : *records) {
    if (r.has_input() && r.input().has_key_exchange_result()) {
      (*r.mutable_input()->mutable_key_exchange_result()->mutable_cookies(0))[30] ^= 1;
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  absl::StatusOr<ReplayResult> diverged = Replay(Reframe(*records));
  ASSERT_THAT(diverged, IsOk());
  EXPECT_FALSE(diverged->identical);
}

TEST(TraceTest, EveryInputAlternativeRoundTrips) {
  const ntp::Readings now{absl::FromUnixNanos(123456789), absl::FromUnixNanos(1700000000123456789)};
  const std::vector<uint8_t> bytes = {1, 2, 3};
  net::ReceivedDatagram datagram{bytes, Addr("192.0.2.1:123"), Addr("[::1]:40000"),
                                 absl::FromUnixNanos(99), net::RxTimestampSource::kKernelTimestampNs};
  ntp::StartInput start{now, {absl::Nanoseconds(100), 400, 300}, {ntp::DriftReading::State::kValue, 12.5, "d", "", absl::FromUnixSeconds(7)},
                   absl::FromUnixSeconds(5), "rtc0"};
  const std::vector<ntp::Input> inputs = {
      start,
      ntp::DatagramInput{now, 4, datagram},
      ntp::TimerInput{now, 9},
      ntp::SocketResultInput{now, 2, absl::AlreadyExistsError("in use"), Addr("10.0.0.1:123")},
      ntp::SendResultInput{now, 2, 77, absl::OkStatus(), absl::FromUnixNanos(5)},
      ntp::ClockResultInput{now, 3, ClockOpKind::kFrequency, absl::OkStatus(),
                            absl::Nanoseconds(-7), 1.25},
      ntp::DriftWriteResultInput{now, -3.5, absl::PermissionDeniedError("ro")},
      ntp::ShutdownInput{now},
      ntp::ConfigChangeInput{now, std::make_shared<const NtpConfig>(Parse(kConf))},
      ntp::RtcWriteResultInput{now, absl::OkStatus(), absl::FromUnixSeconds(8)},
      ntp::KeyExchangeResultInput{now, 12, absl::OkStatus(), 15, std::vector<uint8_t>(32, 1),
                                  std::vector<uint8_t>(32, 2), {{7, 8, 9}, {10}}, "ntp.lan",
                                  10123},
      ntp::KeyExchangeResultInput{now, 13, absl::UnavailableError("refused"), 0, {}, {}, {},
                                  "", 0},
  };
  for (const ntp::Input& input : inputs) {
    Input first;
    EncodeInput(input, &first);
    DecodedInput decoded;
    ASSERT_THAT(DecodeInput(first, &decoded), IsOk()) << first.ShortDebugString();
    EXPECT_EQ(decoded.input.index(), input.index());
    Input second;
    EncodeInput(decoded.input, &second);
    EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString()) << first.ShortDebugString();
  }
  Input encoded;
  EncodeInput(start, &encoded);
  DecodedInput decoded;
  ASSERT_THAT(DecodeInput(encoded, &decoded), IsOk());
  EXPECT_EQ(std::get<ntp::StartInput>(decoded.input).drift.last_written, absl::FromUnixSeconds(7));
}

}  // namespace
}  // namespace ntp::trace

namespace ntp::trace {
namespace {

// The codec formats addresses itself (no printf): the text must be
// net::SocketAddress::ToString's, or old traces would not replay.
TEST(TraceCodecTest, AddressesAreWrittenAsToStringWritesThem) {
  for (const char* text : {"0.0.0.0:0", "255.255.255.255:65535", "10.0.0.9:40000", "127.0.0.2:123",
                           "192.168.100.1:9", "[::1]:123", "[2001:db8::7]:4460"}) {
    const net::SocketAddress address = *net::SocketAddress::Parse(text);
    Actions actions;
    const uint8_t byte = 0x23;
    actions.Send(1, address, absl::MakeConstSpan(&byte, 1));
    actions.Open(2, address);
    ActionList list;
    EncodeActions(actions, &list);
    ASSERT_EQ(list.actions_size(), 2);
    EXPECT_EQ(list.actions(0).send_datagram().to().text(), address.ToString());
    EXPECT_EQ(list.actions(1).open_socket().local().text(), address.ToString());
  }
}

}  // namespace
}  // namespace ntp::trace
