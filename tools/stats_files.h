// ntpd's statistics files for the daemon: a StatsSink (ntp/runtime/
// executor.h) that appends the core's loopstats and peerstats records to
// file sets named as ntpd's `statsdir` + `filegen ... file PREFIX type T`
// name them, in ntpd's line formats. Not for the simulator (its records go
// to its own report).
//
// Lines (one per record, written with one write(2) on a file opened for
// append; the time is the record's clock_time, UTC):
//   loopstats: MJD SECONDS offset(s) frequency(ppm) jitter(s) wander(ppm) poll
//              59580 3615.018 0.000123456 -12.345 0.000045678 0.012345 6
//   peerstats: MJD SECONDS address status(hex) offset(s) delay(s)
//              dispersion(s) jitter(s)
//              59580 3615.018 127.0.0.2 9614 0.000123456 0.000234567 ...
// SECONDS is the time past UTC midnight with 3 decimals, as ntpd prints it.
//
// File names: type day PREFIX.YYYYMMDD (a new file when the record's UTC
// day changes), month PREFIX.YYYYMM, year PREFIX.YYYY, none PREFIX. Types
// week, age and pid are written as type day (logged once). With `link` (the
// default) PREFIX is made a hard link to the current file, as ntpd does.
//
// A failed open or write never stops the daemon: the record is dropped and
// counted, and the failure is logged once, then at most once an hour (by
// record time) per file set while it lasts. The open is tried again with
// the next record.
//
// Single-threaded, like the executor that calls it.
#ifndef TOOLS_STATS_FILES_H_
#define TOOLS_STATS_FILES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "ntp/actions.h"
#include "ntp/config/config.h"
#include "ntp/runtime/executor.h"

namespace tools {

// One file set (ntpd's filegen).
struct StatsFileSet {
  std::string prefix;  // statsdir + file prefix: "/var/log/ntpstats/loopstats"
  ntp::FilegenConfig::Type type = ntp::FilegenConfig::Type::kDay;
  bool link = true;
};

struct StatsFilesOptions {
  std::optional<StatsFileSet> loopstats;  // unset: not written
  std::optional<StatsFileSet> peerstats;
};

// ntpd's compiled-in statsdir when the configuration names none.
inline constexpr char kDefaultStatsDir[] = "/var/NTP/";

// The file sets a configuration asks for: a type is written when
// `statistics` names it or a `filegen` line for it says enable (or nothing:
// `filegen` alone enables), not when its last `filegen` line says disable,
// and nothing is written after `disable stats`. The prefix is `statsdir`
// (a '/' added when missing; kDefaultStatsDir without one) followed by the
// filegen `file` name, by default the type's name.
StatsFilesOptions StatsFilesOptionsFromConfig(const ntp::NtpConfig& config);

// ntpd's lines, without the trailing newline.
std::string FormatLoopStatsLine(const ntp::LoopStatsRecord& record);
std::string FormatPeerStatsLine(const ntp::PeerStatsRecord& record);
// The file a record written at `clock_time` goes to.
std::string StatsFileName(const StatsFileSet& set, absl::Time clock_time);

class StatsFiles final : public ntp::runtime::StatsSink {
 public:
  // Receives one log line (no newline) per reported problem.
  using LogFunction = std::function<void(const std::string&)>;

  // REQUIRES: log is callable.
  StatsFiles(StatsFilesOptions options, LogFunction log);
  ~StatsFiles() override;
  StatsFiles(const StatsFiles&) = delete;
  StatsFiles& operator=(const StatsFiles&) = delete;

  void OnLoopStats(const ntp::LoopStatsRecord& record) override;
  void OnPeerStats(const ntp::PeerStatsRecord& record) override;

  struct Counters {
    uint64_t lines_written = 0;
    uint64_t failures = 0;  // records dropped: open, link-less write failures
    uint64_t link_failures = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  // An open member of one file set and its failure state.
  struct Open {
    std::optional<StatsFileSet> set;
    std::string name;  // "loopstats"
    std::string path;  // the file open now ("" if none)
    int fd = -1;
    bool failing = false;
    absl::Time last_failure_log = absl::InfinitePast();
    uint64_t failures_since_log = 0;
  };
  void Append(Open& file, absl::Time clock_time, const std::string& line);
  void ReportFailure(Open& file, absl::Time clock_time, const std::string& what);
  void Link(Open& file);

  LogFunction log_;
  Open loop_;
  Open peer_;
  Counters counters_;
};

}  // namespace tools

#endif  // TOOLS_STATS_FILES_H_
