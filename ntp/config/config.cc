#include "ntp/config/config.h"

#include <initializer_list>

#include "absl/strings/str_cat.h"

namespace ntp {

std::optional<RefclockAddress> RefclockAddress::FromAddress(
    const net::IpAddress& ip) {
  if (!ip.is_v4()) return std::nullopt;
  const uint32_t v4 = ip.v4();
  if ((v4 >> 16) != 0x7F7F) return std::nullopt;  // 127.127.0.0/16
  RefclockAddress refclock;
  refclock.type = static_cast<int>((v4 >> 8) & 0xFF);
  refclock.unit = static_cast<int>(v4 & 0xFF);
  return refclock;
}

net::IpAddress RefclockAddress::ToAddress() const {
  return net::IpAddress::V4(0x7F7F0000u |
                            (static_cast<uint32_t>(type & 0xFF) << 8) |
                            static_cast<uint32_t>(unit & 0xFF));
}

std::string RefclockAddress::DisplayName() const {
  if (is_local_clock()) return absl::StrCat("LOCAL(", unit, ")");
  return absl::StrCat("REFCLK(", type, ",", unit, ")");
}

std::string RefclockAddress::ToString() const {
  return absl::StrCat("127.127.", type, ".", unit);
}

namespace {

// Every flag with its ntp.conf word, in the order ToString() prints them
// (the order of ntp_acc(5)).
struct FlagName {
  const char* word;
  bool RestrictFlags::*member;
};
constexpr FlagName kRestrictFlagNames[] = {
    {"flake", &RestrictFlags::flake},
    {"ignore", &RestrictFlags::ignore},
    {"kod", &RestrictFlags::kod},
    {"limited", &RestrictFlags::limited},
    {"lowpriotrap", &RestrictFlags::lowpriotrap},
    {"mssntp", &RestrictFlags::mssntp},
    {"noepeer", &RestrictFlags::noepeer},
    {"nomodify", &RestrictFlags::nomodify},
    {"nomrulist", &RestrictFlags::nomrulist},
    {"nopeer", &RestrictFlags::nopeer},
    {"noquery", &RestrictFlags::noquery},
    {"noserve", &RestrictFlags::noserve},
    {"notrap", &RestrictFlags::notrap},
    {"notrust", &RestrictFlags::notrust},
    {"ntpport", &RestrictFlags::ntpport},
    {"serverresponse fuzz", &RestrictFlags::serverresponse_fuzz},
    {"version", &RestrictFlags::version},
};

}  // namespace

void RestrictFlags::MergeFrom(const RestrictFlags& other) {
  for (const FlagName& f : kRestrictFlagNames) {
    this->*f.member = this->*f.member || other.*f.member;
  }
}

bool RestrictFlags::SetByName(absl::string_view word) {
  for (const FlagName& f : kRestrictFlagNames) {
    if (word == f.word) {
      this->*f.member = true;
      return true;
    }
  }
  return false;
}

bool RestrictFlags::none() const {
  for (const FlagName& f : kRestrictFlagNames) {
    if (this->*f.member) return false;
  }
  return true;
}

std::string RestrictFlags::ToString() const {
  std::string out;
  for (const FlagName& f : kRestrictFlagNames) {
    if (!(this->*f.member)) continue;
    if (!out.empty()) out += ' ';
    out += f.word;
  }
  return out;
}

bool RestrictRule::AppliesToFamily(net::IpAddress::Family f) const {
  if (is_source) return false;
  if (!family.has_value()) return is_default;  // plain default: both lists
  return *family == f;
}

int RestrictRule::prefix_length() const {
  if (!mask.has_value()) return -1;
  return mask->PrefixLength();
}

const char* StatsTypeName(StatsType type) {
  switch (type) {
    case StatsType::kClockstats:
      return "clockstats";
    case StatsType::kCryptostats:
      return "cryptostats";
    case StatsType::kLoopstats:
      return "loopstats";
    case StatsType::kPeerstats:
      return "peerstats";
    case StatsType::kProtostats:
      return "protostats";
    case StatsType::kRawstats:
      return "rawstats";
    case StatsType::kSysstats:
      return "sysstats";
    case StatsType::kTimingstats:
      return "timingstats";
  }
  return "?";
}

std::vector<const ServerConfig*> NtpConfig::RefclockServers() const {
  std::vector<const ServerConfig*> out;
  for (const ServerConfig& s : servers) {
    if (s.is_refclock()) out.push_back(&s);
  }
  return out;
}

std::vector<const ServerConfig*> NtpConfig::NetworkServers() const {
  std::vector<const ServerConfig*> out;
  for (const ServerConfig& s : servers) {
    if (!s.is_refclock()) out.push_back(&s);
  }
  return out;
}

const FudgeConfig* NtpConfig::FindFudge(const RefclockAddress& refclock) const {
  auto it = fudges.find(refclock);
  return it == fudges.end() ? nullptr : &it->second;
}

NtpConfig WithoutProvenance(NtpConfig c) {
  const SourceLocation none;
  for (ServerConfig& s : c.servers) s.location = none;
  for (auto& [refclock, f] : c.fudges) f.location = none;
  for (RestrictRule& r : c.restricts) r.location = none;
  for (InterfaceRule& r : c.interfaces) r.location = none;
  for (auto& [type, f] : c.filegens) f.location = none;
  for (SetVar& v : c.setvars) v.location = none;
  for (std::optional<ConfigPath>* p :
       {&c.driftfile, &c.keys, &c.keysdir, &c.leapfile, &c.logfile,
        &c.pidfile, &c.statsdir, &c.saveconfigdir}) {
    if (p->has_value()) {
      (*p)->location = none;
      (*p)->as_written.clear();
    }
  }
  for (std::optional<SourceLocation>* l :
       {&c.discard.location, &c.mru.location, &c.tinker.location,
        &c.tos.location, &c.system.location}) {
    if (l->has_value()) *l = none;
  }
  if (c.trace) {
    c.trace->path.location = none;
    c.trace->path.as_written.clear();
  }
  if (c.nts.location.has_value()) c.nts.location = none;
  for (std::optional<ConfigPath>* p : {&c.nts.key, &c.nts.cert, &c.nts.ca, &c.nts.cookie}) {
    if (p->has_value()) {
      (*p)->location = none;
      (*p)->as_written.clear();
    }
  }
  for (ServerConfig& s : c.servers) {
    if (s.nts_ca.has_value()) {
      s.nts_ca->location = none;
      s.nts_ca->as_written.clear();
    }
  }
  if (c.requestkey) c.requestkey->location = none;
  if (c.controlkey) c.controlkey->location = none;
  c.trustedkey_locations.clear();
  c.included_files.clear();
  c.ignored.clear();
  return c;
}

}  // namespace ntp
