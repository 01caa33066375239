// ntp_loadgen: a bounded NTP load generator and one-shot query tool, for
// loopback benchmarks of NTP servers (tools/bench_server.sh) and for asking
// our daemon what it serves. Linux only; never touches the clock.
//
//   ntp_loadgen --query ADDR:PORT
//       one mode 3 request; prints the reply like ntpdig plus its fields.
//   ntp_loadgen --target ADDR:PORT --closed --inflight N [--sources K]
//               [--duration S]
//       closed loop: N requests always outstanding, spread over K source
//       addresses 127.0.1.1, 127.0.1.2, ... (ephemeral ports).
//   ntp_loadgen --target ADDR:PORT --open --rate R [--sources K]
//               [--duration S]
//       open loop: R requests/s regardless of replies.
// Load runs print one line: req_per_s, sent, received, p50_us, p99_us,
// rx_err_us (mean T2 - T1 over the first request of each send batch: the
// server's receive stamp minus our clock read just before sending, same
// clock; an upper bound on how late the server stamps arrivals). Every run
// is bounded: at most 60 s and 100 M requests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "ntp/client/exchange_types.h"
#include "ntp/control/control_vars.h"
#include "ntp/wire/big_endian.h"
#include "tools/ntpq/ntp_query.h"
#include "tools/ntpq/udp_client.h"

ABSL_FLAG(std::string, query, "", "ADDR:PORT: send one mode 3 request and print the reply");
ABSL_FLAG(std::string, target, "", "ADDR:PORT of the server under load");
ABSL_FLAG(bool, closed, false, "closed loop: --inflight requests always outstanding");
ABSL_FLAG(bool, open, false, "open loop: --rate requests/s regardless of replies");
ABSL_FLAG(int, inflight, 64, "closed loop: requests kept in flight");
ABSL_FLAG(int, sources, 64, "source addresses 127.0.1.1, 127.0.1.2, ... (1..4096)");
ABSL_FLAG(double, rate, 100000, "open loop: requests per second");
ABSL_FLAG(double, duration, 3, "seconds of load (at most 60)");

namespace {

constexpr uint64_t kNtpUnixOffset = 2208988800ull;
constexpr int kBatch = 64;
constexpr double kMaxDurationSeconds = 60;
constexpr uint64_t kMaxRequests = 100'000'000;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

uint64_t NsToNtp(int64_t ns) {
  const uint64_t s = static_cast<uint64_t>(ns / 1'000'000'000) + kNtpUnixOffset;
  const uint64_t frac = (static_cast<uint64_t>(ns % 1'000'000'000) << 32) / 1'000'000'000;
  return (s << 32) | frac;
}

// Signed difference a - b of two NTP timestamps, in nanoseconds.
double NtpDiffNs(uint64_t a, uint64_t b) {
  return static_cast<double>(static_cast<int64_t>(a - b)) * 1e9 / 4294967296.0;
}

bool ParseAddress(const std::string& text, sockaddr_in* out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  out->sin_port = htons(static_cast<uint16_t>(std::atoi(text.c_str() + colon + 1)));
  return inet_pton(AF_INET, text.substr(0, colon).c_str(), &out->sin_addr) == 1 &&
         out->sin_port != 0;
}

// Latency histogram: 100 ns buckets up to 100 ms, one overflow bucket.
class Histogram {
 public:
  Histogram() : buckets_(1'000'001, 0) {}
  void Add(double ns) {
    const double b = std::max(0.0, ns / 100.0);
    ++buckets_[std::min<size_t>(static_cast<size_t>(b), buckets_.size() - 1)];
    ++count_;
  }
  double PercentileUs(double p) const {
    if (count_ == 0) return 0;
    const uint64_t want = static_cast<uint64_t>(std::ceil(p * count_));
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= want) return (i + 0.5) / 10.0;
    }
    return buckets_.size() / 10.0;
  }

 private:
  std::vector<uint32_t> buckets_;
  uint64_t count_ = 0;
};

struct Source {
  int fd = -1;
  int outstanding = 0;
  int share = 0;          // closed loop: requests this socket keeps in flight
  int64_t last_event_ns = 0;
};

struct Stats {
  uint64_t sent = 0, received = 0, bad = 0, timeouts = 0, rx_err_samples = 0;
  double rx_err_sum_ns = 0;
  Histogram latency;
};

class LoadGen {
 public:
  LoadGen(const sockaddr_in& target, int sources) : target_(target) {
    epoll_ = epoll_create1(0);
    for (int i = 0; i < sources; ++i) {
      Source s;
      s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      // 127.0.1.1, 127.0.1.2, ... 127.0.1.254, 127.0.2.1, ...
      const uint32_t host = 0x7F000100u + (i / 254) * 256 + (i % 254) + 1;
      local.sin_addr.s_addr = htonl(host);
      if (bind(s.fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
        std::perror("ntp_loadgen: bind source");
        std::exit(1);
      }
      const int size = 4 << 20;
      setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
      setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<uint32_t>(sources_.size());
      epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev);
      sources_.push_back(s);
    }
    for (auto& r : requests_) {
      std::memset(r, 0, sizeof(r));
      r[0] = 0xE3;  // LI 3, VN 4, mode 3
    }
  }

  // Sends `n` requests from source `i`; returns how many went out.
  int Send(size_t i, int n) {
    n = std::min(n, kBatch);
    mmsghdr msgs[kBatch];
    iovec iov[kBatch];
    const int64_t now = NowNs();
    // The low 6 bits of the transmit timestamp number the request within
    // the batch (k); only k == 0 is sent right after the clock read, so only
    // those measure the server's receive stamp (T2 - T1).
    const uint64_t t1 = NsToNtp(now) & ~uint64_t{kBatch - 1};
    for (int k = 0; k < n; ++k) {
      ntp::StoreBe64(requests_[k] + 40, t1 + k);
      iov[k] = {requests_[k], 48};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_name = const_cast<sockaddr_in*>(&target_);
      msgs[k].msg_hdr.msg_namelen = sizeof(target_);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const int sent = sendmmsg(sources_[i].fd, msgs, n, 0);
    if (sent <= 0) return 0;
    sources_[i].outstanding += sent;
    sources_[i].last_event_ns = now;
    stats_.sent += sent;
    return sent;
  }

  // Reads what source `i` has; returns the number of replies.
  int Receive(size_t i) {
    mmsghdr msgs[kBatch];
    iovec iov[kBatch];
    for (int k = 0; k < kBatch; ++k) {
      iov[k] = {replies_[k], sizeof(replies_[k])};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(sources_[i].fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return 0;
    const int64_t now = NowNs();
    const uint64_t t4 = NsToNtp(now);
    for (int k = 0; k < n; ++k) {
      const uint8_t* r = replies_[k];
      if (msgs[k].msg_len < 48 || (r[0] & 7) != 4) {
        ++stats_.bad;
        continue;
      }
      const uint64_t t1 = ntp::LoadBe64(r + 24), t2 = ntp::LoadBe64(r + 32);
      stats_.latency.Add(NtpDiffNs(t4, t1));
      const bool kod = r[1] == 0 && std::memcmp(r + 12, "RATE", 4) == 0;
      if (!kod && (t1 & (kBatch - 1)) == 0) {
        stats_.rx_err_sum_ns += NtpDiffNs(t2, t1);
        ++stats_.rx_err_samples;
      }
      ++stats_.received;
    }
    sources_[i].outstanding = std::max(0, sources_[i].outstanding - n);
    sources_[i].last_event_ns = now;
    return n;
  }

  void RunClosed(int inflight, double seconds) {
    const int per = std::max(1, inflight / static_cast<int>(sources_.size()));
    for (size_t i = 0; i < sources_.size(); ++i) {
      sources_[i].share = per;
      Send(i, per);
    }
    const int64_t start = NowNs();
    const int64_t end = start + static_cast<int64_t>(seconds * 1e9);
    epoll_event events[256];
    while (stats_.sent < kMaxRequests) {
      const int n = epoll_wait(epoll_, events, 256, 1);
      const int64_t now = NowNs();
      if (now >= end) break;
      for (int e = 0; e < n; ++e) {
        const size_t i = events[e].data.u32;
        const int got = Receive(i);
        if (got > 0) Send(i, got);
      }
      // Lost packets: refill a source that has been silent for 20 ms.
      for (size_t i = 0; i < sources_.size(); ++i) {
        Source& s = sources_[i];
        if (s.outstanding < s.share && now - s.last_event_ns > 20'000'000) {
          stats_.timeouts += s.share - s.outstanding;
          s.outstanding = 0;
          Send(i, s.share);
        }
      }
    }
    elapsed_ = (NowNs() - start) / 1e9;
  }

  void RunOpen(double rate, double seconds) {
    const int64_t start = NowNs();
    const int64_t end = start + static_cast<int64_t>(seconds * 1e9);
    size_t next_source = 0;
    epoll_event events[256];
    while (stats_.sent < kMaxRequests) {
      const int64_t now = NowNs();
      if (now >= end) break;
      const double due = (now - start) * 1e-9 * rate - static_cast<double>(stats_.sent);
      for (int burst = static_cast<int>(due); burst > 0;) {
        const int n = std::min(burst, 32);
        Send(next_source, n);
        next_source = (next_source + 1) % sources_.size();
        burst -= n;
      }
      const int n = epoll_wait(epoll_, events, 256, 0);
      for (int e = 0; e < n; ++e) Receive(events[e].data.u32);
    }
    elapsed_ = (NowNs() - start) / 1e9;
    // Collect stragglers for 100 ms (not counted in the rate's time base).
    const int64_t drain_end = NowNs() + 100'000'000;
    while (NowNs() < drain_end) {
      const int n = epoll_wait(epoll_, events, 256, 10);
      for (int e = 0; e < n; ++e) Receive(events[e].data.u32);
    }
  }

  void Print(const char* mode) const {
    const double samples = std::max<uint64_t>(1, stats_.rx_err_samples);
    std::printf(
        "mode=%s req_per_s=%.0f sent=%llu received=%llu loss=%.4f p50_us=%.1f "
        "p99_us=%.1f rx_err_us=%.2f timeouts=%llu bad=%llu\n",
        mode, stats_.received / elapsed_, static_cast<unsigned long long>(stats_.sent),
        static_cast<unsigned long long>(stats_.received),
        stats_.sent == 0 ? 0.0 : 1.0 - static_cast<double>(stats_.received) / stats_.sent,
        stats_.latency.PercentileUs(0.5), stats_.latency.PercentileUs(0.99),
        stats_.rx_err_sum_ns / samples / 1000.0,
        static_cast<unsigned long long>(stats_.timeouts),
        static_cast<unsigned long long>(stats_.bad));
  }

 private:
  sockaddr_in target_;
  int epoll_ = -1;
  std::vector<Source> sources_;
  uint8_t requests_[kBatch][48];
  uint8_t replies_[kBatch][512];
  Stats stats_;
  double elapsed_ = 1;
};

// One request, checked as ntpdate checks it (tools/ntpq/ntp_query.h): only
// a reply from the server's address and port, in mode 4, with our version
// and nonce counts; the server's text is printed escaped; a short or
// malformed datagram is reported as such. Exit 0 for a genuine reply
// (synchronised or not), 1 otherwise.
int UsageError();

int Query(const std::string& text) {
  absl::StatusOr<net::SocketAddress> server = ntp::tools::ParseServerAddress(text, 123);
  if (!server.ok()) return UsageError();
  absl::StatusOr<std::unique_ptr<ntp::tools::UdpClient>> socket =
      ntp::tools::UdpClient::Open(*server);
  if (!socket.ok()) {
    std::fprintf(stderr, "ntp_loadgen: %s\n", std::string(socket.status().message()).c_str());
    return 1;
  }
  const ntp::tools::NtpQueryResult r = ntp::tools::QueryNtpServer(
      **socket, 4, absl::Seconds(2), std::random_device{}() * 0x100000001ull + 1);
  const std::string where = server->ToString();
  const bool genuine = r.reply.has_value() && r.verdict != ntp::ReplyVerdict::kBogus &&
                       r.verdict != ntp::ReplyVerdict::kWrongMode;
  if (!genuine) {
    std::fprintf(stderr, "ntp_loadgen: %s from %s\n",
                 ntp::tools::DescribeOutcome(r).c_str(), where.c_str());
    return 1;
  }
  const ntp::NtpPacket& p = *r.reply;
  const int leap = static_cast<int>(p.leap);
  const char* leaps[] = {"no-leap", "add-leap", "del-leap", "unsync"};
  std::string refid = ntp::EscapeForDisplay(ntp::FormatControlRefId(p.reference_id, p.stratum));
  if (p.stratum <= 1 || p.stratum >= 16) refid = "." + refid + ".";
  if (r.outcome == ntp::tools::NtpQueryResult::Outcome::kAccepted) {
    std::printf("%s s%d %s offset %+.6f delay %.6f refid %s\n", where.c_str(), p.stratum,
                leaps[leap], r.sample.offset_seconds, r.sample.delay_seconds, refid.c_str());
  } else {
    std::printf("%s s%d %s refid %s\n", where.c_str(), p.stratum, leaps[leap], refid.c_str());
  }
  std::printf("  version %d mode %d poll %d precision %d rootdelay %.6f rootdisp %.6f\n",
              p.version, static_cast<int>(p.mode), p.poll_log2_seconds,
              p.precision_log2_seconds, p.root_delay.ToSeconds(),
              p.root_dispersion.ToSeconds());
  if (r.outcome != ntp::tools::NtpQueryResult::Outcome::kAccepted) {
    std::printf("  not usable: %s\n", r.detail.c_str());
  }
  return 0;
}

constexpr char kUsage[] =
    "usage: ntp_loadgen --query ADDR:PORT\n"
    "       ntp_loadgen --target ADDR:PORT (--closed --inflight N | --open --rate R) "
    "[--sources K] [--duration S]\n";

int UsageError() {
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  if (absl::ParseCommandLine(argc, argv).size() != 1) return UsageError();
  const std::string query = absl::GetFlag(FLAGS_query);
  const std::string target = absl::GetFlag(FLAGS_target);
  const bool closed = absl::GetFlag(FLAGS_closed), open = absl::GetFlag(FLAGS_open);
  const int inflight = absl::GetFlag(FLAGS_inflight), sources = absl::GetFlag(FLAGS_sources);
  const double rate = absl::GetFlag(FLAGS_rate);
  double duration = absl::GetFlag(FLAGS_duration);
  sockaddr_in address;
  if (!query.empty()) return Query(query);
  if (target.empty() || !ParseAddress(target, &address) || closed == open ||
      inflight < 1 || sources < 1 || sources > 4096 || rate <= 0 || duration <= 0) {
    return UsageError();
  }
  duration = std::min(duration, kMaxDurationSeconds);
  LoadGen gen(address, sources);
  if (closed) {
    gen.RunClosed(inflight, duration);
    gen.Print("closed");
  } else {
    gen.RunOpen(rate, duration);
    gen.Print("open");
  }
  return 0;
}
