// Where the daemon's log lines go, as ntpd chooses it: `-l LOGFILE` wins,
// then the configuration's `logfile PATH`, then syslog(3) when asked for
// (--syslog), else stderr. File and stderr lines carry ntpd's terminal
// prefix ("29 Nov 10:15:17 ntpd[1234]: "); syslog adds its own time stamp
// and "ntpd[PID]:", so SyslogEvents sends the text alone, facility daemon.
//
// Not for the simulator: its events are recorded, not logged.
#ifndef TOOLS_LOG_OUTPUT_H_
#define TOOLS_LOG_OUTPUT_H_

#include <string>

#include "absl/status/status.h"
#include "ntp/config/config.h"
#include "ntp/events.h"

namespace tools {

struct LogDestination {
  enum class Kind { kStderr, kFile, kSyslog };
  Kind kind = Kind::kStderr;
  std::string path;  // kFile
  // kFile: the path came from `-l` (not from the configuration's `logfile`).
  bool from_flag = false;
};

// `-l` (flag_path, "" when not given) wins over `logfile` in `config`,
// which wins over `use_syslog`.
LogDestination ChooseLogDestination(const std::string& flag_path, const ntp::NtpConfig& config,
                                    bool use_syslog);

// The syslog(3) priority of an event: panic LOG_ERR; warnings LOG_WARNING;
// synchronisation, its loss, steps, leap and exit LOG_NOTICE; the rest
// LOG_INFO.
int SyslogPriority(ntp::EventKind kind);

// Appends stderr (every later line of the process) to `path`, created 0644
// if missing, one line per write. On failure stderr is left as it was.
absl::Status RedirectStderrToFile(const std::string& path);

// Sends events to syslog(3) as "ntpd[PID]: TEXT" (openlog at construction,
// closelog at destruction). One instance per process.
class SyslogEvents final : public ntp::EventSink {
 public:
  SyslogEvents();
  ~SyslogEvents() override;
  SyslogEvents(const SyslogEvents&) = delete;
  SyslogEvents& operator=(const SyslogEvents&) = delete;

  void OnEvent(const ntp::Event& event) override;
};

}  // namespace tools

#endif  // TOOLS_LOG_OUTPUT_H_
