// Deterministic stand-in for the fuzzers in the default test run: replays
// the seed corpora of keys_file_fuzz and mac_fuzz, then pushes at least
// 100,000 seeded mutations of them through the same invariant checks
// (fuzz_checks.h). Same seed, same inputs, every run.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "ntp/auth/fuzz_checks.h"
#include "ntp/auth/mac.h"

namespace ntp {
namespace {

constexpr int kMutationsPerTarget = 100'000;
constexpr size_t kMaxInputLength = 2048;

struct CorpusFile {
  std::string name;
  std::string contents;
};

std::vector<CorpusFile> ReadCorpus(absl::string_view target) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::filesystem::path dir =
      std::filesystem::path(srcdir ? srcdir : ".") /
      (workspace ? workspace : "ntp_sim") / "testdata" / "fuzz" /
      std::string(target);
  std::vector<CorpusFile> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name == "BUILD" || name == "README.md") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream contents;
    contents << in.rdbuf();
    files.push_back({name, contents.str()});
  }
  // directory_iterator order is unspecified: sort for determinism.
  std::sort(
      files.begin(), files.end(),
      [](const CorpusFile& a, const CorpusFile& b) { return a.name < b.name; });
  return files;
}

// A small structure-aware mutator: byte edits plus insertion of tokens that
// matter to the parsers.
class Mutator {
 public:
  Mutator(uint64_t seed, std::vector<std::string> dictionary)
      : rng_(seed), dictionary_(std::move(dictionary)) {}

  std::string Mutate(const std::string& seed, const std::string& other) {
    std::string data = seed;
    const int rounds = 1 + Below(4);
    for (int i = 0; i < rounds; ++i) MutateOnce(data, other);
    if (data.size() > kMaxInputLength) data.resize(kMaxInputLength);
    return data;
  }

  size_t Below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

 private:
  void MutateOnce(std::string& data, const std::string& other) {
    static constexpr char kInteresting[] = {' ', '\t', '\n',   '\r',   '#', '0',
                                            '9', '(',  ')',    '.',    ',', '/',
                                            ':', '\0', '\x7f', '\xff', 'M'};
    switch (Below(9)) {
      case 0:  // flip a bit
        if (!data.empty()) data[Below(data.size())] ^= char(1 << Below(8));
        break;
      case 1:  // random byte
        if (!data.empty()) data[Below(data.size())] = char(Below(256));
        break;
      case 2:  // interesting byte
        if (!data.empty()) {
          data[Below(data.size())] = kInteresting[Below(sizeof(kInteresting))];
        }
        break;
      case 3:  // insert a dictionary token
        data.insert(Below(data.size() + 1),
                    dictionary_[Below(dictionary_.size())]);
        break;
      case 4: {  // delete a range
        if (data.empty()) break;
        const size_t at = Below(data.size());
        data.erase(at, 1 + Below(std::min<size_t>(16, data.size() - at)));
        break;
      }
      case 5: {  // duplicate a range
        if (data.empty()) break;
        const size_t at = Below(data.size());
        const size_t length = 1 + Below(std::min<size_t>(64, data.size() - at));
        data.insert(Below(data.size() + 1), data.substr(at, length));
        break;
      }
      case 6:  // truncate
        data.resize(Below(data.size() + 1));
        break;
      case 7: {  // splice with another corpus file
        const size_t cut = Below(data.size() + 1);
        data = data.substr(0, cut) + other.substr(Below(other.size() + 1));
        break;
      }
      default: {  // overwrite with random bytes
        if (data.empty()) break;
        const size_t at = Below(data.size());
        const size_t length = 1 + Below(std::min<size_t>(8, data.size() - at));
        for (size_t i = 0; i < length; ++i) data[at + i] = char(Below(256));
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::string> dictionary_;
};

// 1 to 8 consecutive lines of `text`, starting at a random line.
std::string LineWindow(const std::string& text, Mutator& mutator) {
  std::vector<size_t> starts = {0};
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && i + 1 < text.size()) starts.push_back(i + 1);
  }
  const size_t first = mutator.Below(starts.size());
  const size_t last = std::min(starts.size(), first + 1 + mutator.Below(8));
  const size_t begin = starts[first];
  const size_t end = last < starts.size() ? starts[last] : text.size();
  return text.substr(begin, end - begin);
}

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

// Replays the keys-file corpus, then checks `count` mutations drawn from
// `seed`.
void RunKeysFileMutations(uint64_t seed, int count) {
  const std::vector<CorpusFile> corpus = ReadCorpus("keys_file_fuzz");
  ASSERT_GE(corpus.size(), 5u);
  for (const CorpusFile& file : corpus) {
    const absl::Status status = fuzz::CheckKeysFileInput(file.contents);
    ASSERT_TRUE(status.ok()) << file.name << ": " << status.message();
  }
  Mutator mutator(seed, {" ",
                         "\n",
                         "#",
                         "\t",
                         "M ",
                         " MD5 ",
                         " SHA1 ",
                         " SHA-1 ",
                         " AES128CMAC ",
                         " AES ",
                         " aes-128 ",
                         " SHA256 ",
                         "0 ",
                         "65535 ",
                         "65536 ",
                         "4294967297 ",
                         "00000000000000000001 ",
                         "0102030405060708090a0b0c0d0e0f10",
                         "SecretKeyText",
                         " 127.0.0.1,::1/64",
                         "/129",
                         ",,",
                         "(",
                         ")",
                         " ... ",
                         "(1 ... 5)",
                         "\r\n",
                         std::string(1, '\0')});
  int violations = 0;
  for (int i = 0; i < count; ++i) {
    const CorpusFile& base_file = corpus[mutator.Below(corpus.size())];
    const CorpusFile& other = corpus[mutator.Below(corpus.size())];
    // Mostly a few consecutive lines of the seed (the parser treats lines
    // independently except for duplicate IDs), sometimes the whole file:
    // keeps the run short, even under ASan, without losing line variety.
    const std::string base = mutator.Below(16) == 0
                                 ? base_file.contents
                                 : LineWindow(base_file.contents, mutator);
    const std::string input = mutator.Mutate(base, other.contents);
    const absl::Status status = fuzz::CheckKeysFileInput(input);
    if (!status.ok() && ++violations <= 5) {
      ADD_FAILURE() << "mutation " << i << " of " << base_file.name << ": "
                    << status.message()
                    << "\ninput (C-escaped): " << absl::CEscape(input);
    }
  }
  EXPECT_EQ(violations, 0);
}

// Two halves of the keys-file run, so that test shards split them.
TEST(AuthRobustnessTest, KeysFileCorpusAndMutationsA) {
  RunKeysFileMutations(0x6b657973'66696c65,
                       kMutationsPerTarget / 2);  // "keysfile"
}
TEST(AuthRobustnessTest, KeysFileCorpusAndMutationsB) {
  RunKeysFileMutations(0x6b657973'66696c66, kMutationsPerTarget / 2);
}

TEST(AuthRobustnessTest, MacCorpusAndMutations) {
  absl::StatusOr<MacContext> context = MacContext::Create();
  ASSERT_TRUE(context.ok()) << context.status();
  const std::vector<CorpusFile> corpus = ReadCorpus("mac_fuzz");
  ASSERT_GE(corpus.size(), 5u);
  for (const CorpusFile& file : corpus) {
    const absl::Status status =
        fuzz::CheckMacInput(*context, Bytes(file.contents));
    ASSERT_TRUE(status.ok()) << file.name << ": " << status.message();
  }
  Mutator mutator(
      0x6d61632d'66757a7a,  // "mac-fuzz"
      {std::string(4, '\0'), std::string("\0\0\0\x01", 4),
       std::string(16, '\0'), std::string(20, '\xff'), std::string(1, '\x14'),
       std::string(1, '\x18'), std::string(1, '\x04')});
  int violations = 0;
  for (int i = 0; i < kMutationsPerTarget; ++i) {
    const CorpusFile& seed = corpus[mutator.Below(corpus.size())];
    const CorpusFile& other = corpus[mutator.Below(corpus.size())];
    const std::string input = mutator.Mutate(seed.contents, other.contents);
    const absl::Status status = fuzz::CheckMacInput(*context, Bytes(input));
    if (!status.ok() && ++violations <= 5) {
      ADD_FAILURE() << "mutation " << i << " of " << seed.name << ": "
                    << status.message()
                    << "\ninput (hex): " << absl::BytesToHexString(input);
    }
  }
  EXPECT_EQ(violations, 0);
}

// The *_valid seeds carry MACs computed outside this code base (Python
// hashlib, openssl mac): they must verify, and their *_tampered twins not.
TEST(AuthRobustnessTest, IndependentlyComputedSeedMacs) {
  absl::StatusOr<MacContext> context = MacContext::Create();
  ASSERT_TRUE(context.ok()) << context.status();
  int checked = 0;
  for (const CorpusFile& file : ReadCorpus("mac_fuzz")) {
    const bool valid = absl::EndsWith(file.name, "_valid") ||
                       absl::EndsWith(file.name, "_with_ef");
    const bool tampered = absl::EndsWith(file.name, "_tampered");
    if (!valid && !tampered) continue;
    const absl::Span<const uint8_t> input = Bytes(file.contents);
    ASSERT_GE(input.size(), fuzz::kMacInputHeaderLength);
    const MacAlgorithm algorithm = static_cast<MacAlgorithm>(input[0] % 3);
    const size_t secret_length =
        algorithm == MacAlgorithm::kAesCmac128 ? 16 : 1 + input[1] % 32;
    const uint32_t key_id = 1 + ((uint32_t{input[2]} << 8 | input[3]) % 65535);
    const size_t trailer_length = input[4] % 32;
    const absl::Span<const uint8_t> rest =
        input.subspan(fuzz::kMacInputHeaderLength);
    absl::StatusOr<SymmetricKey> key =
        SymmetricKey::Create(key_id, algorithm, rest.first(secret_length));
    ASSERT_TRUE(key.ok()) << file.name;
    const absl::Span<const uint8_t> message = rest.subspan(secret_length);
    const MacVerdict verdict = CheckMacTrailer(
        *context, *key, message.first(message.size() - trailer_length),
        message.subspan(message.size() - trailer_length));
    EXPECT_EQ(verdict, valid ? MacVerdict::kOk : MacVerdict::kDigestMismatch)
        << file.name;
    ++checked;
  }
  EXPECT_EQ(checked, 9);
}

}  // namespace
}  // namespace ntp
