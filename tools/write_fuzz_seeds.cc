// Writes the hand-built seed corpus (ntp/wire/test_corpus.h) as one file per
// seed:
//   bazel run //tools:write_fuzz_seeds -- "$PWD/testdata/fuzz"
// creates packet_fuzz/<name>.bin and control_message_fuzz/<name>.bin.
// Test tooling: not part of the daemon.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ntp/wire/test_corpus.h"

namespace {

int WriteAll(const std::filesystem::path& dir,
             const std::vector<ntp::testing::Seed>& seeds) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    std::fprintf(stderr, "cannot create %s: %s\n", dir.c_str(),
                 error.message().c_str());
    return 1;
  }
  for (const ntp::testing::Seed& seed : seeds) {
    const std::filesystem::path file = dir / (seed.name + ".bin");
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(seed.bytes.data()),
              static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", file.c_str());
      return 1;
    }
  }
  std::printf("%zu seeds in %s\n", seeds.size(), dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "writes the wire fuzzers' seed corpus: write_fuzz_seeds OUTPUT_DIR");
  const std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", args[0]);
    return 2;
  }
  const std::filesystem::path root(args[1]);
  if (WriteAll(root / "packet_fuzz", ntp::testing::PacketSeeds()) != 0)
    return 1;
  return WriteAll(root / "control_message_fuzz",
                  ntp::testing::ControlMessageSeeds());
}
