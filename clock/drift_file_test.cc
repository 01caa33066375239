#include "clock/drift_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string FreshPath(const std::string& name) {
  const std::string path = TestDir() + "/" + name;
  ::unlink(path.c_str());
  ::unlink((path + ".TEMP").c_str());
  return path;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

TEST(ParseDriftTextTest, AcceptsOneNumber) {
  struct Case {
    std::string text;
    double want;
  } cases[] = {
      {"-12.345\n", -12.345}, {"0.000\n", 0.0},   {"  7.5  ", 7.5},
      {"500", 500.0},         {"-1e1\n", -10.0}, {"+3.25\r\n", 3.25},
  };
  for (const Case& c : cases) {
    absl::StatusOr<double> v = ParseDriftText(c.text);
    ASSERT_THAT(v, IsOk()) << c.text;
    EXPECT_DOUBLE_EQ(*v, c.want) << c.text;
  }
}

TEST(ParseDriftTextTest, RejectsGarbage) {
  const std::string cases[] = {"",     "\n",    "abc",  "1.0 2.0",
                               "nan",  "inf",   "-inf", "1.0x",
                               std::string("1\0", 2), "0x"};
  for (const std::string& text : cases) {
    EXPECT_THAT(ParseDriftText(text), StatusIs(absl::StatusCode::kDataLoss))
        << text;
  }
}

TEST(FormatDriftTextTest, ThreeDecimalsAndNewline) {
  EXPECT_EQ(FormatDriftText(-12.3456), "-12.346\n");
  EXPECT_EQ(FormatDriftText(0), "0.000\n");
  EXPECT_EQ(FormatDriftText(499.9), "499.900\n");
}

TEST(DriftFileTest, MissingFileReadsAsNothing) {
  DriftFile file(FreshPath("missing_drift"));
  absl::StatusOr<std::optional<double>> v = file.Read();
  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->has_value());
}

TEST(DriftFileTest, WriteThenReadRoundTripsToThreeDecimals) {
  const std::string path = FreshPath("roundtrip_drift");
  DriftFile file(path);
  ASSERT_THAT(file.Write(-23.4567), IsOk());
  EXPECT_EQ(ReadText(path), "-23.457\n");
  EXPECT_FALSE(Exists(file.temp_path()));
  absl::StatusOr<std::optional<double>> v = file.Read();
  ASSERT_THAT(v, IsOk());
  ASSERT_TRUE(v->has_value());
  EXPECT_DOUBLE_EQ(**v, -23.457);

  ASSERT_THAT(file.Write(1.5), IsOk());  // replaces, not appends
  EXPECT_EQ(ReadText(path), "1.500\n");
}

TEST(DriftFileTest, LastWrittenIsTheFilesModificationTime) {
  const std::string path = FreshPath("mtime_drift");
  DriftFile file(path);
  absl::StatusOr<std::optional<absl::Time>> none = file.LastWritten();
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  ASSERT_THAT(file.Write(4.25), IsOk());
  // 2025-06-01T00:00:00.5Z, set by hand.
  const struct timespec times[2] = {{1748736000, 500000000}, {1748736000, 500000000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  absl::StatusOr<std::optional<absl::Time>> when = file.LastWritten();
  ASSERT_THAT(when, IsOk());
  ASSERT_TRUE(when->has_value());
  EXPECT_EQ(**when, absl::FromUnixMillis(1748736000500));
  EXPECT_THAT(DriftFile(TestDir()).LastWritten(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(DriftFileTest, CorruptFileIsDataLossNamingThePath) {
  const std::string path = FreshPath("corrupt_drift");
  WriteText(path, "twelve\n");
  DriftFile file(path);
  EXPECT_THAT(file.Read(), StatusIs(absl::StatusCode::kDataLoss,
                                    HasSubstr("format error frequency file")));
  EXPECT_THAT(file.Read(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
}

TEST(DriftFileTest, HugeFileIsDataLoss) {
  const std::string path = FreshPath("huge_drift");
  WriteText(path, std::string(10000, '1'));
  DriftFile file(path);
  EXPECT_THAT(file.Read(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(DriftFileTest, NonFiniteWriteIsRejectedAndFileUntouched) {
  const std::string path = FreshPath("nonfinite_drift");
  WriteText(path, "4.000\n");
  DriftFile file(path);
  EXPECT_THAT(file.Write(std::nan("")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ReadText(path), "4.000\n");
}

TEST(DriftFileTest, WriteIntoMissingDirectoryFailsCleanly) {
  DriftFile file(TestDir() + "/no/such/dir/drift");
  EXPECT_THAT(file.Write(1.0), StatusIs(absl::StatusCode::kNotFound));
}

TEST(DriftFileTest, FailedRenameLeavesOldFileAndNoTemp) {
  // The target is a non-empty directory: rename(2) fails, the temporary file
  // must be removed, the directory must survive.
  const std::string path = FreshPath("dir_target_drift");
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  WriteText(path + "/keep", "x");
  DriftFile file(path);
  EXPECT_FALSE(file.Write(2.0).ok());
  EXPECT_FALSE(Exists(file.temp_path()));
  EXPECT_TRUE(Exists(path + "/keep"));
  ::unlink((path + "/keep").c_str());
  ::rmdir(path.c_str());
}

TEST(DriftFileTest, ReadingADirectoryIsAnErrorNotACrash) {
  DriftFile file(TestDir());
  EXPECT_FALSE(file.Read().ok());
}

TEST(DriftFileTest, DescribeIsThePath) {
  DriftFile file("/var/lib/ntp/drift");
  EXPECT_EQ(file.Describe(), "/var/lib/ntp/drift");
  EXPECT_EQ(file.temp_path(), "/var/lib/ntp/drift.TEMP");
}

TEST(DriftFileTest, NonRegularFilesAreRefusedBeforeReading) {
  // A FIFO: refused at once (opening it without a writer would block).
  const std::string fifo = FreshPath("drift_fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::promise<absl::StatusOr<std::optional<double>>> promise;
  auto result = promise.get_future();
  std::thread reader([&] { promise.set_value(DriftFile(fifo).Read()); });
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // release it
    reader.join();
    if (fd >= 0) ::close(fd);
    FAIL() << "DriftFile::Read blocked on a FIFO";
  }
  reader.join();
  absl::StatusOr<std::optional<double>> read = result.get();
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(read.status().message(),
            "frequency file " + fifo + ": not a regular file (a FIFO)");
  ::unlink(fifo.c_str());

  const std::string dir = FreshPath("drift_dir");
  ::rmdir(dir.c_str());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  EXPECT_THAT(DriftFile(dir).Read(), StatusIs(absl::StatusCode::kFailedPrecondition));
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace clocks
