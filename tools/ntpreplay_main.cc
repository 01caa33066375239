// ntpreplay: replays a trace written by `ntpd --trace=FILE` (or ntpsim
// --trace) against the protocol core (ntp/trace/replayer.h) and says
// whether it answered every input exactly as recorded.
//
//   ntpreplay FILE          "identical (N inputs, M actions)", exit 0; the
//                           first divergence, exit 1; an unreadable,
//                           truncated, corrupt or incomplete trace, exit 2.
//                           Segments rotated beside FILE (FILE.N .. FILE.1)
//                           are read first.
//   ntpreplay --keys=KEYS FILE
//                           the recorded machine's keys file, for a trace
//                           that names its keys by fingerprint only
//   ntpreplay --dump FILE   one line per record
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "ntp/auth/keys_file.h"
#include "ntp/trace/replayer.h"
#include "tools/trace_file.h"

ABSL_FLAG(bool, dump, false, "print the trace, one line per record, instead of replaying it");
ABSL_FLAG(std::string, keys, "",
          "the recorded machine's keys file (ntp.keys format), for a trace recorded without "
          "`keys include`");

namespace {

int Fail(const std::string& where, const absl::Status& status) {
  std::fprintf(stderr, "ntpreplay: %s: %s\n", where.c_str(),
               std::string(status.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("ntpreplay [--dump] [--keys=FILE] TRACE_FILE");
  const std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "usage: ntpreplay [--dump] [--keys=FILE] TRACE_FILE\n");
    return 2;
  }
  const std::string path = args[1];
  absl::StatusOr<std::string> bytes;
  if (absl::GetFlag(FLAGS_dump)) {
    bytes = tools::ReadTraceFile(path);
  } else {
    std::vector<std::string> files;
    bytes = tools::ReadRotatedTrace(path, &files);
    if (bytes.ok() && files.size() > 1) {
      std::fprintf(stderr, "ntpreplay: a rotated trace: %s\n", absl::StrJoin(files, " ").c_str());
    }
  }
  if (!bytes.ok()) return Fail(path, bytes.status());
  if (absl::GetFlag(FLAGS_dump)) {
    absl::StatusOr<std::string> dump = ntp::trace::Dump(*bytes);
    if (!dump.ok()) return Fail(path, dump.status());
    std::fputs(dump->c_str(), stdout);
    return 0;
  }
  ntp::trace::ReplayOptions options;
  ntp::KeyStore keys;
  if (const std::string keys_path = absl::GetFlag(FLAGS_keys); !keys_path.empty()) {
    absl::StatusOr<std::string> text = tools::ReadTraceFile(keys_path);
    if (!text.ok()) return Fail(keys_path, text.status());
    ntp::ParsedKeysFile parsed = ntp::ParseKeysFile(keys_path, *text);
    for (const ntp::KeysFileDiagnostic& d : parsed.diagnostics) {
      std::fprintf(stderr, "%s\n", d.ToString().c_str());
    }
    keys = std::move(parsed.keys);
    options.keys = &keys;
  }
  absl::StatusOr<ntp::trace::ReplayResult> result = ntp::trace::Replay(*bytes, options);
  if (!result.ok()) return Fail(path, result.status());
  std::printf("%s\n", result->report.c_str());
  return result->identical ? 0 : 1;
}
