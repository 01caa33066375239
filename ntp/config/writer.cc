#include "ntp/config/writer.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ntp {

std::string FormatConfigNumber(double value) {
  // Shortest round-trip text; whole numbers of reasonable size read best
  // without an exponent ("100000", not "1e+05").
  const bool whole = std::fabs(value) < 1e15 && std::trunc(value) == value;
  std::array<char, 32> buffer;  // longest shortest form: 24 characters
  const std::to_chars_result result =
      whole ? std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                            std::chars_format::fixed)
            : std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

namespace {

// A token as the tokenizer will read it back: quoted when it is empty or
// holds a blank or '#'. (No token can contain '"'.)
std::string Word(const std::string& text) {
  bool needs_quotes = text.empty();
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
        c == '#') {
      needs_quotes = true;
    }
  }
  return needs_quotes ? absl::StrCat("\"", text, "\"") : text;
}

const char* FamilyFlag(net::IpAddress::Family family) {
  return family == net::IpAddress::Family::kV4 ? "-4" : "-6";
}

void WriteServer(const ServerConfig& s, std::string& out) {
  const char* keyword = s.kind == AssociationKind::kPeer   ? "peer"
                        : s.kind == AssociationKind::kPool ? "pool"
                                                           : "server";
  absl::StrAppend(&out, keyword);
  if (s.family.has_value()) absl::StrAppend(&out, " ", FamilyFlag(*s.family));
  absl::StrAppend(&out, " ", Word(s.host));
  if (s.prefer) out += " prefer";
  if (s.iburst) out += " iburst";
  if (s.burst) out += " burst";
  if (s.noselect) out += " noselect";
  if (s.truechimer) out += " true";
  if (s.preempt && s.kind != AssociationKind::kPool) out += " preempt";
  if (s.xleave) out += " xleave";
  if (s.minpoll_given) absl::StrAppend(&out, " minpoll ", s.minpoll);
  if (s.maxpoll_given) absl::StrAppend(&out, " maxpoll ", s.maxpoll);
  if (s.key_id.has_value()) absl::StrAppend(&out, " key ", *s.key_id);
  if (s.version != kDefaultNtpVersion) {
    absl::StrAppend(&out, " version ", s.version);
  }
  if (s.refclock_mode.has_value()) {
    absl::StrAppend(&out, " mode ", *s.refclock_mode);
  }
  if (s.ttl.has_value()) absl::StrAppend(&out, " ttl ", *s.ttl);
  if (s.nts) out += " nts";
  if (s.nts_ca.has_value()) absl::StrAppend(&out, " ca ", Word(s.nts_ca->path));
  if (s.nts_noval) out += " noval";
  if (s.nts_port.has_value()) absl::StrAppend(&out, " ntsport ", *s.nts_port);
  out += "\n";
}

void WriteFudge(const FudgeConfig& f, std::string& out) {
  absl::StrAppend(&out, "fudge ", f.refclock.ToString());
  if (f.time1_seconds) {
    absl::StrAppend(&out, " time1 ", FormatConfigNumber(*f.time1_seconds));
  }
  if (f.time2_seconds) {
    absl::StrAppend(&out, " time2 ", FormatConfigNumber(*f.time2_seconds));
  }
  if (f.stratum) absl::StrAppend(&out, " stratum ", *f.stratum);
  if (f.refid) absl::StrAppend(&out, " refid ", Word(*f.refid));
  const std::optional<bool>* flags[] = {&f.flag1, &f.flag2, &f.flag3,
                                        &f.flag4};
  for (int i = 0; i < 4; ++i) {
    if (flags[i]->has_value()) {
      absl::StrAppend(&out, " flag", i + 1, " ", **flags[i] ? 1 : 0);
    }
  }
  if (f.minjitter_seconds) {
    absl::StrAppend(&out, " minjitter ",
                    FormatConfigNumber(*f.minjitter_seconds));
  }
  out += "\n";
}

void WriteRestrict(const RestrictRule& r, std::string& out) {
  out += "restrict";
  const bool numeric = r.address.has_value() && !r.is_default;
  // A numeric address implies its family; write -4/-6 only where needed.
  if (r.family.has_value() && !numeric) {
    absl::StrAppend(&out, " ", FamilyFlag(*r.family));
  }
  // A host literally named "default" or "source" (quoted in the input)
  // must stay quoted or it would read back as the keyword.
  const bool keyword_host =
      !r.is_default && !r.is_source && (r.host == "default" || r.host == "source");
  absl::StrAppend(&out, " ",
                  keyword_host ? absl::StrCat("\"", r.host, "\"") : Word(r.host));
  if (numeric && r.mask.has_value() &&
      r.host.find('/') == std::string::npos &&
      r.mask->PrefixLength() != r.mask->size() * 8) {
    absl::StrAppend(&out, " mask ", r.mask->ToString());
  }
  if (r.ippeerlimit != -1) absl::StrAppend(&out, " ippeerlimit ", r.ippeerlimit);
  std::string flags = r.flags.ToString();
  if (!flags.empty()) absl::StrAppend(&out, " ", flags);
  out += "\n";
}

void WriteInterface(const InterfaceRule& rule, std::string& out) {
  using Action = InterfaceRule::Action;
  using Match = InterfaceRule::Match;
  absl::StrAppend(&out, "interface ",
                  rule.action == Action::kListen   ? "listen"
                  : rule.action == Action::kIgnore ? "ignore"
                                                   : "drop",
                  " ");
  switch (rule.match) {
    case Match::kAll:
      out += "all";
      break;
    case Match::kIpv4:
      out += "ipv4";
      break;
    case Match::kIpv6:
      out += "ipv6";
      break;
    case Match::kWildcard:
      out += "wildcard";
      break;
    case Match::kName:
      // Names that spell a match keyword were quoted in the input.
      if (rule.name == "all" || rule.name == "ipv4" || rule.name == "ipv6" ||
          rule.name == "wildcard") {
        absl::StrAppend(&out, "\"", rule.name, "\"");
      } else {
        out += Word(rule.name);
      }
      break;
    case Match::kAddress:
      out += rule.address.has_value() ? rule.address->ToString() : "";
      if (rule.prefix_length >= 0) {
        absl::StrAppend(&out, "/", rule.prefix_length);
      }
      break;
  }
  out += "\n";
}

void WritePath(const char* keyword, const std::optional<ConfigPath>& path,
               std::string& out) {
  if (path.has_value()) absl::StrAppend(&out, keyword, " ", Word(path->path), "\n");
}

const char* FilegenTypeName(FilegenConfig::Type type) {
  switch (type) {
    case FilegenConfig::Type::kNone:
      return "none";
    case FilegenConfig::Type::kPid:
      return "pid";
    case FilegenConfig::Type::kDay:
      return "day";
    case FilegenConfig::Type::kWeek:
      return "week";
    case FilegenConfig::Type::kMonth:
      return "month";
    case FilegenConfig::Type::kYear:
      return "year";
    case FilegenConfig::Type::kAge:
      return "age";
  }
  return "day";
}

}  // namespace

std::string FormatNtpConf(const NtpConfig& c) {
  std::string out;
  // Files first, as distributions write them.
  if (c.driftfile.has_value()) {
    absl::StrAppend(&out, "driftfile ", Word(c.driftfile->path), "\n");
  }
  if (c.drift_wander_threshold.has_value()) {
    absl::StrAppend(&out, "nonvolatile ",
                    FormatConfigNumber(*c.drift_wander_threshold), "\n");
  }
  WritePath("keys", c.keys, out);
  WritePath("keysdir", c.keysdir, out);
  if (c.leapfile.has_value()) {
    absl::StrAppend(&out, "leapfile ", Word(c.leapfile->path),
                    c.leapfile_ignore_hash ? " ignorehash" : "", "\n");
  }
  WritePath("logfile", c.logfile, out);
  WritePath("pidfile", c.pidfile, out);
  WritePath("statsdir", c.statsdir, out);
  WritePath("saveconfigdir", c.saveconfigdir, out);
  if (c.trace.has_value()) {
    const TraceConfig& t = *c.trace;
    absl::StrAppend(&out, "trace ", Word(t.path.path));
    if (t.max_size_bytes > 0) {
      absl::StrAppend(&out, " maxsize ", t.max_size_bytes, " keep ", t.keep);
    }
    if (t.include_keys) absl::StrAppend(&out, " keys include");
    if (t.server_replies == TraceConfig::ServerReplies::kNone) {
      absl::StrAppend(&out, " serverreplies none");
    } else if (t.server_replies == TraceConfig::ServerReplies::kSample) {
      absl::StrAppend(&out, " serverreplies sample ", t.sample_every);
    }
    absl::StrAppend(&out, "\n");
  }

  if (!c.trusted_keys.empty()) {
    absl::StrAppend(&out, "trustedkey ", c.trusted_keys.ToString(), "\n");
  }
  if (c.requestkey) absl::StrAppend(&out, "requestkey ", c.requestkey->key_id, "\n");
  if (c.controlkey) absl::StrAppend(&out, "controlkey ", c.controlkey->key_id, "\n");

  for (const RestrictRule& r : c.restricts) WriteRestrict(r, out);
  if (c.discard.location.has_value()) {
    absl::StrAppend(&out, "discard average ", c.discard.average_log2_seconds,
                    " minimum ", c.discard.minimum_seconds, " monitor ",
                    c.discard.monitor, "\n");
  }
  {
    const MruConfig& m = c.mru;
    std::string mru;
    auto item = [&](const char* word, const std::optional<int>& v) {
      if (v.has_value()) absl::StrAppend(&mru, " ", word, " ", *v);
    };
    item("maxdepth", m.maxdepth);
    item("maxmem", m.maxmem_kib);
    item("mindepth", m.mindepth);
    item("maxage", m.maxage_seconds);
    item("initalloc", m.initalloc);
    item("initmem", m.initmem_kib);
    item("incalloc", m.incalloc);
    item("incmem", m.incmem_kib);
    if (!mru.empty()) absl::StrAppend(&out, "mru", mru, "\n");
  }

  for (const ServerConfig& s : c.servers) WriteServer(s, out);
  for (const auto& [refclock, fudge] : c.fudges) WriteFudge(fudge, out);

  if (c.nts.location.has_value()) {
    absl::StrAppend(&out, c.nts.enabled ? "nts enable\n" : "nts disable\n");
  }
  if (c.nts.key) absl::StrAppend(&out, "nts key ", Word(c.nts.key->path), "\n");
  if (c.nts.cert) absl::StrAppend(&out, "nts cert ", Word(c.nts.cert->path), "\n");
  if (c.nts.ca) absl::StrAppend(&out, "nts ca ", Word(c.nts.ca->path), "\n");
  if (c.nts.cookie) absl::StrAppend(&out, "nts cookie ", Word(c.nts.cookie->path), "\n");
  if (c.rtc.location.has_value()) {
    if (c.rtc.mode == RtcConfig::Mode::kKernel) {
      absl::StrAppend(&out, "rtc kernel\n");
    } else {
      absl::StrAppend(&out, "rtc write interval ",
                      FormatConfigNumber(c.rtc.write_interval_seconds), "\n");
    }
  }
  if (c.tinker.location.has_value()) {
    const TinkerConfig& t = c.tinker;
    absl::StrAppend(&out, "tinker step ", FormatConfigNumber(t.step_seconds),
                    " stepout ", FormatConfigNumber(t.stepout_seconds),
                    " panic ", FormatConfigNumber(t.panic_seconds),
                    " dispersion ", FormatConfigNumber(t.dispersion_ppm),
                    " allan ", t.allan_log2_seconds, " huffpuff ",
                    FormatConfigNumber(t.huffpuff_seconds));
    if (t.freq_ppm) absl::StrAppend(&out, " freq ", FormatConfigNumber(*t.freq_ppm));
    if (t.stepback_seconds) {
      absl::StrAppend(&out, " stepback ", FormatConfigNumber(*t.stepback_seconds));
    }
    if (t.stepfwd_seconds) {
      absl::StrAppend(&out, " stepfwd ", FormatConfigNumber(*t.stepfwd_seconds));
    }
    if (t.tick_seconds) absl::StrAppend(&out, " tick ", FormatConfigNumber(*t.tick_seconds));
    out += "\n";
  }
  if (c.tos.location.has_value()) {
    const TosConfig& t = c.tos;
    absl::StrAppend(&out, "tos minsane ", t.minsane, " minclock ", t.minclock,
                    " maxclock ", t.maxclock, " mindist ",
                    FormatConfigNumber(t.mindist_seconds), " maxdist ",
                    FormatConfigNumber(t.maxdist_seconds), " orphan ",
                    t.orphan_stratum, " orphanwait ",
                    FormatConfigNumber(t.orphanwait_seconds), " cohort ",
                    t.cohort ? 1 : 0, " floor ", t.floor, " ceiling ",
                    t.ceiling, " beacon ", FormatConfigNumber(t.beacon_seconds),
                    " bcpollbstep ", t.bcpollbstep);
    if (t.basedate) absl::StrAppend(&out, " basedate ", *t.basedate);
    if (t.budget_seconds > 0) {
      absl::StrAppend(&out, " budget ", FormatConfigNumber(t.budget_seconds), " budgetwindow ",
                      FormatConfigNumber(t.budgetwindow_seconds));
    }
    out += "\n";
  }
  if (c.system.location.has_value()) {
    const SystemFlags& f = c.system;
    const std::pair<const char*, bool> flags[] = {
        {"auth", f.auth},
        {"bclient", f.bclient},
        {"calibrate", f.calibrate},
        {"kernel", f.kernel},
        {"mode7", f.mode7},
        {"monitor", f.monitor},
        {"ntp", f.ntp},
        {"stats", f.stats},
        {"unpeer_crypto_early", f.unpeer_crypto_early},
        {"unpeer_crypto_nak_early", f.unpeer_crypto_nak_early},
        {"unpeer_digest_early", f.unpeer_digest_early},
    };
    std::vector<std::string> on, off;
    for (const auto& [word, value] : flags) (value ? on : off).push_back(word);
    if (!on.empty()) absl::StrAppend(&out, "enable ", absl::StrJoin(on, " "), "\n");
    if (!off.empty()) absl::StrAppend(&out, "disable ", absl::StrJoin(off, " "), "\n");
  }
  for (const InterfaceRule& rule : c.interfaces) WriteInterface(rule, out);

  if (!c.statistics.empty()) {
    out += "statistics";
    for (StatsType type : c.statistics) absl::StrAppend(&out, " ", StatsTypeName(type));
    out += "\n";
  }
  for (const auto& [type, f] : c.filegens) {
    absl::StrAppend(&out, "filegen ", StatsTypeName(type));
    if (f.file) absl::StrAppend(&out, " file ", Word(*f.file));
    absl::StrAppend(&out, " type ", FilegenTypeName(f.type),
                    f.link ? " link" : " nolink",
                    f.enabled ? " enable" : " disable", "\n");
  }
  if (c.leapsmearinterval_seconds) {
    absl::StrAppend(&out, "leapsmearinterval ",
                    FormatConfigNumber(*c.leapsmearinterval_seconds), "\n");
  }
  if (c.broadcastdelay_seconds) {
    absl::StrAppend(&out, "broadcastdelay ",
                    FormatConfigNumber(*c.broadcastdelay_seconds), "\n");
  }
  if (!c.logconfig.empty()) {
    absl::StrAppend(&out, "logconfig ", absl::StrJoin(c.logconfig, " "), "\n");
  }
  for (const SetVar& v : c.setvars) {
    // A bare trailing "default" would read back as the flag: quote it.
    std::string value =
        v.value == "default" ? std::string("\"default\"") : Word(v.value);
    absl::StrAppend(&out, "setvar ", v.name, " = ", value,
                    v.is_default ? " default" : "", "\n");
  }
  return out;
}

}  // namespace ntp
