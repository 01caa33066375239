// Deterministic stand-in for the NTS fuzzers in the default test run:
// replays the seed corpora of ke_records_fuzz and nts_fields_fuzz, checks
// the seeds made by an independent AES-SIV implementation are accepted as
// they should be, then pushes seeded mutations of them through the same
// invariant checks (fuzz_checks.h). Same seed, same inputs, every run.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/nts/client.h"
#include "ntp/nts/fuzz_checks.h"
#include "ntp/nts/server.h"

namespace ntp::nts {
namespace {

constexpr int kMutations = 100'000;

std::map<std::string, std::vector<uint8_t>> ReadCorpus(const std::string& target) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::filesystem::path dir =
      std::filesystem::path(srcdir ? srcdir : ".") /
      (workspace ? workspace : "ntp_sim") / "testdata" / "fuzz" / target;
  std::map<std::string, std::vector<uint8_t>> files;  // sorted by name
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name == "BUILD" || name == "README.md" || entry.path().extension() == ".py") {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream contents;
    contents << in.rdbuf();
    const std::string s = contents.str();
    files[name] = std::vector<uint8_t>(s.begin(), s.end());
  }
  return files;
}

std::vector<uint8_t> Mutate(std::mt19937_64& rng, std::vector<uint8_t> data) {
  auto below = [&rng](size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  const int rounds = 1 + static_cast<int>(below(3));
  for (int i = 0; i < rounds; ++i) {
    switch (below(5)) {
      case 0:  // flip a bit
        if (!data.empty()) data[below(data.size())] ^= 1u << below(8);
        break;
      case 1:  // truncate
        data.resize(below(data.size() + 1));
        break;
      case 2:  // set a length-like pair of octets
        if (data.size() >= 2) {
          const size_t at = below(data.size() - 1);
          const uint16_t v = static_cast<uint16_t>(
              std::vector<uint16_t>{0, 1, 4, 16, 28, 100, 0x7fff, 0xffff}[below(8)]);
          data[at] = static_cast<uint8_t>(v >> 8);
          data[at + 1] = static_cast<uint8_t>(v);
        }
        break;
      case 3: {  // duplicate a chunk
        if (data.empty()) break;
        const size_t from = below(data.size());
        const size_t len = 1 + below(std::min<size_t>(64, data.size() - from));
        std::vector<uint8_t> chunk(data.begin() + from, data.begin() + from + len);
        data.insert(data.begin() + below(data.size() + 1), chunk.begin(), chunk.end());
        break;
      }
      default:  // random octet
        if (!data.empty()) data[below(data.size())] = static_cast<uint8_t>(rng());
        break;
    }
  }
  return data;
}

TEST(NtsRobustnessTest, IndependentSeedsBehaveAsMade) {
  auto state = fuzz::NtsFuzzState::Create();
  ASSERT_TRUE(state.ok()) << state.status();
  auto corpus = ReadCorpus("nts_fields_fuzz");
  ASSERT_EQ(corpus.count("request_valid.bin"), 1u);
  EXPECT_EQ((*state)->server().CheckRequest(corpus["request_valid.bin"]).verdict,
            NtsVerdict::kRespond);
  EXPECT_EQ(
      (*state)->server().CheckRequest(corpus["request_unknown_key.bin"]).verdict,
      NtsVerdict::kNak);
  // The client side, with the zero generator's Unique Identifier.
  for (const auto& [name, verdict] :
       std::vector<std::pair<std::string, NtsReplyVerdict>>{
           {"reply_valid.bin", NtsReplyVerdict::kAccepted},
           {"reply_nak.bin", NtsReplyVerdict::kNak}}) {
    auto client = NtsClient::Create((*state)->keys(), {(*state)->cookie()});
    ASSERT_TRUE(client.ok());
    struct Zero {
      using result_type = uint64_t;
      static constexpr uint64_t min() { return 0; }
      static constexpr uint64_t max() { return ~uint64_t{0}; }
      uint64_t operator()() { return 0; }
    } zero;
    std::vector<uint8_t> header(48, 0), out(1024);
    header[0] = (4 << 3) | 3;
    ASSERT_TRUE(client->BuildRequest(header, zero, absl::MakeSpan(out)).ok());
    EXPECT_EQ(client->ProcessReply(corpus[name]).verdict, verdict) << name;
  }
}

TEST(NtsRobustnessTest, NtsFieldsSeedsAndMutations) {
  auto state = fuzz::NtsFuzzState::Create();
  ASSERT_TRUE(state.ok()) << state.status();
  auto corpus = ReadCorpus("nts_fields_fuzz");
  ASSERT_GE(corpus.size(), 4u);
  std::vector<std::vector<uint8_t>> seeds;
  for (const auto& [name, data] : corpus) {
    ASSERT_TRUE(fuzz::CheckNtsFieldsInput(**state, data).ok()) << name;
    seeds.push_back(data);
  }
  std::mt19937_64 rng(8915);
  for (int i = 0; i < kMutations; ++i) {
    std::vector<uint8_t> input = Mutate(rng, seeds[i % seeds.size()]);
    absl::Status status = fuzz::CheckNtsFieldsInput(**state, input);
    ASSERT_TRUE(status.ok()) << "mutation " << i << ": " << status;
  }
}

TEST(NtsRobustnessTest, KeRecordsSeedsAndMutations) {
  auto corpus = ReadCorpus("ke_records_fuzz");
  ASSERT_GE(corpus.size(), 8u);
  std::vector<std::vector<uint8_t>> seeds;
  for (const auto& [name, data] : corpus) {
    ASSERT_TRUE(fuzz::CheckKeRecordsInput(data).ok()) << name;
    seeds.push_back(data);
  }
  std::mt19937_64 rng(4460);
  for (int i = 0; i < kMutations; ++i) {
    std::vector<uint8_t> input = Mutate(rng, seeds[i % seeds.size()]);
    absl::Status status = fuzz::CheckKeRecordsInput(input);
    ASSERT_TRUE(status.ok()) << "mutation " << i << ": " << status;
  }
}

}  // namespace
}  // namespace ntp::nts
