// The typed ntp.conf model: plain structs that the parser (parser.h) fills
// from ntpd-syntax configuration files and that the daemon, the server
// (access control, rate limiting), the client (associations) and the
// simulator (per-host configurations) read. No parsing and no I/O here.
//
// Conventions:
//  - Everything is kept in file order (includes expanded in place) unless a
//    field says otherwise; every entry carries the SourceLocation of the line
//    it came from.
//  - Defaults are ntpd 4.2.8's, cited per field by the ntpd 4.2.8 manual
//    page that documents them: ntp.conf(5) (associations), ntp_acc(5)
//    (restrict, discard), ntp_auth(5) (keys), ntp_clock(5) (fudge),
//    ntp_misc(5) (tinker, tos, mru, ...) and ntp_mon(5) (statistics).
//  - Values are already validated by the parser: a field documented as
//    "3..17" holds 3..17 whenever the parse had no errors.
//  - File paths (driftfile, keys, statsdir, ...) are stored after the
//    parser's optional root-directory prefix was applied (ConfigPath).
#ifndef NTP_CONFIG_CONFIG_H_
#define NTP_CONFIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "net/address.h"
#include "ntp/config/key_list.h"

namespace ntp {

// Where an entry came from. `file` is the path the parser read (after
// root prefixing and include resolution); line and column are 1-based;
// column 0 means "whole line".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  friend bool operator==(const SourceLocation&, const SourceLocation&) =
      default;
};

// A path-valued directive argument.
struct ConfigPath {
  std::string path;        // what the daemon should open (root applied)
  std::string as_written;  // the token in the file
  SourceLocation location;

  friend bool operator==(const ConfigPath&, const ConfigPath&) = default;
};

// ---------------------------------------------------------------------------
// Associations: server / peer / pool (ntp.conf(5) "Configuration Commands").

// RFC 5905 §7.3 poll exponent limits as ntpd 4.2.8 enforces them for
// minpoll/maxpoll (NTP_MINPOLL = 3, NTP_MAXPOLL = 17; RHEL 6 Deployment
// Guide 22.16.13: "Allowed values are in the range 3 to 17 inclusive").
inline constexpr int kMinPollLimit = 3;
inline constexpr int kMaxPollLimit = 17;
// Defaults (RFC 5905 §7.3 text; ntp.conf(5)): minpoll 6 (64 s), maxpoll 10
// (1024 s). Reference clocks: maxpoll defaults to minpoll (ntpd 4.2.8).
inline constexpr int kDefaultMinPoll = 6;
inline constexpr int kDefaultMaxPoll = 10;
// NTP versions an association may send (RFC 5905 §7.3 VN; ntpd accepts 1..4).
inline constexpr int kMinConfigVersion = 1;
inline constexpr int kMaxConfigVersion = 4;
inline constexpr int kDefaultNtpVersion = 4;

// A reference-clock pseudo address 127.127.TYPE.UNIT (ntp_clock(5)).
struct RefclockAddress {
  // Driver type 1 is the undisciplined local clock, shown as LOCAL(u).
  static constexpr int kLocalClockType = 1;
  // Classic ntpd supports units 0..3 per driver (MAXUNIT 4).
  static constexpr int kMaxUnit = 3;

  int type = 0;  // third octet
  int unit = 0;  // fourth octet

  // Returns the refclock for addresses in 127.127.0.0/16, else nullopt.
  static std::optional<RefclockAddress> FromAddress(const net::IpAddress& ip);
  net::IpAddress ToAddress() const;
  bool is_local_clock() const { return type == kLocalClockType; }
  // "LOCAL(0)" for type 1, "REFCLK(t,u)" otherwise (ntpq's naming).
  std::string DisplayName() const;
  // "127.127.1.0".
  std::string ToString() const;

  friend auto operator<=>(const RefclockAddress&, const RefclockAddress&) =
      default;
  friend bool operator==(const RefclockAddress&, const RefclockAddress&) =
      default;
};

enum class AssociationKind {
  kServer,  // `server`: client mode (3) association
  kPeer,    // `peer`: symmetric active (1)
  kPool,    // `pool`: a name that spawns up to tos maxclock preemptible
            // client associations (ntp.conf(5))
};

struct ServerConfig {
  AssociationKind kind = AssociationKind::kServer;
  // The address or host name exactly as written (case preserved). Name
  // resolution is not the parser's job.
  std::string host;
  // Set when `host` is a numeric IPv4/IPv6 address.
  std::optional<net::IpAddress> address;
  // `-4` / `-6` before the host: resolve to that family only.
  std::optional<net::IpAddress::Family> family;
  // Set for 127.127.t.u (only `server` may name one).
  std::optional<RefclockAddress> refclock;

  // Flags (ntp.conf(5)).
  bool prefer = false;     // preferred peer (immune to clustering)
  bool iburst = false;     // burst of packets while unreachable
  bool burst = false;      // burst of packets while reachable
  bool noselect = false;   // polled and shown, never selected
  bool truechimer = false; // the `true` keyword: always survives selection
  bool preempt = false;    // preemptible (implied for pool)
  bool xleave = false;     // interleaved mode (parsed, not implemented)

  // Poll exponents (log2 s), kMinPollLimit..kMaxPollLimit, minpoll <=
  // maxpoll. These are the effective values: kDefaultMinPoll /
  // kDefaultMaxPoll (refclocks: maxpoll = minpoll) unless given.
  int minpoll = kDefaultMinPoll;
  int maxpoll = kDefaultMaxPoll;
  bool minpoll_given = false;
  bool maxpoll_given = false;

  // `key N`: symmetric key for outgoing packets and required on replies.
  std::optional<uint32_t> key_id;  // kMinKeyId..kMaxKeyId
  int version = kDefaultNtpVersion;  // kMinConfigVersion..kMaxConfigVersion
  // `mode N`: driver mode, reference clocks only (0..255).
  std::optional<int> refclock_mode;
  // `ttl N`: time to live for broadcast/manycast (0..254, network only).
  std::optional<int> ttl;
  // `nts` (ntpsec): NTS-protected (RFC 8915), after NTS-KE with `host`.
  // `ca FILE`: the CA certificates to trust (default: the system's);
  // `noval`: no certificate check (tests only); `ntsport N` (chrony's
  // word): the NTS-KE port (default 4460).
  bool nts = false;
  std::optional<ConfigPath> nts_ca;
  bool nts_noval = false;
  std::optional<int> nts_port;

  SourceLocation location;

  bool is_refclock() const { return refclock.has_value(); }
  friend bool operator==(const ServerConfig&, const ServerConfig&) = default;
};

// `fudge 127.127.t.u ...` (ntp_clock(5)). Only fields that
// were given are set; several fudge lines for one clock merge, later values
// winning.
struct FudgeConfig {
  RefclockAddress refclock;
  std::optional<double> time1_seconds;
  std::optional<double> time2_seconds;
  // 0..15 (ntpd's grammar accepts 16 as well; a refclock at stratum 16
  // would be unsynchronised, so we reject it).
  std::optional<int> stratum;
  // 1..4 printable ASCII characters (e.g. "LOCL", "GPS").
  std::optional<std::string> refid;
  std::optional<bool> flag1, flag2, flag3, flag4;
  std::optional<double> minjitter_seconds;
  SourceLocation location;  // the first fudge line for this clock

  friend bool operator==(const FudgeConfig&, const FudgeConfig&) = default;
};

// ---------------------------------------------------------------------------
// Access control: restrict (ntp_acc(5); matching in
// ntp/server/access_control.h).

// The flags of one restrict line (ntp_acc(5), "restrict"). Repeating an
// address/mask ORs flags together (as ntpd 4.2.8 does), see MergeFrom.
struct RestrictFlags {
  bool flake = false;        // drop 10% of packets (testing)
  bool ignore = false;       // drop everything, incl. ntpq
  bool kod = false;          // send RATE KoD when `limited` triggers
  bool limited = false;      // apply the `discard` rate limits
  bool lowpriotrap = false;  // traps from here are low priority
  bool mssntp = false;       // MS-SNTP signing (not implemented)
  bool noepeer = false;      // no ephemeral symmetric peers
  bool nomodify = false;     // mode 6/7 reads only, no runtime config
  bool nomrulist = false;    // no mode 6 MRU list
  bool nopeer = false;       // don't mobilize associations unauthenticated
  bool noquery = false;      // drop mode 6 and 7 silently
  bool noserve = false;      // drop everything except mode 6/7
  bool notrap = false;       // refuse mode 6 SETTRAP
  bool notrust = false;      // require a valid MAC
  bool version = false;      // drop packets whose VN is not 4
  bool serverresponse_fuzz = false;  // fuzz reftime low bits in replies
  // Match modifier, not a restriction: the entry only matches source port
  // 123, and sorts as more specific than the same address/mask without it.
  bool ntpport = false;

  // ORs every flag of `other` into this one.
  void MergeFrom(const RestrictFlags& other);
  // Sets the flag whose ntp.conf word is `word` ("nomodify"); false if no
  // flag has that word. (`serverresponse fuzz` is two words: the parser
  // handles it itself.)
  bool SetByName(absl::string_view word);
  // True if no flag is set (the entry grants everything).
  bool none() const;
  // The set flags as ntp.conf words in a fixed order, space separated
  // ("kod nomodify notrap nopeer noquery"); "" if none.
  std::string ToString() const;

  friend bool operator==(const RestrictFlags&, const RestrictFlags&) = default;
};

struct RestrictRule {
  // `restrict [-4|-6] default ...`. Without -4/-6 (family unset) the rule
  // modifies BOTH default entries, 0.0.0.0/0 and ::/0.
  bool is_default = false;
  // `restrict source ...`: a template applied at run time as a host entry
  // for each association's address (address, mask and family unset).
  bool is_source = false;
  // -4/-6 given, or the family of a numeric address.
  std::optional<net::IpAddress::Family> family;
  // The address as written ("192.168.31.0", "::1", a host name, or
  // "default"/"source").
  std::string host;
  // For numeric addresses: the address ANDed with the mask. For `-4 default`
  // 0.0.0.0, for `-6 default` ::. Unset for plain `default`, `source` and
  // host names (to be resolved by the daemon; mask then defaults to the
  // host mask of the resolved family).
  std::optional<net::IpAddress> address;
  // `mask M`, or all-ones (host entry) when not given; 0.0.0.0 / :: for
  // default entries. Always a contiguous netmask of the address's family.
  std::optional<net::IpAddress> mask;
  // `ippeerlimit N`: -1 = unlimited (default), 0 = none, else a count.
  int ippeerlimit = -1;
  RestrictFlags flags;
  SourceLocation location;

  // True if this rule contributes to the `family` list (plain `default`
  // contributes to both; `source` to neither).
  bool AppliesToFamily(net::IpAddress::Family f) const;
  // Prefix length of `mask` (0..32 / 0..128), -1 if there is no mask.
  int prefix_length() const;

  friend bool operator==(const RestrictRule&, const RestrictRule&) = default;
};

// `discard` (ntp_acc(5)): rate-limit parameters used when a matching restrict
// entry has `limited` (the decision: ntp/server/client_table.h).
struct DiscardConfig {
  int average_log2_seconds = 3;  // minimum average headway, 2^3 = 8 s; 0..255
  // Guard time between packets, 0..255 (ntpd takes any int; beyond the
  // largest `average` it only refuses every client).
  int minimum_seconds = 2;
  int monitor = 3000;  // MRU preemption age (s), 0..kMaxMruAgeSeconds
  std::optional<SourceLocation> location;  // last discard line

  friend bool operator==(const DiscardConfig&, const DiscardConfig&) = default;
};

// Upper bounds of the `mru` options. ntpd grows its MRU list on demand and
// takes any unsigned value; our client table (ntp/server/client_table.h) is
// allocated whole at start, so the bounds keep it within 2^20 entries and
// 128 MiB (ntpd's default is 1024 KiB).
inline constexpr int kMaxMruDepth = 1 << 20;   // entries
inline constexpr int kMaxMruMemKib = 1 << 17;  // 128 MiB
inline constexpr int kMaxMruAgeSeconds = 1 << 24;  // about 194 days

// `mru` (ntp_misc(5)): MRU list sizing for monitoring/rate control.
// Unset fields keep ntpd's defaults (maxmem 1024 KiB, mindepth 600,
// maxage 64 s, initmem 4 KiB, incmem 4 KiB).
struct MruConfig {
  // Entry counts (maxdepth, mindepth, initalloc, incalloc): 0..kMaxMruDepth;
  // KiB (maxmem, initmem, incmem): 0..kMaxMruMemKib; maxage:
  // 0..kMaxMruAgeSeconds.
  std::optional<int> maxdepth, maxmem_kib, mindepth, maxage_seconds,
      initalloc, initmem_kib, incalloc, incmem_kib;
  std::optional<SourceLocation> location;

  friend bool operator==(const MruConfig&, const MruConfig&) = default;
};

// ---------------------------------------------------------------------------
// Clock discipline and selection knobs.

// `rtc kernel | rtc write [interval SECONDS]`: how the hardware clock (RTC)
// follows the system clock. Not in ntpd's grammar, where the kernel's
// 11-minute mode is the only way (what `kernel` does, the default): while
// synchronised the daemon clears STA_UNSYNC and the kernel copies the system
// time to the RTC every 11 minutes. `write` sets the RTC from the system
// clock itself (RTC_SET_TIME, as `hwclock -w`) every `interval` seconds while
// synchronised, for kernels built without that mode.
inline constexpr double kMinRtcWriteIntervalSeconds = 60;
inline constexpr double kMaxRtcWriteIntervalSeconds = 86400;
struct RtcConfig {
  enum class Mode { kKernel, kWrite };
  Mode mode = Mode::kKernel;
  double write_interval_seconds = 660;  // as the kernel's 11 minutes
  std::optional<SourceLocation> location;  // last rtc line
  friend bool operator==(const RtcConfig&, const RtcConfig&) = default;
};

// `tinker` (ntp_misc(5) "tinker"; the RFC 5905 §7.2 constants where ntpd
// 4.2.8 and the RFC differ are noted per field). Effective values.
struct TinkerConfig {
  double step_seconds = 0.128;     // step threshold; 0 = never step
  double stepout_seconds = 300.0;  // 4.2.8 (RFC 5905 and 4.2.6: 900 s)
  double panic_seconds = 1000.0;   // 0 = panic check disabled
  double dispersion_ppm = 15.0;    // PHI, RFC 5905 §11.2 (15e-6 s/s)
  int allan_log2_seconds = 11;     // Allan intercept, 2^11 = 2048 s
  double huffpuff_seconds = 0.0;   // 0 = filter off; else >= 900
  std::optional<double> freq_ppm;  // initial frequency (excludes driftfile)
  // Separate step thresholds for backward/forward steps; unset = step.
  std::optional<double> stepback_seconds;
  std::optional<double> stepfwd_seconds;
  std::optional<double> tick_seconds;  // kernel tick (> 0)
  std::optional<SourceLocation> location;  // last tinker line

  friend bool operator==(const TinkerConfig&, const TinkerConfig&) = default;
};

// `tos` (ntp_misc(5) "tos"; orphan mode in ntp/server/local_reference.h).
// Effective values. The
// parser checks minsane < minclock <= maxclock and floor < ceiling.
struct TosConfig {
  int minsane = 1;            // CMIN: survivors needed to set the clock
  int minclock = 3;           // NMIN: cluster survivors kept
  int maxclock = 10;          // pool/manycast association limit
  double mindist_seconds = 0.001;  // MINDISP (RFC 5905: 0.005)
  double maxdist_seconds = 1.5;    // MAXDIST (RFC 5905: 1)
  int orphan_stratum = 16;    // 1..16; 16 = orphan mode off
  double orphanwait_seconds = 300.0;
  bool cohort = false;        // accept servers at our own stratum
  // Stratum window for acceptable servers: floor inclusive, ceiling
  // exclusive (ntp_misc(5)). Defaults from 4.2.8p15 ntp_proto.c (sys_floor 0,
  // sys_ceiling STRATUM_UNSPEC - 1); ntp_misc(5) says floor 1, ceiling 16.
  int floor = 0;              // 0..15
  int ceiling = 15;           // 1..15, > floor
  double beacon_seconds = 3600.0;  // manycast beacon interval
  int bcpollbstep = 0;        // 0..4
  std::optional<std::string> basedate;  // as written (YYYY-MM-DD or days)
  // This project's correction budget (no ntpd equivalent; the idea of
  // RFC 9523 Khronos): at most `budget` seconds of net clock correction
  // beyond what the frequency estimate explains within any `budgetwindow`
  // seconds once synchronised. 0: no budget.
  double budget_seconds = 0;
  double budgetwindow_seconds = 86400;
  std::optional<SourceLocation> location;  // last tos line

  friend bool operator==(const TosConfig&, const TosConfig&) = default;
};

// `enable` / `disable` (ntp_misc(5)). Effective values.
struct SystemFlags {
  bool auth = true;       // require authentication to mobilize
  bool bclient = false;   // listen for broadcasts
  bool calibrate = false; // refclock calibration
  bool kernel = true;     // kernel time discipline
  bool mode7 = false;     // answer ntpdc (mode 7)
  bool monitor = true;    // MRU monitoring
  bool ntp = true;        // time and frequency discipline loop closed
  bool stats = true;      // statistics files
  bool unpeer_crypto_early = true;
  bool unpeer_crypto_nak_early = true;
  bool unpeer_digest_early = true;
  std::optional<SourceLocation> location;  // last enable/disable line

  friend bool operator==(const SystemFlags&, const SystemFlags&) = default;
};

// ---------------------------------------------------------------------------
// Interfaces: `interface` / `nic` (ntp_misc(5)).

struct InterfaceRule {
  enum class Action { kListen, kIgnore, kDrop };
  enum class Match { kAll, kIpv4, kIpv6, kWildcard, kName, kAddress };
  Action action = Action::kListen;
  Match match = Match::kAll;
  std::string name;                       // kName: interface name
  std::optional<net::IpAddress> address;  // kAddress
  int prefix_length = -1;  // kAddress with "/N"; -1 = whole address
  SourceLocation location;

  friend bool operator==(const InterfaceRule&, const InterfaceRule&) = default;
};

// ---------------------------------------------------------------------------
// Statistics (ntp_mon(5)).

enum class StatsType {
  kClockstats,
  kCryptostats,
  kLoopstats,
  kPeerstats,
  kProtostats,
  kRawstats,
  kSysstats,
  kTimingstats,
};
// "loopstats" etc.
const char* StatsTypeName(StatsType type);

struct FilegenConfig {
  enum class Type { kNone, kPid, kDay, kWeek, kMonth, kYear, kAge };
  StatsType stats = StatsType::kLoopstats;
  std::optional<std::string> file;  // file name prefix (relative to statsdir)
  Type type = Type::kDay;  // default day
  bool link = true;        // default link
  bool enabled = true;     // `filegen` implies enable unless `disable`
  SourceLocation location;  // the last filegen line for this type

  friend bool operator==(const FilegenConfig&, const FilegenConfig&) = default;
};

// ---------------------------------------------------------------------------
// Keys (ntp_auth(5)).

struct KeyIdSetting {
  uint32_t key_id = 0;  // kMinKeyId..kMaxKeyId
  SourceLocation location;

  friend bool operator==(const KeyIdSetting&, const KeyIdSetting&) = default;
};

// `setvar name = value [default]`.
struct SetVar {
  std::string name;
  std::string value;
  bool is_default = false;
  SourceLocation location;

  friend bool operator==(const SetVar&, const SetVar&) = default;
};

// A directive the parser recognised but this daemon does not implement
// (broadcast, crypto, phone, ...). Kept so tools can list them; the parser
// also emitted a warning for each.
struct IgnoredDirective {
  std::string keyword;
  SourceLocation location;

  friend bool operator==(const IgnoredDirective&, const IgnoredDirective&) =
      default;
};

// `trace FILE [maxsize BYTES] [keep N] [keys include]
// [serverreplies all|none|sample N]` (ours; ntp/trace/recorder.h and
// tools/trace_file.h): record every input and action of the daemon to FILE
// for ntpreplay. maxsize: rotate to FILE.1 .. FILE.keep when a segment
// would pass BYTES (0: never). keys include: the trace carries the keys'
// secrets (by default only a SHA-256 fingerprint). serverreplies: record
// every request served (all), none, or one in N.
inline constexpr int64_t kMinTraceMaxSizeBytes = 4096;
inline constexpr int64_t kMaxTraceMaxSizeBytes = int64_t{1} << 40;
inline constexpr int kMaxTraceKeep = 100;
inline constexpr int64_t kMaxTraceSampleEvery = 1000000;
struct TraceConfig {
  enum class ServerReplies { kAll, kNone, kSample };
  ConfigPath path;
  int64_t max_size_bytes = 0;  // 0: one file, never rotated
  int keep = 4;                // rotated segments kept beside FILE
  bool include_keys = false;
  ServerReplies server_replies = ServerReplies::kAll;
  int64_t sample_every = 1;  // kSample: one request in this many
  friend bool operator==(const TraceConfig&, const TraceConfig&) = default;
};

// ---------------------------------------------------------------------------

// `nts ...` (ntpsec's spelling): the NTS-KE server (RFC 8915 §4) and the
// default CA of `server ... nts` lines. The daemon reads the files and
// reports their problems at the line that names them.
struct NtsConfig {
  bool enabled = false;  // `nts enable`; `nts disable` turns it off again
  std::optional<SourceLocation> location;  // of the last enable/disable
  std::optional<ConfigPath> key;     // `nts key FILE`: the server's private key (PEM)
  std::optional<ConfigPath> cert;    // `nts cert FILE`: its certificate chain (PEM)
  std::optional<ConfigPath> ca;      // `nts ca FILE`: CAs for servers without `ca`
  std::optional<ConfigPath> cookie;  // `nts cookie FILE`: the master key file

  friend bool operator==(const NtsConfig&, const NtsConfig&) = default;
};

struct NtpConfig {
  // server / peer / pool lines in file order (duplicates dropped).
  std::vector<ServerConfig> servers;
  // fudge lines merged per reference clock, in address order.
  std::map<RefclockAddress, FudgeConfig> fudges;

  // restrict lines in file order, exactly as written (no merging, no
  // sorting, no built-in entries): matching is the server's job
  // (longest prefix wins, duplicates OR their flags; see
  // ntp/server/access_control.h).
  std::vector<RestrictRule> restricts;
  DiscardConfig discard;
  MruConfig mru;

  TinkerConfig tinker;
  RtcConfig rtc;
  TosConfig tos;
  SystemFlags system;
  std::vector<InterfaceRule> interfaces;

  // Files. An empty `driftfile` (no argument, or "") disables the drift
  // file ("config: driftfile disabled"): then driftfile->path is "".
  std::optional<ConfigPath> driftfile;
  // `driftfile PATH WANDER` or `nonvolatile WANDER`: write threshold (s/s),
  // ntpd default 1e-7 (ntp_misc(5) "nonvolatile").
  std::optional<double> drift_wander_threshold;
  std::optional<ConfigPath> keys;
  std::optional<ConfigPath> keysdir;
  std::optional<ConfigPath> leapfile;
  bool leapfile_ignore_hash = false;  // `leapfile PATH ignorehash`
  std::optional<ConfigPath> logfile;
  std::optional<ConfigPath> pidfile;
  std::optional<ConfigPath> statsdir;
  std::optional<ConfigPath> saveconfigdir;
  // `trace` (TraceConfig above); the last line wins.
  std::optional<TraceConfig> trace;
  NtsConfig nts;
  // Every includefile that was read, in order.
  std::vector<ConfigPath> included_files;

  // Keys: trustedkey lines accumulate (union).
  KeyIdSet trusted_keys;
  std::vector<SourceLocation> trustedkey_locations;
  std::optional<KeyIdSetting> requestkey;
  std::optional<KeyIdSetting> controlkey;

  // Statistics: `statistics` names in first-mention order (no duplicates);
  // `filegen` settings per type.
  std::vector<StatsType> statistics;
  std::map<StatsType, FilegenConfig> filegens;

  // Miscellaneous.
  std::optional<double> broadcastdelay_seconds;
  // ntpsec `leapsmearinterval SECONDS`: the server smears an armed leap
  // second over this interval before it instead of announcing it.
  std::optional<double> leapsmearinterval_seconds;
  std::vector<std::string> logconfig;  // items as written ("=syncall")
  std::vector<SetVar> setvars;
  std::vector<IgnoredDirective> ignored;

  // The servers that name a reference clock, and those that don't.
  std::vector<const ServerConfig*> RefclockServers() const;
  std::vector<const ServerConfig*> NetworkServers() const;
  // The fudge for `refclock`, or null.
  const FudgeConfig* FindFudge(const RefclockAddress& refclock) const;

  friend bool operator==(const NtpConfig&, const NtpConfig&) = default;
};

// `config` with everything that depends on where it was read from cleared:
// every SourceLocation, ConfigPath::as_written, trustedkey_locations,
// included_files and ignored. Two configurations that mean the same thing
// compare equal after this (the writer's round trip relies on it).
NtpConfig WithoutProvenance(NtpConfig config);

}  // namespace ntp

#endif  // NTP_CONFIG_CONFIG_H_
