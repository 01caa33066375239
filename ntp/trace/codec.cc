// Encoding and decoding of trace records (codec.h).
#include "ntp/trace/codec.h"

#include <array>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "net/address.h"
#include "ntp/config/parser.h"
#include "ntp/config/writer.h"
#include "ntp/trace/provenance.h"

namespace ntp::trace {
namespace {

// Durations and times (as durations since the Unix epoch) as Nanos: the
// whole nanoseconds (floor) and the quarter nanoseconds beyond them.
void Put(absl::Duration d, Nanos* out) {
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
    out->set_infinite(d > absl::ZeroDuration() ? 1 : -1);
    return;
  }
  absl::Duration rest;
  int64_t ns = absl::IDivDuration(d, absl::Nanoseconds(1), &rest);
  if (rest < absl::ZeroDuration()) {
    --ns;
    rest += absl::Nanoseconds(1);
  }
  absl::Duration unused;
  out->set_ns(ns);
  out->set_quarters(
      static_cast<uint32_t>(absl::IDivDuration(rest, absl::Nanoseconds(1) / 4, &unused)));
}
void Put(absl::Time t, Nanos* out) { Put(t - absl::UnixEpoch(), out); }
absl::Duration GetDuration(const Nanos& in) {
  if (in.infinite() != 0) {
    return in.infinite() > 0 ? absl::InfiniteDuration() : -absl::InfiniteDuration();
  }
  return absl::Nanoseconds(in.ns()) + absl::Nanoseconds(1) / 4 * (in.quarters() & 3);
}
absl::Time GetTime(const Nanos& in) {
  if (in.infinite() != 0) {
    return in.infinite() > 0 ? absl::InfiniteFuture() : absl::InfinitePast();
  }
  return absl::UnixEpoch() + GetDuration(in);
}

// net::SocketAddress::ToString's text ("192.0.2.1:123", "[::1]:123"),
// reusing `out`'s storage: IPv4 without printf, as the recorder does this
// for every datagram.
void PutAddress(const net::SocketAddress& address, std::string* out) {
  if (!address.ip().is_v4()) {
    *out = address.ToString();
    return;
  }
  char buffer[24];  // "255.255.255.255:65535"
  char* p = buffer;
  auto decimal = [&p](unsigned value) {
    char digits[5];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (n > 0) *p++ = digits[--n];
  };
  const std::array<uint8_t, 16>& bytes = address.ip().bytes();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) *p++ = '.';
    decimal(bytes[static_cast<size_t>(i)]);
  }
  *p++ = ':';
  decimal(address.port());
  out->assign(buffer, static_cast<size_t>(p - buffer));
}

void EncodeStatus(const absl::Status& status, Status* out) {
  out->set_code(static_cast<int32_t>(status.code()));
  out->set_message(std::string(status.message()));
}
absl::Status DecodeStatus(const Status& in) {
  return absl::Status(static_cast<absl::StatusCode>(in.code()), in.message());
}

absl::StatusOr<net::SocketAddress> DecodeAddress(const SocketAddress& in) {
  return net::SocketAddress::Parse(in.text());
}


}  // namespace

Header MakeHeader(const NtpConfig& config, const ntp::HostOptions& options, absl::Time start,
                  absl::string_view build) {
  Header header;
  header.set_format_version(FORMAT_VERSION_CURRENT);
  header.set_build(std::string(build));
  Put(start, header.mutable_start_unix());
  header.set_config_text(FormatNtpConf(config));
  *header.mutable_provenance() = RecordProvenance(config);
  trace::HostOptions* o = header.mutable_options();
  o->set_allow_big_first_step(options.allow_big_first_step);
  o->set_never_step(options.never_step);
  o->set_set_once_and_exit(options.set_once_and_exit);
  o->set_port(options.port);
  for (const net::SocketAddress& a : options.listen) o->add_listen()->set_text(a.ToString());
  for (const ntp::NetworkInterface& i : options.interfaces) {
    trace::NetworkInterface* out = o->add_interfaces();
    out->set_name(i.name);
    out->set_address(i.address.ToString());
    out->set_prefix_length(i.prefix_length);
    out->set_loopback(i.loopback);
  }
  for (const net::IpAddress& a : options.own_addresses) o->add_own_addresses(a.ToString());
  o->set_server_port(options.server_port);
  o->set_random_seed(options.random_seed);
  return header;
}

absl::StatusOr<NtpConfig> ParseRecordedConfig(const std::string& text,
                                              const Provenance& provenance) {
  ParsedConfig parsed = ParseNtpConfText(text, "trace", nullptr);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the recorded configuration does not parse: ", parsed.FormatAll()));
  }
  ApplyProvenance(provenance, &parsed.config);
  return std::move(parsed.config);
}

absl::StatusOr<ntp::HostOptions> DecodeOptions(const trace::HostOptions& in) {
  ntp::HostOptions options;
  options.allow_big_first_step = in.allow_big_first_step();
  options.never_step = in.never_step();
  options.set_once_and_exit = in.set_once_and_exit();
  options.port = static_cast<uint16_t>(in.port());
  for (const SocketAddress& a : in.listen()) {
    absl::StatusOr<net::SocketAddress> address = DecodeAddress(a);
    if (!address.ok()) return address.status();
    options.listen.push_back(*address);
  }
  for (const trace::NetworkInterface& i : in.interfaces()) {
    absl::StatusOr<net::IpAddress> address = net::IpAddress::Parse(i.address());
    if (!address.ok()) return address.status();
    options.interfaces.push_back({i.name(), *address, i.prefix_length(), i.loopback()});
  }
  for (const std::string& a : in.own_addresses()) {
    absl::StatusOr<net::IpAddress> address = net::IpAddress::Parse(a);
    if (!address.ok()) return address.status();
    options.own_addresses.push_back(*address);
  }
  options.server_port = static_cast<uint16_t>(in.server_port());
  options.random_seed = in.random_seed();
  return options;
}

void EncodeInput(const ntp::Input& input, Input* out) {
  const ntp::Readings& now = InputReadings(input);
  Put(now.monotonic, out->mutable_now()->mutable_monotonic());
  Put(now.clock, out->mutable_now()->mutable_clock());
  if (const auto* in = std::get_if<ntp::StartInput>(&input)) {
    trace::StartInput* s = out->mutable_start();
    Put(in->clock.precision, s->mutable_clock()->mutable_precision());
    s->mutable_clock()->set_max_frequency_ppm(in->clock.max_frequency_ppm);
    s->mutable_clock()->set_slew_rate_ppm(in->clock.slew_rate_ppm);
    s->mutable_drift()->set_state(static_cast<int32_t>(in->drift.state));
    s->mutable_drift()->set_frequency_ppm(in->drift.frequency_ppm);
    s->mutable_drift()->set_where(in->drift.where);
    s->mutable_drift()->set_error(in->drift.error);
    if (in->drift.last_written.has_value()) {
      Put(*in->drift.last_written, s->mutable_drift()->mutable_last_written());
    }
    if (in->rtc_time.has_value()) Put(*in->rtc_time, s->mutable_rtc_time());
    s->set_rtc_where(in->rtc_where);
  } else if (const auto* in = std::get_if<ntp::DatagramInput>(&input)) {
    trace::DatagramInput* d = out->mutable_datagram();
    d->set_socket(in->socket);
    d->set_payload(in->datagram.payload.data(), in->datagram.payload.size());
    PutAddress(in->datagram.source, d->mutable_source()->mutable_text());
    PutAddress(in->datagram.destination, d->mutable_destination()->mutable_text());
    Put(in->datagram.rx_time, d->mutable_rx_time());
    d->set_rx_source(static_cast<int32_t>(in->datagram.rx_source));
  } else if (const auto* in = std::get_if<ntp::TimerInput>(&input)) {
    out->mutable_timer()->set_key(in->key);
  } else if (const auto* in = std::get_if<ntp::SocketResultInput>(&input)) {
    trace::SocketResultInput* r = out->mutable_socket_result();
    r->set_socket(in->socket);
    EncodeStatus(in->status, r->mutable_status());
    PutAddress(in->bound, r->mutable_bound()->mutable_text());
  } else if (const auto* in = std::get_if<ntp::SendResultInput>(&input)) {
    trace::SendResultInput* r = out->mutable_send_result();
    r->set_socket(in->socket);
    r->set_token(in->token);
    EncodeStatus(in->status, r->mutable_status());
    Put(in->transmit_time, r->mutable_transmit_time());
  } else if (const auto* in = std::get_if<ntp::ClockResultInput>(&input)) {
    trace::ClockResultInput* r = out->mutable_clock_result();
    r->set_id(in->id);
    r->set_kind(static_cast<int32_t>(in->kind));
    EncodeStatus(in->status, r->mutable_status());
    Put(in->applied_offset, r->mutable_applied_offset());
    r->set_applied_ppm(in->applied_ppm);
  } else if (const auto* in = std::get_if<ntp::DriftWriteResultInput>(&input)) {
    out->mutable_drift_write_result()->set_frequency_ppm(in->frequency_ppm);
    EncodeStatus(in->status, out->mutable_drift_write_result()->mutable_status());
  } else if (std::holds_alternative<ntp::ShutdownInput>(input)) {
    out->mutable_shutdown();
  } else if (const auto* in = std::get_if<ntp::ConfigChangeInput>(&input)) {
    out->mutable_config_change()->set_config_text(FormatNtpConf(*in->config));
    *out->mutable_config_change()->mutable_provenance() = RecordProvenance(*in->config);
  } else if (const auto* in = std::get_if<ntp::RtcWriteResultInput>(&input)) {
    EncodeStatus(in->status, out->mutable_rtc_write_result()->mutable_status());
    Put(in->written, out->mutable_rtc_write_result()->mutable_written());
  } else if (const auto* in = std::get_if<ntp::KeyExchangeResultInput>(&input)) {
    trace::KeyExchangeResultInput* r = out->mutable_key_exchange_result();
    r->set_id(in->id);
    EncodeStatus(in->status, r->mutable_status());
    r->set_aead(in->aead);
    r->set_c2s_key(in->c2s_key.data(), in->c2s_key.size());
    r->set_s2c_key(in->s2c_key.data(), in->s2c_key.size());
    for (const std::vector<uint8_t>& cookie : in->cookies) {
      r->add_cookies(cookie.data(), cookie.size());
    }
    r->set_ntp_server(in->ntp_server);
    r->set_ntp_port(in->ntp_port);
  }
}

absl::Status DecodeInput(const Input& in, DecodedInput* out) {
  // Enumerations outside their ranges never reach the core.
  auto out_of_range = [](int value, int last, const char* what) {
    return value < 0 || value > last
               ? absl::InvalidArgumentError(absl::StrCat(what, " ", value, " out of range"))
               : absl::OkStatus();
  };
  absl::Status range;
  if (in.has_start()) {
    range = out_of_range(in.start().drift().state(),
                         static_cast<int>(ntp::DriftReading::State::kUnreadable), "drift state");
  } else if (in.has_datagram()) {
    range = out_of_range(in.datagram().rx_source(),
                         static_cast<int>(net::RxTimestampSource::kSimulated), "rx source");
  } else if (in.has_clock_result()) {
    range = out_of_range(in.clock_result().kind(), static_cast<int>(ClockOpKind::kSyncStatus),
                         "clock operation kind");
  }
  if (!range.ok()) return range;
  const ntp::Readings now{GetTime(in.now().monotonic()), GetTime(in.now().clock())};
  switch (in.kind_case()) {
    case Input::kStart: {
      const trace::StartInput& s = in.start();
      ntp::StartInput start;
      start.now = now;
      start.clock.precision = GetDuration(s.clock().precision());
      start.clock.max_frequency_ppm = s.clock().max_frequency_ppm();
      start.clock.slew_rate_ppm = s.clock().slew_rate_ppm();
      start.drift.state = static_cast<ntp::DriftReading::State>(s.drift().state());
      start.drift.frequency_ppm = s.drift().frequency_ppm();
      start.drift.where = s.drift().where();
      start.drift.error = s.drift().error();
      if (s.drift().has_last_written()) start.drift.last_written = GetTime(s.drift().last_written());
      if (s.has_rtc_time()) start.rtc_time = GetTime(s.rtc_time());
      start.rtc_where = s.rtc_where();
      out->input = std::move(start);
      return absl::OkStatus();
    }
    case Input::kDatagram: {
      const trace::DatagramInput& d = in.datagram();
      absl::StatusOr<net::SocketAddress> source = DecodeAddress(d.source());
      if (!source.ok()) return source.status();
      absl::StatusOr<net::SocketAddress> destination = DecodeAddress(d.destination());
      if (!destination.ok()) return destination.status();
      out->payload.assign(d.payload().begin(), d.payload().end());
      ntp::DatagramInput datagram;
      datagram.now = now;
      datagram.socket = d.socket();
      datagram.datagram.payload = absl::MakeConstSpan(out->payload);
      datagram.datagram.source = *source;
      datagram.datagram.destination = *destination;
      datagram.datagram.rx_time = GetTime(d.rx_time());
      datagram.datagram.rx_source = static_cast<net::RxTimestampSource>(d.rx_source());
      out->input = datagram;
      return absl::OkStatus();
    }
    case Input::kTimer:
      out->input = ntp::TimerInput{now, in.timer().key()};
      return absl::OkStatus();
    case Input::kSocketResult: {
      const trace::SocketResultInput& r = in.socket_result();
      absl::StatusOr<net::SocketAddress> bound = DecodeAddress(r.bound());
      if (!bound.ok()) return bound.status();
      out->input = ntp::SocketResultInput{now, r.socket(), DecodeStatus(r.status()), *bound};
      return absl::OkStatus();
    }
    case Input::kSendResult: {
      const trace::SendResultInput& r = in.send_result();
      out->input = ntp::SendResultInput{now, r.socket(), r.token(), DecodeStatus(r.status()),
                                        GetTime(r.transmit_time())};
      return absl::OkStatus();
    }
    case Input::kClockResult: {
      const trace::ClockResultInput& r = in.clock_result();
      out->input = ntp::ClockResultInput{now,
                                         r.id(),
                                         static_cast<ClockOpKind>(r.kind()),
                                         DecodeStatus(r.status()),
                                         GetDuration(r.applied_offset()),
                                         r.applied_ppm()};
      return absl::OkStatus();
    }
    case Input::kDriftWriteResult:
      out->input = ntp::DriftWriteResultInput{now, in.drift_write_result().frequency_ppm(),
                                              DecodeStatus(in.drift_write_result().status())};
      return absl::OkStatus();
    case Input::kShutdown:
      out->input = ntp::ShutdownInput{now};
      return absl::OkStatus();
    case Input::kConfigChange: {
      absl::StatusOr<NtpConfig> config =
          ParseRecordedConfig(in.config_change().config_text(), in.config_change().provenance());
      if (!config.ok()) return config.status();
      out->input =
          ntp::ConfigChangeInput{now, std::make_shared<const NtpConfig>(std::move(*config))};
      return absl::OkStatus();
    }
    case Input::kRtcWriteResult:
      out->input = ntp::RtcWriteResultInput{now, DecodeStatus(in.rtc_write_result().status()),
                                            GetTime(in.rtc_write_result().written())};
      return absl::OkStatus();
    case Input::kKeyExchangeResult: {
      const trace::KeyExchangeResultInput& r = in.key_exchange_result();
      if (r.aead() > 0xFFFF || r.ntp_port() > 0xFFFF) {
        return absl::InvalidArgumentError("key exchange result: AEAD or port out of range");
      }
      ntp::KeyExchangeResultInput result;
      result.now = now;
      result.id = r.id();
      result.status = DecodeStatus(r.status());
      result.aead = static_cast<uint16_t>(r.aead());
      result.c2s_key.assign(r.c2s_key().begin(), r.c2s_key().end());
      result.s2c_key.assign(r.s2c_key().begin(), r.s2c_key().end());
      for (const std::string& cookie : r.cookies()) {
        result.cookies.emplace_back(cookie.begin(), cookie.end());
      }
      result.ntp_server = r.ntp_server();
      result.ntp_port = static_cast<uint16_t>(r.ntp_port());
      out->input = std::move(result);
      return absl::OkStatus();
    }
    case Input::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("input record of no known kind");
}

void EncodeActions(const ntp::Actions& actions, ActionList* out) {
  for (const ntp::Action& action : actions.list()) {
    trace::Action* a = out->add_actions();
    if (const auto* open = std::get_if<ntp::OpenSocket>(&action)) {
      a->mutable_open_socket()->set_socket(open->socket);
      PutAddress(open->local, a->mutable_open_socket()->mutable_local()->mutable_text());
      a->mutable_open_socket()->set_report_bound(open->report_bound);
    } else if (const auto* close = std::get_if<ntp::CloseSocket>(&action)) {
      a->mutable_close_socket()->set_socket(close->socket);
    } else if (const auto* send = std::get_if<ntp::SendDatagram>(&action)) {
      trace::SendDatagram* s = a->mutable_send_datagram();
      s->set_socket(send->socket);
      PutAddress(send->to, s->mutable_to()->mutable_text());
      absl::Span<const uint8_t> payload = actions.payload(*send);
      s->set_payload(payload.data(), payload.size());
      s->set_token(send->token);
    } else if (const auto* timer = std::get_if<ntp::SetTimer>(&action)) {
      a->mutable_set_timer()->set_key(timer->key);
      Put(timer->when, a->mutable_set_timer()->mutable_when());
    } else if (const auto* cancel = std::get_if<ntp::CancelTimer>(&action)) {
      a->mutable_cancel_timer()->set_key(cancel->key);
    } else if (const auto* op = std::get_if<ntp::ClockOperation>(&action)) {
      trace::ClockOperation* c = a->mutable_clock_operation();
      c->set_id(op->id);
      c->set_kind(static_cast<int32_t>(op->kind));
      Put(op->offset, c->mutable_offset());
      c->set_ppm(op->ppm);
      c->set_synchronized(op->sync.synchronized);
      c->set_leap(static_cast<int32_t>(op->sync.leap));
      Put(op->sync.max_error, c->mutable_max_error());
      Put(op->sync.est_error, c->mutable_est_error());
    } else if (const auto* log = std::get_if<ntp::LogEvent>(&action)) {
      a->mutable_log_event()->set_kind(static_cast<int32_t>(log->event.kind));
      a->mutable_log_event()->set_text(log->event.text);
    } else if (const auto* drift = std::get_if<ntp::WriteDrift>(&action)) {
      a->mutable_write_drift()->set_frequency_ppm(drift->frequency_ppm);
    } else if (const auto* loop = std::get_if<ntp::LoopStatsRecord>(&action)) {
      trace::LoopStatsRecord* l = a->mutable_loop_stats();
      Put(loop->clock_time, l->mutable_clock_time());
      Put(loop->offset, l->mutable_offset());
      l->set_frequency_ppm(loop->frequency_ppm);
      Put(loop->jitter, l->mutable_jitter());
      l->set_wander_ppm(loop->wander_ppm);
      l->set_poll_log2(loop->poll_log2);
    } else if (const auto* peer = std::get_if<ntp::PeerStatsRecord>(&action)) {
      trace::PeerStatsRecord* p = a->mutable_peer_stats();
      Put(peer->clock_time, p->mutable_clock_time());
      p->set_peer(peer->peer.ToString());
      p->set_status(peer->status);
      Put(peer->offset, p->mutable_offset());
      Put(peer->delay, p->mutable_delay());
      Put(peer->dispersion, p->mutable_dispersion());
      Put(peer->jitter, p->mutable_jitter());
    } else if (std::holds_alternative<ntp::WriteRtc>(action)) {
      a->mutable_write_rtc();
    } else if (const auto* run = std::get_if<ntp::RunKeyExchange>(&action)) {
      trace::RunKeyExchange* k = a->mutable_run_key_exchange();
      k->set_id(run->id);
      k->set_server_name(run->server_name);
      PutAddress(run->server, k->mutable_server()->mutable_text());
      k->set_local(run->local.ToString());
      k->set_ca_file(run->ca_file);
      k->set_verify(run->verify);
    }
  }
}

void AppendFramed(const Record& record, std::string* out) {
  // The varint length, then the record serialized in place (no temporary).
  const size_t size = record.ByteSizeLong();
  uint8_t varint[10];
  size_t n = 0;
  for (size_t v = size; ; v >>= 7) {
    if (v < 0x80) {
      varint[n++] = static_cast<uint8_t>(v);
      break;
    }
    varint[n++] = static_cast<uint8_t>((v & 0x7f) | 0x80);
  }
  const size_t start = out->size();
  out->resize(start + n + size);
  std::memcpy(out->data() + start, varint, n);
  record.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data() + start + n));
}

absl::StatusOr<std::vector<Record>> ParseFramed(absl::string_view bytes) {
  // Far above any real record (a datagram and its actions); a corrupt length
  // fails here instead of asking for gigabytes.
  constexpr uint32_t kMaxRecordBytes = 16 << 20;
  std::vector<Record> records;
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(INT32_MAX);
  while (true) {
    const int offset = coded.CurrentPosition();
    if (static_cast<size_t>(offset) == bytes.size()) break;
    uint32_t length = 0;
    if (!coded.ReadVarint32(&length)) {
      return absl::DataLossError(absl::StrCat("truncated trace: record ", records.size(),
                                              " at offset ", offset, " has no complete length"));
    }
    if (length > kMaxRecordBytes) {
      return absl::DataLossError(absl::StrCat("corrupt trace: record ", records.size(),
                                              " at offset ", offset, " claims ", length,
                                              " bytes"));
    }
    std::string body;
    if (!coded.ReadString(&body, static_cast<int>(length))) {
      return absl::DataLossError(absl::StrCat("truncated trace: record ", records.size(),
                                              " at offset ", offset, " needs ", length,
                                              " bytes, the file ends first"));
    }
    Record record;
    if (!record.ParseFromString(body) || record.kind_case() == Record::KIND_NOT_SET) {
      return absl::DataLossError(absl::StrCat("corrupt trace: record ", records.size(),
                                              " at offset ", offset, " does not decode"));
    }
    records.push_back(std::move(record));
  }
  return records;
}

namespace {
// The message's text form on one line, a payload shown as hex.
template <typename M>
std::string WithHexPayload(M message) {
  const std::string payload = message.payload();
  message.clear_payload();
  std::string text = message.ShortDebugString();
  if (!payload.empty()) absl::StrAppend(&text, " payload: ", absl::BytesToHexString(payload));
  return text;
}
}  // namespace

std::string FormatNanos(const Nanos& n) {
  if (n.infinite() != 0) return n.infinite() > 0 ? "inf" : "-inf";
  std::string text = absl::StrCat(n.ns());
  if (n.quarters() != 0) absl::StrAppend(&text, "+", n.quarters(), "/4");
  return text;
}

void EncodeTime(absl::Time t, Nanos* out) { Put(t, out); }
void EncodeDuration(absl::Duration d, Nanos* out) { Put(d, out); }
absl::Time DecodeTime(const Nanos& in) { return GetTime(in); }
absl::Duration DecodeDuration(const Nanos& in) { return GetDuration(in); }

bool IsServerRequest(absl::string_view payload) {
  if (payload.empty()) return false;
  const int mode = static_cast<unsigned char>(payload[0]) & 7;
  return mode == 3 || mode == 6 || mode == 7;
}

std::string DescribeInput(const Input& input) {
  std::string head = absl::StrCat("mono=", FormatNanos(input.now().monotonic()),
                                  " clock=", FormatNanos(input.now().clock()), " ");
  switch (input.kind_case()) {
    case Input::kDatagram:
      return absl::StrCat(head, "datagram { ", WithHexPayload(input.datagram()), " }");
    case Input::kConfigChange:
      return absl::StrCat(head, "config_change { ",
                          absl::CEscape(input.config_change().config_text()), " }");
    default: {
      Input copy = input;
      copy.clear_now();
      return absl::StrCat(head, copy.ShortDebugString());
    }
  }
}

std::string DescribeAction(const Action& action) {
  if (action.has_send_datagram()) {
    return absl::StrCat("send_datagram { ", WithHexPayload(action.send_datagram()), " }");
  }
  return action.ShortDebugString();
}

}  // namespace ntp::trace
