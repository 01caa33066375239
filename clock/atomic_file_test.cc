#include "clock/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

std::string Dir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp != nullptr ? tmp : "/tmp";
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t EntriesIn(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

TEST(AtomicFileTest, WritesWithModeAndReplaces) {
  const std::string dir = Dir() + "/atomic1";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/nts.keys";
  ASSERT_THAT(WriteFileAtomically(path, "first\n", 0600), IsOk());
  EXPECT_EQ(Read(path), "first\n");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_THAT(WriteFileAtomically(path, "second\n", 0644), IsOk());
  EXPECT_EQ(Read(path), "second\n");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(EntriesIn(dir), 1u);  // no temporary left behind
}

TEST(AtomicFileTest, FailureLeavesOldContentsAndNoTemporary) {
  const std::string dir = Dir() + "/atomic2";
  std::filesystem::create_directories(dir + "/target_is_a_dir");
  // rename() cannot replace a non-empty directory.
  std::ofstream(dir + "/target_is_a_dir/x") << "x";
  const absl::Status status =
      WriteFileAtomically(dir + "/target_is_a_dir", "data", 0600);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("target_is_a_dir"));
  EXPECT_EQ(EntriesIn(dir), 1u);
  EXPECT_THAT(WriteFileAtomically(dir + "/missing/file", "data", 0600),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace clocks
