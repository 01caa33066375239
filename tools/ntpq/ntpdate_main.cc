// ntpdate: set the clock once from one or more NTP servers, as the classic
// tool did (now normally `ntpd -q`; this keeps the seed's habit working).
//
//   ntpdate [-q] [-b] [-B] [-u] [-d] [-p SAMPLES] [-t SECONDS] [-o VERSION]
//           [--port=N] SERVER...
//
// Each server gets SAMPLES requests (1..8, default 4), one after the other,
// each waiting up to -t seconds (default 2); its best sample is the one
// with the lowest delay. Replies are checked with the daemon's own code
// (tools/ntpq/ntp_query.h), so an unsynchronised server yields no sample.
// The server used is the one of lowest stratum, then lowest delay. The
// clock is stepped when |offset| >= 0.5 s or with -b, slewed otherwise or
// with -B; -q and -d only query. Messages and exit codes:
//   server ADDR, stratum N, offset X, delay Y          (-q, -d: per server)
//   DATE ntpdate[PID]: adjust time server ADDR offset X sec   exit 0
//   DATE ntpdate[PID]: step time server ADDR offset X sec     exit 0
//   DATE ntpdate[PID]: no server suitable for synchronization found  exit 1
// Without -u, -q or -d the source port is the NTP port (123, or --port),
// bound on the wildcard address first: while ntpd holds it, "the NTP socket
// is in use, exiting" and exit 1. --port also sets the servers' port.
// The clock is written only through SystemClock (clock/system_clock.h).
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "clock/system_clock.h"
#include "ntp/client/reply_check.h"
#include "tools/ntpq/ntp_query.h"
#include "tools/ntpq/udp_client.h"

namespace ntp::tools {
namespace {

struct Options {
  bool query_only = false;  // -q
  bool always_step = false;  // -b
  bool always_slew = false;  // -B
  bool unprivileged = false;  // -u
  bool debug = false;  // -d
  int samples = 4;
  double timeout_seconds = 2;
  int version = 4;
  uint16_t port = 123;
  std::vector<std::string> servers;
};

int Usage(const std::string& why) {
  std::cerr << "ntpdate: " << why << "\n"
            << "usage: ntpdate [-q] [-b] [-B] [-u] [-d] [-p SAMPLES] [-t SECONDS] "
               "[-o VERSION] [--port=N] SERVER...\n";
  return 2;
}

std::string Prefix() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char date[32];
  std::strftime(date, sizeof(date), "%e %b %H:%M:%S", &tm);
  return absl::StrFormat("%s ntpdate[%d]: ", date, getpid());
}

struct ServerResult {
  net::SocketAddress address;
  int stratum = 0;  // of the last reply, 0 if none
  std::optional<ExchangeSample> best;
};

bool ParseArgs(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        *error = absl::StrCat(flag, " needs a value");
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "-q") {
      o->query_only = true;
    } else if (arg == "-b") {
      o->always_step = true;
    } else if (arg == "-B") {
      o->always_slew = true;
    } else if (arg == "-u") {
      o->unprivileged = true;
    } else if (arg == "-d") {
      o->debug = true;
    } else if (arg == "-p" || arg == "-t" || arg == "-o") {
      const char* v = value(std::string(arg).c_str());
      if (v == nullptr) return false;
      if (arg == "-p" && (!absl::SimpleAtoi(v, &o->samples) || o->samples < 1 || o->samples > 8)) {
        return *error = "-p: 1 to 8 samples", false;
      }
      if (arg == "-t" && (!absl::SimpleAtod(v, &o->timeout_seconds) ||
                          !(o->timeout_seconds > 0 && o->timeout_seconds <= 60))) {
        return *error = "-t: a timeout in seconds, above 0 and at most 60", false;
      }
      if (arg == "-o" && (!absl::SimpleAtoi(v, &o->version) || o->version < 1 || o->version > 4)) {
        return *error = "-o: NTP version 1 to 4", false;
      }
    } else if (absl::ConsumePrefix(&arg, "--port=")) {
      int port = 0;
      if (!absl::SimpleAtoi(arg, &port) || port < 1 || port > 65535) {
        return *error = "--port: 1..65535", false;
      }
      o->port = static_cast<uint16_t>(port);
    } else if (!arg.empty() && arg[0] != '-') {
      o->servers.push_back(std::string(arg));
    } else {
      return *error = absl::StrCat("unknown option ", arg), false;
    }
  }
  if (o->servers.empty()) return *error = "no server given", false;
  if (o->always_step && o->always_slew) return *error = "-b and -B exclude each other", false;
  return true;
}

int Main(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseArgs(argc, argv, &o, &error)) return Usage(error);
  const bool privileged_port = !o.unprivileged && !o.query_only && !o.debug;

  std::vector<ServerResult> results;
  for (const std::string& name : o.servers) {
    absl::StatusOr<net::SocketAddress> address = ParseServerAddress(name, o.port);
    if (!address.ok()) return Usage(std::string(address.status().message()));
    ServerResult result;
    result.address = *address;
    results.push_back(result);
  }
  std::mt19937_64 random(std::random_device{}());
  for (ServerResult& server : results) {
    std::unique_ptr<UdpClient> socket;
    if (privileged_port) {
      const net::SocketAddress local(server.address.ip().is_v4() ? net::IpAddress::AnyV4()
                                                                 : net::IpAddress::AnyV6(),
                                     o.port);
      absl::StatusOr<std::unique_ptr<UdpClient>> opened = UdpClient::Open(server.address, &local);
      if (absl::IsAlreadyExists(opened.status())) {
        std::cout << Prefix() << "the NTP socket is in use, exiting\n";
        return 1;
      }
      if (!opened.ok()) {
        std::cerr << Prefix() << opened.status().message() << "\n";
        return 1;
      }
      socket = std::move(*opened);
    } else {
      absl::StatusOr<std::unique_ptr<UdpClient>> opened = UdpClient::Open(server.address);
      if (!opened.ok()) {
        std::cerr << Prefix() << opened.status().message() << "\n";
        return 1;
      }
      socket = std::move(*opened);
    }
    for (int i = 0; i < o.samples; ++i) {
      const NtpQueryResult r = QueryNtpServer(*socket, o.version,
                                              absl::Seconds(o.timeout_seconds), random());
      if (r.reply.has_value()) server.stratum = InternalStratum(r.reply->stratum);
      if (o.debug || r.outcome == NtpQueryResult::Outcome::kMalformed) {
        std::cerr << "ntpdate: " << server.address.ToString() << ": " << DescribeOutcome(r);
        if (r.outcome == NtpQueryResult::Outcome::kAccepted) {
          std::cerr << absl::StrFormat(", offset %.6f, delay %.5f", r.sample.offset_seconds,
                                       r.sample.delay_seconds);
        }
        std::cerr << "\n";
      }
      if (r.outcome == NtpQueryResult::Outcome::kAccepted &&
          (!server.best.has_value() || r.sample.delay_seconds < server.best->delay_seconds)) {
        server.best = r.sample;
      }
      // A server that sent a kiss code or never answers gets no more requests.
      if (r.outcome == NtpQueryResult::Outcome::kError ||
          (r.outcome == NtpQueryResult::Outcome::kRejected &&
           (r.verdict == ReplyVerdict::kKissRate || r.verdict == ReplyVerdict::kKissDeny))) {
        break;
      }
    }
  }
  const ServerResult* chosen = nullptr;
  for (const ServerResult& server : results) {
    if (o.query_only || o.debug) {
      const ExchangeSample s = server.best.value_or(ExchangeSample{});
      std::cout << absl::StrFormat("server %s, stratum %d, offset %.6f, delay %.5f\n",
                                   server.address.ip().ToString(),
                                   server.best.has_value() ? server.stratum : 0,
                                   s.offset_seconds, s.delay_seconds);
    }
    if (!server.best.has_value()) continue;
    if (chosen == nullptr || server.stratum < chosen->stratum ||
        (server.stratum == chosen->stratum &&
         server.best->delay_seconds < chosen->best->delay_seconds)) {
      chosen = &server;
    }
  }
  if (chosen == nullptr) {
    std::cout << Prefix() << "no server suitable for synchronization found\n";
    return 1;
  }
  const double offset = chosen->best->offset_seconds;
  const bool step = !o.always_slew && (o.always_step || std::fabs(offset) >= 0.5);
  const std::string line =
      absl::StrFormat("%s time server %s offset %.6f sec", step ? "step" : "adjust",
                      chosen->address.ip().ToString(), offset);
  if (o.query_only || o.debug) {
    std::cout << Prefix() << line << "\n";
    return 0;
  }
  std::unique_ptr<clocks::SystemClock> clock =
      clocks::SystemClock::Create(clocks::SystemClock::Mode::kReadWrite);
  absl::StatusOr<absl::Duration> done = step ? clock->StepBy(absl::Seconds(offset))
                                             : clock->SlewBy(absl::Seconds(offset));
  if (!done.ok()) {
    std::cout << Prefix() << "can't adjust the time of day: " << done.status().message() << "\n";
    return 1;
  }
  std::cout << Prefix() << line << "\n";
  return 0;
}

}  // namespace
}  // namespace ntp::tools

int main(int argc, char** argv) { return ntp::tools::Main(argc, argv); }
