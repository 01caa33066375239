// ntpd: the NTP daemon on real sockets, configured from an ntp.conf. It
// serves the local clock (`server 127.127.1.0` + `fudge`), orphan mode, or
// the unsynchronised state, with ntpd's restrict / discard / kod / keys
// semantics, and polls the configured upstream `server`s, selecting among
// them as ntpd does; its discipline steers the system clock through
// clocks::SystemClock (clock_adjtime), or with --no_clock_adjust only reads
// it (clock operations are then refused and logged once).
//
//   bazel run //:ntpd -- [-c FILE] [--listen ADDR]... [--port N] [-n] [--no_clock_adjust]
//                         [-u USER[:GROUP]] [-p PIDFILE] [-l LOGFILE] [--syslog] [-d]
//
// Log lines go to -l LOGFILE, else the configuration's `logfile`, else
// syslog with --syslog, else stderr (tools/log_output.h), rate limited per
// event kind (tools/event_rate_limiter.h); `statistics loopstats peerstats`
// are written as ntpd's file sets (tools/stats_files.h).
//
// Without -c it reads /etc/ntp.conf; without that file it runs an embedded
// default: the local clock at fudge stratum 10 on 127.0.0.1:11123.
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clock/drift_file.h"
#include "clock/rtc_device.h"
#include "clock/system_clock.h"
#include "net/poll_loop.h"
#include "net/tcp_stream.h"
#include "net/udp_socket.h"
#include "ntp/auth/key_store.h"
#include "ntp/auth/keys_file.h"
#include "ntp/config/parser.h"
#include "clock/posix_file_reader.h"
#include "ntp/events.h"
#include "ntp/host.h"
#include "ntp/nts/server.h"
#include "ntp/leap_seconds_list.h"
#include "ntp/runtime/instance.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/recorder.h"
#include "tools/event_rate_limiter.h"
#include "tools/log_output.h"
#include "tools/nts_service.h"
#include "tools/pidfile.h"
#include "tools/privileges.h"
#include "tools/stats_files.h"
#include "tools/trace_file.h"
#include "tools/trace_setup.h"

namespace {

constexpr char kDefaultConfigPath[] = "/etc/ntp.conf";
constexpr char kEmbeddedName[] = "<embedded default>";
constexpr uint16_t kEmbeddedPort = 11123;
constexpr char kEmbeddedConfig[] =
    "# Embedded default of ntpd (no -c FILE and no /etc/ntp.conf): serve\n"
    "# this machine's clock to localhost only, like the tutorial's server.\n"
    "server 127.127.1.0\n"
    "fudge 127.127.1.0 stratum 10\n"
    "restrict default nomodify notrap nopeer noquery\n"
    "restrict -6 default nomodify notrap nopeer noquery\n"
    "restrict 127.0.0.1\n"
    "restrict -6 ::1\n"
    "interface listen 127.0.0.1\n";

constexpr char kUsage[] =
    "usage: ntpd [-n] [-g] [-x] [-q] [-d] [-c FILE] [--listen ADDR]... [--port N]\n"
    "            [--server_port N] [-u USER[:GROUP]] [-p PIDFILE] [-l LOGFILE]\n"
    "            [--help]\n"
    "  -c FILE          configuration file (default /etc/ntp.conf; without it an\n"
    "                   embedded default serves the local clock at stratum 10 on\n"
    "                   127.0.0.1 port 11123)\n"
    "  --listen ADDR    listen on ADDR (IPv4, IPv6, or ADDR:PORT / [ADDR]:PORT);\n"
    "                   repeatable or comma separated; overrides the `interface`\n"
    "                   rules\n"
    "  --port N         NTP port (default 123; 11123 with the embedded default)\n"
    "  --server_port N  port of the upstream servers (default 123)\n"
    "  -g               allow the first correction beyond the panic threshold\n"
    "  -x               slew only (the step threshold becomes 600 s)\n"
    "  -q               set the clock once and exit\n"
    "  -n               stay in the foreground (always the case)\n"
    "  -u USER[:GROUP]  after binding, run as USER (and GROUP, default USER's\n"
    "                   primary group) keeping only CAP_SYS_TIME; needs root\n"
    "  -p PIDFILE       write the pid to PIDFILE once the sockets are bound\n"
    "                   (atomically); removed at a clean exit\n"
    "  -l LOGFILE       append log lines to LOGFILE instead of stderr (wins\n"
    "                   over the configuration's `logfile PATH`)\n"
    "  --syslog         the daemon's events go to syslog (facility daemon) when\n"
    "                   neither -l nor `logfile` names a file\n"
    "  -d               more detail in the log: the pid file written, the ids and\n"
    "                   capability sets after -u, the daemon's counters at exit\n"
    "  --no_clock_adjust  only read the clock: the discipline's changes are\n"
    "                   refused (and logged once); for tests and demos\n"
    "  --help           this text\n"
    "The discipline steers the system clock (needs CAP_SYS_TIME) unless\n"
    "--no_clock_adjust. SIGTERM, SIGINT or SIGQUIT end it cleanly (the drift file\n"
    "is written); SIGHUP re-reads the configuration file.\n";

}  // namespace

ABSL_FLAG(std::string, c, "",
          "configuration file (default /etc/ntp.conf; without it an embedded default "
          "serves the local clock at stratum 10 on 127.0.0.1 port 11123)");
ABSL_FLAG(std::vector<std::string>, listen, {},
          "addresses to listen on (IPv4, IPv6, ADDR:PORT or [ADDR]:PORT), comma "
          "separated or repeated; overrides the `interface` rules");
ABSL_FLAG(std::optional<uint16_t>, port, std::nullopt,
          "NTP port to listen on (default 123; 11123 with the embedded default)");
ABSL_FLAG(std::optional<uint16_t>, server_port, std::nullopt,
          "port of the upstream servers (default 123; for tests on loopback)");
ABSL_FLAG(bool, n, false, "stay in the foreground (always the case)");
ABSL_FLAG(bool, no_clock_adjust, false,
          "only read the system clock, never change it (tests and demos; like chronyd -x)");
ABSL_FLAG(bool, g, false, "allow the first correction to exceed the panic threshold");
ABSL_FLAG(bool, x, false, "slew only: the step threshold becomes 600 s");
ABSL_FLAG(bool, q, false, "set the clock once and exit");
ABSL_FLAG(std::string, u, "",
          "USER[:GROUP]: after binding, run as USER keeping only CAP_SYS_TIME (needs root)");
ABSL_FLAG(std::string, p, "", "pid file, written atomically after start, removed at exit");
ABSL_FLAG(std::string, l, "", "log file: log lines are appended to it instead of stderr");
ABSL_FLAG(bool, syslog, false,
          "log the daemon's events to syslog (facility daemon) when neither -l nor "
          "`logfile` names a file");
ABSL_FLAG(bool, d, false,
          "more detail in the log: pid file, ids and capabilities after -u, counters at exit");
ABSL_FLAG(uint16_t, nts_ke_port, 4460,
          "NTS-KE port (RFC 8915 section 4) served with `nts enable`, on the first "
          "--listen address (else the wildcard)");
ABSL_FLAG(int64_t, nts_rotate_s, 86400,
          "NTS cookie master key rotation interval in seconds (`nts enable`)");
ABSL_FLAG(std::string, trace, "",
          "record every input and action to FILE, for ntpreplay (ntp/trace/replayer.h)");
ABSL_FLAG(std::optional<int64_t>, trace_maxsize, std::nullopt,
          "rotate the trace to FILE.1 .. FILE.N past this many bytes (0: never); "
          "overrides `trace ... maxsize`");
ABSL_FLAG(std::optional<int>, trace_keep, std::nullopt,
          "rotated trace segments kept (1..100); overrides `trace ... keep`");
ABSL_FLAG(std::string, trace_keys, "",
          "include: the trace carries the keys' secrets; redact (default): a SHA-256 "
          "fingerprint only, replay then needs ntpreplay --keys=FILE");
ABSL_FLAG(std::string, trace_serverreplies, "",
          "requests served that go in the trace: all (default), none or sample:N");

namespace {

// The loop a signal handler stops (PollLoop::Stop is async-signal-safe).
net::PollLoop* g_loop_to_stop = nullptr;
// The signal that ends the daemon (SIGTERM, SIGINT, SIGQUIT), and whether a
// SIGHUP asks for the configuration to be read again.
volatile sig_atomic_t g_signal = 0;
volatile sig_atomic_t g_reload = 0;

void OnSignal(int signal_number) {
  if (signal_number == SIGHUP) {
    g_reload = 1;
  } else {
    g_signal = signal_number;
  }
  if (g_loop_to_stop != nullptr) g_loop_to_stop->Stop();
}

// "29 Nov 10:15:17 ntpd[1234]: " like ntpd's terminal log lines.
std::string LogPrefix() {
  return absl::StrCat(
      absl::FormatTime("%e %b %H:%M:%S", absl::Now(), absl::LocalTimeZone()),
      " ntpd[", getpid(), "]: ");
}

class StderrEvents final : public ntp::EventSink {
 public:
  void OnEvent(const ntp::Event& event) override {
    std::fprintf(stderr, "%s%s\n", LogPrefix().c_str(), event.text.c_str());
  }
};

// ntpd's repeatable `--listen A --listen B` as one Abseil list flag: later
// occurrences are joined to the first, comma separated.
std::vector<char*> JoinRepeatedListen(int argc, char** argv, std::vector<std::string>* storage) {
  std::vector<std::string> listen;
  std::vector<char*> out;
  for (int i = 0; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if ((arg == "--listen" || arg == "-listen") && i + 1 < argc) {
      listen.push_back(argv[++i]);
    } else if (absl::StartsWith(arg, "--listen=") || absl::StartsWith(arg, "-listen=")) {
      listen.push_back(std::string(arg.substr(arg.find('=') + 1)));
    } else {
      out.push_back(argv[i]);
    }
  }
  if (!listen.empty()) {
    storage->push_back(absl::StrCat("--listen=", absl::StrJoin(listen, ",")));
    out.push_back(storage->back().data());
  }
  return out;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Every address of every interface, with the interface's name, for the
// `interface` rules (ntp/interface_selection.h) that choose which of them
// ntpd binds. IPv6 link-local addresses need a scope and are skipped.
std::vector<ntp::NetworkInterface> Interfaces() {
  std::vector<ntp::NetworkInterface> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    ntp::NetworkInterface interface;
    interface.name = i->ifa_name != nullptr ? i->ifa_name : "";
    interface.loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      interface.address = net::IpAddress::V4(ntohl(sin->sin_addr.s_addr));
      if (i->ifa_netmask != nullptr) {
        const auto* mask = reinterpret_cast<const sockaddr_in*>(i->ifa_netmask);
        interface.prefix_length = __builtin_popcount(mask->sin_addr.s_addr);
      }
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) continue;
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
      interface.address = net::IpAddress::V6(bytes);
      if (i->ifa_netmask != nullptr) {
        const auto* mask = reinterpret_cast<const sockaddr_in6*>(i->ifa_netmask);
        interface.prefix_length = 0;
        for (uint8_t b : mask->sin6_addr.s6_addr) interface.prefix_length += __builtin_popcount(b);
      }
    } else {
      continue;
    }
    out.push_back(std::move(interface));
  }
  freeifaddrs(list);
  return out;
}

// Reads the `keys` file as ntpd does: a missing file is logged and the
// daemon runs without keys.
ntp::KeyStore ReadKeys(const ntp::NtpConfig& config) {
  if (!config.keys.has_value() || config.keys->path.empty()) return {};
  const std::string& path = config.keys->path;
  struct stat st;
  ntp::KeysFileStat file_stat;
  if (stat(path.c_str(), &st) == 0) {
    file_stat.exists = true;
    file_stat.is_regular_file = S_ISREG(st.st_mode);
    file_stat.permission_bits = st.st_mode & 07777;
  }
  for (const auto& d : ntp::CheckKeysFileStat(path, file_stat)) {
    std::fprintf(stderr, "%s%s\n", LogPrefix().c_str(), d.ToString().c_str());
  }
  if (!file_stat.exists || !file_stat.is_regular_file) return {};
  clocks::PosixFileReader reader;
  absl::StatusOr<std::string> text = reader.Read(path, size_t{1} << 20);
  if (!text.ok()) {
    std::fprintf(stderr, "%sauthreadkeys: file '%s': %s\n", LogPrefix().c_str(),
                 path.c_str(), std::string(text.status().message()).c_str());
    return {};
  }
  ntp::ParsedKeysFile parsed = ntp::ParseKeysFile(path, *text);
  for (const auto& d : parsed.diagnostics) {
    std::fprintf(stderr, "%s%s\n", LogPrefix().c_str(), d.ToString().c_str());
  }
  return std::move(parsed.keys);
}

// ntpd's SIGHUP: the configuration file is read again with the same parser;
// a good one replaces the running configuration (Executor::Reconfigure), a
// bad one is reported (FILE:LINE) and the daemon goes on with the old one.
// The keys file is not read again.
void Reload(const std::optional<std::string>& path, ntp::runtime::Instance& instance) {
  ntp::ParsedConfig parsed;
  std::string name = kEmbeddedName;
  if (path.has_value()) {
    name = *path;
    clocks::PosixFileReader reader;
    parsed = ntp::ParseNtpConfFile(*path, reader);
  } else {
    parsed = ntp::ParseNtpConfText(kEmbeddedConfig, kEmbeddedName, nullptr);
  }
  std::fprintf(stderr, "%sSIGHUP: reading configuration %s\n", LogPrefix().c_str(),
               name.c_str());
  for (const ntp::Diagnostic& d : parsed.diagnostics) {
    std::fprintf(stderr, "%s%s\n", LogPrefix().c_str(), ntp::FormatDiagnostic(d).c_str());
  }
  if (!parsed.ok()) {
    std::fprintf(stderr,
                 "%s%d error%s in the new configuration %s: keeping the running "
                 "configuration\n",
                 LogPrefix().c_str(), parsed.error_count, parsed.error_count == 1 ? "" : "s",
                 name.c_str());
    return;
  }
  instance.Reconfigure(parsed.config);
}

// A corrupt drift file would be replaced by the next write (hourly, or at
// shutdown): it is kept as PATH.bad first (a hard link, so the rename over
// PATH leaves it alone), and the daemon starts without a known frequency.
void KeepCorruptDriftFile(clocks::DriftFile& drift) {
  absl::StatusOr<std::optional<double>> value = drift.Read();
  if (value.ok() || !absl::IsDataLoss(value.status())) return;
  const std::string bad = drift.path() + ".bad";
  unlink(bad.c_str());
  if (link(drift.path().c_str(), bad.c_str()) == 0) {
    std::fprintf(stderr, "%sfrequency file %s is corrupt (%s): kept as %s\n",
                 LogPrefix().c_str(), drift.path().c_str(),
                 std::string(value.status().message()).c_str(), bad.c_str());
  } else {
    std::fprintf(stderr,
                 "%sfrequency file %s is corrupt (%s) and cannot be kept as %s (%s): the "
                 "next write replaces it\n",
                 LogPrefix().c_str(), drift.path().c_str(),
                 std::string(value.status().message()).c_str(), bad.c_str(),
                 std::strerror(errno));
  }
}

// -d lines (pid file, identity after -u, counters at exit).
bool g_detail = false;
void LogDetail(const std::string& text) {
  if (g_detail) std::fprintf(stderr, "%s%s\n", LogPrefix().c_str(), text.c_str());
}

// -l LOGFILE: stderr (every log line of this program, and of net/) is
// appended to the file from here on. Opened as root, before any -u drop.
bool RedirectLogTo(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "ntpd: -l %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  std::fflush(stderr);
  const bool ok = dup2(fd, STDERR_FILENO) == STDERR_FILENO;
  close(fd);
  setvbuf(stderr, nullptr, _IOLBF, 0);  // whole lines, as they happen
  return ok;
}

// /proc/self/status "Cap*" and "Uid" lines as one -d log line.
std::string IdentityForLog() {
  std::string out = absl::StrCat("uid ", getuid(), " gid ", getgid());
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return out;
  char line[256];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    const absl::string_view l = absl::StripTrailingAsciiWhitespace(line);
    if (absl::StartsWith(l, "Cap")) {
      absl::StrAppend(&out, ", ", absl::StrReplaceAll(l, {{"\t", " "}}));
    }
  }
  std::fclose(f);
  return out;
}

}  // namespace

// `server NAME nts`: the certificate is checked against NAME, so NTS
// servers may be named; they are resolved here (the first address of the
// family the line asks for). Other named servers stay unresolved.
void ResolveNtsServers(ntp::NtpConfig* config) {
  for (ntp::ServerConfig& server : config->servers) {
    if (!server.nts || server.address.has_value()) continue;
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_family = !server.family.has_value()                      ? AF_UNSPEC
                      : *server.family == net::IpAddress::Family::kV4 ? AF_INET
                                                                      : AF_INET6;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(server.host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
      std::fprintf(stderr, "%s:%d: server %s nts: cannot resolve: %s\n",
                   server.location.file.c_str(), server.location.line, server.host.c_str(),
                   gai_strerror(rc));
      continue;
    }
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = found->ai_family == AF_INET
                          ? static_cast<const void*>(
                                &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr)
                          : static_cast<const void*>(
                                &reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr);
    if (inet_ntop(found->ai_family, raw, text, sizeof(text)) != nullptr) {
      absl::StatusOr<net::IpAddress> ip = net::IpAddress::Parse(text);
      if (ip.ok()) server.address = *ip;
    }
    freeaddrinfo(found);
  }
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  std::vector<std::string> joined;
  joined.reserve(1);
  std::vector<char*> args = JoinRepeatedListen(argc, argv, &joined);
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (positional.size() > 1) {
    std::fprintf(stderr, "ntpd: unexpected argument %s\n", positional[1]);
    return 2;
  }
  g_detail = absl::GetFlag(FLAGS_d);
  const std::string log_path = absl::GetFlag(FLAGS_l);
  if (!log_path.empty() && !RedirectLogTo(log_path)) return 1;
  const std::string pid_path = absl::GetFlag(FLAGS_p);
  // -u is resolved now: the user and group databases may be unreadable later.
  std::optional<tools::RunAsIds> run_as;
  if (!absl::GetFlag(FLAGS_u).empty()) {
    absl::StatusOr<tools::RunAsSpec> spec = tools::ParseRunAs(absl::GetFlag(FLAGS_u));
    absl::StatusOr<tools::RunAsIds> ids =
        spec.ok() ? tools::ResolveRunAs(*spec) : absl::StatusOr<tools::RunAsIds>(spec.status());
    if (!ids.ok()) {
      std::fprintf(stderr, "ntpd: %s\n", std::string(ids.status().message()).c_str());
      return 2;
    }
    // Refused before anything is bound (DropPrivileges checks again).
    if (ids->uid == 0 || geteuid() != 0) {
      std::fprintf(stderr, "ntpd: -u %s: %s\n", absl::GetFlag(FLAGS_u).c_str(),
                   ids->uid == 0 ? "refusing to keep running as root"
                                 : "changing user needs root");
      return 2;
    }
    run_as = *ids;
  }
  std::optional<std::string> config_path;
  if (!absl::GetFlag(FLAGS_c).empty()) config_path = absl::GetFlag(FLAGS_c);
  const std::optional<uint16_t> port_flag = absl::GetFlag(FLAGS_port);

  // Configuration: -c FILE, else /etc/ntp.conf, else the embedded default.
  ntp::ParsedConfig parsed;
  bool embedded = false;
  clocks::PosixFileReader reader;
  if (config_path.has_value()) {
    parsed = ntp::ParseNtpConfFile(*config_path, reader);
  } else if (FileExists(kDefaultConfigPath)) {
    parsed = ntp::ParseNtpConfFile(kDefaultConfigPath, reader);
  } else {
    embedded = true;
    parsed = ntp::ParseNtpConfText(kEmbeddedConfig, kEmbeddedName, nullptr);
  }
  for (const ntp::Diagnostic& d : parsed.diagnostics) {
    std::fprintf(stderr, "%s\n", ntp::FormatDiagnostic(d).c_str());
  }
  if (!parsed.ok()) {
    std::fprintf(stderr, "ntpd: %d error%s in the configuration, exiting\n",
                 parsed.error_count, parsed.error_count == 1 ? "" : "s");
    return 1;
  }
  // Log lines: -l (already open) wins over `logfile PATH`, which wins over
  // --syslog (tools/log_output.h). A `logfile` that cannot be opened is
  // reported and the log stays on stderr, as ntpd does.
  const tools::LogDestination log_to =
      tools::ChooseLogDestination(log_path, parsed.config, absl::GetFlag(FLAGS_syslog));
  if (log_to.kind == tools::LogDestination::Kind::kFile && !log_to.from_flag) {
    if (absl::Status status = tools::RedirectStderrToFile(log_to.path); !status.ok()) {
      std::fprintf(stderr, "%slogfile %s\n", LogPrefix().c_str(),
                   std::string(status.message()).c_str());
    }
  }

  ResolveNtsServers(&parsed.config);
  ntp::HostOptions options;
  options.port = port_flag.value_or(embedded ? kEmbeddedPort : 123);
  options.server_port = absl::GetFlag(FLAGS_server_port).value_or(123);
  options.allow_big_first_step = absl::GetFlag(FLAGS_g);
  options.never_step = absl::GetFlag(FLAGS_x);
  options.set_once_and_exit = absl::GetFlag(FLAGS_q);
  for (const std::string& text : absl::GetFlag(FLAGS_listen)) {
    absl::StatusOr<net::SocketAddress> address =
        net::SocketAddress::Parse(text, options.port);
    if (!address.ok()) {
      std::fprintf(stderr, "ntpd: --listen %s: %s\n", text.c_str(),
                   std::string(address.status().message()).c_str());
      return 2;
    }
    options.listen.push_back(*address);
  }
  // Addresses given explicitly (--listen) are the host's own: requests to
  // upstream servers leave from the first of each family, and they are the
  // loop test's refids. Otherwise requests leave from the wildcard address
  // and the kernel picks the source.
  for (const net::SocketAddress& address : options.listen) {
    if (!address.ip().IsUnspecified()) options.own_addresses.push_back(address.ip());
  }
  // `leapfile`: read and verified once at start (ntp/leap_seconds_list.h).
  if (parsed.config.leapfile.has_value() && !parsed.config.leapfile->path.empty()) {
    const std::string& leap_path = parsed.config.leapfile->path;
    clocks::PosixFileReader leap_reader;
    absl::StatusOr<std::string> text = leap_reader.Read(leap_path, size_t{1} << 20);
    absl::StatusOr<ntp::LeapSecondsList> leap =
        text.ok() ? ntp::ParseLeapSecondsList(*text, leap_path,
                                              parsed.config.leapfile_ignore_hash)
                  : absl::StatusOr<ntp::LeapSecondsList>(text.status());
    if (leap.ok()) {
      std::fprintf(stderr, "%sleapsecond file ('%s'): good hash signature, expires %s\n",
                   LogPrefix().c_str(), leap_path.c_str(),
                   absl::FormatTime("%Y-%m-%d", leap->expires(), absl::UTCTimeZone()).c_str());
      options.leap_seconds = *std::move(leap);
    } else {
      std::fprintf(stderr, "%sleapsecond file ('%s'): %s\n", LogPrefix().c_str(),
                   leap_path.c_str(), std::string(leap.status().message()).c_str());
    }
  }
  // The `interface` rules choose among the machine's addresses (ntpd binds
  // each one, so replies leave from the address a request came to).
  options.interfaces = Interfaces();

  absl::StatusOr<std::unique_ptr<net::PollLoop>> loop = net::PollLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "ntpd: %s\n", std::string(loop.status().message()).c_str());
    return 1;
  }
  // The discipline steers the system clock (clock_adjtime, CAP_SYS_TIME)
  // unless --no_clock_adjust opens it read-only, as chronyd -x does: every
  // clock operation is then refused and logged once per kind.
  const bool adjust_clock = !absl::GetFlag(FLAGS_no_clock_adjust);
  std::unique_ptr<clocks::SystemClock> clock = clocks::SystemClock::Create(
      adjust_clock ? clocks::SystemClock::Mode::kReadWrite
                   : clocks::SystemClock::Mode::kReadOnly);
  net::UdpNetwork network(loop->get());
  StderrEvents stderr_events;
  std::unique_ptr<tools::SyslogEvents> syslog_events;
  if (log_to.kind == tools::LogDestination::Kind::kSyslog) {
    syslog_events = std::make_unique<tools::SyslogEvents>();
  }
  // Remote input (kiss codes, bad replies) must not flood the log.
  net::PollLoop* const event_time = loop->get();
  tools::RateLimitedEvents events(
      syslog_events != nullptr ? static_cast<ntp::EventSink*>(syslog_events.get())
                               : &stderr_events,
      [event_time] { return event_time->Now(); });
  // `statsdir`, `statistics`, `filegen`: loopstats and peerstats files.
  tools::StatsFiles stats(tools::StatsFilesOptionsFromConfig(parsed.config),
                          [&events](const std::string& line) {
                            events.OnEvent({ntp::EventKind::kWarning, line});
                          });
  const ntp::KeyStore keys = ReadKeys(parsed.config);

  // NTS-KE runs over TCP on the same loop; CA files are read on demand.
  net::TcpStreamNetwork streams(loop->get());
  clocks::PosixFileReader ca_reader;
  ntp::runtime::Seams seams;
  seams.clock = clock.get();
  seams.network = &network;
  seams.scheduler = loop->get();
  seams.events = &events;
  seams.streams = &streams;
  seams.files = &ca_reader;
  // `nts enable`: the NTS-KE server and the cookie master keys
  // (tools/nts_service.h); the host answers NTS requests under them.
  std::unique_ptr<tools::NtsService> nts_service;
  if (parsed.config.nts.enabled) {
    tools::NtsServiceOptions nts_options;
    nts_options.listen = net::SocketAddress(
        options.listen.empty() ? net::IpAddress::AnyV4() : options.listen[0].ip(),
        absl::GetFlag(FLAGS_nts_ke_port));
    nts_options.ntp_port = options.port;
    nts_options.rotate_interval = absl::Seconds(std::max<int64_t>(1, absl::GetFlag(FLAGS_nts_rotate_s)));
    clocks::PosixFileReader nts_reader;
    absl::StatusOr<std::unique_ptr<tools::NtsService>> created =
        tools::NtsService::Create(parsed.config.nts, &nts_reader, nts_options);
    if (!created.ok()) {
      std::fprintf(stderr, "%s\nntpd: NTS is not usable, exiting\n",
                   std::string(created.status().message()).c_str());
      return 1;
    }
    nts_service = *std::move(created);
    options.nts_keyring = nts_service->keyring();
  }
  // The hardware clock, when the machine has one: read at start to bound
  // the first correction; written (`rtc write`) only when the daemon may
  // adjust the clock. With --no_clock_adjust it is only ever opened
  // O_RDONLY.
  std::unique_ptr<clocks::RtcDevice> rtc;
  if (const std::string path = clocks::RtcDevice::FindDevice(); !path.empty()) {
    rtc = std::make_unique<clocks::RtcDevice>(
        path, adjust_clock ? clocks::RtcDevice::Mode::kReadWrite
                           : clocks::RtcDevice::Mode::kReadOnly);
    seams.rtc = rtc.get();
  }
  // `driftfile PATH` (an empty path disables it).
  std::unique_ptr<clocks::DriftFile> drift;
  if (parsed.config.driftfile.has_value() && !parsed.config.driftfile->path.empty()) {
    drift = std::make_unique<clocks::DriftFile>(parsed.config.driftfile->path);
    KeepCorruptDriftFile(*drift);
    seams.drift_store = drift.get();
  }
  options.random_seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^
                        (static_cast<uint64_t>(getpid()) << 32);
  // --trace=FILE or `trace FILE ...`: the recorder sees every input and
  // action list (declared before the instance, so it outlives it and
  // flushes last; tools/trace_setup.h).
  tools::DaemonTrace trace;
  std::unique_ptr<ntp::trace::TraceRecorder>& recorder = trace.recorder;
  {
    tools::TraceFlags flags;
    flags.path = absl::GetFlag(FLAGS_trace);
    flags.max_size = absl::GetFlag(FLAGS_trace_maxsize);
    flags.keep = absl::GetFlag(FLAGS_trace_keep);
    flags.keys = absl::GetFlag(FLAGS_trace_keys);
    flags.server_replies = absl::GetFlag(FLAGS_trace_serverreplies);
    absl::StatusOr<std::optional<tools::TraceSettings>> settings =
        tools::ChooseTraceSettings(parsed.config, flags);
    if (!settings.ok()) {
      std::fprintf(stderr, "ntpd: %s\n", std::string(settings.status().message()).c_str());
      return 2;
    }
    if (settings->has_value()) {
      absl::StatusOr<tools::DaemonTrace> started = tools::StartDaemonTrace(
          **settings, parsed.config, options, keys, absl::Now(), "ntpd");
      if (!started.ok()) {
        std::fprintf(stderr, "ntpd: trace: %s\n",
                     std::string(started.status().message()).c_str());
        return 1;
      }
      trace = *std::move(started);
    }
  }
  absl::StatusOr<std::unique_ptr<ntp::runtime::Instance>> instance =
      ntp::runtime::Instance::Create(parsed.config, options, &keys, seams);
  if (!instance.ok()) {
    std::fprintf(stderr, "ntpd: %s\n", std::string(instance.status().message()).c_str());
    return 1;
  }
  net::PollLoop* poll_loop = loop->get();
  (*instance)->executor().set_stats(&stats);
  if (recorder != nullptr) (*instance)->executor().set_observer(recorder.get());
  (*instance)->executor().set_on_exit([poll_loop](ntp::HostExit) { poll_loop->Stop(); });
  if (absl::Status status = (*instance)->Start(); !status.ok()) {
    if (absl::IsAlreadyExists(status)) {
      // ntpd's (and ntpdate's) words for a port held by another daemon.
      std::fprintf(stderr, "%s\nthe NTP socket is in use, exiting\n",
                   std::string(status.message()).c_str());
    } else {
      std::fprintf(stderr, "ntpd: %s\n", std::string(status.message()).c_str());
    }
    return 1;
  }
  const ntp::Host& host = (*instance)->host();
  if (nts_service != nullptr) {
    if (absl::Status status = nts_service->Start(&streams, loop->get(), &events); !status.ok()) {
      std::fprintf(stderr, "ntpd: %s\n", std::string(status.message()).c_str());
      (*instance)->Shutdown();
      return 1;
    }
    std::fprintf(stderr, "%sNTS-KE on %s, cookie master key %u\n", LogPrefix().c_str(),
                 nts_service->listener()->local_address().ToString().c_str(),
                 static_cast<unsigned>(nts_service->keyring()->current_id()));
  }

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  g_loop_to_stop = loop->get();
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGQUIT, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Sockets are bound: the pid file, then (as Debian runs ntpd) the drop to
  // -u USER keeping only CAP_SYS_TIME (tools/privileges.h).
  if (!pid_path.empty()) {
    if (absl::Status status = tools::WritePidFile(pid_path, getpid()); !status.ok()) {
      std::fprintf(stderr, "%s%s\n", LogPrefix().c_str(),
                   std::string(status.message()).c_str());
      (*instance)->Shutdown();
      return 1;
    }
    LogDetail(absl::StrCat("pid ", getpid(), " written to ", pid_path));
  }
  if (run_as.has_value()) {
    absl::StatusOr<tools::DropResult> dropped = tools::DropPrivileges(*run_as);
    if (!dropped.ok()) {
      std::fprintf(stderr, "%s%s, exiting\n", LogPrefix().c_str(),
                   std::string(dropped.status().message()).c_str());
      (*instance)->Shutdown();
      if (!pid_path.empty()) tools::RemovePidFile(pid_path, getpid()).IgnoreError();
      return 1;
    }
    std::fprintf(stderr, "%srunning as %s (uid %u, gid %u)%s\n", LogPrefix().c_str(),
                 run_as->user_name.c_str(), static_cast<unsigned>(run_as->uid),
                 static_cast<unsigned>(run_as->gid),
                 dropped->kept_sys_time
                     ? " with CAP_SYS_TIME only"
                     : " with no capability (CAP_SYS_TIME is not in the bounding set)");
    LogDetail(IdentityForLog());
  }

  std::string where;
  for (const net::SocketAddress& a : host.bound_addresses()) {
    absl::StrAppend(&where, where.empty() ? "" : " ", a.ToString());
  }
  if (embedded) {
    std::printf(
        "ntpd: no -c FILE and no %s: serving this clock (LOCAL(0), fudge "
        "stratum 10) on %s; unsynchronised for the first ~5 minutes like "
        "ntpd 4.2.8, then stratum 11. Query it with: bazel run "
        "//tools:ntp_loadgen -- --query %s\n",
        kDefaultConfigPath, where.c_str(),
        host.bound_addresses().empty() ? "127.0.0.1:11123"
                                       : host.bound_addresses()[0].ToString().c_str());
  } else {
    std::printf("ntpd: serving on %s (configuration %s)\n", where.c_str(),
                config_path.value_or(kDefaultConfigPath).c_str());
  }
  std::fflush(stdout);

  absl::Status run;
  while (true) {
    run = (*loop)->Run();
    if (!run.ok() || g_signal != 0 || g_reload == 0 ||
        host.exit_state() != ntp::HostExit::kRunning) {
      break;
    }
    g_reload = 0;
    Reload(config_path.has_value() || !embedded
               ? std::optional<std::string>(config_path.value_or(kDefaultConfigPath))
               : std::nullopt,
           **instance);
  }
  (*instance)->Shutdown();
  if (nts_service != nullptr && host.nts_server() != nullptr) {
    const ntp::nts::KeServerCounters& ke = nts_service->ke_counters();
    const ntp::nts::NtsServerCounters& c = host.nts_server()->counters();
    uint64_t dropped = 0;
    for (uint64_t d : c.drops) dropped += d;
    std::fprintf(stderr,
                 "%sNTS server: NTS-KE completed %llu, failed %llu, timed out %llu; NTS "
                 "requests answered %llu, NAKs %llu, dropped %llu; master key rotations %llu\n",
                 LogPrefix().c_str(), static_cast<unsigned long long>(ke.completed),
                 static_cast<unsigned long long>(ke.failed),
                 static_cast<unsigned long long>(ke.timed_out),
                 static_cast<unsigned long long>(c.accepted),
                 static_cast<unsigned long long>(c.naks),
                 static_cast<unsigned long long>(dropped),
                 static_cast<unsigned long long>(nts_service->rotations()));
  }
  if (const ntp::ClientEngine* client = host.client(); client != nullptr) {
    for (const auto& a : client->associations()) {
      const ntp::NtsSession* nts = a->nts();
      if (nts == nullptr) continue;
      std::fprintf(stderr,
                   "%sNTS client %s: key exchanges %llu (failed %llu), replies accepted "
                   "%llu, dropped %llu, NAKs %llu, cookies %zu\n",
                   LogPrefix().c_str(), a->config().name.c_str(),
                   static_cast<unsigned long long>(nts->counters().key_exchanges),
                   static_cast<unsigned long long>(nts->counters().key_exchange_failures),
                   static_cast<unsigned long long>(
                       a->counters().verdicts[static_cast<size_t>(ntp::ReplyVerdict::kAccept)]),
                   static_cast<unsigned long long>(a->counters().nts_dropped),
                   static_cast<unsigned long long>(a->counters().nts_naks), nts->cookie_count());
    }
  }
  if (recorder != nullptr) {
    if (absl::Status status = recorder->Flush(); !status.ok()) {
      std::fprintf(stderr, "%sntpd: --trace: %s\n", LogPrefix().c_str(),
                   std::string(status.message()).c_str());
    }
    LogDetail(absl::StrCat("trace: ", recorder->records_written(), " records written, ",
                           recorder->records_dropped(), " dropped"));
  }
  events.Flush();
  g_loop_to_stop = nullptr;
  if (!pid_path.empty()) {
    if (absl::Status status = tools::RemovePidFile(pid_path, getpid()); !status.ok()) {
      std::fprintf(stderr, "%s%s\n", LogPrefix().c_str(),
                   std::string(status.message()).c_str());
    }
  }
  {
    const ntp::runtime::Executor::Counters& c = (*instance)->executor().counters();
    LogDetail(absl::StrCat("counters: inputs ", c.inputs, ", datagrams sent ",
                           c.datagrams_sent, ", send failures ", c.send_failures,
                           ", clock operations ", c.clock_operations, ", refused ",
                           c.clock_refusals));
    LogDetail(absl::StrCat("statistics: ", stats.counters().lines_written,
                           " lines written, ", stats.counters().failures,
                           " records dropped; log lines suppressed ", events.suppressed()));
  }
  if (!run.ok()) {
    std::fprintf(stderr, "ntpd: %s\n", std::string(run.message()).c_str());
    return 1;
  }
  if (g_signal != 0) {
    std::fprintf(stderr, "%sntpd exiting on signal %d (%s)\n", LogPrefix().c_str(),
                 static_cast<int>(g_signal), strsignal(g_signal));
  }
  // ntpd exits with status 1 after a panic.
  return host.exit_state() == ntp::HostExit::kPanic ? 1 : 0;
}
