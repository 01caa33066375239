#include "tools/pidfile.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace tools {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/" + name;
  mkdir(dir.c_str(), 0755);
  return dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  closedir(d);
  return out;
}

TEST(PidFileTest, WrittenWholeReplacedAndRemoved) {
  const std::string dir = TestDir("pid_write");
  const std::string path = dir + "/ntpd.pid";
  ASSERT_THAT(WritePidFile(path, 4242), IsOk());
  EXPECT_EQ(ReadFile(path), "4242\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  // A stale file from an earlier run is replaced, not appended to.
  ASSERT_THAT(WritePidFile(path, 77), IsOk());
  EXPECT_EQ(ReadFile(path), "77\n");
  EXPECT_THAT(Entries(dir), ::testing::ElementsAre("ntpd.pid"));  // no temp left
  // Another process's pid file is left alone.
  EXPECT_THAT(RemovePidFile(path, 4242), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReadFile(path), "77\n");
  EXPECT_THAT(RemovePidFile(path, 77), IsOk());
  EXPECT_TRUE(Entries(dir).empty());
  EXPECT_THAT(RemovePidFile(path, 77), StatusIs(absl::StatusCode::kNotFound));
}

TEST(PidFileTest, MissingDirectoryIsNotFoundAndLeavesNothing) {
  const std::string dir = TestDir("pid_missing");
  EXPECT_THAT(WritePidFile(dir + "/no/such/dir/ntpd.pid", 1),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(Entries(dir).empty());
}

}  // namespace
}  // namespace tools
