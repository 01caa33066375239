#!/usr/bin/env bash
# Loopback throughput benchmark of NTP servers on one core: chronyd, ntpsec's
# ntpd, our ntpd and a bare one-syscall-per-packet responder, each in turn
# under the same load from tools/ntp_loadgen (closed loop with N requests in
# flight, then an open-loop rate sweep over many 127/8 source addresses).
# Prints one line per server (req/s, p50/p99 latency, mean RX-timestamp
# error against the server's own clock) and the ratios. NOT part of the test
# run: it needs root, about two minutes and a quiet machine.
#
# Usage: tools/bench_server.sh
#   Env: DURATION (s per run, default 5), INFLIGHT (default 256), SOURCES
#        (closed-loop source addresses, default 16), RATES (open-loop sweep,
#        default "100000 200000 300000 400000"), OPEN_SOURCES (default 256),
#        NTP_INTEROP_CACHE (default ~/.cache/ntp-interop: fetched .debs and
#        their unpacked tree), SERVERS (default "chronyd ntpsec ours bare
#        bare-user"; bare-user stamps arrivals in user space, for contrast;
#        ours-trace and ours-trace-all are ours recording a trace without
#        and with the requests served: SERVERS="ours ours-trace" measures
#        the recording overhead),
#        ROUNDS (closed-loop rounds over all servers, default 3; the median
#        is reported), BAZEL_OUTPUT_BASE (optional --output_base for the
#        build). RATES="" skips the open-loop sweep.
#
# Safety, as the project requires:
# - chrony and ntpsec are fetched with `apt-get download` and unpacked with
#   `dpkg -x` into the cache; nothing is installed, no service is started.
# - Every server runs under `setpriv --bounding-set -sys_time --inh-caps
#   -sys_time` (no clock rights); chronyd also gets -x, ntpsec's ntpd
#   `disable ntp` + `disable kernel`; ours and the bare responder only read
#   the clock anyway.
# - Everything runs in a private network namespace (`unshare -n`, only lo,
#   up), so the servers can use 127.0.0.1:123 (ntpsec's ntpd knows no other
#   port) without touching the host's port 123. Loopback only.
# - Every run is bounded in time (DURATION, at most 60 s) and count (the load
#   generator stops at 100 M requests); every started PID is stopped by PID.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly CACHE="${NTP_INTEROP_CACHE:-$HOME/.cache/ntp-interop}"
readonly ROOTFS="$CACHE/root"
readonly PACKAGES=(chrony ntpsec)
readonly NOCLOCK=(setpriv --bounding-set -sys_time --inh-caps -sys_time)
readonly SERVER_CPU=0 LOAD_CPU=1
DURATION="${DURATION:-5}"
INFLIGHT="${INFLIGHT:-256}"
SOURCES="${SOURCES:-16}"
RATES="${RATES-100000 200000 300000 400000}"
OPEN_SOURCES="${OPEN_SOURCES:-256}"
SERVERS="${SERVERS:-chronyd ntpsec ours bare bare-user}"
ROUNDS="${ROUNDS:-3}"

log() { printf 'bench_server: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PIDS=()
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do [[ -n "$pid" ]] && stop_pid "$pid"; done
  PIDS=()
}

fetch_packages() {
  mkdir -p "$CACHE/debs"
  local pkg missing=()
  for pkg in "${PACKAGES[@]}"; do
    compgen -G "$CACHE/debs/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "apt-get download ${missing[*]}"
    (cd "$CACHE/debs" && apt-get download "${missing[@]}") || return 1
  fi
  if [[ ! -x "$ROOTFS/usr/sbin/chronyd" || ! -x "$ROOTFS/usr/sbin/ntpd" ]]; then
    local deb
    mkdir -p "$ROOTFS"
    for deb in "$CACHE"/debs/*.deb; do dpkg -x "$deb" "$ROOTFS"; done
  fi
}

# start_server NAME: starts server NAME pinned to SERVER_CPU without clock
# rights; sets SERVER_PID and LABEL; returns 1 if it is not available or
# does not answer within 20 s.
start_server() {
  local server=$1 cmd=()
  case "$server" in
    chronyd)
      [[ -x "$ROOTFS/usr/sbin/chronyd" ]] || return 1
      cat >"$WORK/chrony.conf" <<CONF
port 123
bindaddress 127.0.0.1
allow
local stratum 10
cmdport 0
pidfile $WORK/chronyd.pid
CONF
      cmd=("$ROOTFS/usr/sbin/chronyd" -x -d -u root -f "$WORK/chrony.conf")
      LABEL="chronyd $("$ROOTFS/usr/sbin/chronyd" -v | awk '{print $4}')"
      ;;
    ntpsec)
      [[ -x "$ROOTFS/usr/sbin/ntpd" ]] || return 1
      cat >"$WORK/ntpsec.conf" <<CONF
disable ntp
disable kernel
interface ignore wildcard
interface listen 127.0.0.1
tos orphan 10 orphanwait 1
restrict default
restrict 127.0.0.0 mask 255.0.0.0
CONF
      cmd=("$ROOTFS/usr/sbin/ntpd" -n -c "$WORK/ntpsec.conf" -p "$WORK/ntpsec.pid")
      LABEL="ntpsec ntpd $("$ROOTFS/usr/sbin/ntpd" -V 2>&1 | awk '{sub("ntpsec-", "", $2); print $2; exit}')"
      ;;
    ours)
      printf 'server 127.127.1.0 prefer\nfudge 127.127.1.0 stratum 10\n' >"$WORK/ours.conf"
      cmd=("$BIN/ntpd" --no_clock_adjust -n -c "$WORK/ours.conf" --listen 127.0.0.1 --port 123)
      LABEL="ours (//tools:ntpd -c opt)"
      ;;
    ours-trace | ours-trace-all)
      # Recording its trace: requests served left out (ours-trace, as
      # `trace FILE serverreplies none`) or all of them (ours-trace-all).
      printf 'server 127.127.1.0 prefer\nfudge 127.127.1.0 stratum 10\n' >"$WORK/ours.conf"
      local replies=none
      [[ $server == ours-trace-all ]] && replies=all
      cmd=("$BIN/ntpd" --no_clock_adjust -n -c "$WORK/ours.conf" --listen 127.0.0.1 --port 123
        --trace="$WORK/$server.trace" --trace_serverreplies="$replies"
        --trace_maxsize=268435456 --trace_keep=1)
      LABEL="ours, trace (serverreplies $replies)"
      ;;
    bare)
      cmd=("$BIN/bare_responder" 127.0.0.1 123)
      LABEL="bare responder (recvmsg + sendto)"
      ;;
    bare-user)
      cmd=("$BIN/bare_responder" 127.0.0.1 123 --user-stamp)
      LABEL="bare, user-space RX stamp"
      ;;
    *) die "unknown server $server" ;;
  esac
  taskset -c "$SERVER_CPU" "${NOCLOCK[@]}" "${cmd[@]}" >>"$WORK/$server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local i
  for i in $(seq 100); do
    "$BIN/ntp_loadgen" --query 127.0.0.1:123 >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "$server did not answer:"
  cat "$WORK/$server.log" >&2
  stop_pid "$SERVER_PID"
  return 1
}

# Runs inside the network namespace from here on.
inner() {
  ip link set lo up
  WORK=$(mktemp -d /tmp/bench_server.XXXXXX)
  trap 'cleanup; rm -rf "$WORK"' EXIT
  local results="$WORK/results" server round line rate
  : >"$results"
  local available=()
  for server in $SERVERS; do
    if start_server "$server"; then
      available+=("$server")
      "$BIN/ntp_loadgen" --query 127.0.0.1:123 >&2 || true
      stop_pid "$SERVER_PID"
    else
      log "$server not available, skipped"
    fi
  done
  # Closed loop: ROUNDS rounds over all servers, so that background load
  # drifting during the run hits every server alike; the median counts.
  for round in $(seq "$ROUNDS"); do
    for server in "${available[@]}"; do
      start_server "$server" || continue
      line=$(taskset -c "$LOAD_CPU" "$BIN/ntp_loadgen" --target 127.0.0.1:123 --closed \
        --inflight "$INFLIGHT" --sources "$SOURCES" --duration "$DURATION")
      stop_pid "$SERVER_PID"
      log "round $round $server: $line"
      printf 'closed|%s|%s|%s\n' "$server" "$LABEL" "$line" >>"$results"
    done
  done
  # Open-loop sweep, once per server.
  for server in "${available[@]}"; do
    [[ -n "$RATES" ]] || break
    start_server "$server" || continue
    for rate in $RATES; do
      line=$(taskset -c "$LOAD_CPU" "$BIN/ntp_loadgen" --target 127.0.0.1:123 --open \
        --rate "$rate" --sources "$OPEN_SOURCES" --duration "$DURATION")
      log "$server open $rate/s: $line"
      printf 'open|%s|%s|%s %s\n' "$server" "$LABEL" "$rate" "$line" >>"$results"
    done
    stop_pid "$SERVER_PID"
  done

  python3 - "$results" <<'PY'
import statistics, sys
closed, sweeps, labels, order = {}, {}, {}, []
for line in open(sys.argv[1]):
    kind, server, label, rest = line.rstrip("\n").split("|", 3)
    labels[server] = label
    if server not in order:
        order.append(server)
    if kind == "closed":
        closed.setdefault(server, []).append(dict(kv.split("=") for kv in rest.split() if "=" in kv))
    else:
        rate, rest = rest.split(" ", 1)
        f = dict(kv.split("=") for kv in rest.split() if "=" in kv)
        sweeps.setdefault(server, []).append("%s@%sk(%.1f%%)" % (
            f["req_per_s"], int(rate) // 1000, 100 * float(f["loss"])))
def median(server, key):
    return statistics.median(float(r[key]) for r in closed[server])
print("%-34s %9s %8s %8s %9s   %s" % ("server (closed loop, median of %d)" % len(
    next(iter(closed.values()))), "req/s", "p50 us", "p99 us", "rx_err us",
    "open loop: served/s @ offered (loss)"))
for s in order:
    if s not in closed:
        continue
    runs = "/".join("%.0fk" % (float(r["req_per_s"]) / 1000) for r in closed[s])
    print("%-34s %9.0f %8.1f %8.1f %9.2f   %s   [runs %s]" % (
        labels[s], median(s, "req_per_s"), median(s, "p50_us"), median(s, "p99_us"),
        median(s, "rx_err_us"), " ".join(sweeps.get(s, [])), runs))
if "ours" in closed:
    for other in ("chronyd", "ntpsec", "bare", "ours-trace", "ours-trace-all"):
        if other in closed:
            print("ours / %-8s = %.2f" % (other, median("ours", "req_per_s") / median(other, "req_per_s")))
PY
}

main() {
  if [[ "${1:-}" == "--inner" ]]; then
    BIN="$2"
    inner
    return
  fi
  [[ $(id -u) == 0 ]] || die "run as root (unshare -n and the daemons need it; setpriv drops CAP_SYS_TIME)"
  command -v taskset >/dev/null || die "taskset (util-linux) is required"
  fetch_packages || log "could not fetch chrony/ntpsec: only ours and the bare responder run"
  local bazel=(bazel ${BAZEL_OUTPUT_BASE:+--output_base="$BAZEL_OUTPUT_BASE"})
  log "building (bazel build -c opt)"
  (cd "$REPO" && "${bazel[@]}" build -c opt //tools:ntpd //tools:ntp_loadgen \
    //tools:bare_responder >&2)
  local bin
  bin="$(cd "$REPO" && "${bazel[@]}" info -c opt bazel-bin 2>/dev/null)/tools"
  ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true
  exec unshare -n "$0" --inner "$bin"
}

main "$@"
