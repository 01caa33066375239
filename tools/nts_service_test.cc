// tools/nts_service.h: certificate and key errors with file:line, the
// cookie key file (created 0600, loaded, rewritten at each rotation), the
// rotation timer, and an NTS-KE over loopback TCP against the listener.
#include "tools/nts_service.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "clock/manual_scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/poll_loop.h"
#include "net/tcp_stream.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser.h"
#include "ntp/nts/test_certs.h"
#include "ntp/runtime/nts_ke_stream.h"
#include "ntp/testing/status_matchers.h"

namespace tools {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

std::string RsaKeyPem() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class NtsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = ntp::nts::testing::MakeTestCa("test CA");
    leaf_ = ntp::nts::testing::MakeTestLeaf(ca_, "ntp.test", "DNS:ntp.test,IP:127.0.0.1");
    files_.AddFile("/etc/ntp/server.pem", leaf_.cert_pem);
    files_.AddFile("/etc/ntp/server.key", leaf_.key_pem);
    dir_ = ::testing::TempDir();
    cookie_path_ = absl::StrCat(dir_, "/nts-cookie-keys");
    std::remove(cookie_path_.c_str());
  }

  ntp::NtsConfig Config(const std::string& text) {
    ntp::ParsedConfig parsed = ntp::ParseNtpConfText(text, "ntp.conf", nullptr);
    EXPECT_TRUE(parsed.ok()) << parsed.FormatAll();
    return parsed.config.nts;
  }

  std::string Lines(const std::string& key = "/etc/ntp/server.key") {
    return absl::StrCat("nts enable\nnts cert /etc/ntp/server.pem\nnts key ", key,
                        "\nnts cookie ", cookie_path_, "\n");
  }

  ntp::nts::testing::TestCa ca_;
  ntp::nts::testing::TestLeaf leaf_;
  ntp::InMemoryFileReader files_;
  std::string dir_;
  std::string cookie_path_;
};

TEST_F(NtsServiceTest, MissingCertificateOrKeyLinesAndFilesNameTheLine) {
  EXPECT_THAT(NtsService::Create(Config("\nnts enable\n"), &files_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ntp.conf:2: nts enable: needs `nts cert FILE` and")));
  EXPECT_THAT(NtsService::Create(Config(Lines("/etc/ntp/missing.key")), &files_, {}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("ntp.conf:3: nts key /etc/ntp/missing.key")));
  ntp::InMemoryFileReader no_cert;
  no_cert.AddFile("/etc/ntp/server.key", leaf_.key_pem);
  EXPECT_THAT(NtsService::Create(Config(Lines()), &no_cert, {}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("ntp.conf:2: nts cert /etc/ntp/server.pem")));
}

TEST_F(NtsServiceTest, WrongKeyTypeAndMismatchedKeyNameTheKeyLine) {
  files_.AddFile("/etc/ntp/rsa.key", RsaKeyPem());
  EXPECT_THAT(NtsService::Create(Config(Lines("/etc/ntp/rsa.key")), &files_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ntp.conf:3: nts key /etc/ntp/rsa.key: private key type "
                                 "does not suit the certificate")));
  files_.AddFile("/etc/ntp/other.key",
                 ntp::nts::testing::MakeTestLeaf(ca_, "other", "DNS:other").key_pem);
  EXPECT_THAT(NtsService::Create(Config(Lines("/etc/ntp/other.key")), &files_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ntp.conf:3: nts key /etc/ntp/other.key: private key does "
                                 "not match the certificate")));
  files_.AddFile("/etc/ntp/garbage.pem", "not a certificate\n");
  EXPECT_THAT(NtsService::Create(Config("nts enable\nnts cert /etc/ntp/garbage.pem\n"
                                        "nts key /etc/ntp/server.key\n"),
                                 &files_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ntp.conf:2: nts cert /etc/ntp/garbage.pem: no PEM certificate")));
}

TEST_F(NtsServiceTest, CookieKeyFileIsCreated0600LoadedAndRewrittenAtRotation) {
  auto service = NtsService::Create(Config(Lines()), &files_, {});
  ASSERT_THAT(service, IsOk());
  struct stat st {};
  ASSERT_EQ(stat(cookie_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string first = ReadAll(cookie_path_);
  const uint32_t first_id = (*service)->keyring()->current_id();

  // A restart loads the same keys.
  files_.AddFile(Config(Lines()).cookie->path, first);
  auto again = NtsService::Create(Config(Lines()), &files_, {});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ((*again)->keyring()->current_id(), first_id);
  EXPECT_EQ((*again)->keyring()->SerializeKeyFile(), first);

  // Rotation on the timer: a new current key, the file rewritten.
  auto loop = net::PollLoop::Create();
  ASSERT_THAT(loop, IsOk());
  net::TcpStreamNetwork streams(loop->get());
  clocks::ManualScheduler scheduler(absl::FromUnixSeconds(1000));
  NtsServiceOptions options;
  options.listen = *net::SocketAddress::Parse("127.0.0.1:0");
  options.rotate_interval = absl::Seconds(3600);
  auto rotating = NtsService::Create(Config(Lines()), &files_, options);
  ASSERT_THAT(rotating, IsOk());
  ASSERT_THAT((*rotating)->Start(&streams, &scheduler, nullptr), IsOk());
  scheduler.AdvanceBy(absl::Seconds(3599));
  EXPECT_EQ((*rotating)->rotations(), 0u);
  scheduler.AdvanceBy(absl::Seconds(2 * 3600));
  EXPECT_EQ((*rotating)->rotations(), 2u);
  EXPECT_EQ((*rotating)->keyring()->current_id(), first_id + 2);
  EXPECT_EQ(ReadAll(cookie_path_), (*rotating)->keyring()->SerializeKeyFile());
  ASSERT_EQ(stat(cookie_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  files_.AddFile(Config(Lines()).cookie->path, "7 nothex\n");
  EXPECT_THAT(NtsService::Create(Config(Lines()), &files_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ntp.conf:4: nts cookie")));
}

// A client's NTS-KE against the listener on loopback TCP gets cookies the
// service's keyring opens.
TEST_F(NtsServiceTest, ServesNtsKeOnItsListener) {
  auto loop = net::PollLoop::Create();
  ASSERT_THAT(loop, IsOk());
  net::TcpStreamNetwork streams(loop->get());
  NtsServiceOptions options;
  options.listen = *net::SocketAddress::Parse("127.0.0.1:0");
  options.ntp_port = 10123;
  auto service = NtsService::Create(Config(Lines()), &files_, options);
  ASSERT_THAT(service, IsOk());
  ASSERT_THAT((*service)->Start(&streams, loop->get(), nullptr), IsOk());

  auto context = ntp::nts::KeTlsContext::ForClient(ca_.cert_pem);
  ASSERT_THAT(context, IsOk());
  ntp::runtime::KeStreamClient::Options client;
  client.server_name = "ntp.test";
  client.local_ip = *net::IpAddress::Parse("127.0.0.1");
  client.server = (*service)->listener()->local_address();
  client.verify_time = absl::Now();
  std::optional<absl::StatusOr<ntp::nts::KeOutcome>> outcome;
  auto started = ntp::runtime::KeStreamClient::Start(
      &streams, loop->get(), *context, client,
      [&](absl::StatusOr<ntp::nts::KeOutcome> result) {
        outcome = std::move(result);
        (*loop)->Stop();
      });
  ASSERT_THAT(started, IsOk());
  ASSERT_THAT((*loop)->Run((*loop)->Now() + absl::Seconds(10)), IsOk());
  ASSERT_TRUE(outcome.has_value());
  ASSERT_THAT(*outcome, IsOk());
  EXPECT_EQ((*outcome)->port, 10123);
  ASSERT_FALSE((*outcome)->cookies.empty());
  EXPECT_THAT((*service)->keyring()->Open((*outcome)->cookies[0]), IsOk());
  EXPECT_EQ((*service)->ke_counters().completed, 1u);
}

}  // namespace
}  // namespace tools
