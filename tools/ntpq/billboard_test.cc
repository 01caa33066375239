// Golden tests: each captured state in testdata/ntpq/NAME.state, formatted
// as `ntpq -p`, `ntpq -pn`, `ntpq -c as` and `ntpq -c rv` (system, then
// every association), must equal NAME.golden byte for byte. To update a
// golden after an intended change, run this test with
// NTPQ_GOLDEN_UPDATE=DIR and copy DIR/NAME.golden over (then read the diff).
#include "tools/ntpq/billboard.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace ntp::tools {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Render(const DaemonState& state) {
  std::string out = "== ntpq -p\n" + FormatPeers(state, false);
  out += "== ntpq -pn\n" + FormatPeers(state, true);
  out += "== ntpq -c as\n" + FormatAssociations(state);
  out += "== ntpq -c rv\n" + FormatVariables(0, state.system_status, state.system_vars);
  for (const PeerState& p : state.peers) {
    out += absl::StrCat("== ntpq -c \"rv ", p.id, "\"\n") + FormatVariables(p.id, p.status, p.vars);
  }
  return out;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesGolden) {
  const std::string base = "testdata/ntpq/" + GetParam();
  const std::string text = Read(base + ".state");
  ASSERT_FALSE(text.empty()) << base;
  absl::StatusOr<DaemonState> state = ParseDaemonState(text, base + ".state");
  ASSERT_TRUE(state.ok()) << state.status();
  const std::string actual = Render(*state);
  if (const char* dir = std::getenv("NTPQ_GOLDEN_UPDATE"); dir != nullptr) {
    std::ofstream(absl::StrCat(dir, "/", GetParam(), ".golden")) << actual;
  }
  EXPECT_EQ(actual, Read(base + ".golden"));
  // The billboard's lines are 78 columns, printable ASCII only.
  for (absl::string_view line : absl::StrSplit(FormatPeers(*state, false), '\n')) {
    if (line.empty()) continue;
    EXPECT_EQ(line.size(), 78u) << line;
    for (char c : line) EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << line;
  }
  // Round trip through the text form.
  absl::StatusOr<DaemonState> again = ParseDaemonState(SerializeDaemonState(*state), "x");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Render(*again), actual);
}

INSTANTIATE_TEST_SUITE_P(States, GoldenTest,
                         ::testing::Values("client_starting", "client_two_servers",
                                           "server_starting", "server_local_clock", "client_synced",
                                           "server_synced_long", "hostile",
                                           "tallies"));

TEST(BillboardTest, PrettyIntervalAsNtpq) {
  EXPECT_EQ(PrettyInterval(0), "-");
  EXPECT_EQ(PrettyInterval(-5), "-");
  EXPECT_EQ(PrettyInterval(64), "64");
  EXPECT_EQ(PrettyInterval(2048), "2048");
  EXPECT_EQ(PrettyInterval(2049), "34m");  // (2049 + 29) / 60
  EXPECT_EQ(PrettyInterval(300 * 60), "300m");
  EXPECT_EQ(PrettyInterval(131072), "36h");
  EXPECT_EQ(PrettyInterval(97 * 3600), "4d");
}

TEST(BillboardTest, BadStateLinesNameTheLine) {
  absl::StatusOr<DaemonState> state = ParseDaemonState("now 0x1.2\nbogus\n", "f.state");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().message(), "f.state:2: expected `now`, `system` or `peer`");
  EXPECT_FALSE(ParseDaemonState("peer 70000 0000 x=1\n", "f").ok());
  EXPECT_FALSE(ParseDaemonState("system zz x=1\n", "f").ok());
  EXPECT_FALSE(ParseDaemonState("now 12\n", "f").ok());
}

}  // namespace
}  // namespace ntp::tools
