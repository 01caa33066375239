// Deterministic stand-in for fuzzing in the default test run: the seed
// corpus (testdata/fuzz/ntp_conf_fuzz/) and >= 100,000 seeded mutations of
// it go through CheckNtpConfInput (fuzz_harness.h): the parser must never
// crash, hang (self-including files included) or return nonsense, and every
// accepted configuration must survive the writer round trip.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ntp/config/fuzz_harness.h"
#include "clock/posix_file_reader.h"

namespace ntp {
namespace {

constexpr char kCorpusDir[] = "testdata/fuzz/ntp_conf_fuzz";
constexpr int kMutations = 100000;
constexpr uint64_t kSeed = 0x6E7470636F6E66ULL;  // "ntpconf"

std::vector<std::string> LoadCorpus() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpusDir)) {
    std::string name = entry.path().filename().string();
    if (name != "BUILD" && name != "README.md") names.push_back(name);
  }
  std::sort(names.begin(), names.end());  // directory order is unspecified
  std::vector<std::string> corpus;
  clocks::PosixFileReader reader;
  for (const std::string& name : names) {
    absl::StatusOr<std::string> text =
        reader.Read(std::string(kCorpusDir) + "/" + name, 1 << 20);
    if (text.ok()) corpus.push_back(*text);
  }
  return corpus;
}

// Words a mutation may insert: keywords, options, edge values and the
// syntax that matters to the tokenizer and the include logic.
const std::vector<std::string>& Dictionary() {
  static const auto* words = new std::vector<std::string>{
      "server", "peer", "pool", "fudge", "restrict", "discard", "mru",
      "tinker", "tick", "tos", "enable", "disable", "interface", "nic",
      "driftfile", "keys", "keysdir", "leapfile", "logfile", "pidfile",
      "statsdir", "saveconfigdir", "includefile", "trustedkey", "requestkey",
      "controlkey", "statistics", "filegen", "logconfig", "setvar",
      "broadcastdelay", "nonvolatile", "crypto", "broadcast", "default",
      "source", "mask", "-4", "-6", "prefer", "iburst", "burst", "minpoll",
      "maxpoll", "key", "version", "mode", "ttl", "noselect", "true",
      "stratum", "refid", "time1", "flag1", "kod", "limited", "nomodify",
      "noquery", "ippeerlimit", "serverresponse", "fuzz", "step", "panic",
      "huffpuff", "freq", "orphan", "minsane", "minclock", "basedate",
      "listen", "ignore", "wildcard", "loopstats", "file", "type", "(",
      "...", ")", "\"", "#", "=", "\n", "\r\n", "\t", " ", "%%", "0", "1",
      "-1", "3", "17", "18", "65535", "65536", "4294967296",
      "99999999999999999999", "1e999", "-0", "0.128", "1e-7", ".", "nan",
      "127.127.1.0", "127.127.20.0", "127.0.0.1", "::1", "0.0.0.0",
      "224.0.1.1", "255.255.255.0", "255.0.255.0", "192.168.31.0/24",
      "10.0.0.0/33", "ff02::1", "a.example.com", "/etc/ntp.conf",
      "/etc/ntp/a.conf", "/etc/ntp/b.conf", "a.conf", "ntp/b.conf",
      "../c.conf", "/../etc/c.conf", "includefile /etc/ntp.conf\n",
      "includefile /etc/ntp/a.conf\n", "includefile ntp/b.conf\n",
      "\n%%\n", std::string(1100, 'x'), std::string("\0", 1), "\xE4\xB8\xAD",
      "\xFF"};
  return *words;
}

class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<std::string>& corpus)
      : rng_(seed), corpus_(corpus) {}

  std::string Mutate(std::string s) {
    const int rounds = 1 + Uniform(4);
    for (int i = 0; i < rounds; ++i) MutateOnce(s);
    if (s.size() > kMaxSize) s.resize(kMaxSize);
    return s;
  }

  const std::string& PickCorpus() { return corpus_[Uniform(corpus_.size())]; }

 private:
  static constexpr size_t kMaxSize = 8192;

  size_t Uniform(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }
  size_t Position(const std::string& s) { return Uniform(s.size() + 1); }

  // Start of a random line, so inserted words often become directives.
  size_t LineStart(const std::string& s) {
    size_t pos = Position(s);
    size_t nl = s.rfind('\n', pos == 0 ? 0 : pos - 1);
    return nl == std::string::npos ? 0 : nl + 1;
  }

  void MutateOnce(std::string& s) {
    switch (Uniform(10)) {
      case 0:  // flip a byte
        if (!s.empty()) s[Uniform(s.size())] ^= static_cast<char>(1 + Uniform(255));
        break;
      case 1:  // insert a random byte
        s.insert(Position(s), 1, static_cast<char>(Uniform(256)));
        break;
      case 2: {  // delete a range
        if (s.empty()) break;
        size_t pos = Uniform(s.size());
        s.erase(pos, 1 + Uniform(std::min<size_t>(64, s.size() - pos)));
        break;
      }
      case 3: {  // duplicate a range
        if (s.empty()) break;
        size_t pos = Uniform(s.size());
        size_t len = 1 + Uniform(std::min<size_t>(128, s.size() - pos));
        s.insert(Position(s), s.substr(pos, len));
        break;
      }
      case 4:
      case 5: {  // insert a dictionary word, padded with a blank
        const std::string& word = Dictionary()[Uniform(Dictionary().size())];
        s.insert(Position(s), " " + word + " ");
        break;
      }
      case 6: {  // a new line made of dictionary words
        std::string line;
        const int words = 1 + static_cast<int>(Uniform(6));
        for (int i = 0; i < words; ++i) {
          if (i > 0) line += ' ';
          line += Dictionary()[Uniform(Dictionary().size())];
        }
        s.insert(LineStart(s), line + "\n");
        break;
      }
      case 7: {  // splice in part of another corpus entry
        const std::string& other = PickCorpus();
        if (other.empty()) break;
        size_t pos = Uniform(other.size());
        s.insert(Position(s), other.substr(pos, 1 + Uniform(256)));
        break;
      }
      case 8: {  // replace a number-ish token with an edge value
        static const char* const kEdges[] = {"0", "-1", "2", "18", "16",
                                             "65536", "1e308", "256", "-500.1"};
        size_t pos = s.find_first_of("0123456789", Position(s));
        if (pos == std::string::npos) break;
        size_t end = s.find_first_not_of("0123456789.", pos);
        s.replace(pos, (end == std::string::npos ? s.size() : end) - pos,
                  kEdges[Uniform(std::size(kEdges))]);
        break;
      }
      default:  // truncate
        s.resize(Position(s));
        break;
    }
  }

  std::mt19937_64 rng_;
  const std::vector<std::string>& corpus_;
};

TEST(NtpConfRobustnessTest, CorpusPassesTheHarness) {
  std::vector<std::string> corpus = LoadCorpus();
  ASSERT_GE(corpus.size(), 10u);
  for (size_t i = 0; i < corpus.size(); ++i) {
    EXPECT_EQ(CheckNtpConfInput(corpus[i]), "") << "corpus entry " << i;
  }
}

TEST(NtpConfRobustnessTest, SeededMutationsNeverBreakTheParser) {
  std::vector<std::string> corpus = LoadCorpus();
  ASSERT_FALSE(corpus.empty());
  Mutator mutator(kSeed, corpus);
  int failures = 0;
  int accepted_count = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMutations; ++i) {
    std::string input = mutator.Mutate(mutator.PickCorpus());
    bool accepted = false;
    std::string problem = CheckNtpConfInput(input, &accepted);
    accepted_count += accepted;
    if (!problem.empty() && ++failures <= 3) {
      ADD_FAILURE() << "mutation " << i << ": " << problem << "\ninput:\n"
                    << input;
    }
  }
  EXPECT_EQ(failures, 0);
  // Both sides must be exercised: rejected inputs and accepted ones (which
  // go through the writer round trip).
  EXPECT_GT(accepted_count, kMutations / 10);
  EXPECT_GT(kMutations - accepted_count, kMutations / 10);
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  std::printf("%d mutations (%d accepted) in %.2f s\n", kMutations,
              accepted_count, seconds);
}

TEST(NtpConfRobustnessTest, PathologicalIncludesTerminate) {
  // Every part includes every part (itself too), many times over.
  std::string part;
  for (int i = 0; i < 50; ++i) {
    part += "includefile /etc/ntp.conf\nincludefile /etc/ntp/a.conf\n"
            "includefile /etc/ntp/b.conf\nincludefile /etc/c.conf\n";
  }
  std::string input = part + "\n%%\n" + part + "\n%%\n" + part + "\n%%\n" + part;
  EXPECT_EQ(CheckNtpConfInput(input), "");
}

}  // namespace
}  // namespace ntp
