#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/config/file_reader.h"
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
  EXPECT_THAT(reader_.Read(dir, 100),
              StatusIs(absl::StatusCode::kFailedPrecondition));
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
