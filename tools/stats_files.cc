#include "tools/stats_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tools {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMjdOfUnixEpoch = 40587;  // 1970-01-01
constexpr absl::Duration kFailureLogInterval = absl::Hours(1);

// "MJD SECONDS": the UTC day as a modified Julian day and the seconds past
// midnight with 3 decimals (rounded; the day is that of the whole second).
std::string DayAndSeconds(absl::Time t) {
  const int64_t unix_seconds = absl::ToUnixSeconds(t);  // rounds down
  int64_t day = unix_seconds / kSecondsPerDay;
  int64_t second = unix_seconds % kSecondsPerDay;
  if (second < 0) {
    second += kSecondsPerDay;
    --day;
  }
  const absl::Duration fraction = t - absl::FromUnixSeconds(unix_seconds);
  int64_t millis = absl::ToInt64Milliseconds(fraction + absl::Microseconds(500));
  if (millis >= 1000) {
    millis -= 1000;
    ++second;
  }
  return absl::StrFormat("%d %d.%03d", day + kMjdOfUnixEpoch, second, millis);
}

const char* TypeName(ntp::FilegenConfig::Type type) {
  using Type = ntp::FilegenConfig::Type;
  switch (type) {
    case Type::kNone: return "none";
    case Type::kPid: return "pid";
    case Type::kDay: return "day";
    case Type::kWeek: return "week";
    case Type::kMonth: return "month";
    case Type::kYear: return "year";
    case Type::kAge: return "age";
  }
  return "?";
}

bool Supported(ntp::FilegenConfig::Type type) {
  using Type = ntp::FilegenConfig::Type;
  return type == Type::kNone || type == Type::kDay || type == Type::kMonth ||
         type == Type::kYear;
}

std::optional<StatsFileSet> SetFromConfig(const ntp::NtpConfig& config, ntp::StatsType type,
                                          const std::string& directory) {
  const auto filegen = config.filegens.find(type);
  bool enabled = false;
  for (ntp::StatsType listed : config.statistics) enabled = enabled || listed == type;
  if (filegen != config.filegens.end()) enabled = filegen->second.enabled;
  if (!enabled || !config.system.stats) return std::nullopt;
  StatsFileSet set;
  std::string file = ntp::StatsTypeName(type);
  if (filegen != config.filegens.end()) {
    if (filegen->second.file.has_value()) file = *filegen->second.file;
    set.type = filegen->second.type;
    set.link = filegen->second.link;
  }
  set.prefix = directory + file;
  return set;
}

}  // namespace

StatsFilesOptions StatsFilesOptionsFromConfig(const ntp::NtpConfig& config) {
  std::string directory = kDefaultStatsDir;
  if (config.statsdir.has_value() && !config.statsdir->path.empty()) {
    directory = config.statsdir->path;
    if (directory.back() != '/') directory += '/';
  }
  StatsFilesOptions options;
  options.loopstats = SetFromConfig(config, ntp::StatsType::kLoopstats, directory);
  options.peerstats = SetFromConfig(config, ntp::StatsType::kPeerstats, directory);
  return options;
}

std::string FormatLoopStatsLine(const ntp::LoopStatsRecord& record) {
  return absl::StrFormat("%s %.9f %.3f %.9f %.6f %d", DayAndSeconds(record.clock_time),
                         absl::ToDoubleSeconds(record.offset), record.frequency_ppm,
                         absl::ToDoubleSeconds(record.jitter), record.wander_ppm,
                         record.poll_log2);
}

std::string FormatPeerStatsLine(const ntp::PeerStatsRecord& record) {
  return absl::StrFormat("%s %s %x %.9f %.9f %.9f %.9f", DayAndSeconds(record.clock_time),
                         record.peer.ToString(), record.status,
                         absl::ToDoubleSeconds(record.offset),
                         absl::ToDoubleSeconds(record.delay),
                         absl::ToDoubleSeconds(record.dispersion),
                         absl::ToDoubleSeconds(record.jitter));
}

std::string StatsFileName(const StatsFileSet& set, absl::Time clock_time) {
  using Type = ntp::FilegenConfig::Type;
  const absl::CivilSecond utc = absl::ToCivilSecond(clock_time, absl::UTCTimeZone());
  switch (set.type) {
    case Type::kNone:
      return set.prefix;
    case Type::kMonth:
      return absl::StrFormat("%s.%04d%02d", set.prefix, utc.year(), utc.month());
    case Type::kYear:
      return absl::StrFormat("%s.%04d", set.prefix, utc.year());
    default:  // day, and the types written as day
      return absl::StrFormat("%s.%04d%02d%02d", set.prefix, utc.year(), utc.month(),
                             utc.day());
  }
}

StatsFiles::StatsFiles(StatsFilesOptions options, LogFunction log) : log_(std::move(log)) {
  loop_.set = std::move(options.loopstats);
  loop_.name = "loopstats";
  peer_.set = std::move(options.peerstats);
  peer_.name = "peerstats";
  for (Open* file : {&loop_, &peer_}) {
    if (file->set.has_value() && !Supported(file->set->type)) {
      log_(absl::StrCat("filegen ", file->name, " type ", TypeName(file->set->type),
                        " is not supported: written as type day"));
    }
  }
}

StatsFiles::~StatsFiles() {
  for (Open* file : {&loop_, &peer_}) {
    if (file->fd >= 0) close(file->fd);
  }
}

void StatsFiles::OnLoopStats(const ntp::LoopStatsRecord& record) {
  if (!loop_.set.has_value()) return;
  Append(loop_, record.clock_time, FormatLoopStatsLine(record));
}

void StatsFiles::OnPeerStats(const ntp::PeerStatsRecord& record) {
  if (!peer_.set.has_value()) return;
  Append(peer_, record.clock_time, FormatPeerStatsLine(record));
}

void StatsFiles::Append(Open& file, absl::Time clock_time, const std::string& line) {
  const std::string path = StatsFileName(*file.set, clock_time);
  if (file.fd >= 0 && path != file.path) {
    close(file.fd);
    file.fd = -1;
  }
  if (file.fd < 0) {
    file.path = path;
    file.fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (file.fd < 0) {
      ReportFailure(file, clock_time, absl::StrCat("can't open ", path, ": ",
                                                   std::strerror(errno)));
      return;
    }
    if (file.set->link && file.set->type != ntp::FilegenConfig::Type::kNone) Link(file);
  }
  const std::string text = line + "\n";
  ssize_t written;
  do {
    written = write(file.fd, text.data(), text.size());
  } while (written < 0 && errno == EINTR);
  if (written != static_cast<ssize_t>(text.size())) {
    const std::string why = written < 0 ? std::strerror(errno) : "short write";
    // Opened again with the next record.
    close(file.fd);
    file.fd = -1;
    ReportFailure(file, clock_time, absl::StrCat("can't write ", path, ": ", why));
    return;
  }
  ++counters_.lines_written;
  if (file.failing) {
    file.failing = false;
    log_(absl::StrCat(file.name, ": writing ", path, " again"));
    file.failures_since_log = 0;
  }
}

void StatsFiles::ReportFailure(Open& file, absl::Time clock_time, const std::string& what) {
  ++counters_.failures;
  ++file.failures_since_log;
  if (file.failing && clock_time - file.last_failure_log < kFailureLogInterval) return;
  const uint64_t dropped = file.failures_since_log;
  log_(absl::StrCat(file.name, ": ", what, " (", dropped, " record", dropped == 1 ? "" : "s",
                    " dropped", file.failing ? " in the last hour" : "", ")"));
  file.failing = true;
  file.last_failure_log = clock_time;
  file.failures_since_log = 0;
}

void StatsFiles::Link(Open& file) {
  const std::string& link = file.set->prefix;
  if (unlink(link.c_str()) != 0 && errno != ENOENT) {
    ++counters_.link_failures;
    log_(absl::StrCat(file.name, ": can't replace link ", link, ": ", std::strerror(errno)));
    return;
  }
  if (::link(file.path.c_str(), link.c_str()) != 0) {
    ++counters_.link_failures;
    log_(absl::StrCat(file.name, ": can't link ", link, " to ", file.path, ": ",
                      std::strerror(errno)));
  }
}

}  // namespace tools
