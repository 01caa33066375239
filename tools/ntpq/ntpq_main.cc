// ntpq: the standard NTP query program's everyday commands, over mode 6
// (RFC 9327), against our daemon or any ntpd:
//
//   ntpq [-n] [-p] [-c COMMAND]... [--timeout_ms=N] [HOST[:PORT]]
//     -p            the peers billboard (same as -c peers)
//     -n            numeric addresses
//     -c peers | as | rv [ASSOC] [NAME,...] | mrulist
//   ntpq --dumpstate [HOST[:PORT]]   the answers behind -p, as text
//   ntpq --state=FILE [-p|-c as|-c rv]   format a dumped state (goldens)
//
// HOST defaults to 127.0.0.1, PORT to 123. Every value the server sends is
// printed escaped. A silent server: "HOST: timed out, nothing received" and
// "***Request timed out" on stderr, exit 1; other failures also exit 1.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "ntp/control/control_vars.h"
#include "tools/ntpq/billboard.h"
#include "tools/ntpq/control_session.h"

namespace ntp::tools {
namespace {

struct Options {
  bool numeric = false;
  std::vector<std::string> commands;
  std::string host = "127.0.0.1";
  int timeout_ms = 5000;
  bool dumpstate = false;
  std::string state_file;
};

int Usage(const std::string& why) {
  std::cerr << "ntpq: " << why << "\n"
            << "usage: ntpq [-n] [-p] [-c COMMAND]... [--timeout_ms=N] [HOST[:PORT]]\n"
            << "       ntpq --dumpstate [HOST[:PORT]]\n"
            << "       ntpq --state=FILE [-n] [-p] [-c as|rv [ASSOC]]\n";
  return 2;
}

bool ParseArgs(int argc, char** argv, Options* o, std::string* error) {
  bool host_set = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    absl::string_view value = arg;
    if (arg == "-c") {
      if (++i >= argc) return *error = "-c needs a command", false;
      o->commands.push_back(argv[i]);
    } else if (absl::ConsumePrefix(&value, "--timeout_ms=")) {
      if (!absl::SimpleAtoi(value, &o->timeout_ms) || o->timeout_ms <= 0) {
        return *error = "bad --timeout_ms", false;
      }
    } else if (arg == "--dumpstate") {
      o->dumpstate = true;
    } else if (absl::ConsumePrefix(&value, "--state=")) {
      o->state_file = std::string(value);
    } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
      for (char c : arg.substr(1)) {
        if (c == 'p') {
          o->commands.push_back("peers");
        } else if (c == 'n') {
          o->numeric = true;
        } else {
          return *error = absl::StrCat("unknown option -", std::string(1, c)), false;
        }
      }
    } else if (!host_set && !arg.empty() && arg[0] != '-') {
      o->host = std::string(arg);
      host_set = true;
    } else {
      return *error = absl::StrCat("unexpected argument ", arg), false;
    }
  }
  return true;
}

int Fail(const std::string& host, const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) {
    std::cerr << host << ": " << status.message() << "\n***Request timed out\n";
  } else {
    std::cerr << "***" << status.message() << "\n";
  }
  return 1;
}

// READSTAT and every association's READVAR.
absl::StatusOr<DaemonState> ReadState(ControlSession& session) {
  DaemonState state;
  absl::StatusOr<std::vector<AssociationStatus>> list = session.ReadStatus(&state.system_status);
  if (!list.ok()) return list.status();
  uint16_t status = 0;
  std::string raw;
  absl::StatusOr<std::vector<ControlVariable>> sys = session.ReadVariables(0, "", &status, &raw);
  if (!sys.ok()) return sys.status();
  state.system_vars = raw;
  for (const AssociationStatus& a : *list) {
    PeerState peer{a.id, a.status, ""};
    absl::StatusOr<std::vector<ControlVariable>> vars =
        session.ReadVariables(a.id, "", &peer.status, &peer.vars);
    if (!vars.ok()) return vars.status();
    state.peers.push_back(std::move(peer));
  }
  state.now = NtpTimestamp::FromTime(absl::Now());
  return state;
}

// ntpq -c mrulist: the nonce handshake, then READ_MRU until `now=` ends it.
int MruList(ControlSession& session, const std::string& host) {
  absl::StatusOr<ControlReply> nonce_reply = session.Query(12, 0, "");
  if (!nonce_reply.ok()) return Fail(host, nonce_reply.status());
  std::vector<ControlVariable> nonce_vars = ParseControlVariables(nonce_reply->data);
  const ControlVariable* nonce = FindControlVariable(nonce_vars, "nonce");
  if (nonce == nullptr) return Fail(host, absl::DataLossError("malformed response: no nonce"));
  std::string nonce_value = nonce->value;
  struct Entry {
    std::string address;
    NtpTimestamp first, last;
    int64_t count = 0;
    int64_t mv = 0;
    int64_t rs = 0;
  };
  std::vector<Entry> entries;
  std::optional<NtpTimestamp> now;
  for (int round = 0; round < 1000 && !now.has_value(); ++round) {
    std::string request = absl::StrCat("nonce=", nonce_value, ", frags=32");
    if (!entries.empty()) {
      absl::StrAppendFormat(&request, ", last.0=0x%08x.%08x, addr.0=%s",
                            entries.back().last.seconds(), entries.back().last.fraction(),
                            entries.back().address);
    }
    absl::StatusOr<ControlReply> reply = session.Query(10, 0, request);
    if (!reply.ok()) return Fail(host, reply.status());
    const std::vector<ControlVariable> vars = ParseControlVariables(reply->data);
    size_t before = entries.size();
    for (const ControlVariable& v : vars) {
      absl::string_view name = v.name;
      if (name == "nonce") {
        nonce_value = v.value;
      } else if (name == "now") {
        now = ParseControlTimestamp(v.value);
      } else if (absl::ConsumePrefix(&name, "addr.")) {
        Entry e;
        e.address = v.value;
        entries.push_back(e);
      } else if (entries.size() > before) {
        Entry& e = entries.back();
        if (absl::StartsWith(name, "last.")) {
          e.last = ParseControlTimestamp(v.value).value_or(NtpTimestamp());
        } else if (absl::StartsWith(name, "first.")) {
          e.first = ParseControlTimestamp(v.value).value_or(NtpTimestamp());
        } else if (absl::StartsWith(name, "ct.")) {
          (void)absl::SimpleAtoi(v.value, &e.count);
        } else if (absl::StartsWith(name, "mv.")) {
          (void)absl::SimpleAtoi(v.value, &e.mv);
        } else if (absl::StartsWith(name, "rs.")) {
          e.rs = std::strtol(v.value.c_str(), nullptr, 0);
        }
      }
    }
    if (!now.has_value() && entries.size() == before) {
      return Fail(host, absl::DataLossError("malformed response: MRU list makes no progress"));
    }
  }
  std::cout << "lstint avgint rstr r m v  count rport remote address\n"
            << std::string(78, '=') << "\n";
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const int64_t lstint = static_cast<int64_t>((now.value_or(it->last) - it->last).ToSeconds());
    const int64_t avgint =
        it->count > 0 ? static_cast<int64_t>((it->last - it->first).ToSeconds()) / it->count : 0;
    std::string address = it->address;
    std::string port = "-";
    if (const size_t colon = address.rfind(':'); colon != std::string::npos) {
      port = address.substr(colon + 1);
      address = address.substr(0, colon);
    }
    std::cout << absl::StrFormat("%6d %6d %4x . %d %d %6d %5s %s\n", lstint, avgint, it->rs,
                                 it->mv & 7, it->mv >> 3 & 7, it->count, EscapeForDisplay(port),
                                 EscapeForDisplay(address));
  }
  return 0;
}

int RunCommand(const std::string& command, const Options& o, ControlSession* session,
               const DaemonState* loaded) {
  std::vector<std::string> words = absl::StrSplit(command, ' ', absl::SkipEmpty());
  if (words.empty()) return Usage("empty command");
  const std::string& verb = words[0];
  DaemonState state;
  auto get_state = [&]() -> absl::Status {
    if (loaded != nullptr) {
      state = *loaded;
      return absl::OkStatus();
    }
    absl::StatusOr<DaemonState> read = ReadState(*session);
    if (!read.ok()) return read.status();
    state = *read;
    return absl::OkStatus();
  };
  if (verb == "peers" || verb == "pe") {
    if (absl::Status s = get_state(); !s.ok()) return Fail(o.host, s);
    std::cout << FormatPeers(state, o.numeric);
    return 0;
  }
  if (verb == "as" || verb == "associations") {
    if (absl::Status s = get_state(); !s.ok()) return Fail(o.host, s);
    std::cout << FormatAssociations(state);
    return 0;
  }
  if (verb == "rv" || verb == "readvar") {
    uint32_t association = 0;
    if (words.size() >= 2 && !absl::SimpleAtoi(words[1], &association)) {
      return Usage(absl::StrCat("bad association ", words[1]));
    }
    if (association > 0xffff) return Usage("association IDs are 0..65535");
    const std::string names = words.size() >= 3 ? words[2] : "";
    if (loaded != nullptr) {
      if (association == 0) {
        std::cout << FormatVariables(0, loaded->system_status, loaded->system_vars);
        return 0;
      }
      for (const PeerState& p : loaded->peers) {
        if (p.id == association) {
          std::cout << FormatVariables(p.id, p.status, p.vars);
          return 0;
        }
      }
      std::cerr << "***Association ID " << association << " unknown to server\n";
      return 1;
    }
    uint16_t status = 0;
    std::string raw;
    absl::StatusOr<std::vector<ControlVariable>> vars = session->ReadVariables(
        static_cast<uint16_t>(association), names, &status, &raw);
    if (!vars.ok()) return Fail(o.host, vars.status());
    std::cout << FormatVariables(static_cast<uint16_t>(association), status, raw);
    return 0;
  }
  if (verb == "mrulist" && session != nullptr) return MruList(*session, o.host);
  std::cerr << "***Command `" << EscapeForDisplay(verb) << "' unknown\n";
  return 1;
}

int Main(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseArgs(argc, argv, &o, &error)) return Usage(error);
  if (!o.state_file.empty()) {
    std::ifstream in(o.state_file);
    if (!in) {
      std::cerr << "ntpq: cannot read " << o.state_file << "\n";
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<DaemonState> state = ParseDaemonState(text.str(), o.state_file);
    if (!state.ok()) {
      std::cerr << "ntpq: " << state.status().message() << "\n";
      return 1;
    }
    if (o.commands.empty()) o.commands.push_back("peers");
    for (const std::string& command : o.commands) {
      if (const int rc = RunCommand(command, o, nullptr, &*state); rc != 0) return rc;
    }
    return 0;
  }
  absl::StatusOr<net::SocketAddress> server = ParseServerAddress(o.host, 123);
  if (!server.ok()) return Usage(std::string(server.status().message()));
  absl::StatusOr<std::unique_ptr<ControlSession>> session =
      ControlSession::Open(*server, absl::Milliseconds(o.timeout_ms));
  if (!session.ok()) return Fail(o.host, session.status());
  if (o.dumpstate) {
    absl::StatusOr<DaemonState> state = ReadState(**session);
    if (!state.ok()) return Fail(o.host, state.status());
    std::cout << SerializeDaemonState(*state);
    return 0;
  }
  if (o.commands.empty()) return Usage("no command (interactive mode is not supported)");
  for (const std::string& command : o.commands) {
    if (const int rc = RunCommand(command, o, session->get(), nullptr); rc != 0) return rc;
  }
  return 0;
}

}  // namespace
}  // namespace ntp::tools

int main(int argc, char** argv) { return ntp::tools::Main(argc, argv); }
