// NtsClient against NtsServer, bytes only: cookies are refilled, forged,
// replayed and truncated packets are dropped and change nothing, NAKs
// follow key rotation, and replies are never larger than requests.
#include <cstdint>
#include <vector>

#include "absl/random/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/nts/client.h"
#include "ntp/nts/cookie.h"
#include "ntp/nts/fields.h"
#include "ntp/nts/server.h"
#include "ntp/testing/status_matchers.h"

namespace ntp::nts {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

std::vector<uint8_t> Header(uint8_t mode, uint8_t stratum = 2,
                            const char* refid = "GPS\0") {
  std::vector<uint8_t> h(48, 0);
  h[0] = static_cast<uint8_t>((4 << 3) | mode);
  h[1] = stratum;
  std::copy(refid, refid + 4, h.begin() + 12);
  for (int i = 40; i < 48; ++i) h[i] = static_cast<uint8_t>(i);
  return h;
}

class PacketPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(ring_.Rotate(gen_), IsOk());
    for (size_t i = 0; i < keys_.c2s.size(); ++i) {
      keys_.c2s[i] = static_cast<uint8_t>(i);
      keys_.s2c[i] = static_cast<uint8_t>(100 + i);
    }
    std::vector<std::vector<uint8_t>> cookies;
    for (int i = 0; i < 8; ++i) {
      std::vector<uint8_t> c(kCookieOctets);
      ASSERT_THAT(ring_.Seal(keys_, gen_, absl::MakeSpan(c)), IsOk());
      cookies.push_back(c);
    }
    auto client = NtsClient::Create(keys_, cookies);
    ASSERT_THAT(client, IsOk());
    client_.emplace(std::move(client).value());
    auto server = NtsServer::Create(&ring_);
    ASSERT_THAT(server, IsOk());
    server_.emplace(std::move(server).value());
  }

  std::vector<uint8_t> Request() {
    std::vector<uint8_t> out(4096);
    auto n = client_->BuildRequest(Header(3), gen_, absl::MakeSpan(out));
    EXPECT_THAT(n, IsOk());
    out.resize(n.ok() ? *n : 0);
    return out;
  }

  std::vector<uint8_t> Reply(const std::vector<uint8_t>& request) {
    NtsCheck check = server_->CheckRequest(request);
    EXPECT_EQ(check.verdict, NtsVerdict::kRespond)
        << NtsServerDropName(check.drop);
    std::vector<uint8_t> out(4096);
    auto n = server_->SealReply(check.request, Header(4), gen_,
                                absl::MakeSpan(out));
    EXPECT_THAT(n, IsOk());
    out.resize(n.ok() ? *n : 0);
    return out;
  }

  absl::BitGen gen_;
  CookieKeyring ring_;
  SessionKeys keys_;
  std::optional<NtsClient> client_;
  std::optional<NtsServer> server_;
};

TEST_F(PacketPathTest, RoundTripKeepsEightCookies) {
  for (int round = 0; round < 20; ++round) {
    std::vector<uint8_t> request = Request();
    EXPECT_EQ(client_->cookie_count(), 7u);
    std::vector<uint8_t> reply = Reply(request);
    EXPECT_EQ(reply.size(), request.size());  // 1 cookie + 0 placeholders
    NtsReplyCheck check = client_->ProcessReply(reply);
    ASSERT_EQ(check.verdict, NtsReplyVerdict::kAccepted)
        << NtsClientDropName(check.drop);
    EXPECT_EQ(check.new_cookies, 1u);
    EXPECT_EQ(client_->cookie_count(), 8u);
    EXPECT_FALSE(client_->needs_key_exchange());
  }
  EXPECT_EQ(server_->counters().accepted, 20u);
  EXPECT_EQ(client_->counters().accepted, 20u);
}

TEST_F(PacketPathTest, PlaceholdersRefillAfterLoss) {
  // Three requests lost: the fourth asks for four cookies.
  Request();
  Request();
  Request();
  std::vector<uint8_t> request = Request();
  EXPECT_EQ(client_->cookie_count(), 4u);
  NtsFieldError error;
  auto fields = ParseNtsFields(request, &error);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->placeholder_count, 3u);
  std::vector<uint8_t> reply = Reply(request);
  EXPECT_LE(reply.size(), request.size());
  NtsReplyCheck check = client_->ProcessReply(reply);
  ASSERT_EQ(check.verdict, NtsReplyVerdict::kAccepted);
  EXPECT_EQ(check.new_cookies, 4u);
  EXPECT_EQ(client_->cookie_count(), 8u);
}

TEST_F(PacketPathTest, ReplyIsNeverLargerThanRequest) {
  // A request whose placeholders are too small for our cookies: the
  // server sends fewer cookies rather than a larger reply.
  std::vector<uint8_t> cookie(kCookieOctets);
  ASSERT_THAT(ring_.Seal(keys_, gen_, absl::MakeSpan(cookie)), IsOk());
  auto c2s = AesSivCmac256::Create(keys_.c2s);
  ASSERT_THAT(c2s, IsOk());
  for (size_t placeholder_value : {4u, 50u, 96u, 100u, 200u}) {
    std::vector<uint8_t> d = Header(3);
    d.resize(2048);
    size_t at = 48;
    at += *EncodeField(kUniqueIdentifierField, std::vector<uint8_t>(32, 1),
                       absl::MakeSpan(d).subspan(at));
    at += *EncodeField(kNtsCookieField, cookie, absl::MakeSpan(d).subspan(at));
    for (int i = 0; i < 5; ++i) {
      at += *EncodeField(kNtsCookiePlaceholderField,
                         std::vector<uint8_t>(placeholder_value),
                         absl::MakeSpan(d).subspan(at));
    }
    at += *EncodeAuthenticator(*c2s, gen_, absl::MakeSpan(d), at, {});
    d.resize(at);
    NtsCheck check = server_->CheckRequest(d);
    ASSERT_EQ(check.verdict, NtsVerdict::kRespond);
    EXPECT_EQ(check.request.cookies_wanted, 6u);
    std::vector<uint8_t> out(4096);
    auto n = server_->SealReply(check.request, Header(4), gen_,
                                absl::MakeSpan(out));
    ASSERT_THAT(n, IsOk());
    EXPECT_LE(*n, d.size()) << placeholder_value;
    if (placeholder_value >= kCookieOctets) {
      EXPECT_EQ(*n, NtsServer::ReplyOctets(32, 6));
    }
  }
}

TEST_F(PacketPathTest, ForgedRequestsAreDroppedAndCounted) {
  std::vector<uint8_t> request = Request();
  // Every bit of every extension field (the header is authenticated too,
  // but flipping the version or mode makes it not NTS at all).
  int dropped = 0;
  for (size_t bit = 0; bit < request.size() * 8; ++bit) {
    std::vector<uint8_t> bad = request;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    NtsCheck check = server_->CheckRequest(bad);
    // A flip in the cookie's key ID names a key the server does not have:
    // that (and only that) gets a NAK. Nothing is ever answered.
    const size_t key_id_at = 48 + 36 + 4;
    if (bit / 8 >= key_id_at && bit / 8 < key_id_at + 4) {
      EXPECT_EQ(check.verdict, NtsVerdict::kNak) << "bit " << bit;
      continue;
    }
    EXPECT_EQ(check.verdict, NtsVerdict::kDrop) << "bit " << bit;
    ++dropped;
  }
  uint64_t total = 0;
  for (uint64_t d : server_->counters().drops) total += d;
  EXPECT_EQ(total, static_cast<uint64_t>(dropped));
  EXPECT_EQ(server_->counters().accepted, 0u);
}

TEST_F(PacketPathTest, TruncatedRepliesAreDroppedAndChangeNothing) {
  std::vector<uint8_t> request = Request();
  std::vector<uint8_t> reply = Reply(request);
  for (size_t len = 0; len < reply.size(); ++len) {
    std::vector<uint8_t> cut(reply.begin(), reply.begin() + len);
    EXPECT_EQ(client_->ProcessReply(cut).verdict, NtsReplyVerdict::kDropped)
        << len;
    EXPECT_EQ(client_->cookie_count(), 7u);
  }
  EXPECT_EQ(client_->ProcessReply(reply).verdict, NtsReplyVerdict::kAccepted);
}

TEST_F(PacketPathTest, ForgedRepliesAreDroppedAndChangeNothing) {
  std::vector<uint8_t> request = Request();
  std::vector<uint8_t> reply = Reply(request);
  for (size_t bit = 0; bit < reply.size() * 8; ++bit) {
    std::vector<uint8_t> bad = reply;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_EQ(client_->ProcessReply(bad).verdict, NtsReplyVerdict::kDropped)
        << "bit " << bit;
    EXPECT_EQ(client_->cookie_count(), 7u);
  }
  // A reply sealed under other keys.
  SessionKeys other = keys_;
  other.s2c[0] ^= 1;
  CookieKeyring ring2;
  ASSERT_THAT(ring2.Rotate(gen_), IsOk());
  auto server2 = NtsServer::Create(&ring_);
  ASSERT_THAT(server2, IsOk());
  NtsCheck check = server2->CheckRequest(request);
  check.request.keys = other;
  std::vector<uint8_t> out(4096);
  auto n = server2->SealReply(check.request, Header(4), gen_,
                              absl::MakeSpan(out));
  ASSERT_THAT(n, IsOk());
  out.resize(*n);
  NtsReplyCheck bad = client_->ProcessReply(out);
  EXPECT_EQ(bad.verdict, NtsReplyVerdict::kDropped);
  EXPECT_EQ(bad.drop, NtsClientDrop::kBadAuthenticator);
  EXPECT_EQ(client_->ProcessReply(reply).verdict, NtsReplyVerdict::kAccepted);
  EXPECT_EQ(client_->counters().accepted, 1u);
}

TEST_F(PacketPathTest, ReplaysAndStaleRepliesAreDropped) {
  std::vector<uint8_t> first = Request();
  std::vector<uint8_t> first_reply = Reply(first);
  std::vector<uint8_t> second = Request();
  // The reply to the superseded request.
  NtsReplyCheck stale = client_->ProcessReply(first_reply);
  EXPECT_EQ(stale.drop, NtsClientDrop::kNotPending);
  std::vector<uint8_t> second_reply = Reply(second);
  EXPECT_EQ(client_->ProcessReply(second_reply).verdict,
            NtsReplyVerdict::kAccepted);
  const size_t cookies = client_->cookie_count();
  NtsReplyCheck replay = client_->ProcessReply(second_reply);
  EXPECT_EQ(replay.verdict, NtsReplyVerdict::kDropped);
  EXPECT_EQ(replay.drop, NtsClientDrop::kNotPending);
  EXPECT_EQ(client_->cookie_count(), cookies);
}

TEST_F(PacketPathTest, NakAfterMasterKeysRotateAway) {
  for (size_t i = 0; i < kKeptMasterKeys; ++i) {
    ASSERT_THAT(ring_.Rotate(gen_), IsOk());
  }
  std::vector<uint8_t> request = Request();
  NtsCheck check = server_->CheckRequest(request);
  ASSERT_EQ(check.verdict, NtsVerdict::kNak);
  EXPECT_EQ(server_->counters().naks, 1u);
  std::vector<uint8_t> nak(4096);
  auto n = NtsServer::EncodeNak(check.request.unique_identifier,
                                Header(4, 0, "NTSN"), absl::MakeSpan(nak));
  ASSERT_THAT(n, IsOk());
  nak.resize(*n);
  EXPECT_LE(nak.size(), request.size());
  // A NAK-shaped packet with another Unique Identifier changes nothing.
  std::vector<uint8_t> wrong = nak;
  wrong[48 + 4] ^= 1;
  EXPECT_EQ(client_->ProcessReply(wrong).drop, NtsClientDrop::kNotPending);
  EXPECT_FALSE(client_->needs_key_exchange());
  // Without the NTSN code it is a reply lacking its authenticator.
  std::vector<uint8_t> not_nak = nak;
  not_nak[12] = 'X';
  EXPECT_EQ(client_->ProcessReply(not_nak).drop,
            NtsClientDrop::kNoAuthenticator);
  EXPECT_EQ(client_->ProcessReply(nak).verdict, NtsReplyVerdict::kNak);
  EXPECT_TRUE(client_->needs_key_exchange());
  EXPECT_EQ(client_->counters().naks, 1u);
}

// A server rotating its master key mid-run keeps serving a client that
// polls: each reply brings a cookie under the current key, and a cookie
// stays valid for kKeptMasterKeys - 1 = 2 rotations. The client spends its
// oldest cookie first, so one cookie waits 8 polls before use: rotating
// every 4 polls is the fastest rotation that never NAKs.
TEST_F(PacketPathTest, MasterKeyRotationMidRun) {
  for (int round = 0; round < 40; ++round) {
    if (round % 4 == 3) {
      ASSERT_THAT(ring_.Rotate(gen_), IsOk());
    }
    std::vector<uint8_t> request = Request();
    NtsCheck check = server_->CheckRequest(request);
    ASSERT_EQ(check.verdict, NtsVerdict::kRespond) << round;
    std::vector<uint8_t> out(4096);
    auto n = server_->SealReply(check.request, Header(4), gen_,
                                absl::MakeSpan(out));
    ASSERT_THAT(n, IsOk());
    out.resize(*n);
    ASSERT_EQ(client_->ProcessReply(out).verdict, NtsReplyVerdict::kAccepted);
  }
  EXPECT_EQ(server_->counters().naks, 0u);
  EXPECT_EQ(ring_.current_id(), 11u);
  EXPECT_EQ(client_->cookie_count(), kMaxCookies);
}

TEST_F(PacketPathTest, CookiesRunOut) {
  for (int i = 0; i < 8; ++i) Request();
  EXPECT_TRUE(client_->needs_key_exchange());
  std::vector<uint8_t> out(4096);
  EXPECT_THAT(client_->BuildRequest(Header(3), gen_, absl::MakeSpan(out)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PacketPathTest, RequestsWithoutCookieOrAuthenticatorAreDropped) {
  std::vector<uint8_t> d = Header(3);
  d.resize(512);
  size_t at = 48;
  at += *EncodeField(kUniqueIdentifierField, std::vector<uint8_t>(32, 1),
                     absl::MakeSpan(d).subspan(at));
  std::vector<uint8_t> uid_only(d.begin(), d.begin() + at);
  EXPECT_EQ(server_->CheckRequest(uid_only).drop, NtsServerDrop::kNoCookie);
  std::vector<uint8_t> cookie(kCookieOctets);
  ASSERT_THAT(ring_.Seal(keys_, gen_, absl::MakeSpan(cookie)), IsOk());
  at += *EncodeField(kNtsCookieField, cookie, absl::MakeSpan(d).subspan(at));
  std::vector<uint8_t> no_auth(d.begin(), d.begin() + at);
  EXPECT_EQ(server_->CheckRequest(no_auth).drop,
            NtsServerDrop::kNoAuthenticator);
}

}  // namespace
}  // namespace ntp::nts
