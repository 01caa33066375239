#include "ntp/runtime/nts_ke_stream.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ntp::runtime {

KeStreamServer::KeStreamServer(nts::KeServer* server, clocks::Scheduler* scheduler,
                               absl::BitGenRef gen,
                               std::unique_ptr<net::StreamListener> listener)
    : server_(server), scheduler_(scheduler), gen_(gen), listener_(std::move(listener)) {
  listener_->SetAcceptHandler(
      [this](std::unique_ptr<net::StreamConnection> stream) { OnAccept(std::move(stream)); });
}

KeStreamServer::~KeStreamServer() {
  if (timer_) scheduler_->Cancel(*timer_);
  for (const auto& [id, stream] : streams_) server_->Closed(id);
}

void KeStreamServer::OnAccept(std::unique_ptr<net::StreamConnection> stream) {
  const uint64_t id = next_id_++;
  if (!server_->Accept(id, scheduler_->Now())) return;  // at max_sessions: closed
  stream->SetHandlers(
      [this, id](absl::Span<const uint8_t> bytes) { OnData(id, bytes); },
      [this, id](const absl::Status&) {
        server_->Closed(id);
        Forget(id);
      });
  streams_[id] = std::move(stream);
  ArmTimer();
}

void KeStreamServer::OnData(uint64_t id, absl::Span<const uint8_t> bytes) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  nts::KeServer::Step step = server_->Receive(id, bytes, scheduler_->Now(), gen_);
  // A refused Send (buffer full) leaves the response incomplete: the client
  // sees a TLS error, and the session ends here either way.
  if (!step.send.empty() && !it->second->Send(step.send).ok()) step.close = true;
  if (step.close) {
    server_->Closed(id);  // no-op if the server already forgot it
    Forget(id);           // Close() sends what is queued, then FIN
  }
}

void KeStreamServer::Forget(uint64_t id) {
  streams_.erase(id);
  ArmTimer();
}

void KeStreamServer::ArmTimer() {
  if (timer_) scheduler_->Cancel(*timer_);
  timer_.reset();
  const std::optional<absl::Time> next = server_->NextDeadline();
  if (!next) return;
  timer_ = scheduler_->RunAt(*next, [this] {
    timer_.reset();
    for (uint64_t id : server_->Expire(scheduler_->Now())) streams_.erase(id);
    ArmTimer();
  });
}

absl::StatusOr<std::unique_ptr<KeStreamClient>> KeStreamClient::Start(
    net::StreamNetwork* network, clocks::Scheduler* scheduler,
    const nts::KeTlsContext& context, const Options& options, DoneHandler done) {
  absl::StatusOr<nts::NtsKeClient> session =
      nts::NtsKeClient::Start(context, options.server_name, options.verify_time);
  if (!session.ok()) return session.status();
  absl::StatusOr<std::unique_ptr<net::StreamConnection>> stream =
      network->Connect(options.local_ip, options.server, options.limits);
  if (!stream.ok()) return stream.status();
  std::unique_ptr<KeStreamClient> client(
      new KeStreamClient(scheduler, *std::move(session), std::move(done)));
  KeStreamClient* self = client.get();
  client->stream_ = *std::move(stream);
  client->stream_->SetHandlers(
      [self](absl::Span<const uint8_t> bytes) { self->After(self->session_.Receive(bytes)); },
      [self](const absl::Status& status) {
        if (!status.ok()) {
          self->Finish(status);
          return;
        }
        const nts::KeState state = self->session_.ReceiveEof();
        if (state == nts::KeState::kInProgress) {
          self->Finish(absl::UnavailableError("NTS-KE server closed before answering"));
          return;
        }
        self->After(state);
      });
  client->Flush();  // the ClientHello, sent once connected
  client->timer_ = scheduler->RunAfter(options.timeout, [self, timeout = options.timeout] {
    self->timer_.reset();
    self->Finish(absl::DeadlineExceededError(
        absl::StrCat("NTS-KE exchange unfinished after ", absl::FormatDuration(timeout))));
  });
  return client;
}

KeStreamClient::~KeStreamClient() {
  if (timer_) scheduler_->Cancel(*timer_);
}

void KeStreamClient::Flush() {
  if (stream_ == nullptr || !session_.has_outgoing()) return;
  const std::vector<uint8_t> bytes = session_.TakeOutgoing();
  if (absl::Status s = stream_->Send(bytes); !s.ok()) Finish(s);
}

void KeStreamClient::After(nts::KeState state) {
  switch (state) {
    case nts::KeState::kInProgress:
      Flush();
      return;
    case nts::KeState::kDone:
      Flush();  // a TLS close_notify, if any
      Finish(session_.outcome());
      return;
    case nts::KeState::kFailed:
      Finish(session_.error());
      return;
  }
}

void KeStreamClient::Finish(absl::StatusOr<nts::KeOutcome> result) {
  if (!done_) return;
  if (timer_) scheduler_->Cancel(*timer_);
  timer_.reset();
  if (stream_ != nullptr) stream_->Close();
  DoneHandler done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));  // last: it may destroy this client
}

}  // namespace ntp::runtime
