#include "ntp/runtime/executor.h"

#include <memory>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"

namespace ntp::runtime {
namespace {

clocks::LeapStatus ToLeapStatus(Leap leap) {
  switch (leap) {
    case Leap::kInsertSecond: return clocks::LeapStatus::kInsert;
    case Leap::kDeleteSecond: return clocks::LeapStatus::kDelete;
    default: return clocks::LeapStatus::kNone;
  }
}

// Read-back after arming a leap second (STA_INS / STA_DEL): the kernel
// must report the leap pending (or already under way). Another program
// resetting the bits, or a kernel that ignores them, shows here.
absl::Status CheckLeapArmed(clocks::Clock& clock, clocks::LeapStatus leap) {
  absl::StatusOr<clocks::ClockStatus> read = clock.ReadStatus();
  if (!read.ok()) return read.status();
  const clocks::KernelTimeState want = leap == clocks::LeapStatus::kInsert
                                           ? clocks::KernelTimeState::kInsert
                                           : clocks::KernelTimeState::kDelete;
  const clocks::KernelTimeState state = read->state;
  if (state == want || state == clocks::KernelTimeState::kLeapInProgress ||
      state == clocks::KernelTimeState::kLeapOccurred) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the kernel did not arm the leap second ",
                   leap == clocks::LeapStatus::kInsert ? "insertion" : "deletion",
                   " (read back: state ", static_cast<int>(state), ")"));
}

}  // namespace

ClockResultInput ApplyClockOperation(clocks::Clock& clock, const ClockOperation& op) {
  ClockResultInput result;
  result.id = op.id;
  result.kind = op.kind;
  switch (op.kind) {
    case ClockOpKind::kStep: {
      absl::StatusOr<absl::Duration> applied = clock.StepBy(op.offset);
      result.status = applied.status();
      if (applied.ok()) result.applied_offset = *applied;
      break;
    }
    case ClockOpKind::kSlew: {
      absl::StatusOr<absl::Duration> applied = clock.SlewBy(op.offset);
      result.status = applied.status();
      if (applied.ok()) result.applied_offset = *applied;
      break;
    }
    case ClockOpKind::kFrequency: {
      absl::StatusOr<double> applied = clock.SetFrequencyPpm(op.ppm);
      result.status = applied.status();
      if (applied.ok()) result.applied_ppm = *applied;
      break;
    }
    case ClockOpKind::kSyncStatus: {
      clocks::ClockSyncStatus status;
      status.synchronized = op.sync.synchronized;
      status.leap = ToLeapStatus(op.sync.leap);
      status.max_error = op.sync.max_error;
      status.est_error = op.sync.est_error;
      result.status = clock.SetSyncStatus(status);
      if (result.status.ok() && status.leap != clocks::LeapStatus::kNone) {
        result.status = CheckLeapArmed(clock, status.leap);
      }
      break;
    }
  }
  return result;
}

namespace {

DriftReading ReadDrift(clocks::DriftStore* store) {
  DriftReading reading;
  if (store == nullptr) return reading;
  reading.where = store->Describe();
  absl::StatusOr<std::optional<double>> value = store->Read();
  if (!value.ok()) {
    reading.state = DriftReading::State::kUnreadable;
    reading.error = std::string(value.status().message());
  } else if (!value->has_value()) {
    reading.state = DriftReading::State::kAbsent;
  } else {
    reading.state = DriftReading::State::kValue;
    reading.frequency_ppm = **value;
    // No time (or an error reading it) only means no drift-file era pivot.
    absl::StatusOr<std::optional<absl::Time>> written = store->LastWritten();
    if (written.ok()) reading.last_written = *written;
  }
  return reading;
}

}  // namespace

Executor::Executor(Host* host, const Seams& seams) : host_(host), seams_(seams) {
  results_.reserve(16);
  batch_.reserve(16);
}

Executor::~Executor() {
  for (const auto& [key, timer] : timers_) seams_.scheduler->Cancel(timer);
  if (graveyard_timer_ != 0) seams_.scheduler->Cancel(graveyard_timer_);
  for (const auto& [id, socket] : sockets_) socket->SetReceiveHandler(nullptr);
}

void Executor::Handle(const Input& input) {
  ++counters_.inputs;
  // A result carries the readings of the input whose actions produced it.
  current_ = InputReadings(input);
  if (observer_ != nullptr) observer_->OnInput(input);
  const Actions& actions = host_->Handle(input);
  if (observer_ != nullptr) observer_->OnActions(actions);
  Execute(actions);
}

Readings Executor::Read() {
  return Readings{seams_.scheduler->Now(), seams_.clock->Now()};
}

absl::Status Executor::Start() {
  if (started_) return absl::FailedPreconditionError("executor already started");
  started_ = true;
  StartInput input;
  input.now = Read();
  input.clock.precision = seams_.clock->Precision();
  input.clock.max_frequency_ppm = seams_.clock->MaxFrequencyPpm();
  input.clock.slew_rate_ppm = clocks::kSlewRatePpm;
  input.drift = ReadDrift(seams_.drift_store);
  if (seams_.rtc != nullptr) {
    input.rtc_where = seams_.rtc->Describe();
    absl::StatusOr<absl::Time> rtc_time = seams_.rtc->Read();
    if (rtc_time.ok()) input.rtc_time = *rtc_time;
  }
  Deliver(input);
  // Start never runs inside a receive handler: what the host closed (all of
  // it, after a failed start) is released now, so nothing stays bound.
  ReleaseClosedSockets();
  return host_->start_status();
}

void Executor::Shutdown() {
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  Deliver(ShutdownInput{Read()});
}

void Executor::Reconfigure(const NtpConfig& config) {
  if (!started_ || shut_down_) return;
  Deliver(ConfigChangeInput{Read(), std::make_shared<const NtpConfig>(config)});
}

void Executor::Deliver(const Input& input) {
  Handle(input);
  // The results, in the order their actions were carried out; each may
  // bring further actions and results, handled after them.
  while (!results_.empty()) {
    batch_.swap(results_);
    for (const Input& result : batch_) Handle(result);
    batch_.clear();
  }
  if (!graveyard_.empty() && graveyard_timer_ == 0) {
    // Closed sockets may still be inside their own receive handler: they
    // are destroyed from the loop, once every handler has returned.
    graveyard_timer_ = seams_.scheduler->RunAfter(absl::ZeroDuration(),
                                                  [this] { ReleaseClosedSockets(); });
  }
  CheckExit();
}

void Executor::ReleaseClosedSockets() {
  if (graveyard_timer_ != 0) seams_.scheduler->Cancel(graveyard_timer_);
  graveyard_timer_ = 0;
  graveyard_.clear();
  finished_key_exchanges_.clear();
}

void Executor::CheckExit() {
  if (exit_reported_) return;
  const HostExit state = host_->exit_state();
  if (state == HostExit::kRunning) return;
  exit_reported_ = true;
  if (on_exit_) on_exit_(state);
}

void Executor::Execute(const Actions& actions) {
  for (const Action& action : actions.list()) {
    std::visit([&](const auto& a) { Carry(actions, a); }, action);
  }
}

void Executor::Carry(const Actions&, const OpenSocket& open) {
  SocketResultInput result;
  absl::StatusOr<std::unique_ptr<net::DatagramSocket>> socket =
      seams_.network->Bind(open.local);
  result.socket = open.socket;
  result.status = socket.status();
  if (socket.ok()) {
    result.bound = (*socket)->local_address();
    const SocketId id = open.socket;
    (*socket)->SetReceiveHandler(
        [this, id](const net::ReceivedDatagram& datagram) { OnDatagram(id, datagram); });
    auto [it, inserted] = sockets_.insert_or_assign(id, *std::move(socket));
    (void)it;
    (void)inserted;
  }
  if (!result.status.ok() || open.report_bound) {
    result.now = current_;
    results_.push_back(std::move(result));
  }
}

void Executor::Carry(const Actions&, const CloseSocket& close) {
  auto it = sockets_.find(close.socket);
  if (it == sockets_.end()) return;
  // A socket cannot be destroyed from inside its own receive handler: that
  // one waits for the loop; any other goes at once.
  if (close.socket == receiving_socket_) {
    graveyard_.push_back(std::move(it->second));
    receiving_ = nullptr;
  }
  sockets_.erase(it);
}

void Executor::Carry(const Actions& actions, const SendDatagram& send) {
  net::DatagramSocket* socket = nullptr;
  if (send.socket == receiving_socket_ && receiving_ != nullptr) {
    socket = receiving_;  // a reply from the socket the request came to
  } else if (auto it = sockets_.find(send.socket); it != sockets_.end()) {
    socket = it->second.get();
  }
  // The transmit time is read at the last moment, just before the send.
  const absl::Time transmit_time =
      send.token != 0 ? seams_.clock->Now() : absl::InfinitePast();
  absl::Status status =
      socket == nullptr
          ? absl::FailedPreconditionError(absl::StrCat("socket ", send.socket, " is not open"))
          : socket->SendTo(actions.payload(send), send.to);
  if (status.ok()) {
    ++counters_.datagrams_sent;
    if (send.token == 0) return;
  } else {
    ++counters_.send_failures;
  }
  SendResultInput result;
  result.now = current_;
  result.socket = send.socket;
  result.token = send.token;
  result.status = std::move(status);
  result.transmit_time = transmit_time;
  results_.push_back(std::move(result));
}

void Executor::Carry(const Actions&, const SetTimer& timer) {
  auto it = timers_.find(timer.key);
  // A cancelled callback never runs (clock/scheduler.h), so the one that
  // fires for a key is always the latest.
  if (it != timers_.end()) seams_.scheduler->Cancel(it->second);
  const TimerKey key = timer.key;
  const clocks::TimerId id = seams_.scheduler->RunAt(timer.when, [this, key] {
    timers_.erase(key);
    OnTimer(key);
  });
  timers_.insert_or_assign(key, id);
}

void Executor::Carry(const Actions&, const CancelTimer& timer) {
  auto it = timers_.find(timer.key);
  if (it == timers_.end()) return;
  seams_.scheduler->Cancel(it->second);
  timers_.erase(it);
}

void Executor::Carry(const Actions&, const ClockOperation& op) {
  ++counters_.clock_operations;
  ClockResultInput result = ApplyClockOperation(*seams_.clock, op);
  if (!result.status.ok()) ++counters_.clock_refusals;
  if (result.status.ok() && op.kind == ClockOpKind::kSyncStatus) return;
  result.now = current_;
  results_.push_back(std::move(result));
}

void Executor::Carry(const Actions&, const LogEvent& log) {
  if (seams_.events != nullptr) seams_.events->OnEvent(log.event);
}

void Executor::Carry(const Actions&, const WriteRtc&) {
  RtcWriteResultInput result;
  // The system clock at the moment of the write, as `hwclock -w` copies it.
  result.written = seams_.clock->Now();
  result.status = seams_.rtc != nullptr ? seams_.rtc->Write(result.written)
                                        : absl::FailedPreconditionError("no RTC");
  result.now = current_;
  results_.push_back(std::move(result));
}

absl::StatusOr<const nts::KeTlsContext*> Executor::KeContext(const RunKeyExchange& run) {
  const std::string ca_file =
      !run.verify ? std::string() : run.ca_file.empty() ? std::string(kSystemCaBundle) : run.ca_file;
  auto key = std::make_pair(ca_file, run.verify);
  auto it = ke_contexts_.find(key);
  if (it != ke_contexts_.end()) return it->second.get();
  std::string ca_pem;
  if (run.verify) {
    if (seams_.files == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read the CA file ", ca_file, ": no file reader"));
    }
    // A CA bundle: the system's is about 200 KiB.
    absl::StatusOr<std::string> text = seams_.files->Read(ca_file, 4 << 20);
    if (!text.ok()) {
      return absl::Status(text.status().code(), absl::StrCat("CA file ", ca_file, ": ",
                                                             text.status().message()));
    }
    ca_pem = *std::move(text);
  }
  absl::StatusOr<nts::KeTlsContext> context =
      nts::KeTlsContext::ForClient(ca_pem, run.verify, seams_.tls_library);
  if (!context.ok()) {
    return absl::Status(context.status().code(),
                        absl::StrCat("CA file ", ca_file, ": ", context.status().message()));
  }
  auto [inserted, unused] = ke_contexts_.emplace(
      key, std::make_unique<nts::KeTlsContext>(*std::move(context)));
  (void)unused;
  return inserted->second.get();
}

void Executor::Carry(const Actions&, const RunKeyExchange& run) {
  absl::Status status;
  if (seams_.streams == nullptr) {
    status = absl::FailedPreconditionError("no stream network for NTS-KE in this world");
  } else if (absl::StatusOr<const nts::KeTlsContext*> context = KeContext(run); !context.ok()) {
    status = context.status();
  } else {
    KeStreamClient::Options options;
    options.server_name = run.server_name;
    options.local_ip = run.local;
    options.server = run.server;
    options.verify_time = seams_.clock->Now();
    const uint64_t id = run.id;
    absl::StatusOr<std::unique_ptr<KeStreamClient>> client = KeStreamClient::Start(
        seams_.streams, seams_.scheduler, **context, options,
        [this, id](absl::StatusOr<nts::KeOutcome> outcome) {
          OnKeyExchangeDone(id, std::move(outcome));
        });
    if (client.ok()) {
      key_exchanges_.insert_or_assign(id, *std::move(client));
      return;
    }
    status = client.status();
  }
  KeyExchangeResultInput result;
  result.now = current_;
  result.id = run.id;
  result.status = std::move(status);
  results_.push_back(std::move(result));
}

void Executor::OnKeyExchangeDone(uint64_t id, absl::StatusOr<nts::KeOutcome> outcome) {
  Input input(std::in_place_type<KeyExchangeResultInput>);
  KeyExchangeResultInput& result = std::get<KeyExchangeResultInput>(input);
  result.id = id;
  if (outcome.ok()) {
    result.aead = outcome->keys.aead;
    result.c2s_key.assign(outcome->keys.c2s.begin(), outcome->keys.c2s.end());
    result.s2c_key.assign(outcome->keys.s2c.begin(), outcome->keys.s2c.end());
    result.cookies = std::move(outcome->cookies);
    result.ntp_server = outcome->server.value_or("");
    result.ntp_port = outcome->port.value_or(0);
  } else {
    result.status = outcome.status();
  }
  // The client is finished (its handler runs last): destroyed from the
  // loop, not from inside its own callback.
  auto it = key_exchanges_.find(id);
  if (it != key_exchanges_.end()) {
    finished_key_exchanges_.push_back(std::move(it->second));
    key_exchanges_.erase(it);
    if (graveyard_timer_ == 0) {
      graveyard_timer_ =
          seams_.scheduler->RunAfter(absl::ZeroDuration(), [this] { ReleaseClosedSockets(); });
    }
  }
  result.now = Read();
  Deliver(input);
}

void Executor::Carry(const Actions&, const WriteDrift& write) {
  DriftWriteResultInput result;
  result.frequency_ppm = write.frequency_ppm;
  result.status = seams_.drift_store != nullptr
                      ? seams_.drift_store->Write(write.frequency_ppm)
                      : absl::FailedPreconditionError("no drift file");
  result.now = current_;
  results_.push_back(std::move(result));
}

void Executor::Carry(const Actions&, const LoopStatsRecord& record) {
  if (stats_ != nullptr) stats_->OnLoopStats(record);
}

void Executor::Carry(const Actions&, const PeerStatsRecord& record) {
  if (stats_ != nullptr) stats_->OnPeerStats(record);
}

void Executor::OnDatagram(SocketId socket, const net::ReceivedDatagram& datagram) {
  auto it = sockets_.find(socket);
  if (it == sockets_.end()) return;  // closed meanwhile
  receiving_ = it->second.get();
  // Built in place: the input is handed over without a copy.
  Input input(std::in_place_type<DatagramInput>);
  DatagramInput& in = std::get<DatagramInput>(input);
  in.now = Read();
  in.socket = socket;
  in.datagram = datagram;
  receiving_socket_ = socket;
  Deliver(input);
  receiving_socket_ = 0;
  receiving_ = nullptr;
}

void Executor::OnTimer(TimerKey key) { Deliver(TimerInput{Read(), key}); }

}  // namespace ntp::runtime
