#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser.h"
#include "clock/posix_file_reader.h"
#include "ntp/testing/status_matchers.h"

namespace ntp {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

TEST(InMemoryFileReaderTest, ReadsAddedFilesAndCountsReads) {
  InMemoryFileReader reader;
  reader.AddFile("/etc/ntp.conf", "server 10.0.0.1\n");
  absl::StatusOr<std::string> text = reader.Read("/etc/ntp.conf", 1000);
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(*text, "server 10.0.0.1\n");
  EXPECT_THAT(reader.Read("/etc/other", 1000),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader.Read("/etc/ntp.conf", 3),
              StatusIs(absl::StatusCode::kResourceExhausted));
  reader.AddError("/etc/secret", absl::PermissionDeniedError("no"));
  EXPECT_THAT(reader.Read("/etc/secret", 1000),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(reader.read_count(), 4);
}

class PosixFileReaderTest : public ::testing::Test {
 protected:
  std::string TempPath(const std::string& name) {
    const char* dir = std::getenv("TEST_TMPDIR");
    return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  }
  clocks::PosixFileReader reader_;
};

TEST_F(PosixFileReaderTest, ReadsAWholeFile) {
  std::string path = TempPath("posix_reader_ok.conf");
  std::string contents(20000, 'x');  // more than one read() buffer
  contents += "\nserver 10.0.0.1\n";
  std::ofstream(path, std::ios::binary) << contents;
  absl::StatusOr<std::string> text = reader_.Read(path, 1 << 20);
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(*text, contents);
  EXPECT_THAT(reader_.Read(path, 100),
              StatusIs(absl::StatusCode::kResourceExhausted));
  std::remove(path.c_str());
}

TEST_F(PosixFileReaderTest, MissingFileIsNotFound) {
  EXPECT_THAT(reader_.Read(TempPath("does/not/exist"), 100),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader_.Read(TempPath("nope.conf"), 100),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PosixFileReaderTest, DirectoryIsFailedPrecondition) {
  std::string dir = TempPath("a_directory");
  ::mkdir(dir.c_str(), 0700);
  absl::StatusOr<std::string> text = reader_.Read(dir, 100);
  EXPECT_THAT(text, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(text.status().message(), dir + ": not a regular file (a directory)");
}

// Reads `path` on another thread and gives up after five seconds (a reader
// that blocks on a FIFO is released by opening the FIFO for writing).
absl::StatusOr<std::string> ReadWithoutHanging(clocks::FileReader& reader,
                                               const std::string& path) {
  std::promise<absl::StatusOr<std::string>> promise;
  std::future<absl::StatusOr<std::string>> result = promise.get_future();
  std::thread thread([&] { promise.set_value(reader.Read(path, 100)); });
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
    thread.join();
    if (fd >= 0) ::close(fd);
    return absl::DeadlineExceededError(path + ": Read blocked");
  }
  thread.join();
  return result.get();
}

TEST_F(PosixFileReaderTest, FifoIsRefusedWithoutBlocking) {
  const std::string fifo = TempPath("a_fifo");
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  absl::StatusOr<std::string> text = ReadWithoutHanging(reader_, fifo);
  EXPECT_THAT(text, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(text.status().message(), fifo + ": not a regular file (a FIFO)");
  ::unlink(fifo.c_str());
}

TEST_F(PosixFileReaderTest, DeviceIsRefused) {
  absl::StatusOr<std::string> text = ReadWithoutHanging(reader_, "/dev/null");
  EXPECT_THAT(text, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(text.status().message(), "/dev/null: not a regular file (a character device)");
}

TEST_F(PosixFileReaderTest, ConfigurationAndIncludeFifosAreRefusedWithAMessage) {
  const std::string fifo = TempPath("conf_fifo");
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // -c FIFO: an error naming the file, nothing read.
  ParsedConfig top = ParseNtpConfFile(fifo, reader_);
  EXPECT_FALSE(top.ok());
  EXPECT_NE(top.FormatAll().find("not a regular file (a FIFO)"), std::string::npos)
      << top.FormatAll();
  // includefile FIFO: ntpd's "Couldn't open" with the reason; the rest of
  // the configuration still applies.
  const std::string conf = TempPath("includes_fifo.conf");
  std::ofstream(conf) << "includefile " << fifo << "\nserver 10.0.0.1\n";
  ParsedConfig included = ParseNtpConfFile(conf, reader_);
  EXPECT_TRUE(included.ok()) << included.FormatAll();
  EXPECT_NE(included.FormatAll().find(conf + ":1:"), std::string::npos) << included.FormatAll();
  EXPECT_NE(included.FormatAll().find("not a regular file (a FIFO)"), std::string::npos)
      << included.FormatAll();
  EXPECT_EQ(included.config.servers.size(), 1u);
  ::unlink(fifo.c_str());
  std::remove(conf.c_str());
}

TEST_F(PosixFileReaderTest, UnreadableFileIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can read anything";
  std::string path = TempPath("unreadable.conf");
  std::ofstream(path) << "server 10.0.0.1\n";
  ::chmod(path.c_str(), 0);
  EXPECT_THAT(reader_.Read(path, 100),
              StatusIs(absl::StatusCode::kPermissionDenied));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ntp
