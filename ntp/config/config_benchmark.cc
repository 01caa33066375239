// Parse speed of the ntp.conf parser: the tutorial's server file (held in
// memory, so no disk I/O is measured) and a large synthetic configuration.
// bazel run -c opt //ntp/config:config_benchmark
#include <string>

#include "benchmark/benchmark.h"
#include "ntp/config/file_reader.h"
#include "ntp/config/parser.h"
#include "clock/posix_file_reader.h"

namespace ntp {
namespace {

std::string ReadSeed(const char* path) {
  clocks::PosixFileReader disk;
  absl::StatusOr<std::string> text = disk.Read(path, 1 << 20);
  return text.ok() ? *text : std::string();
}

void BM_ParseSeedServerConf(benchmark::State& state) {
  InMemoryFileReader reader;
  const std::string text = ReadSeed("testdata/configs/seed/server-ntp.conf");
  if (text.empty()) {
    state.SkipWithError("seed file not found (run with bazel run)");
    return;
  }
  reader.AddFile("/etc/ntp.conf", text);
  reader.AddFile("/etc/ntp/crypto/pw", "#crypto pw apassword\n");
  for (auto _ : state) {
    ParsedConfig parsed = ParseNtpConfFile("/etc/ntp.conf", reader);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseSeedServerConf);

void BM_ParseLargeConf(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 250; ++i) {
    std::string n = std::to_string(i);
    text += "server 10.1." + n + ".1 iburst minpoll 4 maxpoll 10\n";
    text += "restrict 10.2." + n + ".0 mask 255.255.255.0 nomodify notrap\n";
    text += "# a comment line " + n + "\n";
    text += "tinker step 0.128 panic 1000\n";
  }
  for (auto _ : state) {
    ParsedConfig parsed = ParseNtpConfText(text, "large.conf", nullptr);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseLargeConf);

}  // namespace
}  // namespace ntp
