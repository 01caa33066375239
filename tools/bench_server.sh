#!/usr/bin/env bash
# Loopback throughput benchmark of NTP servers on one core: chronyd, ntpsec's
# ntpd, our ntpd and a bare one-syscall-per-packet responder, each in turn
# under the same load from tools/ntp_loadgen (closed loop with N requests in
# flight, then an open-loop rate sweep over many 127/8 source addresses).
# Prints one line per server (req/s, p50/p99 latency, mean RX-timestamp
# error against the server's own clock) and the ratios. NOT part of the test
# run: it needs root, about two minutes and a quiet machine.
#
# Usage: tools/bench_server.sh          (plain NTP, all servers below)
#        tools/bench_server.sh --nts    (NTS: see "NTS mode" below)
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
# NTS mode (--nts): NTS-protected requests per second (RFC 8915 §5) on one
# core, chronyd's NTS server against ours, both running in the same
# namespace (chronyd on 127.0.0.2, ours on 127.0.0.3, NTP on 123, NTS-KE on
# 4460, certificates from a throw-away CA made with `openssl` here) and
# loaded in turn by tools/nts/nts_loadgen: one NTS-KE exchange, then a closed
# loop of NTS requests, each with one cookie and N - 1 placeholders, so each
# reply carries N fresh cookies; the first reply to every pooled request is
# authenticated before the timed part. Every round runs every N for both
# servers, alternating which goes first; prints req/s per server (median and
# range over rounds) and ours/chronyd (median and range of the per-round
# ratios, and the ratio of the medians).
#   Env: ROUNDS (default 3), DURATION (s per run, default 5), NTS_INFLIGHT
#        (default 64), NTS_COOKIES (values of N, default "1 8"), OURS_NTS
#        (nts_serve, default: tools/nts/nts_serve, our NTS-KE and NTS
#        packet path around the daemon's Responder; or ntpd: the daemon
#        itself, with `nts enable`, `nts cert`, `nts key` and `nts cookie`
#        in its configuration), NTP_INTEROP_CACHE, BAZEL_OUTPUT_BASE.
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
NTS_INFLIGHT="${NTS_INFLIGHT:-64}"
NTS_COOKIES="${NTS_COOKIES:-1 8}"
OURS_NTS="${OURS_NTS:-nts_serve}"
MODE=plain

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
  launch "$server" "$WORK/$server.log" "${cmd[@]}" &&
    await_server "$server" "$WORK/$server.log" "$BIN/ntp_loadgen" --query 127.0.0.1:123
}

# launch NAME LOG CMD...: starts CMD pinned to SERVER_CPU without clock
# rights, output appended to LOG; sets SERVER_PID.
launch() {
  local log_file=$2
  shift 2
  taskset -c "$SERVER_CPU" "${NOCLOCK[@]}" "$@" >>"$log_file" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

# await_server NAME LOG PROBE...: returns 0 once PROBE succeeds (at most
# 100 tries, about 20 s); otherwise prints LOG, stops SERVER_PID, returns 1.
await_server() {
  local server=$1 log_file=$2 i
  shift 2
  for i in $(seq 100); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  log "$server did not answer:"
  cat "$log_file" >&2
  stop_pid "$SERVER_PID"
  return 1
}

# In the fresh network namespace: loopback up, a work directory removed
# (and every server stopped) on exit.
enter_namespace() {
  ip link set lo up
  WORK=$(mktemp -d /tmp/bench_server.XXXXXX)
  trap 'cleanup; rm -rf "$WORK"' EXIT
}

# Runs inside the network namespace from here on.
inner() {
  enter_namespace
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

# --- NTS mode --------------------------------------------------------------
readonly NTS_NAME=ntp.test NTS_KE_PORT=4460
declare -A NTS_ADDRESS=([chronyd]=127.0.0.2 [ours]=127.0.0.3)

# A throw-away CA and a certificate for NTS_NAME, valid two days.
make_certs() {
  (cd "$WORK" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -keyout ca.key -out ca.pem -subj "/CN=bench CA" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout server.key -out server.csr -subj "/CN=$NTS_NAME" &&
    printf 'subjectAltName=DNS:%s\n' "$NTS_NAME" >ext.cnf &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -days 2 -out server.pem -extfile ext.cnf) >"$WORK/openssl.log" 2>&1 ||
    { cat "$WORK/openssl.log" >&2; die "openssl could not make the certificates"; }
}

# nts_load NAME COOKIES DURATION: one nts_loadgen run against server NAME,
# pinned to LOAD_CPU; prints its result line, fails unless every pooled
# reply authenticated and carried COOKIES cookies.
nts_load() {
  taskset -c "$LOAD_CPU" "$BIN/nts/nts_loadgen" --server "$NTS_NAME" \
    --address "${NTS_ADDRESS[$1]}" --ke_port "$NTS_KE_PORT" --ca "$WORK/ca.pem" \
    --cookies "$2" --duration "$3" --inflight "$NTS_INFLIGHT"
}

# start_nts_server NAME (chronyd or ours): starts it pinned to SERVER_CPU
# without clock rights; sets SERVER_PID and LABEL[NAME]; returns 1 if it is
# not available or does not answer NTS within 20 s.
declare -A LABEL_OF
start_nts_server() {
  local server=$1 address=${NTS_ADDRESS[$1]} cmd=()
  case "$server" in
    chronyd)
      [[ -x "$ROOTFS/usr/sbin/chronyd" ]] || return 1
      mkdir -p "$WORK/chrony-nts"
      cat >"$WORK/chrony-nts.conf" <<CONF
port 123
bindaddress $address
allow
local stratum 10
cmdport 0
pidfile $WORK/chronyd-nts.pid
ntsserverkey $WORK/server.key
ntsservercert $WORK/server.pem
ntsport $NTS_KE_PORT
ntsdumpdir $WORK/chrony-nts
CONF
      cmd=("$ROOTFS/usr/sbin/chronyd" -x -d -u root -f "$WORK/chrony-nts.conf")
      LABEL_OF[$server]="chronyd $("$ROOTFS/usr/sbin/chronyd" -v | awk '{print $4}') NTS"
      ;;
    ours)
      case "$OURS_NTS" in
        nts_serve)
          cmd=("$BIN/nts/nts_serve" --address "$address" --ntp_port 123
            --ke_port "$NTS_KE_PORT" --cert "$WORK/server.pem" --key "$WORK/server.key"
            --key_file "$WORK/nts.keys")
          LABEL_OF[$server]="ours (tools/nts/nts_serve -c opt)"
          ;;
        ntpd)
          cat >"$WORK/ours-nts.conf" <<CONF
server 127.127.1.0 prefer
fudge 127.127.1.0 stratum 10
nts enable
nts cert $WORK/server.pem
nts key $WORK/server.key
nts cookie $WORK/nts.keys
CONF
          cmd=("$BIN/ntpd" --no_clock_adjust -n -c "$WORK/ours-nts.conf"
            --listen "$address" --port 123 --nts_ke_port "$NTS_KE_PORT")
          LABEL_OF[$server]="ours (//tools:ntpd -c opt)"
          ;;
        *) die "OURS_NTS must be nts_serve or ntpd, not $OURS_NTS" ;;
      esac
      ;;
    *) die "unknown NTS server $server" ;;
  esac
  launch "$server" "$WORK/$server-nts.log" "${cmd[@]}" &&
    await_server "$server (NTS)" "$WORK/$server-nts.log" nts_load "$server" 1 0.1
}

inner_nts() {
  enter_namespace
  make_certs
  local results="$WORK/results" server round cookies line order=()
  : >"$results"
  for server in chronyd ours; do
    if start_nts_server "$server"; then
      order+=("$server")
    else
      log "$server not available, skipped"
    fi
  done
  ((${#order[@]})) || die "no NTS server answered"
  # Both servers stay up (an idle one costs nothing) and take turns; the
  # one going first alternates by round, so drifting background load hits
  # both alike. The ratio is taken within each round.
  for round in $(seq "$ROUNDS"); do
    local turn=("${order[@]}")
    ((round % 2)) || turn=($(printf '%s\n' "${order[@]}" | tac))
    for cookies in $NTS_COOKIES; do
      for server in "${turn[@]}"; do
        if ! line=$(nts_load "$server" "$cookies" "$DURATION"); then
          log "round $round $server cookies=$cookies FAILED: $line"
          continue
        fi
        log "round $round $server cookies=$cookies: $line"
        printf '%s|%s|%s|%s|%s\n' "$round" "$cookies" "$server" "${LABEL_OF[$server]}" \
          "$line" >>"$results"
      done
    done
  done
  cleanup
  [[ -f "$WORK/ours-nts.log" ]] && log "ours: $(tail -1 "$WORK/ours-nts.log")"

  python3 - "$results" <<'PY'
import statistics, sys
runs, labels = {}, {}
for line in open(sys.argv[1]):
    round_, cookies, server, label, rest = line.rstrip("\n").split("|", 4)
    f = rest.split()
    fields = dict(zip(f[::2], f[1::2]))
    labels[server] = label
    runs.setdefault(int(cookies), {}).setdefault(server, {})[int(round_)] = (
        float(fields["req_per_s"]), fields.get("request_octets", "?"))
def span(values):
    return "%.0f [%.0f..%.0f]" % (statistics.median(values), min(values), max(values))
print("NTS requests/s, closed loop, one core each: median [min..max] over rounds")
for cookies in sorted(runs):
    by_server = runs[cookies]
    octets = next(iter(next(iter(by_server.values())).values()))[1]
    print("%d cookie%s per reply (request %s octets):" % (
        cookies, "" if cookies == 1 else "s", octets))
    for server in ("chronyd", "ours"):
        if server in by_server:
            values = [v[0] for v in by_server[server].values()]
            print("  %-38s %s  (%d rounds)" % (labels[server], span(values), len(values)))
    if "chronyd" in by_server and "ours" in by_server:
        both = sorted(set(by_server["chronyd"]) & set(by_server["ours"]))
        ratios = [by_server["ours"][r][0] / by_server["chronyd"][r][0] for r in both]
        medians = statistics.median(v[0] for v in by_server["ours"].values()) / \
            statistics.median(v[0] for v in by_server["chronyd"].values())
        print("  ours / chronyd: per round %.2f [%.2f..%.2f], of the medians %.2f" % (
            statistics.median(ratios), min(ratios), max(ratios), medians))
PY
}

main() {
  if [[ "${1:-}" == "--inner" ]]; then
    BIN="$2"
    MODE="$3"
    if [[ $MODE == nts ]]; then inner_nts; else inner; fi
    return
  fi
  case "${1:-}" in
    "") ;;
    --nts) MODE=nts ;;
    *) die "usage: $0 [--nts]" ;;
  esac
  [[ $(id -u) == 0 ]] || die "run as root (unshare -n and the daemons need it; setpriv drops CAP_SYS_TIME)"
  command -v taskset >/dev/null || die "taskset (util-linux) is required"
  fetch_packages || log "could not fetch chrony/ntpsec: only ours and the bare responder run"
  local bazel=(bazel ${BAZEL_OUTPUT_BASE:+--output_base="$BAZEL_OUTPUT_BASE"})
  log "building (bazel build -c opt)"
  local targets=(//tools:ntpd //tools:ntp_loadgen //tools:bare_responder)
  if [[ $MODE == nts ]]; then
    command -v openssl >/dev/null || die "the openssl command is required"
    targets=(//tools/nts:nts_loadgen //tools/nts:nts_serve)
    [[ $OURS_NTS == ntpd ]] && targets+=(//tools:ntpd)
  fi
  (cd "$REPO" && "${bazel[@]}" build -c opt "${targets[@]}" >&2)
  local bin
  bin="$(cd "$REPO" && "${bazel[@]}" info -c opt bazel-bin 2>/dev/null)/tools"
  ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true
  exec unshare -n "$0" --inner "$bin" "$MODE"
}

main "$@"
