// The ntp.conf parser: turns ntpd-syntax configuration files into the typed
// model of config.h plus a list of diagnostics. Reads files only through an
// injected ConfigFileReader; never touches the file system itself.
//
// Grammar (ntpd 4.2.8, ntp.conf(5); lexical rules in tokenizer.h): one
// directive per line, `#` comments, whitespace-separated tokens, keywords
// case-sensitive and lowercase. Accepted directives:
//   associations  server peer pool (options prefer iburst burst noselect true
//                 preempt xleave minpoll maxpoll key version mode ttl),
//                 fudge (time1 time2 stratum refid flag1..4 minjitter)
//   access        restrict (default/-4/-6/source/ADDRESS[/len] [mask M]
//                 [ippeerlimit N] flags...), discard, mru
//   discipline    tinker, tos, tick, enable, disable
//   files         driftfile keys keysdir leapfile logfile pidfile statsdir
//                 saveconfigdir includefile
//   keys          trustedkey (with "(A ... B)" ranges) requestkey controlkey
//   monitoring    statistics filegen logconfig setvar
//   other         interface/nic, broadcastdelay, nonvolatile
// Recognised but not implemented (warning, line ignored): broadcast,
// broadcastclient, manycastclient, manycastserver, multicastclient, unpeer,
// crypto and the other Autokey directives, phone, trap, ttl, rlimit, dscp,
// reset, ... Unknown directives: warning, line ignored (ntpd keeps going).
//
// Severity policy: a value ntpd would reject, clamp or silently misuse is
// an ERROR (the caller must refuse a configuration with any error, see
// ParsedConfig::ok()); things ntpd logs and survives (unknown directive,
// missing includefile, `kod` without `limited`, unsupported features) are
// WARNINGS. A line with an error leaves the model untouched; parsing goes
// on with the next line so that every mistake is reported in one run.
//
// Includes: `includefile PATH` is read in place. A relative PATH is resolved
// against the directory of the including file; an absolute one gets the
// root directory prefix (ParseOptions::root_directory). A missing file is a
// warning worded as ntpd's ("getconfig: Couldn't open <PATH>"). Nesting is
// limited to ntpd's 5 levels; a file that (directly or through others)
// includes itself is reported as an error and not followed. Total work is
// bounded (ParseOptions), so no input can make the parser run for long.
#ifndef NTP_CONFIG_PARSER_H_
#define NTP_CONFIG_PARSER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ntp/config/config.h"
#include "ntp/config/file_reader.h"

namespace ntp {

enum class Severity { kWarning, kError };

struct Diagnostic {
  std::string file;  // as the parser read it
  int line = 0;      // 1-based; 0 = the file as a whole
  int column = 0;    // 1-based; 0 = unknown / whole line
  Severity severity = Severity::kError;
  // Printable ASCII only: other bytes from the input appear as \xNN.
  std::string message;

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

// "FILE:LINE: error: MESSAGE" / "FILE:LINE: warning: MESSAGE" (":LINE" is
// left out when line is 0).
std::string FormatDiagnostic(const Diagnostic& diagnostic);

struct ParseOptions {
  // When non-empty, every absolute path in the configuration (driftfile,
  // keys, keysdir, includefile, statsdir, logfile, leapfile, pidfile,
  // saveconfigdir) is prefixed with it: root "/tmp/t" turns
  // "/var/lib/ntp/drift" into "/tmp/t/var/lib/ntp/drift". Paths are
  // normalised first, so ".." cannot climb out of the root. Lets tests run
  // the tutorial's files "as written, paths aside".
  std::string root_directory;
  // ntpd's MAXINCLUDELEVEL: the top file plus 5 nested levels.
  int max_include_depth = 5;
  // Per-file size limit passed to ConfigFileReader::Read: 8 MiB, room for
  // tens of thousands of restrict lines (20,000 typical ones take 1.5 MiB).
  size_t max_file_bytes = size_t{8} << 20;
  // Limits on the total work across all files, so that include fan-out
  // (a file including another many times) stays bounded.
  size_t max_total_bytes = size_t{8} << 20;
  int max_files = 256;
  // Diagnostics beyond this many are counted but not stored.
  size_t max_diagnostics = 1000;
};

struct ParsedConfig {
  NtpConfig config;
  std::vector<Diagnostic> diagnostics;  // in the order found
  int error_count = 0;    // including suppressed ones
  int warning_count = 0;  // including suppressed ones

  // True if there were no errors (warnings allowed). A configuration that
  // is not ok() must be rejected as a whole.
  bool ok() const { return error_count == 0; }
  // OK, or InvalidArgument whose message holds the formatted errors, one
  // per line.
  absl::Status status() const;
  // The formatted diagnostics, one per line (for logs and tools).
  std::string FormatAll() const;
};

// Reads and parses the configuration file at `path` through `reader`
// (`path` is used as given; the root prefix applies only to paths inside
// the configuration). A file that cannot be read is an error diagnostic
// with line 0 ("getconfig: Couldn't open <PATH>").
ParsedConfig ParseNtpConfFile(const std::string& path,
                              ConfigFileReader& reader,
                              const ParseOptions& options = ParseOptions());

// Parses configuration text held in memory. `file_name` is used for
// diagnostics, source locations and to resolve relative includefiles.
// `include_reader` may be null, in which case every includefile is
// reported as missing.
ParsedConfig ParseNtpConfText(absl::string_view text,
                              const std::string& file_name,
                              ConfigFileReader* include_reader,
                              const ParseOptions& options = ParseOptions());

// Lexical path normalisation: collapses "//", "." and ".." ("/a/../b" ->
// "/b"; ".." at the root stays at the root; a relative path keeps leading
// ".."). "" stays "".
std::string NormalizePath(absl::string_view path);

// `path` with `root_directory` prefixed if both are non-empty and `path` is
// absolute; otherwise `path` unchanged. The result is normalised.
std::string ApplyRootDirectory(absl::string_view root_directory,
                               absl::string_view path);

}  // namespace ntp

#endif  // NTP_CONFIG_PARSER_H_
