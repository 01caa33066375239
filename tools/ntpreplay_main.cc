// ntpreplay: replays a trace written by `ntpd --trace=FILE` against the
// protocol core (ntp/trace/replayer.h) and says whether it answered every
// input exactly as recorded.
//
//   ntpreplay FILE          "identical (N inputs, M actions)", exit 0; the
//                           first divergence, exit 1; an unreadable,
//                           truncated, corrupt or incomplete trace, exit 2
//   ntpreplay --dump FILE   one line per record
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ntp/trace/replayer.h"
#include "tools/trace_file.h"

ABSL_FLAG(bool, dump, false, "print the trace, one line per record, instead of replaying it");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("ntpreplay [--dump] TRACE_FILE");
  const std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: ntpreplay [--dump] TRACE_FILE\n");
    return 2;
  }
  absl::StatusOr<std::string> bytes = tools::ReadTraceFile(args[1]);
  if (!bytes.ok()) {
    std::fprintf(stderr, "ntpreplay: %s\n", std::string(bytes.status().message()).c_str());
    return 2;
  }
  if (absl::GetFlag(FLAGS_dump)) {
    absl::StatusOr<std::string> dump = ntp::trace::Dump(*bytes);
    if (!dump.ok()) {
      std::fprintf(stderr, "ntpreplay: %s: %s\n", args[1],
                   std::string(dump.status().message()).c_str());
      return 2;
    }
    std::fputs(dump->c_str(), stdout);
    return 0;
  }
  absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(*bytes);
  if (!result.ok()) {
    std::fprintf(stderr, "ntpreplay: %s: %s\n", args[1],
                 std::string(result.status().message()).c_str());
    return 2;
  }
  std::printf("%s\n", result->report.c_str());
  return result->identical ? 0 : 1;
}
