// NTS fuzz invariants (see fuzz_checks.h).
#include "ntp/nts/fuzz_checks.h"

#include <limits>

#include "absl/random/bit_gen_ref.h"
#include "absl/strings/str_cat.h"
#include "ntp/nts/client.h"
#include "ntp/nts/fields.h"
#include "ntp/nts/ke_records.h"

namespace ntp::nts::fuzz {
namespace {

// A uniform random bit generator that always draws zero: the fuzz client's
// Unique Identifier is then known to the seeds.
struct ZeroBits {
  using result_type = uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() {
    return std::numeric_limits<result_type>::max();
  }
  result_type operator()() { return 0; }
};

absl::Status Violated(absl::string_view what) {
  return absl::InternalError(absl::StrCat("invariant violated: ", what));
}

bool Within(absl::Span<const uint8_t> outer, absl::Span<const uint8_t> inner) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <=
                               outer.data() + outer.size());
}

bool SameRequest(const KeRequest& a, const KeRequest& b) {
  return a.next_protocols == b.next_protocols &&
         a.aead_algorithms == b.aead_algorithms && a.server == b.server &&
         a.port == b.port;
}

bool SameResponse(const KeResponse& a, const KeResponse& b) {
  return a.next_protocol == b.next_protocol &&
         a.aead_algorithm == b.aead_algorithm && a.cookies == b.cookies &&
         a.server == b.server && a.port == b.port && a.error == b.error &&
         a.warning == b.warning;
}

}  // namespace

absl::Status CheckKeRecordsInput(absl::Span<const uint8_t> input) {
  size_t consumed = 0;
  absl::StatusOr<std::vector<KeRecord>> records =
      ParseKeMessage(input, &consumed);
  if (!records.ok()) return absl::OkStatus();
  if (consumed > input.size() || consumed > kMaxKeMessageOctets) {
    return Violated("consumed more than allowed");
  }
  std::vector<uint8_t> again;
  for (const KeRecord& r : *records) {
    if (!AppendKeRecord(r, &again).ok()) return Violated("record re-encode");
  }
  if (again != std::vector<uint8_t>(input.begin(), input.begin() + consumed)) {
    return Violated("records do not re-encode to their octets");
  }
  KeRequestOrError request = DecodeKeRequest(*records);
  if (request.request.has_value()) {
    std::vector<uint8_t> encoded = EncodeKeRequest(*request.request);
    size_t n = 0;
    auto reparsed = ParseKeMessage(encoded, &n);
    if (!reparsed.ok()) return Violated("encoded request does not parse");
    KeRequestOrError back = DecodeKeRequest(*reparsed);
    if (!back.request.has_value() ||
        !SameRequest(*back.request, *request.request)) {
      return Violated("request round trip");
    }
  }
  absl::StatusOr<KeResponse> response = DecodeKeResponse(*records);
  if (response.ok()) {
    std::vector<uint8_t> encoded = EncodeKeResponse(*response);
    size_t n = 0;
    auto reparsed = ParseKeMessage(encoded, &n);
    // Responses with oversized contents cannot be re-encoded as one
    // message; that is the encoder's limit, not a parser bug.
    if (reparsed.ok()) {
      absl::StatusOr<KeResponse> back = DecodeKeResponse(*reparsed);
      if (!back.ok() || !SameResponse(*back, *response)) {
        return Violated("response round trip");
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<NtsFuzzState>> NtsFuzzState::Create() {
  std::unique_ptr<NtsFuzzState> state(new NtsFuzzState());
  const std::vector<uint8_t> master(kAesSivCmac256KeyOctets, kMasterKeyByte);
  absl::Status added = state->keyring_.AddKey(1, master);
  if (!added.ok()) return added;
  state->keys_.c2s.fill(kC2sByte);
  state->keys_.s2c.fill(kS2cByte);
  ZeroBits zero;
  state->cookie_.resize(kCookieOctets);
  absl::StatusOr<size_t> sealed = state->keyring_.Seal(
      state->keys_, zero, absl::MakeSpan(state->cookie_));
  if (!sealed.ok()) return sealed.status();
  absl::StatusOr<NtsServer> server = NtsServer::Create(&state->keyring_);
  if (!server.ok()) return server.status();
  state->server_.emplace(std::move(server).value());
  return state;
}

absl::Status CheckNtsFieldsInput(NtsFuzzState& state,
                                 absl::Span<const uint8_t> input) {
  NtsFieldError error;
  std::optional<NtsFields> fields = ParseNtsFields(input, &error);
  if (fields.has_value()) {
    if (!Within(input, fields->unique_identifier) ||
        (fields->cookie.has_value() && !Within(input, *fields->cookie))) {
      return Violated("field view outside the datagram");
    }
    if (fields->authenticator.has_value()) {
      const NtsAuthenticator& a = *fields->authenticator;
      if (a.field_offset < 48 || a.field_offset >= input.size() ||
          !Within(input, a.nonce) || !Within(input, a.ciphertext)) {
        return Violated("authenticator outside the datagram");
      }
    }
  }

  // As a request.
  ZeroBits zero;
  NtsCheck check = state.server().CheckRequest(input);
  if (check.verdict == NtsVerdict::kRespond) {
    std::vector<uint8_t> reply(input.size() + 1024);
    absl::StatusOr<size_t> n = state.server().SealReply(
        check.request, input.first(48), zero, absl::MakeSpan(reply));
    if (!n.ok()) return Violated(absl::StrCat("SealReply: ", n.status().ToString()));
    if (*n > input.size()) return Violated("reply larger than request");
  }

  // As a reply to an outstanding request.
  absl::StatusOr<NtsClient> client =
      NtsClient::Create(state.keys(), {state.cookie(), state.cookie()});
  if (!client.ok()) return client.status();
  std::vector<uint8_t> request(1024);
  std::vector<uint8_t> header(48, 0);
  header[0] = (4 << 3) | 3;
  if (!client->BuildRequest(header, zero, absl::MakeSpan(request)).ok()) {
    return Violated("BuildRequest failed");
  }
  const size_t cookies = client->cookie_count();
  const bool needs_ke = client->needs_key_exchange();
  NtsReplyCheck reply = client->ProcessReply(input);
  if (reply.verdict == NtsReplyVerdict::kDropped &&
      (client->cookie_count() != cookies ||
       client->needs_key_exchange() != needs_ke ||
       client->counters().accepted != 0 || client->counters().naks != 0)) {
    return Violated("a dropped reply changed client state");
  }
  if (client->cookie_count() > kMaxCookies) return Violated("over 8 cookies");
  if (reply.verdict == NtsReplyVerdict::kAccepted &&
      client->ProcessReply(input).verdict != NtsReplyVerdict::kDropped) {
    return Violated("a replayed reply was accepted");
  }
  return absl::OkStatus();
}

}  // namespace ntp::nts::fuzz
