#include "ntp/server/responder.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "clock/fake_clock.h"
#include "gtest/gtest.h"
#include "ntp/auth/key_store.h"
#include "ntp/auth/mac.h"
#include "ntp/wire/big_endian.h"

namespace ntp {
namespace {

// Field layout written independently of ntp/wire's codec so the tests pin
// the on-wire contract (RFC 5905 §7.3, Figure 8); only the byte order comes
// from ntp/wire/big_endian.h (pinned by its own test).

std::vector<uint8_t> Request(int version = 4, int mode = 3,
                             uint64_t transmit = 0xE93C7F0012345678ull,
                             int8_t poll = 6, int leap = 3) {
  std::vector<uint8_t> p(48, 0);
  p[0] = static_cast<uint8_t>((leap << 6) | (version << 3) | mode);
  p[2] = static_cast<uint8_t>(poll);
  p[3] = static_cast<uint8_t>(-6);
  StoreBe64(p.data() + 40, transmit);
  return p;
}

struct Reply {
  int leap, version, mode, stratum, poll, precision;
  uint32_t root_delay, root_dispersion, refid;
  uint64_t reftime, origin, receive, transmit;
  size_t size;
};

Reply Decode(absl::Span<const uint8_t> b) {
  Reply r{};
  r.size = b.size();
  r.leap = b[0] >> 6;
  r.version = (b[0] >> 3) & 7;
  r.mode = b[0] & 7;
  r.stratum = b[1];
  r.poll = static_cast<int8_t>(b[2]);
  r.precision = static_cast<int8_t>(b[3]);
  r.root_delay = LoadBe32(&b[4]);
  r.root_dispersion = LoadBe32(&b[8]);
  r.refid = LoadBe32(&b[12]);
  r.reftime = LoadBe64(&b[16]);
  r.origin = LoadBe64(&b[24]);
  r.receive = LoadBe64(&b[32]);
  r.transmit = LoadBe64(&b[40]);
  return r;
}

constexpr uint32_t kInit = 0x494E4954;   // "INIT"
constexpr uint32_t kStep = 0x53544550;   // "STEP"
constexpr uint32_t kRate = 0x52415445;   // "RATE"
constexpr uint32_t kLocal = 0x7F7F0100;  // 127.127.1.0

const absl::Time kNow = absl::FromUnixSeconds(1704067200);  // 2024-01-01

SymmetricKey Key(uint32_t id, MacAlgorithm algorithm, const std::string& secret) {
  auto key = SymmetricKey::Create(
      id, algorithm,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()), secret.size()));
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

// Appends key ID + digest over everything so far.
void AppendMac(std::vector<uint8_t>& packet, const SymmetricKey& key) {
  auto ctx = MacContext::Create();
  ASSERT_TRUE(ctx.ok());
  std::vector<uint8_t> digest(key.digest_length());
  ASSERT_TRUE(ctx->ComputeDigest(key, packet, absl::MakeSpan(digest)).ok());
  const size_t at = packet.size();
  packet.resize(at + 4);
  StoreBe32(packet.data() + at, key.key_id());
  packet.insert(packet.end(), digest.begin(), digest.end());
}

class ResponderTest : public ::testing::Test {
 protected:
  ResponderTest() : clock_(kNow + absl::Microseconds(50)) {
    synced_.leap = Leap::kNoWarning;
    synced_.stratum = 11;
    synced_.precision_log2 = -23;
    synced_.root_delay = NtpShort::FromSeconds(0.0);
    synced_.root_dispersion = NtpShort::FromSeconds(0.0105);
    synced_.reference_id = kLocal;
    synced_.reference_time = NtpTimestamp::FromTime(kNow - absl::Seconds(20));
  }

  void Make(ResponderSettings settings = ResponderSettings(),
            const KeyStore* keys = nullptr,
            std::vector<std::pair<uint32_t, uint32_t>> trusted = {}) {
    auto auth = RequestAuthenticator::Create(keys, trusted);
    ASSERT_TRUE(auth.ok()) << auth.status();
    responder_ = std::make_unique<Responder>(std::move(settings), std::move(*auth));
  }

  ServerOutcome Send(const std::vector<uint8_t>& payload,
                     const std::string& source = "192.168.31.5", uint16_t port = 40000,
                     absl::Time monotonic = absl::FromUnixSeconds(100)) {
    ServerRequest request;
    request.payload = payload;
    request.source = net::SocketAddress(*net::IpAddress::Parse(source), port);
    request.receive_time = NtpTimestamp::FromTime(kNow);
    request.monotonic_now = monotonic;
    request.transmit_time = NtpTimestamp::FromTime(clock_.Now());
    last_ = responder_->Handle(request, system_, absl::MakeSpan(buffer_));
    return last_;
  }

  Reply LastReply() const {
    EXPECT_EQ(last_.action, ServerAction::kReply);
    return Decode(absl::MakeConstSpan(buffer_.data(), last_.reply_octets));
  }

  clocks::FakeClock clock_;
  SystemVariables system_;  // default: unsynchronised, INIT
  SystemVariables synced_;
  std::unique_ptr<Responder> responder_;
  std::array<uint8_t, 512> buffer_{};
  ServerOutcome last_;
};

TEST_F(ResponderTest, SynchronisedReplyCarriesSystemVariables) {
  Make();
  system_ = synced_;
  const auto request = Request(4, 3, 0xE93C7F00DEADBEEFull, 6);
  ASSERT_EQ(Send(request).action, ServerAction::kReply);
  const Reply r = LastReply();
  EXPECT_EQ(r.size, 48u);
  EXPECT_EQ(r.leap, 0);
  EXPECT_EQ(r.version, 4);
  EXPECT_EQ(r.mode, 4);
  EXPECT_EQ(r.stratum, 11);
  EXPECT_EQ(r.poll, 6);
  EXPECT_EQ(r.precision, -23);
  EXPECT_EQ(r.root_delay, 0u);
  EXPECT_EQ(r.refid, kLocal);
  EXPECT_EQ(r.reftime, synced_.reference_time.raw());
  EXPECT_EQ(r.origin, 0xE93C7F00DEADBEEFull);  // request transmit, verbatim
  EXPECT_EQ(r.receive, NtpTimestamp::FromTime(kNow).raw());
  EXPECT_EQ(r.transmit, NtpTimestamp::FromTime(kNow + absl::Microseconds(50)).raw());
  // Root dispersion aged by 15 ppm over the 20 s since the reference time.
  const double disp = r.root_dispersion / 65536.0;
  EXPECT_NEAR(disp, 0.0105 + 20 * 15e-6, 2.0 / 65536);
  EXPECT_EQ(responder_->counters().reply_count(ServerReplyKind::kPlain), 1u);
  EXPECT_EQ(responder_->counters().time_requests, 1u);
}

TEST_F(ResponderTest, LeapSmearHidesTheLeapAndSmearsTheTimeServed) {
  ResponderSettings settings;
  settings.leap_smear_seconds = 3600;
  Make(settings);
  system_ = synced_;
  system_.leap = Leap::kInsertSecond;  // at kNow, a UTC midnight
  auto at = [&](absl::Duration before_midnight) {
    ServerRequest request;
    const std::vector<uint8_t> payload = Request();
    request.payload = payload;
    request.source = net::SocketAddress(*net::IpAddress::Parse("192.168.31.5"), 40000);
    request.receive_time = NtpTimestamp::FromTime(kNow - before_midnight);
    request.transmit_time = NtpTimestamp::FromTime(kNow - before_midnight + absl::Microseconds(50));
    request.monotonic_now = absl::FromUnixSeconds(100) - before_midnight;
    last_ = responder_->Handle(request, system_, absl::MakeSpan(buffer_));
    const Reply r = LastReply();
    EXPECT_EQ(r.leap, 0);  // never announced
    return (NtpTimestamp::FromRaw(r.receive) - request.receive_time).ToSeconds();
  };
  EXPECT_EQ(at(absl::Hours(2)), 0);                      // before the interval
  EXPECT_NEAR(at(absl::Minutes(30)), -0.5, 1e-6);        // half way
  EXPECT_NEAR(at(absl::Seconds(36)), -0.99, 1e-6);       // almost the full second
  // Without smearing the leap is announced and the time is not touched.
  Make();
  system_.leap = Leap::kInsertSecond;
  ASSERT_EQ(Send(Request()).action, ServerAction::kReply);
  EXPECT_EQ(LastReply().leap, 1);
  EXPECT_EQ(LastReply().receive, NtpTimestamp::FromTime(kNow).raw());
}

TEST_F(ResponderTest, UnsynchronisedReplyIsLi3Stratum0WithStateRefid) {
  Make();
  ASSERT_EQ(Send(Request()).action, ServerAction::kReply);
  Reply r = LastReply();
  EXPECT_EQ(r.leap, 3);
  EXPECT_EQ(r.stratum, 0);
  EXPECT_EQ(r.refid, kInit);
  EXPECT_EQ(r.reftime, 0u);
  system_.reference_id = kStep;  // after a step, set by the discipline
  Send(Request());
  r = LastReply();
  EXPECT_EQ(r.leap, 3);
  EXPECT_EQ(r.stratum, 0);
  EXPECT_EQ(r.refid, kStep);
  // A stratum of 16 with LI 0 is still unsynchronised on the wire.
  system_.leap = Leap::kNoWarning;
  system_.stratum = 16;
  Send(Request());
  r = LastReply();
  EXPECT_EQ(r.leap, 3);
  EXPECT_EQ(r.stratum, 0);
}

TEST_F(ResponderTest, VersionIsEchoedAndPollIsAtLeastDiscardAverage) {
  Make();
  struct Case {
    int version;
    int8_t poll;
    int want_poll;
  };
  for (const Case c : {Case{1, 0, 3}, Case{2, 4, 4}, Case{3, -2, 3}, Case{4, 10, 10},
                       Case{4, 17, 17}}) {
    ASSERT_EQ(Send(Request(c.version, 3, 1, c.poll)).action, ServerAction::kReply);
    const Reply r = LastReply();
    EXPECT_EQ(r.version, c.version);
    EXPECT_EQ(r.mode, 4);
    EXPECT_EQ(r.poll, c.want_poll);
  }
}

TEST_F(ResponderTest, Version1Mode0IsAClientRequest) {
  Make();
  ASSERT_EQ(Send(Request(1, 0)).action, ServerAction::kReply);
  EXPECT_EQ(LastReply().version, 1);
  EXPECT_EQ(LastReply().mode, 4);
  EXPECT_EQ(Send(Request(2, 0)).drop_reason, ServerDropReason::kUnexpectedMode);
}

TEST_F(ResponderTest, TransmitIsStrictlyAfterReceiveEvenWithACoarseClock) {
  Make();
  ServerRequest request;
  const auto payload = Request();
  request.payload = payload;
  request.source = net::SocketAddress(net::IpAddress::V4(0x0A000001), 1234);
  request.receive_time = NtpTimestamp::FromTime(kNow);
  {
    // The reading is behind T2.
    request.transmit_time = NtpTimestamp::FromTime(kNow - absl::Milliseconds(5));
    const ServerOutcome out = responder_->Handle(request, system_, absl::MakeSpan(buffer_));
    ASSERT_EQ(out.action, ServerAction::kReply);
    const Reply r = Decode(absl::MakeConstSpan(buffer_.data(), out.reply_octets));
    EXPECT_EQ(r.transmit, r.receive + 1);
  }
  // The reading equals T2.
  request.transmit_time = NtpTimestamp::FromTime(kNow);
  const ServerOutcome out = responder_->Handle(request, system_, absl::MakeSpan(buffer_));
  const Reply r = Decode(absl::MakeConstSpan(buffer_.data(), out.reply_octets));
  EXPECT_GT(r.transmit, r.receive);
}

TEST_F(ResponderTest, NeverAnswersOtherModes) {
  ResponderSettings settings;
  settings.configured_peers = {*net::IpAddress::Parse("192.168.31.9")};
  Make(std::move(settings));
  struct Case {
    int mode;
    ServerAction action;
    ServerDropReason reason;
  };
  const std::vector<Case> cases = {
      {1, ServerAction::kDrop, ServerDropReason::kSymmetricUnknownPeer},
      {2, ServerAction::kClientPacket, {}},
      {4, ServerAction::kClientPacket, {}},
      {5, ServerAction::kClientPacket, {}},
      {6, ServerAction::kControl, {}},
      {7, ServerAction::kDrop, ServerDropReason::kPrivateMode},
  };
  for (const Case& c : cases) {
    const ServerOutcome out = Send(Request(4, c.mode));
    EXPECT_EQ(out.action, c.action) << "mode " << c.mode;
    if (c.action == ServerAction::kDrop) {
      EXPECT_EQ(out.drop_reason, c.reason);
    }
  }
  // Mode 1 from a configured peer goes to the client side.
  EXPECT_EQ(Send(Request(4, 1), "192.168.31.9").action, ServerAction::kClientPacket);
}

TEST_F(ResponderTest, UnparseableRequestsAreDroppedWithTheirReason) {
  Make();
  struct Case {
    std::vector<uint8_t> bytes;
    ServerDropReason reason;
  };
  std::vector<uint8_t> bad_version = Request();
  bad_version[0] = (0 << 6) | (5 << 3) | 3;
  std::vector<uint8_t> version0 = Request();
  version0[0] = 3;
  std::vector<uint8_t> odd = Request();
  odd.push_back(0);
  std::vector<uint8_t> bad_mac_len = Request();
  bad_mac_len.resize(48 + 8);
  std::vector<uint8_t> v3_with_field = Request(3);
  v3_with_field.resize(48 + 28);
  StoreBe32(v3_with_field.data() + 48, (0x0104u << 16) | 28);
  const std::vector<Case> cases = {
      {{}, ServerDropReason::kEmpty},
      {{0xE3}, ServerDropReason::kTooShort},
      {std::vector<uint8_t>(47, 0x23), ServerDropReason::kTooShort},
      {bad_version, ServerDropReason::kBadVersion},
      {version0, ServerDropReason::kBadVersion},
      {odd, ServerDropReason::kBadTrailer},
      {bad_mac_len, ServerDropReason::kBadTrailer},
      {v3_with_field, ServerDropReason::kBadTrailer},
  };
  for (const Case& c : cases) {
    const ServerOutcome out = Send(c.bytes);
    EXPECT_EQ(out.action, ServerAction::kDrop);
    EXPECT_EQ(out.drop_reason, c.reason) << ServerDropReasonName(out.drop_reason);
  }
}

TEST_F(ResponderTest, ExtensionFieldsAreNotEchoed) {
  Make();
  std::vector<uint8_t> request = Request();
  request.resize(48 + 28);
  StoreBe32(request.data() + 48, (0x0104u << 16) | 28);  // unknown type, 28 octets
  ASSERT_EQ(Send(request).action, ServerAction::kReply);
  EXPECT_EQ(last_.reply_octets, 48u);
}

TEST_F(ResponderTest, SourceChecks) {
  Make();
  EXPECT_EQ(Send(Request(), "10.0.0.1", 0).drop_reason, ServerDropReason::kBadSourcePort);
  EXPECT_EQ(Send(Request(), "224.0.1.1").drop_reason, ServerDropReason::kMulticastSource);
  EXPECT_EQ(Send(Request(), "ff02::101").drop_reason, ServerDropReason::kMulticastSource);
  EXPECT_EQ(Send(Request(), "2001:db8::7").action, ServerAction::kReply);
}

TEST_F(ResponderTest, RestrictFlagsApply) {
  ResponderSettings settings;
  settings.access.AddDefault(net::IpAddress::Family::kV4,
                             kRestrictKod | kRestrictNoModify | kRestrictNoTrap |
                                 kRestrictNoPeer | kRestrictNoQuery);
  settings.access.Add(*net::IpAddress::Parse("127.0.0.1"), 32, 0);
  settings.access.Add(*net::IpAddress::Parse("10.9.0.0"), 16, kRestrictIgnore);
  settings.access.Add(*net::IpAddress::Parse("10.8.0.0"), 16, kRestrictNoServe);
  settings.access.Add(*net::IpAddress::Parse("10.7.0.0"), 16, kRestrictVersion);
  settings.access.Add(*net::IpAddress::Parse("10.6.0.0"), 16, kRestrictNoTrust);
  Make(std::move(settings));

  // Seed default: time served, ntpq (mode 6) silently dropped.
  EXPECT_EQ(Send(Request(), "203.0.113.9").action, ServerAction::kReply);
  EXPECT_EQ(Send(Request(2, 6), "203.0.113.9").drop_reason, ServerDropReason::kNoQuery);
  EXPECT_EQ(Send(Request(2, 7), "203.0.113.9").drop_reason, ServerDropReason::kNoQuery);
  // kod without limited does nothing: back-to-back requests are answered.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Send(Request(), "203.0.113.9").action, ServerAction::kReply);
  }
  // Loopback: everything, including control.
  EXPECT_EQ(Send(Request(2, 6), "127.0.0.1").action, ServerAction::kControl);
  EXPECT_EQ(Send(Request(), "10.9.1.1").drop_reason, ServerDropReason::kIgnored);
  EXPECT_EQ(Send(Request(2, 6), "10.9.1.1").drop_reason, ServerDropReason::kIgnored);
  EXPECT_EQ(Send(Request(), "10.8.1.1").drop_reason, ServerDropReason::kNoServe);
  EXPECT_EQ(Send(Request(2, 6), "10.8.1.1").action, ServerAction::kControl);
  EXPECT_EQ(Send(Request(3), "10.7.1.1").drop_reason, ServerDropReason::kVersionRestricted);
  EXPECT_EQ(Send(Request(4), "10.7.1.1").action, ServerAction::kReply);
  EXPECT_EQ(Send(Request(), "10.6.1.1").drop_reason, ServerDropReason::kNotTrusted);
  EXPECT_EQ(last_.restrictions, kRestrictNoTrust);
  const ServerCounters& c = responder_->counters();
  EXPECT_EQ(c.drop_count(ServerDropReason::kNoQuery), 2u);
  EXPECT_EQ(c.drop_count(ServerDropReason::kIgnored), 2u);
}

TEST_F(ResponderTest, LimitedDropsAndKodAnswersAtABoundedRate) {
  ResponderSettings settings;
  settings.access.AddDefault(net::IpAddress::Family::kV4, kRestrictLimited | kRestrictKod);
  settings.access.Add(*net::IpAddress::Parse("10.5.0.0"), 16, kRestrictLimited);
  Make(std::move(settings));
  const absl::Time t = absl::FromUnixSeconds(500);
  const auto request = Request(3, 3, 0xAAAABBBBCCCCDDDDull, 4);
  EXPECT_EQ(Send(request, "203.0.113.1", 1, t).action, ServerAction::kReply);
  // Second packet within the 2 s guard: RATE KoD.
  ASSERT_EQ(Send(request, "203.0.113.1", 1, t + absl::Milliseconds(10)).action,
            ServerAction::kReply);
  EXPECT_EQ(last_.reply_kind, ServerReplyKind::kKissOfDeath);
  const Reply kod = LastReply();
  EXPECT_EQ(kod.leap, 3);
  EXPECT_EQ(kod.version, 3);
  EXPECT_EQ(kod.mode, 4);
  EXPECT_EQ(kod.stratum, 0);
  EXPECT_EQ(kod.refid, kRate);
  EXPECT_EQ(kod.origin, 0xAAAABBBBCCCCDDDDull);
  EXPECT_EQ(kod.receive, 0xAAAABBBBCCCCDDDDull);
  EXPECT_EQ(kod.transmit, 0xAAAABBBBCCCCDDDDull);
  EXPECT_EQ(kod.poll, 4);  // max(request poll 4, average 3)
  EXPECT_EQ(kod.size, 48u);
  // Then silence: KoDs are rate limited too.
  for (int i = 2; i < 50; ++i) {
    EXPECT_EQ(Send(request, "203.0.113.1", 1, t + absl::Milliseconds(10 * i)).drop_reason,
              ServerDropReason::kRateLimited);
  }
  // Another client is unaffected.
  EXPECT_EQ(Send(request, "203.0.113.2", 1, t).action, ServerAction::kReply);
  // limited without kod: silent drop.
  EXPECT_EQ(Send(request, "10.5.0.1", 1, t).action, ServerAction::kReply);
  EXPECT_EQ(Send(request, "10.5.0.1", 1, t).drop_reason, ServerDropReason::kRateLimited);
}

TEST_F(ResponderTest, GlobalKodBudgetAppliesAcrossVictims) {
  ResponderSettings settings;
  settings.access.AddDefault(net::IpAddress::Family::kV4, kRestrictLimited | kRestrictKod);
  settings.rate.max_kod_per_second = 1;
  settings.rate.kod_burst = 3;
  Make(std::move(settings));
  const absl::Time t = absl::FromUnixSeconds(500);
  int kods = 0;
  for (uint32_t victim = 1; victim <= 100; ++victim) {
    const std::string ip = "198.18.0." + std::to_string(victim);
    Send(Request(), ip, 1, t);
    if (Send(Request(), ip, 1, t).action == ServerAction::kReply) ++kods;
  }
  EXPECT_EQ(kods, 3);
  EXPECT_EQ(responder_->counters().drop_count(ServerDropReason::kKodRateLimited), 97u);
}

class ResponderAuthTest : public ResponderTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(keys_.Insert(Key(1, MacAlgorithm::kMd5, "md5secret")).ok());
    ASSERT_TRUE(keys_.Insert(Key(2, MacAlgorithm::kSha1, "sha1secret")).ok());
    ASSERT_TRUE(keys_.Insert(Key(3, MacAlgorithm::kAesCmac128, "0123456789abcdef")).ok());
    ASSERT_TRUE(keys_.Insert(Key(4, MacAlgorithm::kMd5, "nottrusted")).ok());
    ResponderSettings settings;
    settings.access.Add(*net::IpAddress::Parse("10.6.0.0"), 16, kRestrictNoTrust);
    Make(std::move(settings), &keys_, {{1, 3}});
    system_ = synced_;
  }

  // Checks the reply's MAC with `key`.
  void ExpectSignedWith(const SymmetricKey& key) {
    ASSERT_EQ(last_.action, ServerAction::kReply);
    EXPECT_EQ(last_.reply_kind, ServerReplyKind::kAuthenticated);
    ASSERT_EQ(last_.reply_octets, 48 + 4 + key.digest_length());
    EXPECT_EQ(LoadBe32(buffer_.data() + 48), key.key_id());
    auto ctx = MacContext::Create();
    ASSERT_TRUE(ctx.ok());
    EXPECT_EQ(ctx->CheckDigest(key, absl::MakeConstSpan(buffer_.data(), 48),
                               absl::MakeConstSpan(buffer_.data() + 52, key.digest_length())),
              MacVerdict::kOk);
  }

  KeyStore keys_;
};

TEST_F(ResponderAuthTest, TrustedKeyGetsAReplyMacdWithTheSameKey) {
  for (uint32_t id : {1u, 2u, 3u}) {
    std::vector<uint8_t> request = Request();
    AppendMac(request, *keys_.Find(id));
    Send(request);
    ExpectSignedWith(*keys_.Find(id));
    const Reply r = Decode(absl::MakeConstSpan(buffer_.data(), 48));
    EXPECT_EQ(r.stratum, 11);
    EXPECT_EQ(r.origin, LoadBe64(request.data() + 40));
  }
  EXPECT_EQ(responder_->counters().reply_count(ServerReplyKind::kAuthenticated), 3u);
}

TEST_F(ResponderAuthTest, MacAfterExtensionFieldsCoversThem) {
  std::vector<uint8_t> request = Request();
  request.resize(48 + 16);
  StoreBe32(request.data() + 48, (0x0104u << 16) | 16);
  AppendMac(request, *keys_.Find(1));
  Send(request);
  ExpectSignedWith(*keys_.Find(1));
}

TEST_F(ResponderAuthTest, UnknownOrUntrustedKeyGetsACryptoNak) {
  for (uint32_t id : {4u, 77u}) {
    std::vector<uint8_t> request = Request();
    AppendMac(request, id == 4 ? *keys_.Find(4) : Key(77, MacAlgorithm::kMd5, "whatever"));
    ASSERT_EQ(Send(request).action, ServerAction::kReply);
    EXPECT_EQ(last_.reply_kind, ServerReplyKind::kCryptoNak);
    ASSERT_EQ(last_.reply_octets, 52u);
    EXPECT_EQ(LoadBe32(buffer_.data() + 48), 0u);
    EXPECT_EQ(LastReply().origin, LoadBe64(request.data() + 40));
  }
}

TEST_F(ResponderAuthTest, BadDigestIsACountedDrop) {
  std::vector<uint8_t> request = Request();
  AppendMac(request, *keys_.Find(1));
  request.back() ^= 1;
  EXPECT_EQ(Send(request).drop_reason, ServerDropReason::kBadMac);
  // A tampered header, too.
  request = Request();
  AppendMac(request, *keys_.Find(2));
  request[2] ^= 1;
  EXPECT_EQ(Send(request).drop_reason, ServerDropReason::kBadMac);
  // A SHA-1 sized MAC naming the MD5 key: length error.
  request = Request();
  AppendMac(request, *keys_.Find(2));
  StoreBe32(request.data() + 48, 1);
  EXPECT_EQ(Send(request).drop_reason, ServerDropReason::kBadMac);
  EXPECT_EQ(responder_->counters().drop_count(ServerDropReason::kBadMac), 3u);
}

TEST_F(ResponderAuthTest, CryptoNakRequestIsDropped) {
  std::vector<uint8_t> request = Request();
  request.resize(52);
  EXPECT_EQ(Send(request).drop_reason, ServerDropReason::kCryptoNakRequest);
}

TEST_F(ResponderAuthTest, NotrustRequiresAValidMac) {
  EXPECT_EQ(Send(Request(), "10.6.0.1").drop_reason, ServerDropReason::kNotTrusted);
  std::vector<uint8_t> request = Request();
  AppendMac(request, *keys_.Find(3));
  Send(request, "10.6.0.1");
  ExpectSignedWith(*keys_.Find(3));
}

TEST_F(ResponderTest, NoKeysAtAllMeansCryptoNak) {
  Make();
  std::vector<uint8_t> request = Request();
  AppendMac(request, Key(5, MacAlgorithm::kSha1, "s"));
  ASSERT_EQ(Send(request).action, ServerAction::kReply);
  EXPECT_EQ(last_.reply_kind, ServerReplyKind::kCryptoNak);
}

TEST_F(ResponderTest, RandomInputNeverCrashesNorAmplifies) {
  ResponderSettings settings;
  settings.access.AddDefault(net::IpAddress::Family::kV4, kRestrictLimited | kRestrictKod);
  Make(std::move(settings));
  system_ = synced_;
  std::mt19937_64 rng(20240101);
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 100000; ++i) {
    const size_t n = rng() % 120;
    if (i % 2 == 0 || n < 48) {
      bytes.resize(n);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    } else {
      bytes = Request(1 + rng() % 4, rng() % 8);
      bytes.resize(48 + 4 * (rng() % 18));
      for (size_t k = 48; k < bytes.size(); ++k) bytes[k] = static_cast<uint8_t>(rng());
    }
    const ServerOutcome out =
        Send(bytes, "10.1." + std::to_string(rng() % 4) + ".1", 1 + rng() % 2000,
             absl::FromUnixSeconds(1000) + absl::Milliseconds(i));
    if (out.action == ServerAction::kReply) {
      ASSERT_LE(out.reply_octets, bytes.size());
      ASSERT_GE(out.reply_octets, 48u);
      EXPECT_EQ(buffer_[0] & 7, 4);
    }
  }
  const ServerCounters& c = responder_->counters();
  EXPECT_EQ(c.received, 100000u);
  EXPECT_EQ(c.total_replies() + c.total_drops() + c.control_requests + c.client_packets,
            c.received);
}

TEST_F(ResponderTest, SmallReplyBufferIsAnInternalError) {
  Make();
  ServerRequest request;
  const auto payload = Request();
  request.payload = payload;
  request.source = net::SocketAddress(net::IpAddress::V4(0x0A000001), 1234);
  std::array<uint8_t, 20> small{};
  EXPECT_EQ(responder_->Handle(request, system_, absl::MakeSpan(small)).drop_reason,
            ServerDropReason::kInternalError);
}

}  // namespace
}  // namespace ntp
