#include "tools/log_output.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "clock/posix_error.h"

namespace tools {

LogDestination ChooseLogDestination(const std::string& flag_path, const ntp::NtpConfig& config,
                                    bool use_syslog) {
  LogDestination out;
  if (!flag_path.empty()) {
    out.kind = LogDestination::Kind::kFile;
    out.path = flag_path;
    out.from_flag = true;
  } else if (config.logfile.has_value() && !config.logfile->path.empty()) {
    out.kind = LogDestination::Kind::kFile;
    out.path = config.logfile->path;
  } else if (use_syslog) {
    out.kind = LogDestination::Kind::kSyslog;
  }
  return out;
}

int SyslogPriority(ntp::EventKind kind) {
  switch (kind) {
    case ntp::EventKind::kPanic:
      return LOG_ERR;
    case ntp::EventKind::kWarning:
      return LOG_WARNING;
    case ntp::EventKind::kSync:
    case ntp::EventKind::kLostSync:
    case ntp::EventKind::kClockStep:
    case ntp::EventKind::kLeapArmed:
    case ntp::EventKind::kExit:
      return LOG_NOTICE;
    default:
      return LOG_INFO;
  }
}

absl::Status RedirectStderrToFile(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return clocks::PosixError(path, errno);
  std::fflush(stderr);
  if (dup2(fd, STDERR_FILENO) != STDERR_FILENO) {
    const int error = errno;
    close(fd);
    return clocks::PosixError(path, error);
  }
  close(fd);
  setvbuf(stderr, nullptr, _IOLBF, 0);  // whole lines, as they happen
  return absl::OkStatus();
}

SyslogEvents::SyslogEvents() { openlog("ntpd", LOG_PID | LOG_NDELAY, LOG_DAEMON); }

SyslogEvents::~SyslogEvents() { closelog(); }

void SyslogEvents::OnEvent(const ntp::Event& event) {
  syslog(SyslogPriority(event.kind), "%s", event.text.c_str());
}

}  // namespace tools
