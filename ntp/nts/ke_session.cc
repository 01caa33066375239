// NTS-KE over TLS 1.3 memory BIOs (see ke_session.h).
#include "ntp/nts/ke_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ntp/nts/aead.h"
#include "ntp/nts/openssl_util.h"
#include "ntp/wire/big_endian.h"

namespace ntp::nts {
namespace {

bool IsRetry(SSL* ssl, int ret) {
  const int e = SSL_get_error(ssl, ret);
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

std::string TlsErrorText() { return OpenSslError("TLS failure"); }

bool Contains(const std::vector<uint16_t>& list, uint16_t value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

// --- TlsPipe ---------------------------------------------------------------

void TlsPipe::Deleter::operator()(SSL* ssl) const { SSL_free(ssl); }

TlsPipe::TlsPipe(SSL* ssl) : ssl_(ssl) {
  if (ssl == nullptr) return;
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  // An empty input BIO means "wait for more", not end of stream.
  BIO_set_mem_eof_return(rbio, -1);
  SSL_set_bio(ssl, rbio, wbio);
}
TlsPipe::TlsPipe(TlsPipe&&) noexcept = default;

KeState TlsPipe::Fail(absl::Status status) {
  state_ = KeState::kFailed;
  error_ = std::move(status);
  ERR_clear_error();
  return state_;
}

TlsPipe& TlsPipe::operator=(TlsPipe&&) noexcept = default;
TlsPipe::~TlsPipe() = default;

void TlsPipe::Feed(absl::Span<const uint8_t> bytes) {
  if (!bytes.empty()) {
    BIO_write(SSL_get_rbio(ssl_.get()), bytes.data(),
              static_cast<int>(bytes.size()));
  }
}

bool TlsPipe::has_outgoing() const {
  return BIO_ctrl_pending(SSL_get_wbio(ssl_.get())) > 0;
}

std::vector<uint8_t> TlsPipe::TakeOutgoing() {
  BIO* wbio = SSL_get_wbio(ssl_.get());
  std::vector<uint8_t> out(BIO_ctrl_pending(wbio));
  if (!out.empty()) {
    const int n = BIO_read(wbio, out.data(), static_cast<int>(out.size()));
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  return out;
}

bool TlsPipe::ReadAvailable(std::vector<uint8_t>* in, bool* peer_closed) {
  std::array<uint8_t, 4096> buf;
  while (true) {
    const int n = SSL_read(ssl_.get(), buf.data(), buf.size());
    if (n > 0) {
      in->insert(in->end(), buf.begin(), buf.begin() + n);
      // ParseKeMessage refuses what is beyond the limit; stop reading.
      if (in->size() > kMaxKeMessageOctets + buf.size()) return true;
      continue;
    }
    const int e = SSL_get_error(ssl_.get(), n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
    if (e == SSL_ERROR_ZERO_RETURN) {
      *peer_closed = true;
      return true;
    }
    return false;
  }
}

absl::StatusOr<std::vector<KeRecord>> TlsPipe::ReadMessage(
    std::vector<uint8_t>* in) {
  bool closed = false;
  if (!ReadAvailable(in, &closed)) {
    return absl::DataLossError(
        absl::StrCat("NTS-KE TLS read: ", TlsErrorText()));
  }
  size_t consumed = 0;
  absl::StatusOr<std::vector<KeRecord>> records = ParseKeMessage(*in, &consumed);
  if (records.status().code() == absl::StatusCode::kUnavailable && closed) {
    return absl::AbortedError("NTS-KE peer closed before End of Message");
  }
  return records;
}

bool TlsPipe::Write(const std::vector<uint8_t>& bytes) {
  return SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size())) ==
         static_cast<int>(bytes.size());
}

bool TlsPipe::ExportKeys(uint16_t protocol, uint16_t aead, SessionKeys* keys) {
  // RFC 8915 §5.1: context = Protocol ID ‖ AEAD ID ‖ 0x00 (C2S) or 0x01.
  uint8_t context[5];
  StoreBe16(context, protocol);
  StoreBe16(context + 2, aead);
  keys->aead = aead;
  for (uint8_t direction : {0, 1}) {
    context[4] = direction;
    auto& key = direction == 0 ? keys->c2s : keys->s2c;
    if (SSL_export_keying_material(ssl_.get(), key.data(), key.size(),
                                   kNtsExporterLabel,
                                   std::strlen(kNtsExporterLabel), context,
                                   sizeof(context), 1) != 1) {
      return false;
    }
  }
  return true;
}

// --- NtsKeClient -----------------------------------------------------------

absl::StatusOr<NtsKeClient> NtsKeClient::Start(const KeTlsContext& context,
                                               const std::string& server_name,
                                               absl::Time verify_time) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context.get());
  if (ssl == nullptr) return absl::InternalError("SSL_new failed");
  NtsKeClient client(ssl);
  SSL_set_connect_state(ssl);
  static constexpr unsigned char kAlpnWire[] = "\x07ntske/1";
  if (SSL_set_alpn_protos(ssl, kAlpnWire, sizeof(kAlpnWire) - 1) != 0) {
    return absl::InternalError("cannot offer ALPN ntske/1");
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(verify_time));
  // An address is checked against the certificate's IP SANs and gets no
  // SNI (RFC 6066 §3); a name is both.
  const bool is_address =
      X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str()) == 1;
  if (!is_address) {
    if (SSL_set_tlsext_host_name(ssl, server_name.c_str()) != 1 ||
        (context.verify() && SSL_set1_host(ssl, server_name.c_str()) != 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad NTS-KE server name \"", server_name, "\""));
    }
  }
  ERR_clear_error();
  client.Advance();
  return client;
}

KeState NtsKeClient::Receive(absl::Span<const uint8_t> bytes) {
  if (state_ != KeState::kInProgress) return state_;
  Feed(bytes);
  return Advance();
}

KeState NtsKeClient::ReceiveEof() {
  if (state_ != KeState::kInProgress) return state_;
  return Fail(absl::UnavailableError(
      "NTS-KE server closed the connection before its response ended"));
}

KeState NtsKeClient::Advance() {
  SSL* s = ssl();
  if (!request_sent_) {
    const int r = SSL_do_handshake(s);
    if (r != 1) {
      if (IsRetry(s, r)) return state_;
      const long verify = SSL_get_verify_result(s);
      if (verify != X509_V_OK) {
        return Fail(absl::PermissionDeniedError(
            absl::StrCat("NTS-KE server certificate: ",
                         X509_verify_cert_error_string(verify))));
      }
      return Fail(absl::UnavailableError(
          absl::StrCat("NTS-KE TLS handshake: ", TlsErrorText())));
    }
    const unsigned char* alpn = nullptr;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(s, &alpn, &alpn_len);
    if (alpn_len != std::strlen(kNtsKeAlpn) ||
        std::memcmp(alpn, kNtsKeAlpn, alpn_len) != 0) {
      return Fail(absl::PermissionDeniedError(
          "NTS-KE server did not select ALPN ntske/1"));
    }
    KeRequest request;
    request.next_protocols = {kNextProtocolNtpV4};
    request.aead_algorithms = {kAeadAesSivCmac256};
    if (!Write(EncodeKeRequest(request))) {
      return Fail(absl::UnavailableError("NTS-KE request write failed"));
    }
    request_sent_ = true;
  }
  absl::StatusOr<std::vector<KeRecord>> records = ReadMessage(&in_);
  if (records.status().code() == absl::StatusCode::kUnavailable) {
    return state_;
  }
  if (!records.ok()) return Fail(records.status());
  absl::StatusOr<KeResponse> response = DecodeKeResponse(*records);
  if (!response.ok()) return Fail(response.status());
  if (response->error.has_value()) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("NTS-KE server sent error ", *response->error)));
  }
  if (response->next_protocol != kNextProtocolNtpV4 ||
      response->aead_algorithm != kAeadAesSivCmac256) {
    return Fail(absl::FailedPreconditionError(
        "NTS-KE server chose no protocol or AEAD we offered"));
  }
  if (response->cookies.empty()) {
    return Fail(absl::FailedPreconditionError("NTS-KE server sent no cookie"));
  }
  if (!ExportKeys(kNextProtocolNtpV4, kAeadAesSivCmac256, &outcome_.keys)) {
    return Fail(absl::InternalError("TLS key export failed"));
  }
  const size_t keep = std::min(kMaxCookies, response->cookies.size());
  outcome_.cookies.assign(response->cookies.begin(),
                          response->cookies.begin() + keep);
  outcome_.server = response->server;
  outcome_.port = response->port;
  outcome_.warning = response->warning;
  SSL_shutdown(s);
  state_ = KeState::kDone;
  return state_;
}

// --- NtsKeServerSession ----------------------------------------------------

absl::StatusOr<NtsKeServerSession> NtsKeServerSession::Accept(
    const KeTlsContext& context) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context.get());
  if (ssl == nullptr) return absl::InternalError("SSL_new failed");
  NtsKeServerSession session(ssl);
  SSL_set_accept_state(ssl);
  return session;
}

KeState NtsKeServerSession::Receive(absl::Span<const uint8_t> bytes,
                                    CookieKeyring& keyring,
                                    const KeServerOptions& options,
                                    absl::BitGenRef gen) {
  if (state_ != KeState::kInProgress) return state_;
  Feed(bytes);
  SSL* s = ssl();
  if (!SSL_is_init_finished(s)) {
    const int r = SSL_do_handshake(s);
    if (r != 1) {
      if (IsRetry(s, r)) return state_;
      return Fail(absl::UnavailableError(
          absl::StrCat("NTS-KE TLS handshake: ", TlsErrorText())));
    }
  }
  absl::StatusOr<std::vector<KeRecord>> records = ReadMessage(&in_);
  if (records.status().code() == absl::StatusCode::kUnavailable) {
    return state_;
  }
  if (records.status().code() != absl::StatusCode::kInvalidArgument &&
      !records.ok()) {
    return Fail(records.status());
  }
  if (!records.ok()) {
    // Oversized or malformed: no usable request, so Respond answers Bad
    // Request (RFC 8915 §4.1.3), then the session closes.
    records = std::vector<KeRecord>{};
  }
  if (!Respond(*records, keyring, options, gen)) {
    return Fail(absl::InternalError("NTS-KE response failed"));
  }
  SSL_shutdown(s);
  state_ = KeState::kDone;
  return state_;
}

bool NtsKeServerSession::Respond(const std::vector<KeRecord>& records,
                                 CookieKeyring& keyring,
                                 const KeServerOptions& options,
                                 absl::BitGenRef gen) {
  KeRequestOrError decoded = DecodeKeRequest(records);
  KeResponse response;
  if (decoded.request.has_value() &&
      (!Contains(decoded.request->next_protocols, kNextProtocolNtpV4) ||
       !Contains(decoded.request->aead_algorithms, kAeadAesSivCmac256))) {
    // Nothing we can offer this client.
    decoded.request.reset();
    decoded.error = KeErrorCode::kBadRequest;
  }
  SessionKeys keys;
  if (decoded.request.has_value() &&
      !ExportKeys(kNextProtocolNtpV4, kAeadAesSivCmac256, &keys)) {
    decoded.request.reset();
    decoded.error = KeErrorCode::kInternalServerError;
  }
  if (decoded.request.has_value()) {
    for (size_t i = 0; i < options.cookies; ++i) {
      std::vector<uint8_t> cookie(kCookieOctets);
      if (!keyring.Seal(keys, gen, absl::MakeSpan(cookie)).ok()) {
        decoded.request.reset();
        decoded.error = KeErrorCode::kInternalServerError;
        response.cookies.clear();
        break;
      }
      response.cookies.push_back(std::move(cookie));
    }
  }
  if (decoded.request.has_value()) {
    response.next_protocol = kNextProtocolNtpV4;
    response.aead_algorithm = kAeadAesSivCmac256;
    response.server = options.ntp_server;
    response.port = options.ntp_port;
  } else {
    response.error = static_cast<uint16_t>(decoded.error);
    refused_ = decoded.error;
  }
  return Write(EncodeKeResponse(response));
}

// --- KeServer ----------------------------------------------------------------

bool KeServer::Accept(uint64_t id, absl::Time now) {
  if (sessions_.size() >= limits_.max_sessions || sessions_.count(id) != 0) {
    ++counters_.refused_busy;
    return false;
  }
  absl::StatusOr<NtsKeServerSession> session =
      NtsKeServerSession::Accept(*context_);
  if (!session.ok()) {
    ++counters_.failed;
    return false;
  }
  sessions_.emplace(id, Entry{std::move(session).value(),
                              now + limits_.session_timeout, 0});
  ++counters_.accepted;
  return true;
}

KeServer::Step KeServer::Receive(uint64_t id, absl::Span<const uint8_t> bytes,
                                 absl::Time now, absl::BitGenRef gen) {
  Step step;
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    step.close = true;
    return step;
  }
  Entry& entry = it->second;
  if (now >= entry.deadline) {
    ++counters_.timed_out;
    sessions_.erase(it);
    step.close = true;
    return step;
  }
  entry.received += bytes.size();
  if (entry.received > limits_.max_received_octets) {
    ++counters_.oversized;
    sessions_.erase(it);
    step.close = true;
    return step;
  }
  const KeState state = entry.session.Receive(bytes, *keyring_, options_, gen);
  step.send = entry.session.TakeOutgoing();
  if (state != KeState::kInProgress) {
    ++(state == KeState::kDone ? counters_.completed : counters_.failed);
    sessions_.erase(it);
    step.close = true;
  }
  return step;
}

void KeServer::Closed(uint64_t id) { sessions_.erase(id); }

std::vector<uint64_t> KeServer::Expire(absl::Time now) {
  std::vector<uint64_t> expired;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now >= it->second.deadline) {
      expired.push_back(it->first);
      ++counters_.timed_out;
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

std::optional<absl::Time> KeServer::NextDeadline() const {
  std::optional<absl::Time> next;
  for (const auto& [id, entry] : sessions_) {
    if (!next.has_value() || entry.deadline < *next) next = entry.deadline;
  }
  return next;
}

}  // namespace ntp::nts
