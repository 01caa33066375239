#include "ntp/runtime/executor.h"

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clock/fake_clock.h"
#include "clock/fake_rtc.h"
#include "clock/manual_scheduler.h"
#include "clock/memory_drift_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fake_network.h"
#include "ntp/config/parser.h"
#include "ntp/runtime/instance.h"
#include "ntp/testing/status_matchers.h"

namespace ntp::runtime {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::ElementsAre;

net::SocketAddress Addr(const std::string& text) { return *net::SocketAddress::Parse(text); }
net::IpAddress Ip(const std::string& text) { return *net::IpAddress::Parse(text); }

NtpConfig Parse(const std::string& text) {
  ParsedConfig parsed = ParseNtpConfText(text, "test.conf", nullptr);
  EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
  return parsed.config;
}

// `d` rounded to the nearest microsecond, halves away from zero (what a
// FakeClock with a 1 us slew resolution applies, as adjtime() does).
absl::Duration RoundToMicroseconds(absl::Duration d) {
  const absl::Duration magnitude =
      absl::Floor(absl::AbsDuration(d) + absl::Nanoseconds(500), absl::Microseconds(1));
  return d < absl::ZeroDuration() ? -magnitude : magnitude;
}

// One line per input, for sequence checks.
std::string Describe(const Input& input) {
  struct Visitor {
    std::string operator()(const StartInput&) { return "start"; }
    std::string operator()(const DatagramInput& d) { return absl::StrCat("datagram ", d.socket); }
    std::string operator()(const TimerInput& t) { return absl::StrCat("timer ", t.key); }
    std::string operator()(const SocketResultInput& s) {
      return absl::StrCat("socket ", s.socket, s.status.ok() ? " bound" : " failed");
    }
    std::string operator()(const SendResultInput& s) {
      return absl::StrCat("sent ", s.socket, s.status.ok() ? "" : " failed");
    }
    std::string operator()(const ClockResultInput& c) {
      return absl::StrCat("clock ", ClockOpKindName(c.kind), c.status.ok() ? "" : " refused");
    }
    std::string operator()(const DriftWriteResultInput& d) {
      return absl::StrCat("drift written", d.status.ok() ? "" : " failed");
    }
    std::string operator()(const ShutdownInput&) { return "shutdown"; }
    std::string operator()(const ConfigChangeInput&) { return "configuration"; }
    std::string operator()(const RtcWriteResultInput& r) {
      return r.status.ok() ? "rtc written" : "rtc refused";
    }
    std::string operator()(const KeyExchangeResultInput& k) {
      return absl::StrCat("key exchange ", k.id, k.status.ok() ? "" : " failed");
    }
  };
  return std::visit(Visitor{}, input);
}

// Records what the executor hands the host and what comes back, and keeps a
// model of the timers the host holds (the latest SetTimer per key, minus
// cancellations and expiries) to check every TimerInput against it.
class RecordingObserver final : public ExecutionObserver {
 public:
  explicit RecordingObserver(clocks::Scheduler* scheduler) : scheduler_(scheduler) {}

  void OnInput(const Input& input) override {
    EXPECT_FALSE(awaiting_actions_) << "two inputs without actions in between";
    awaiting_actions_ = true;
    inputs.push_back(Describe(input));
    last_input_clock_ = InputReadings(input).clock;
    if (const auto* timer = std::get_if<TimerInput>(&input)) {
      auto it = pending_timers.find(timer->key);
      if (it == pending_timers.end()) {
        ADD_FAILURE() << "timer " << timer->key << " fired but was not pending";
      } else {
        EXPECT_EQ(it->second, scheduler_->Now()) << "timer " << timer->key;
        EXPECT_EQ(timer->now.monotonic, it->second);
        pending_timers.erase(it);
      }
    }
    if (const auto* start = std::get_if<StartInput>(&input)) start_input = *start;
    if (const auto* send = std::get_if<SendResultInput>(&input)) send_results.push_back(*send);
    if (const auto* clock = std::get_if<ClockResultInput>(&input)) {
      clock_results.push_back(*clock);
    }
    if (const auto* drift = std::get_if<DriftWriteResultInput>(&input)) {
      drift_results.push_back(*drift);
    }
  }
  void OnActions(const Actions& actions) override {
    EXPECT_TRUE(awaiting_actions_) << "actions without an input";
    awaiting_actions_ = false;
    ++action_lists;
    for (const Action& action : actions.list()) {
      if (const auto* set = std::get_if<SetTimer>(&action)) {
        if (pending_timers.count(set->key) != 0) replaced_timers.push_back(set->key);
        pending_timers[set->key] = set->when;
      } else if (const auto* cancel = std::get_if<CancelTimer>(&action)) {
        cancelled_timers += pending_timers.erase(cancel->key);
      } else if (const auto* op = std::get_if<ClockOperation>(&action)) {
        clock_operations.push_back(*op);
      } else if (const auto* send = std::get_if<SendDatagram>(&action)) {
        sends.push_back(*send);
        send_input_clock.push_back(last_input_clock_);
      } else if (std::holds_alternative<WriteDrift>(action)) {
        ++drift_writes;
      } else if (const auto* close = std::get_if<CloseSocket>(&action)) {
        closes.emplace_back(inputs.empty() ? "" : inputs.back(), close->socket);
      }
    }
  }
  // The inputs seen since the last call.
  std::vector<std::string> TakeInputs() {
    std::vector<std::string> out = std::move(inputs);
    inputs.clear();
    return out;
  }

  std::vector<std::string> inputs;
  uint64_t action_lists = 0;
  std::map<TimerKey, absl::Time> pending_timers;
  std::vector<TimerKey> replaced_timers;  // keys set again while pending
  int cancelled_timers = 0;
  std::optional<StartInput> start_input;
  std::vector<ClockOperation> clock_operations;
  std::vector<ClockResultInput> clock_results;
  std::vector<SendDatagram> sends;
  std::vector<absl::Time> send_input_clock;  // readings of the input that asked
  std::vector<SendResultInput> send_results;
  std::vector<DriftWriteResultInput> drift_results;
  int drift_writes = 0;
  // (the input whose actions closed it, the socket)
  std::vector<std::pair<std::string, SocketId>> closes;

 private:
  clocks::Scheduler* const scheduler_;
  bool awaiting_actions_ = false;
  absl::Time last_input_clock_;
};

// A clock that moves on by 1 ns at every read, so that each reading is
// distinct and `last_read()` tells which one a caller got.
class TickingClock : public clocks::Clock {
 public:
  explicit TickingClock(clocks::FakeClock* inner) : inner_(inner) {}
  absl::Time Now() override {
    ++reads_;
    last_read_ = inner_->Now() + absl::Nanoseconds(reads_);
    return last_read_;
  }
  absl::Time last_read() const { return last_read_; }
  absl::Duration Precision() const override { return inner_->Precision(); }
  absl::StatusOr<absl::Duration> StepBy(absl::Duration d) override { return inner_->StepBy(d); }
  absl::StatusOr<absl::Duration> SlewBy(absl::Duration d) override { return inner_->SlewBy(d); }
  double MaxFrequencyPpm() const override { return inner_->MaxFrequencyPpm(); }
  absl::StatusOr<double> SetFrequencyPpm(double ppm) override {
    return inner_->SetFrequencyPpm(ppm);
  }
  absl::Status SetSyncStatus(const clocks::ClockSyncStatus& s) override {
    return inner_->SetSyncStatus(s);
  }
  absl::StatusOr<clocks::ClockStatus> ReadStatus() override { return inner_->ReadStatus(); }

 private:
  clocks::FakeClock* const inner_;
  int64_t reads_ = 0;
  absl::Time last_read_;
};

// Forwards to a FakeNetwork, recording for each send the clock's last
// reading at that moment, and noting a socket destroyed while its own
// receive handler runs.
class RecordingNetwork final : public net::Network {
 public:
  struct Send {
    net::SocketAddress from;
    absl::Time last_clock_read;
  };
  RecordingNetwork(net::Network* inner, TickingClock* clock) : inner_(inner), clock_(clock) {}

  absl::StatusOr<std::unique_ptr<net::DatagramSocket>> Bind(
      const net::SocketAddress& local) override {
    absl::StatusOr<std::unique_ptr<net::DatagramSocket>> socket = inner_->Bind(local);
    if (!socket.ok()) return socket.status();
    return std::unique_ptr<net::DatagramSocket>(new Socket(this, *std::move(socket)));
  }

  std::vector<Send> sends;
  int destroyed_in_own_handler = 0;
  int destroyed = 0;

 private:
  class Socket final : public net::DatagramSocket {
   public:
    Socket(RecordingNetwork* network, std::unique_ptr<net::DatagramSocket> inner)
        : network_(network), inner_(std::move(inner)) {}
    ~Socket() override {
      ++network_->destroyed;
      if (in_handler_) ++network_->destroyed_in_own_handler;
    }
    net::SocketAddress local_address() const override { return inner_->local_address(); }
    absl::Status SendTo(absl::Span<const uint8_t> payload,
                        const net::SocketAddress& to) override {
      network_->sends.push_back(Send{inner_->local_address(), network_->clock_->last_read()});
      return inner_->SendTo(payload, to);
    }
    void SetReceiveHandler(ReceiveHandler handler) override {
      if (!handler) {
        inner_->SetReceiveHandler(nullptr);
        return;
      }
      handler_ = std::move(handler);
      inner_->SetReceiveHandler([this](const net::ReceivedDatagram& d) {
        in_handler_ = true;
        handler_(d);
        in_handler_ = false;
      });
    }

   private:
    RecordingNetwork* const network_;
    std::unique_ptr<net::DatagramSocket> inner_;
    ReceiveHandler handler_;
    bool in_handler_ = false;
  };

  net::Network* const inner_;
  TickingClock* const clock_;
};

constexpr uint16_t kPort = 11123;

// A small world on one ManualScheduler: FakeNetwork with 1 ms delay, the
// host under test at 10.0.0.1 on a FakeClock (50 ms behind true time), and,
// for tests that need one, an upstream server at 10.0.0.2 (an Instance
// serving its LOCAL clock at stratum 1) on an exact FakeClock.
class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest()
      : scheduler_(absl::FromUnixSeconds(1000)),
        network_(&scheduler_, absl::Milliseconds(1)),
        clock_(absl::FromUnixSeconds(1700000000) - absl::Milliseconds(50)),
        upstream_clock_(absl::FromUnixSeconds(1700000000)),
        observer_(&scheduler_) {
    network_.SetHostClock(Ip("10.0.0.1"), &clock_);
    network_.SetHostClock(Ip("10.0.0.2"), &upstream_clock_);
  }

  Seams DefaultSeams() {
    Seams seams;
    seams.clock = &clock_;
    seams.network = &network_;
    seams.scheduler = &scheduler_;
    return seams;
  }
  static HostOptions Options() {
    HostOptions options;
    options.port = kPort;
    options.server_port = kPort;
    options.listen = {Addr("10.0.0.1:0")};
    options.own_addresses = {Ip("10.0.0.1")};
    options.random_seed = 11;
    return options;
  }
  std::unique_ptr<Instance> Make(const std::string& conf, const HostOptions& options,
                                 const Seams& seams) {
    absl::StatusOr<std::unique_ptr<Instance>> instance =
        Instance::Create(Parse(conf), options, nullptr, seams);
    EXPECT_THAT(instance, IsOk());
    if (!instance.ok()) return nullptr;
    (*instance)->executor().set_observer(&observer_);
    return *std::move(instance);
  }
  void StartUpstream() {
    HostOptions options;
    options.port = kPort;
    options.listen = {Addr("10.0.0.2:0")};
    Seams seams;
    seams.clock = &upstream_clock_;
    seams.network = &network_;
    seams.scheduler = &scheduler_;
    auto upstream = Instance::Create(
        Parse("server 127.127.1.0 prefer\nfudge 127.127.1.0 stratum 0\n"), options, nullptr,
        seams);
    ASSERT_THAT(upstream, IsOk());
    upstream_ = *std::move(upstream);
    ASSERT_THAT(upstream_->Start(), IsOk());
  }
  // Lets `d` of true time pass: both clocks advance with the scheduler.
  void Run(absl::Duration d) {
    const absl::Time end = scheduler_.Now() + d;
    while (scheduler_.Now() < end) {
      absl::Time next = end;
      if (auto due = scheduler_.NextDue(); due.has_value() && *due < next) {
        next = std::max(*due, scheduler_.Now());
      }
      clock_.Advance(next - scheduler_.Now());
      upstream_clock_.Advance(next - scheduler_.Now());
      scheduler_.AdvanceTo(next);
    }
  }

  clocks::ManualScheduler scheduler_;
  net::FakeNetwork network_;
  clocks::FakeClock clock_;
  clocks::FakeClock upstream_clock_;
  RecordingObserver observer_;
  std::unique_ptr<Instance> upstream_;
};

constexpr char kLocalAndOrphan[] = "server 127.127.1.0\ntos orphan 11\n";

TEST_F(ExecutorTest, ObserverSeesEveryInputInOrderWithItsActions) {
  HostOptions options = Options();
  options.listen = {Addr("10.0.0.1:0"), Addr("10.0.0.3:0")};
  auto instance = Make(kLocalAndOrphan, options, DefaultSeams());
  ASSERT_THAT(instance->Start(), IsOk());
  // The results come back in the order their actions were carried out.
  EXPECT_THAT(observer_.TakeInputs(), ElementsAre("start", "socket 1 bound", "socket 2 bound"));
  Run(absl::Seconds(1));
  EXPECT_THAT(observer_.TakeInputs(), ElementsAre("timer 1"));  // the LOCAL poll
  instance->Shutdown();
  EXPECT_THAT(observer_.TakeInputs(), ElementsAre("shutdown"));
  EXPECT_EQ(observer_.action_lists, instance->executor().counters().inputs);
  EXPECT_EQ(instance->executor().counters().inputs, 5u);
}

TEST_F(ExecutorTest, TimersAreSetAndCancelledByKey) {
  auto instance = Make(kLocalAndOrphan, Options(), DefaultSeams());
  ASSERT_THAT(instance->Start(), IsOk());
  // The LOCAL poll (1 s) and the orphan wait (301 s).
  EXPECT_EQ(observer_.pending_timers.size(), 2u);
  EXPECT_EQ(scheduler_.pending(), 2u);
  Run(absl::Seconds(310));
  EXPECT_THAT(observer_.TakeInputs(), ::testing::Contains("timer 2"));
  // Re-armed as they fire: still one scheduler timer per key.
  EXPECT_EQ(observer_.pending_timers.size(), 2u);
  EXPECT_EQ(scheduler_.pending(), 2u);
  Run(absl::Seconds(100));  // LOCAL takes over: the orphan timer is not re-armed
  EXPECT_EQ(observer_.pending_timers.size(), 1u);
  EXPECT_EQ(scheduler_.pending(), 1u);
  observer_.TakeInputs();
  instance->Shutdown();
  EXPECT_THAT(observer_.TakeInputs(), ElementsAre("shutdown"));
  EXPECT_EQ(observer_.cancelled_timers, 1);
  EXPECT_TRUE(observer_.pending_timers.empty());
  // Only the closed socket's disposal is left; nothing fires any more.
  scheduler_.RunDue();
  EXPECT_EQ(scheduler_.pending(), 0u);
  Run(absl::Seconds(1000));
  EXPECT_TRUE(observer_.TakeInputs().empty());
}

TEST_F(ExecutorTest, ReplacedTimersFireOnlyAtTheirNewTime) {
  // A disciplining client sets timers again while they are pending (the
  // steering's end timer when it re-plans a correction, an association's
  // poll); the observer checks every expiry against the latest SetTimer of
  // its key, so an expiry at a replaced time would fail.
  StartUpstream();
  auto instance = Make("server 10.0.0.2 iburst minpoll 4 maxpoll 4\n", Options(),
                       DefaultSeams());
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Minutes(30));
  EXPECT_FALSE(observer_.replaced_timers.empty());
  EXPECT_GT(observer_.cancelled_timers, 0);
  EXPECT_GT(instance->host().client()->updates(), 0);
}

TEST_F(ExecutorTest, SendResultCarriesTheClockReadAtTheSend) {
  StartUpstream();
  TickingClock clock(&clock_);
  RecordingNetwork network(&network_, &clock);
  Seams seams = DefaultSeams();
  seams.clock = &clock;
  seams.network = &network;
  auto instance = Make("server 10.0.0.2 iburst\n", Options(), seams);
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Seconds(5));
  ASSERT_FALSE(observer_.send_results.empty());
  // Every send asked for a result; they come back in order.
  ASSERT_EQ(observer_.send_results.size(), observer_.sends.size());
  for (size_t i = 0; i < observer_.sends.size(); ++i) {
    const SendResultInput& result = observer_.send_results[i];
    EXPECT_THAT(result.status, IsOk());
    EXPECT_NE(result.token, 0u);
    EXPECT_EQ(result.token, observer_.sends[i].token);
    EXPECT_EQ(result.socket, observer_.sends[i].socket);
    EXPECT_GT(result.transmit_time, observer_.send_input_clock[i]);
    // The reading the executor took just before handing the datagram over
    // (the last one before the send), not the readings of an input.
    bool found = false;
    for (const RecordingNetwork::Send& send : network.sends) {
      found |= send.last_clock_read == result.transmit_time;
    }
    EXPECT_TRUE(found) << "transmit time " << result.transmit_time
                       << " is no clock reading taken at a send";
    // The result carries the readings of the input whose actions produced
    // it (ntp/actions.h), taken before the send.
    EXPECT_EQ(result.now.clock, observer_.send_input_clock[i]);
    EXPECT_LT(result.now.clock, result.transmit_time);
  }
}

TEST_F(ExecutorTest, ClockOperationsReturnTheAppliedValue) {
  StartUpstream();
  // A clock with the kernel's resolutions: 2^-16 ppm, whole-us slews.
  const double unit = std::ldexp(1.0, -16);
  clock_.set_resolution(clocks::FakeClockResolution{absl::Nanoseconds(1),
                                                    absl::Microseconds(1), unit});
  auto instance = Make("server 10.0.0.2 iburst\n", Options(), DefaultSeams());
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Minutes(10));
  // Every step, slew and frequency comes back with what was applied; a
  // sync status only when refused (ntp/actions.h).
  std::vector<ClockOperation> measured;
  int sync_statuses = 0;
  for (const ClockOperation& op : observer_.clock_operations) {
    if (op.kind == ClockOpKind::kSyncStatus) {
      ++sync_statuses;
    } else {
      measured.push_back(op);
    }
  }
  EXPECT_GT(sync_statuses, 0);
  ASSERT_EQ(observer_.clock_results.size(), measured.size());
  int frequencies = 0;
  int rounded = 0;
  for (size_t i = 0; i < measured.size(); ++i) {
    const ClockOperation& op = measured[i];
    const ClockResultInput& result = observer_.clock_results[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(result.id, op.id);
    EXPECT_EQ(result.kind, op.kind);
    ASSERT_THAT(result.status, IsOk());
    switch (op.kind) {
      case ClockOpKind::kFrequency:
        ++frequencies;
        EXPECT_DOUBLE_EQ(result.applied_ppm, std::round(op.ppm / unit) * unit);
        rounded += result.applied_ppm != op.ppm;
        break;
      case ClockOpKind::kSlew:
        EXPECT_EQ(result.applied_offset, RoundToMicroseconds(op.offset));
        break;
      case ClockOpKind::kStep:
        EXPECT_EQ(result.applied_offset, absl::Floor(op.offset, absl::Nanoseconds(1)));
        break;
      case ClockOpKind::kSyncStatus:
        break;
    }
  }
  EXPECT_GT(frequencies, 1);
  EXPECT_GT(rounded, 0);  // the clock did round: the test tells the values apart
  // What the clock has now is the last value it reported.
  double last_applied_ppm = NAN;
  for (const ClockResultInput& result : observer_.clock_results) {
    if (result.kind == ClockOpKind::kFrequency) last_applied_ppm = result.applied_ppm;
  }
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), last_applied_ppm);
  EXPECT_EQ(instance->executor().counters().clock_operations,
            observer_.clock_operations.size());
  EXPECT_EQ(instance->executor().counters().clock_refusals, 0u);
}

// A clock that takes the leap bits but reports no leap pending (another
// program cleared them, or a kernel that ignores them).
class ForgetfulLeapClock final : public TickingClock {
 public:
  using TickingClock::TickingClock;
  absl::StatusOr<clocks::ClockStatus> ReadStatus() override {
    absl::StatusOr<clocks::ClockStatus> status = TickingClock::ReadStatus();
    if (status.ok()) status->state = clocks::KernelTimeState::kOk;
    return status;
  }
};

TEST_F(ExecutorTest, ArmedLeapSecondIsReadBack) {
  ClockOperation op;
  op.kind = ClockOpKind::kSyncStatus;
  op.sync.synchronized = true;
  op.sync.leap = Leap::kInsertSecond;
  // The fake kernel arms it: the result is OK.
  EXPECT_THAT(ApplyClockOperation(clock_, op).status, IsOk());
  // A kernel that does not show it pending: refused, with the reason.
  ForgetfulLeapClock forgetful(&clock_);
  EXPECT_THAT(ApplyClockOperation(forgetful, op).status,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("did not arm the leap second insertion")));
  // No leap asked: nothing to read back.
  op.sync.leap = Leap::kNoWarning;
  EXPECT_THAT(ApplyClockOperation(forgetful, op).status, IsOk());
}

TEST_F(ExecutorTest, RefusedClockOperationsComeBackAsRefusals) {
  StartUpstream();
  clock_.set_read_only(true);
  auto instance = Make("server 10.0.0.2 iburst\n", Options(), DefaultSeams());
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Minutes(2));
  ASSERT_FALSE(observer_.clock_results.empty());
  for (const ClockResultInput& result : observer_.clock_results) {
    EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_EQ(instance->executor().counters().clock_refusals, observer_.clock_results.size());
  EXPECT_TRUE(clock_.operations().empty());
}

TEST_F(ExecutorTest, DriftStoreIsReadAtStartAndWrittenOnWriteDrift) {
  StartUpstream();
  clocks::MemoryDriftStore store(-12.5);
  Seams seams = DefaultSeams();
  seams.drift_store = &store;
  auto instance = Make("server 10.0.0.2 iburst\n", Options(), seams);
  ASSERT_THAT(instance->Start(), IsOk());
  ASSERT_TRUE(observer_.start_input.has_value());
  EXPECT_EQ(observer_.start_input->drift.state, DriftReading::State::kValue);
  EXPECT_DOUBLE_EQ(observer_.start_input->drift.frequency_ppm, -12.5);
  EXPECT_EQ(observer_.start_input->drift.where, "memory");
  // The host started from it.
  EXPECT_DOUBLE_EQ(clock_.frequency_ppm(), -12.5);
  Run(absl::Minutes(5));
  ASSERT_GT(instance->host().client()->updates(), 0);
  EXPECT_TRUE(store.writes().empty());
  instance->Shutdown();  // a clean stop writes the drift
  EXPECT_EQ(observer_.drift_writes, 1);
  ASSERT_EQ(store.writes().size(), 1u);
  ASSERT_EQ(observer_.drift_results.size(), 1u);
  EXPECT_THAT(observer_.drift_results[0].status, IsOk());
  EXPECT_DOUBLE_EQ(observer_.drift_results[0].frequency_ppm, store.writes()[0]);
}

TEST_F(ExecutorTest, RtcIsReadAtStartAndSetFromTheSystemClock) {
  StartUpstream();
  const absl::Time rtc_time = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()) - 3);
  clocks::FakeRtc rtc(rtc_time);
  Seams seams = DefaultSeams();
  seams.rtc = &rtc;
  auto instance = Make("server 10.0.0.2 iburst\nrtc write interval 60\n", Options(), seams);
  ASSERT_THAT(instance->Start(), IsOk());
  ASSERT_TRUE(observer_.start_input.has_value());
  ASSERT_TRUE(observer_.start_input->rtc_time.has_value());
  EXPECT_EQ(*observer_.start_input->rtc_time, rtc_time);
  EXPECT_EQ(observer_.start_input->rtc_where, "fake RTC");
  Run(absl::Minutes(5));
  // Once synchronised, the RTC gets the system clock's time, to the second.
  ASSERT_FALSE(rtc.writes().empty());
  EXPECT_LT(absl::AbsDuration(rtc.writes().back() - clock_.Now()), absl::Seconds(61));
  EXPECT_EQ(instance->host().rtc_writes(), rtc.writes().size());
  EXPECT_EQ(instance->host().rtc_write_failures(), 0u);
}

class CollectingSink final : public EventSink {
 public:
  void OnEvent(const Event& event) override { events.push_back(event); }
  std::vector<Event> events;
};

// A world without streams (a simulator host without SimStreams) cannot run
// NTS-KE: the exchange fails at once with a result saying why, and the
// association backs off.
TEST_F(ExecutorTest, KeyExchangeWithoutStreamsFailsWithAClearResult) {
  CollectingSink sink;
  Seams seams = DefaultSeams();
  seams.events = &sink;
  auto instance = Make("server 10.0.0.2 nts noval\n", Options(), seams);
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Seconds(30));
  std::vector<std::string> failures;
  for (const std::string& input : observer_.TakeInputs()) {
    if (absl::StrContains(input, "key exchange")) failures.push_back(input);
  }
  ASSERT_EQ(failures.size(), 2u);  // at the first poll, and 16 s later
  EXPECT_THAT(failures[0], ::testing::EndsWith("failed"));
  bool logged = false;
  for (const Event& e : sink.events) {
    logged |= absl::StrContains(e.text, "NTS-KE with 10.0.0.2 failed: no stream network");
  }
  EXPECT_TRUE(logged);
  EXPECT_TRUE(observer_.sends.empty());  // no NTP request without keys
}

TEST_F(ExecutorTest, ARefusedRtcWriteIsCountedAndLoggedOnce) {
  StartUpstream();
  clocks::FakeRtc rtc(clock_.Now(), /*read_only=*/true);
  Seams seams = DefaultSeams();
  seams.rtc = &rtc;
  auto instance = Make("server 10.0.0.2 iburst\nrtc write interval 60\n", Options(), seams);
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Minutes(6));
  EXPECT_TRUE(rtc.writes().empty());
  EXPECT_GT(instance->host().rtc_write_failures(), 1u);
  EXPECT_EQ(instance->host().rtc_writes(), 0u);
}

TEST_F(ExecutorTest, DriftStoreStatesReachTheStartInput) {
  {
    auto instance = Make(kLocalAndOrphan, Options(), DefaultSeams());
    ASSERT_THAT(instance->Start(), IsOk());
    EXPECT_EQ(observer_.start_input->drift.state, DriftReading::State::kNoStore);
  }
  clocks::MemoryDriftStore store;
  Seams seams = DefaultSeams();
  seams.drift_store = &store;
  {
    auto instance = Make(kLocalAndOrphan, Options(), seams);
    ASSERT_THAT(instance->Start(), IsOk());
    EXPECT_EQ(observer_.start_input->drift.state, DriftReading::State::kAbsent);
  }
  store.set_corrupt(true);
  {
    auto instance = Make(kLocalAndOrphan, Options(), seams);
    ASSERT_THAT(instance->Start(), IsOk());
    EXPECT_EQ(observer_.start_input->drift.state, DriftReading::State::kUnreadable);
    EXPECT_FALSE(observer_.start_input->drift.error.empty());
    EXPECT_FALSE(observer_.start_input->drift.last_written.has_value());
  }
  // A value carries the time it was written (the client's era pivot).
  store.set_corrupt(false);
  ASSERT_THAT(store.Write(-7.5), IsOk());
  store.set_last_written(absl::FromUnixSeconds(4102444800));
  {
    auto instance = Make(kLocalAndOrphan, Options(), seams);
    ASSERT_THAT(instance->Start(), IsOk());
    EXPECT_EQ(observer_.start_input->drift.state, DriftReading::State::kValue);
    EXPECT_EQ(observer_.start_input->drift.frequency_ppm, -7.5);
    EXPECT_EQ(observer_.start_input->drift.last_written, absl::FromUnixSeconds(4102444800));
  }
}

TEST_F(ExecutorTest, FailedDriftWriteIsReported) {
  StartUpstream();
  clocks::MemoryDriftStore store(3.0);
  store.set_write_error(absl::PermissionDeniedError("read-only file system"));
  Seams seams = DefaultSeams();
  seams.drift_store = &store;
  auto instance = Make("server 10.0.0.2 iburst\n", Options(), seams);
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Minutes(5));
  instance->Shutdown();
  ASSERT_EQ(observer_.drift_results.size(), 1u);
  EXPECT_THAT(observer_.drift_results[0].status,
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(store.writes().empty());
}

TEST_F(ExecutorTest, SocketClosedInsideItsOwnReceiveHandlerIsSafe) {
  // ntpd -q: the client sets the clock from the replies and exits from
  // inside the handler of the reply that completes it, closing that very
  // socket.
  StartUpstream();
  TickingClock clock(&clock_);
  RecordingNetwork network(&network_, &clock);
  Seams seams = DefaultSeams();
  seams.clock = &clock;
  seams.network = &network;
  HostOptions options = Options();
  options.set_once_and_exit = true;
  auto instance = Make("server 10.0.0.2 iburst\n", options, seams);
  std::vector<HostExit> exits;
  instance->executor().set_on_exit([&](HostExit how) { exits.push_back(how); });
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Minutes(5));
  ASSERT_THAT(exits, ElementsAre(HostExit::kDone));
  // The socket was closed by the actions of a datagram it received.
  bool closed_by_own_datagram = false;
  for (const auto& [input, socket] : observer_.closes) {
    closed_by_own_datagram |= input == absl::StrCat("datagram ", socket);
  }
  EXPECT_TRUE(closed_by_own_datagram);
  EXPECT_EQ(network.destroyed_in_own_handler, 0);
  EXPECT_GE(network.destroyed, 1);  // disposed of from the loop afterwards
  // The clock was set (slewed) before the exit.
  EXPECT_FALSE(clock_.operations().empty());
  // Nothing more happens; a shutdown later is harmless and exits are not
  // reported twice.
  observer_.TakeInputs();
  Run(absl::Minutes(5));
  EXPECT_TRUE(observer_.TakeInputs().empty());
  instance->Shutdown();
  EXPECT_EQ(exits.size(), 1u);
}

TEST_F(ExecutorTest, ShutdownIsIdempotentAndNeedsAStart) {
  auto instance = Make(kLocalAndOrphan, Options(), DefaultSeams());
  instance->Shutdown();  // before the start: nothing
  EXPECT_TRUE(observer_.TakeInputs().empty());
  ASSERT_THAT(instance->Start(), IsOk());
  EXPECT_THAT(instance->Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
  observer_.TakeInputs();
  instance->Shutdown();
  instance->Shutdown();
  EXPECT_THAT(observer_.TakeInputs(), ElementsAre("shutdown"));
  EXPECT_EQ(instance->host().exit_state(), HostExit::kDone);
  scheduler_.RunDue();
  // The listen address is free again.
  EXPECT_THAT(network_.Bind(Addr("10.0.0.1:11123")), IsOk());
}

TEST_F(ExecutorTest, ReconfigureIsAnInputWhileRunningAndStopsRemovedAssociations) {
  StartUpstream();
  auto instance = Make("server 10.0.0.2 iburst\n", Options(), DefaultSeams());
  instance->executor().Reconfigure(Parse(""));  // before the start: nothing
  EXPECT_TRUE(observer_.TakeInputs().empty());
  ASSERT_THAT(instance->Start(), IsOk());
  Run(absl::Seconds(30));
  ASSERT_FALSE(observer_.sends.empty());
  observer_.TakeInputs();

  instance->Reconfigure(Parse("tos minsane 1\n"));
  EXPECT_THAT(observer_.TakeInputs(), ElementsAre("configuration"));
  EXPECT_EQ(instance->host().client()->associations().size(), 0u);
  // The association's timer is gone and it sends nothing more.
  const size_t sent = observer_.sends.size();
  Run(absl::Seconds(600));
  EXPECT_EQ(observer_.sends.size(), sent);
  EXPECT_TRUE(observer_.TakeInputs().empty());  // not even a timer

  instance->Shutdown();
  observer_.TakeInputs();
  instance->Reconfigure(Parse("server 10.0.0.2 iburst\n"));  // after: nothing
  EXPECT_TRUE(observer_.TakeInputs().empty());
}

TEST_F(ExecutorTest, StartFailureIsAlreadyExistsAndLeavesNothingBound) {
  auto blocker = network_.Bind(Addr("10.0.0.3:11123"));
  ASSERT_THAT(blocker, IsOk());
  HostOptions options = Options();
  options.listen = {Addr("10.0.0.1:0"), Addr("10.0.0.3:0")};
  auto instance = Make(kLocalAndOrphan, options, DefaultSeams());
  std::vector<HostExit> exits;
  instance->executor().set_on_exit([&](HostExit how) { exits.push_back(how); });
  EXPECT_THAT(instance->Start(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(observer_.TakeInputs(),
              ElementsAre("start", "socket 1 bound", "socket 2 failed"));
  EXPECT_THAT(exits, ElementsAre(HostExit::kError));
  EXPECT_TRUE(instance->host().bound_addresses().empty());
  EXPECT_TRUE(observer_.pending_timers.empty());
  // The socket that was bound is closed and released before Start returns:
  // the address is free at once and nothing is left for the loop.
  EXPECT_THAT(observer_.closes, ElementsAre(std::make_pair("socket 2 failed", SocketId{1})));
  EXPECT_EQ(scheduler_.pending(), 0u);
  EXPECT_THAT(network_.Bind(Addr("10.0.0.1:11123")), IsOk());
}

TEST_F(ExecutorTest, DestroyedWithoutShutdownReleasesEverything) {
  {
    auto instance = Make(kLocalAndOrphan, Options(), DefaultSeams());
    ASSERT_THAT(instance->Start(), IsOk());
    EXPECT_EQ(scheduler_.pending(), 2u);
  }
  EXPECT_EQ(scheduler_.pending(), 0u);
  EXPECT_THAT(network_.Bind(Addr("10.0.0.1:11123")), IsOk());
}

}  // namespace
}  // namespace ntp::runtime
