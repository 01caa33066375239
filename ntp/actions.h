// The protocol core's vocabulary: the inputs an NTP instance takes and the
// actions it returns.
// The core never calls the Clock, Network or Scheduler seams: an executor
// (ntp/runtime/executor.h) reads the clock and the scheduler's time into
// `Readings`, hands the core one input at a time, carries out the actions it
// gets back, and feeds their results back as further inputs.
//
// Everything here is a plain value. Times are absl types; the monotonic
// timeline is the scheduler's (never stepped), the clock timeline the host's
// disciplined clock.
#ifndef NTP_ACTIONS_H_
#define NTP_ACTIONS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/datagram.h"
#include "ntp/events.h"
#include "ntp/system_state.h"

namespace ntp {

struct NtpConfig;  // ntp/config/config.h

// What the executor read just before handing an input to the core. The core
// has no other source of time. A result (socket, send, clock operation,
// drift write) carries the readings of the input whose actions produced it:
// it belongs to the same moment.
struct Readings {
  absl::Time monotonic;  // scheduler time (timers, intervals)
  absl::Time clock;      // the host's disciplined clock (timestamps)
};

// Chosen by the core; the executor maps them to sockets and timers.
using SocketId = uint64_t;
using TimerKey = uint64_t;

// What the host's clock can do, read by the executor at start.
struct ClockCapabilities {
  absl::Duration precision = absl::Microseconds(1);
  // Largest |frequency correction| the clock accepts (ppm).
  double max_frequency_ppm = 500.0;
  // Rate at which the clock applies a slew (ppm; adjtime's 500 ppm).
  double slew_rate_ppm = 500.0;
};

// The drift store's content at start (ntpd's `driftfile`).
struct DriftReading {
  enum class State { kNoStore, kAbsent, kValue, kUnreadable };
  State state = State::kNoStore;
  double frequency_ppm = 0;  // kValue
  std::string where;         // the store's name for log lines
  std::string error;         // kUnreadable: why
  // kValue: when the value was written (the file's modification time), if
  // the store knows; the client's era pivot after a plausible RTC.
  std::optional<absl::Time> last_written;
};

// ---- Inputs -----------------------------------------------------------

// Start the instance: bind, arm timers, read the drift value.
struct StartInput {
  Readings now;
  ClockCapabilities clock;
  DriftReading drift;
  // The hardware clock (RTC) read at start, when there is one; `rtc_where`
  // names it for log lines.
  std::optional<absl::Time> rtc_time;
  std::string rtc_where;
};

// A datagram arrived on socket `socket` (one the core opened).
struct DatagramInput {
  Readings now;
  SocketId socket = 0;
  net::ReceivedDatagram datagram;
};

// The timer `key` fired.
struct TimerInput {
  Readings now;
  TimerKey key = 0;
};

// Result of OpenSocket.
struct SocketResultInput {
  Readings now;
  SocketId socket = 0;
  absl::Status status;
  net::SocketAddress bound;  // the address actually bound, when OK
};

// Result of a SendDatagram that asked for one (token != 0) or failed.
struct SendResultInput {
  Readings now;
  SocketId socket = 0;
  uint64_t token = 0;
  absl::Status status;
  // The clock read just before the datagram was handed to the network.
  absl::Time transmit_time;
};

enum class ClockOpKind { kStep, kSlew, kFrequency, kSyncStatus };
const char* ClockOpKindName(ClockOpKind kind);

// Result of a ClockOperation: what the clock actually applied.
struct ClockResultInput {
  Readings now;
  uint64_t id = 0;
  ClockOpKind kind = ClockOpKind::kStep;
  absl::Status status;
  absl::Duration applied_offset;  // kStep, kSlew
  double applied_ppm = 0;         // kFrequency
};

// Result of WriteDrift.
struct DriftWriteResultInput {
  Readings now;
  double frequency_ppm = 0;
  absl::Status status;
};

// Orderly shutdown (SIGTERM, end of a simulation).
struct ShutdownInput {
  Readings now;
};

// A new configuration replaces the running one (ntpd's SIGHUP re-read).
// Shared and immutable, so the input stays cheap to copy and record.
// REQUIRES: config is non-null.
struct ConfigChangeInput {
  Readings now;
  std::shared_ptr<const NtpConfig> config;
};

// Result of WriteRtc: the time written, or why not.
struct RtcWriteResultInput {
  Readings now;
  absl::Status status;
  absl::Time written;
};

// Result of RunKeyExchange (NTS-KE, RFC 8915 §4): the keys and cookies, or
// why there are none (status not OK: the connection, TLS, the certificate,
// an NTS-KE Error record, a timeout).
struct KeyExchangeResultInput {
  Readings now;
  uint64_t id = 0;
  absl::Status status;
  // RFC 8915 §5.1: the negotiated AEAD and the exported keys.
  uint16_t aead = 0;
  std::vector<uint8_t> c2s_key;
  std::vector<uint8_t> s2c_key;
  std::vector<std::vector<uint8_t>> cookies;
  // The NTPv4 Server Negotiation and Port Negotiation records (§4.1.7,
  // §4.1.8), as received; empty / 0 when absent.
  std::string ntp_server;
  uint16_t ntp_port = 0;
};

using Input = std::variant<StartInput, DatagramInput, TimerInput, SocketResultInput,
                           SendResultInput, ClockResultInput, DriftWriteResultInput,
                           ShutdownInput, ConfigChangeInput, RtcWriteResultInput,
                           KeyExchangeResultInput>;

// The readings every input carries.
const Readings& InputReadings(const Input& input);

// ---- Actions ----------------------------------------------------------

// Bind a UDP socket at `local` (port 0: ephemeral). Result: a
// SocketResultInput when the bind failed, or always with `report_bound`
// (the caller wants the address it got).
struct OpenSocket {
  SocketId socket = 0;
  net::SocketAddress local;
  bool report_bound = false;
};

struct CloseSocket {
  SocketId socket = 0;
};

// Send the bytes Actions::payload() returns for this action. With token != 0
// the executor reports the transmit time it read (SendResultInput); failures
// are always reported.
struct SendDatagram {
  SocketId socket = 0;
  net::SocketAddress to;
  uint32_t offset = 0;  // into the Actions byte arena
  uint32_t length = 0;
  uint64_t token = 0;
};

// Fire TimerInput{key} at monotonic time `when`, replacing any pending timer
// with the same key.
struct SetTimer {
  TimerKey key = 0;
  absl::Time when;
};

struct CancelTimer {
  TimerKey key = 0;
};

// The kernel-facing part of the system status (STA_UNSYNC, leap bits,
// maxerror/esterror).
struct ClockSyncState {
  bool synchronized = false;
  Leap leap = Leap::kNoWarning;
  absl::Duration max_error = absl::Seconds(16);
  absl::Duration est_error = absl::Seconds(16);
};

// Change the clock. Result: ClockResultInput with the same id and what was
// applied (for kSyncStatus, which applies nothing to measure, only when the
// clock refused). Signs as clock/clock.h: +offset steps/slews the clock
// forward, +ppm makes it run faster.
struct ClockOperation {
  uint64_t id = 0;
  ClockOpKind kind = ClockOpKind::kStep;
  absl::Duration offset;  // kStep, kSlew
  double ppm = 0;         // kFrequency
  ClockSyncState sync;    // kSyncStatus
};

struct LogEvent {
  Event event;
};

// Store the frequency (ntpd's drift file). Result: DriftWriteResultInput.
struct WriteDrift {
  double frequency_ppm = 0;
};

// One line of ntpd's loopstats: a clock update.
struct LoopStatsRecord {
  absl::Time clock_time;
  absl::Duration offset;
  double frequency_ppm = 0;
  absl::Duration jitter;
  // RMS of the frequency changes between updates (RFC 5905 Appendix
  // A.5.5.1, "wander").
  double wander_ppm = 0;
  int poll_log2 = 6;
};

// One line of ntpd's peerstats: an accepted sample.
struct PeerStatsRecord {
  absl::Time clock_time;
  net::IpAddress peer;
  // The peer status word (RFC 9327): configured 0x8000, key set 0x4000,
  // authentic 0x2000, reachable 0x1000, the select code in bits 10..8,
  // the peer event count in bits 7..4 and the last event's code in 3..0.
  uint16_t status = 0;
  absl::Duration offset;
  absl::Duration delay;
  absl::Duration dispersion;
  absl::Duration jitter;
};

// Set the hardware clock from the system clock, read by the executor at
// the moment of the write (`hwclock -w`). Result: RtcWriteResultInput.
struct WriteRtc {};

// Run NTS-KE (RFC 8915 §4) with `server`: TLS 1.3 over a TCP stream,
// the certificate checked against `ca_file` (empty: the system's trust
// store) and `server_name`, unless `verify` is false (ntpsec's `noval`,
// for tests only). Result: KeyExchangeResultInput with the same id.
struct RunKeyExchange {
  uint64_t id = 0;
  std::string server_name;    // SNI and the name the certificate must carry
  net::SocketAddress server;  // where NTS-KE listens (port 4460 by default)
  net::IpAddress local = net::IpAddress::AnyV4();  // to connect from
  std::string ca_file;
  bool verify = true;
};

using Action = std::variant<OpenSocket, CloseSocket, SendDatagram, SetTimer, CancelTimer,
                            ClockOperation, LogEvent, WriteDrift, LoopStatsRecord,
                            PeerStatsRecord, WriteRtc, RunKeyExchange>;

// The actions returned for one input, in the order to carry them out. Kept
// by the core and reused (cleared per input) so that steady-state handling
// does not allocate.
class Actions {
 public:
  Actions() {
    list_.reserve(16);
    bytes_.reserve(1024);
  }

  void Clear() {
    list_.clear();
    bytes_.clear();
  }
  const std::vector<Action>& list() const { return list_; }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }

  // The payload of a SendDatagram from this list.
  absl::Span<const uint8_t> payload(const SendDatagram& send) const {
    return absl::MakeConstSpan(bytes_.data() + send.offset, send.length);
  }

  void Open(SocketId socket, const net::SocketAddress& local, bool report_bound = false) {
    list_.emplace_back(OpenSocket{socket, local, report_bound});
  }
  void Close(SocketId socket) { list_.emplace_back(CloseSocket{socket}); }
  void Send(SocketId socket, const net::SocketAddress& to, absl::Span<const uint8_t> bytes,
            uint64_t token = 0);
  void Arm(TimerKey key, absl::Time when) { list_.emplace_back(SetTimer{key, when}); }
  void Disarm(TimerKey key) { list_.emplace_back(CancelTimer{key}); }
  void Clock(const ClockOperation& op) { list_.emplace_back(op); }
  // The ClockOperation at `index` of this list, for a caller that replaces
  // a request it made earlier in the same input; null if there is none.
  ClockOperation* MutableClockOperation(size_t index) {
    return index < list_.size() ? std::get_if<ClockOperation>(&list_[index]) : nullptr;
  }
  void Log(EventKind kind, std::string text) {
    list_.emplace_back(LogEvent{Event{kind, std::move(text)}});
  }
  void StoreDrift(double frequency_ppm) { list_.emplace_back(WriteDrift{frequency_ppm}); }
  void SetRtc() { list_.emplace_back(WriteRtc{}); }
  void KeyExchange(RunKeyExchange run) { list_.emplace_back(std::move(run)); }
  void Stats(const LoopStatsRecord& record) { list_.emplace_back(record); }
  void Stats(const PeerStatsRecord& record) { list_.emplace_back(record); }

 private:
  std::vector<Action> list_;
  std::vector<uint8_t> bytes_;
};

// The input being handled: its readings and where its actions go. The host
// sets it for the duration of one Handle() call; the components it owns
// read it instead of reading a clock or a scheduler.
struct Dispatch {
  Readings now;
  Actions* out = nullptr;
  // Counts inputs (from 1; 0: not counted), telling one input's actions
  // from the next's.
  uint64_t serial = 0;
};

// An EventSink that turns events into LogEvent actions of the current
// dispatch, for components that report through an EventSink.
class DispatchEventSink final : public EventSink {
 public:
  explicit DispatchEventSink(const Dispatch* dispatch) : dispatch_(dispatch) {}
  void OnEvent(const Event& event) override {
    if (dispatch_->out != nullptr) dispatch_->out->Log(event.kind, event.text);
  }

 private:
  const Dispatch* const dispatch_;
};

}  // namespace ntp

#endif  // NTP_ACTIONS_H_
