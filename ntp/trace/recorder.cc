// The trace recorder (recorder.h).
#include "ntp/trace/recorder.h"

#include <variant>

#include "ntp/trace/codec.h"

namespace ntp::trace {

TraceRecorder::TraceRecorder(const Header& header, TraceSink* sink, size_t buffer_bytes,
                             absl::Duration flush_interval)
    : sink_(sink),
      capacity_(buffer_bytes),
      flush_interval_(flush_interval),
      server_requests_(header.server_requests()),
      sample_every_(header.sample_every() == 0 ? 1 : header.sample_every()) {
  Record record;
  *record.mutable_header() = header;
  Add(record);
}

TraceRecorder::~TraceRecorder() {
  // The marker of a loss at the very end goes in beyond the bound: it is
  // small, and without it the trace would look complete.
  if (dropped_pending_ > 0) {
    Record marker;
    marker.mutable_dropped()->set_count(dropped_pending_);
    AppendFramed(marker, &buffer_);
  }
  Flush().IgnoreError();
}

void TraceRecorder::OnInput(const ntp::Input& input) {
  if (server_requests_ != SERVER_REQUESTS_ALL) {
    if (const auto* datagram = std::get_if<ntp::DatagramInput>(&input)) {
      const absl::Span<const uint8_t> payload = datagram->datagram.payload;
      if (IsServerRequest(absl::string_view(reinterpret_cast<const char*>(payload.data()),
                                            payload.size())) &&
          (server_requests_ == SERVER_REQUESTS_NONE || requests_seen_++ % sample_every_ != 0)) {
        ++skipped_;
        skip_actions_ = true;
        return;
      }
    }
  }
  last_input_ = InputReadings(input).monotonic;
  if (!last_flush_.has_value()) last_flush_ = last_input_;
  scratch_.Clear();
  EncodeInput(input, scratch_.mutable_input());
  Add(scratch_);
}

void TraceRecorder::OnActions(const ntp::Actions& actions) {
  if (skip_actions_) {
    skip_actions_ = false;
    return;
  }
  scratch_.Clear();
  EncodeActions(actions, scratch_.mutable_actions());
  Add(scratch_);
  if (last_flush_.has_value() && last_input_ - *last_flush_ >= flush_interval_) {
    last_flush_ = last_input_;
    Flush().IgnoreError();  // a refusal: the bytes stay buffered
  }
}

absl::Status TraceRecorder::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  absl::Status status = sink_->Write(buffer_);
  if (status.ok()) buffer_.clear();
  return status;
}

bool TraceRecorder::Fit(const std::string& framed) {
  if (buffer_.size() + framed.size() > capacity_) Flush().IgnoreError();
  if (buffer_.size() + framed.size() > capacity_ && !buffer_.empty()) return false;
  // An empty buffer takes any one record, however large.
  buffer_ += framed;
  return true;
}

void TraceRecorder::Add(const Record& record) {
  if (dropped_pending_ > 0) {
    Record marker;
    marker.mutable_dropped()->set_count(dropped_pending_);
    framed_.clear();
    AppendFramed(marker, &framed_);
    if (Fit(framed_)) dropped_pending_ = 0;
  }
  framed_.clear();  // its storage is reused record after record
  AppendFramed(record, &framed_);
  if (dropped_pending_ == 0 && Fit(framed_)) {
    ++records_;
    return;
  }
  ++dropped_pending_;
  ++dropped_total_;
}

}  // namespace ntp::trace
