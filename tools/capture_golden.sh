#!/usr/bin/env bash
# Re-captures the golden NTP packets in testdata/golden/ from real implementations (chronyd,
# ntpsec's ntpdig and ntpd) talking to each other over loopback, through tools/udp_relay.py,
# which records every UDP payload. Developer tool: needs root, apt access and about a minute.
# NOT run by CI; the committed captures are what the tests read.
#
# Usage: tools/capture_golden.sh
#   Env: NTP_INTEROP_CACHE (default ~/.cache/ntp-interop) holds the fetched .debs and their
#        unpacked trees; KEEP_WORK=1 keeps the temporary work directory for inspection;
#        SKIP_NTPSEC_DAEMON=1 skips the ntpd cases (they need `unshare -n`).
#
# Safety, as the project requires:
# - chrony, ntpsec, ntpsec-ntpdig and python3-ntp are fetched with `apt-get download` and unpacked
#   with `dpkg -x` into the cache; nothing is installed, no service is started.
# - Every daemon and ntpdig runs under `setpriv --bounding-set -sys_time --inh-caps -sys_time`, so
#   none of them can change the clock; chronyd also gets -x (no clock control), ntpd gets
#   `disable ntp` + `disable kernel`, ntpdig is never given -s/-S.
# - Loopback only. chronyd and the relays use ports the kernel hands out as free. ntpd cannot use any
#   port but 123, so the ntpd cases run in a private network namespace (`unshare -n`, only lo, up),
#   where 127.0.0.1:123 is checked to be free before ntpd starts.
# - Every started PID is recorded and killed on exit (trap), each with a bounded wait.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly GOLDEN="$REPO/testdata/golden"
readonly RELAY="$REPO/tools/udp_relay.py"
readonly CACHE="${NTP_INTEROP_CACHE:-$HOME/.cache/ntp-interop}"
readonly ROOTFS="$CACHE/root"
readonly PY=/usr/bin/python3   # Debian's interpreter: ntpdig and python3-ntp are built for it
readonly PACKAGES=(chrony ntpsec ntpsec-ntpdig python3-ntp)
readonly NOCLOCK=(setpriv --bounding-set -sys_time --inh-caps -sys_time)

PIDS=()

log() { printf 'capture_golden: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stops one PID we started: TERM, up to 5 s grace, then KILL. Never by name.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && stop_pid "$pid"
  done
  PIDS=()
}

# Starts "$@" in the background with output to $WORK/logs/NAME.log; sets LAST_PID.
start_bg() {
  local name=$1; shift
  "$@" >"$WORK/logs/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# Prints a UDP port the kernel reports free on ADDR (bind to port 0, read it back, close).
free_port() {
  "$PY" -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"
}

# Fails unless ADDR:PORT can be bound right now (nothing else is using it).
require_port_free() {
  "$PY" -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],int(sys.argv[2])))' "$1" "$2" \
    || die "$1:$2 is already in use"
}

# Waits (at most 10 s) until some process has bound UDP ADDR:PORT.
wait_bound() {
  local addr=$1 port=$2 i
  for i in $(seq 100); do
    if ! "$PY" -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],int(sys.argv[2])))' \
        "$addr" "$port" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  die "nothing listens on $addr:$port after 10 s (see $WORK/logs/)"
}

# Prints how many datagrams the relay recorded for CASE.
count_bins() {
  local files=("$WORK/cases/$1"/*.bin)
  if [[ -e "${files[0]}" ]]; then echo "${#files[@]}"; else echo 0; fi
}

# Waits for PID to exit by itself, at most SECONDS, then stops it.
wait_or_stop() {
  local pid=$1 seconds=$2 i
  for i in $(seq $((seconds * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  stop_pid "$pid"
}

# start_relay CASE LISTEN_ADDR LISTEN_PORT UPSTREAM MAX_DATAGRAMS DURATION REQ_SENDER REPLY_SENDER MAC
# Records CASE's datagrams in $WORK/cases/CASE/ and its metadata in case.txt. Sets LAST_PID.
start_relay() {
  local case=$1 addr=$2 port=$3 upstream=$4 max=$5 duration=$6
  mkdir -p "$WORK/cases/$case"
  printf 'request_sender=%s\nreply_sender=%s\nmac=%s\n' "$7" "$8" "$9" >"$WORK/cases/$case/case.txt"
  rm -f "$WORK/ready.$case"
  start_bg "relay.$case" "$PY" "$RELAY" --listen "$addr:$port" --upstream "$upstream" \
    --out "$WORK/cases/$case" --max-datagrams "$max" --duration "$duration" \
    --ready-file "$WORK/ready.$case"
  local i
  for i in $(seq 50); do [[ -s "$WORK/ready.$case" ]] && return 0; sleep 0.1; done
  die "relay for $case did not start (see $WORK/logs/relay.$case.log)"
}

# ntpdig_case CASE SERVER_ADDR SERVER_PORT REPLY_SENDER MAC [ntpdig options...]
# One ntpdig query through a fresh relay. ntpdig has no port option, so a three-line wrapper
# rewrites port 123 to the relay's port in socket.getaddrinfo; the bytes are ntpdig's own.
ntpdig_case() {
  local case=$1 server=$2 server_port=$3 reply_sender=$4 mac=$5; shift 5
  local port relay_pid
  port=$(free_port 127.0.0.3)
  start_relay "$case" 127.0.0.3 "$port" "$server:$server_port" 2 15 \
    "ntpdig-$NTPDIG_VERSION" "$reply_sender" "$mac"
  relay_pid=$LAST_PID
  "${NOCLOCK[@]}" env PYTHONPATH="$ROOTFS/usr/lib/python3/dist-packages" \
    timeout 15 "$PY" "$WORK/ntpdig_port.py" "$port" "$ROOTFS/usr/bin/ntpdig" -t 2 "$@" 127.0.0.3 \
    >"$WORK/logs/ntpdig.$case.log" 2>&1 || true
  sleep 0.3
  stop_pid "$relay_pid"
  log "$case: $(count_bins "$case") datagrams"
}

# Prints the names of the cached .deb files, sorted, space-separated.
deb_names() {
  local deb
  for deb in "$CACHE"/debs/*.deb; do printf '%s ' "${deb##*/}"; done
}

fetch_packages() {
  mkdir -p "$CACHE/debs"
  local pkg missing=()
  for pkg in "${PACKAGES[@]}"; do
    compgen -G "$CACHE/debs/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "apt-get download ${missing[*]}"
    (cd "$CACHE/debs" && apt-get download "${missing[@]}")
  fi
  local stamp
  stamp=$(deb_names)
  if [[ ! -f "$ROOTFS/.unpacked" || "$(cat "$ROOTFS/.unpacked")" != "$stamp" ]]; then
    log "unpacking into $ROOTFS"
    rm -rf "$ROOTFS"
    mkdir -p "$ROOTFS"
    local deb
    for deb in "$CACHE"/debs/*.deb; do dpkg -x "$deb" "$ROOTFS"; done
    # python3-ntp looks for libntpc.so next to its own modules first.
    ln -sf ../../../x86_64-linux-gnu/ntp/libntpc.so.1.1.0 \
      "$ROOTFS/usr/lib/python3/dist-packages/ntp/libntpc.so"
    printf '%s' "$stamp" >"$ROOTFS/.unpacked"
  fi
  local missing_libs
  missing_libs=$(ldd "$ROOTFS/usr/sbin/chronyd" "$ROOTFS/usr/sbin/ntpd" \
    "$ROOTFS/usr/lib/x86_64-linux-gnu/ntp/libntpc.so.1.1.0" | grep 'not found' || true)
  [[ -z "$missing_libs" ]] || die "missing shared libraries (apt-get download + dpkg -x them into $ROOTFS):
$missing_libs"
}

write_common_files() {
  mkdir -p "$WORK/logs" "$WORK/cases"
  install -m 600 "$GOLDEN/chrony.keys" "$WORK/chrony.keys"
  install -m 600 "$GOLDEN/ntp.keys" "$WORK/ntp.keys"
  install -m 600 "$GOLDEN/client-only.keys" "$WORK/client-only.keys"
  cat >"$WORK/ntpdig_port.py" <<'EOF'
import runpy, socket, sys
port, script = int(sys.argv[1]), sys.argv[2]
real_getaddrinfo = socket.getaddrinfo
socket.getaddrinfo = lambda host, p, *a, **k: real_getaddrinfo(host, port if p == 123 else p, *a, **k)
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name="__main__")
EOF
}

# start_chronyd_server NAME ADDR PORT: a chronyd that serves time (local stratum 8) and knows keys 1-3.
start_chronyd_server() {
  local name=$1 addr=$2 port=$3
  cat >"$WORK/$name.conf" <<EOF
port $port
bindaddress $addr
allow 127.0.0.0/8
local stratum 8
keyfile $WORK/chrony.keys
cmdport 0
bindcmdaddress /
pidfile $WORK/$name.pid
driftfile $WORK/$name.drift
EOF
  start_bg "$name" "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/chronyd" -x -d -u root -f "$WORK/$name.conf"
  wait_bound "$addr" "$port"
}

# chronyd_client_cases PREFIX UPSTREAM REPLY_SENDER FIRST_OCTET: one chronyd client with four
# sources (plain, key 1, 2, 3), each through its own relay at 127.0.0.<FIRST_OCTET + i>.
chronyd_client_cases() {
  local prefix=$1 upstream=$2 reply_sender=$3 octet=$4
  local auths=(plain md5 sha1 aes128cmac) keys=("" 1 2 3) macs=(none 1:MD5 2:SHA1 3:AES128CMAC)
  local i relay_pids=() servers=""
  for i in 0 1 2 3; do
    local addr="127.0.0.$((octet + i))" port
    port=$(free_port "$addr")
    start_relay "${prefix}_${auths[$i]}" "$addr" "$port" "$upstream" 8 30 \
      "chronyd-$CHRONY_VERSION" "$reply_sender" "${macs[$i]}"
    relay_pids+=("$LAST_PID")
    servers+="server $addr port $port${keys[$i]:+ key ${keys[$i]}} iburst"$'\n'
  done
  cat >"$WORK/$prefix.conf" <<EOF
port 0
bindacqaddress 127.0.0.4
${servers}keyfile $WORK/chrony.keys
cmdport 0
bindcmdaddress /
pidfile $WORK/$prefix.pid
driftfile $WORK/$prefix.drift
EOF
  start_bg "$prefix" "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/chronyd" -x -d -u root -f "$WORK/$prefix.conf"
  local client_pid=$LAST_PID pid
  for pid in "${relay_pids[@]}"; do wait_or_stop "$pid" 30; done
  stop_pid "$client_pid"
  for i in 0 1 2 3; do
    log "${prefix}_${auths[$i]}: $(count_bins "${prefix}_${auths[$i]}") datagrams"
  done
}

# Phase 1 (host loopback): chronyd server; ntpdig and a chronyd client talk to it.
chrony_phase() {
  local server_port
  server_port=$(free_port 127.0.0.2)
  start_chronyd_server chronyd_server 127.0.0.2 "$server_port"
  local up="127.0.0.2:$server_port" chrony="chronyd-$CHRONY_VERSION"
  ntpdig_case ntpdig_chronyd_plain 127.0.0.2 "$server_port" "$chrony" none
  ntpdig_case ntpdig_chronyd_md5 127.0.0.2 "$server_port" "$chrony" 1:MD5 -a 1 -k "$WORK/ntp.keys"
  ntpdig_case ntpdig_chronyd_sha1 127.0.0.2 "$server_port" "$chrony" 2:SHA1 -a 2 -k "$WORK/ntp.keys"
  ntpdig_case ntpdig_chronyd_aes128cmac 127.0.0.2 "$server_port" "$chrony" 3:AES128CMAC \
    -a 3 -k "$WORK/ntp.keys"
  ntpdig_case ntpdig_chronyd_unknownkey 127.0.0.2 "$server_port" "$chrony" 99:MD5 \
    -a 99 -k "$WORK/client-only.keys"
  chronyd_client_cases chronyd_chronyd "$up" "$chrony" 11
  cleanup
}

# Phase 2 (inside `unshare -n`): ntpd as server (orphan mode, stratum 8), then as client of chronyd.
ntpsec_phase() {
  ip link set lo up
  require_port_free 127.0.0.1 123
  local ntpd="ntpd-$NTPD_VERSION"
  cat >"$WORK/ntpd_server.conf" <<EOF
driftfile $WORK/ntpd_server.drift
statsdir $WORK/
logfile $WORK/logs/ntpd_server.ntpdlog
keys $WORK/ntp.keys
trustedkey 1 2 3
disable ntp
disable kernel
interface ignore wildcard
interface listen 127.0.0.1
tos orphan 8 orphanwait 1
EOF
  start_bg ntpd_server "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/ntpd" -n -c "$WORK/ntpd_server.conf" \
    -p "$WORK/ntpd_server.pid"
  local ntpd_pid=$LAST_PID
  wait_bound 127.0.0.1 123
  # Wait (at most 20 s) until ntpd leaves stratum 16 (orphan mode takes over after orphanwait).
  "$PY" - <<'EOF' || die "ntpd stayed unsynchronised"
import socket, time
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
    s.sendto(bytes([0xe3]) + bytes(47), ("127.0.0.1", 123))
    try:
        if 0 < s.recv(100)[1] < 16: raise SystemExit(0)
    except socket.timeout:
        pass
    time.sleep(1)
raise SystemExit(1)
EOF
  ntpdig_case ntpdig_ntpd_plain 127.0.0.1 123 "$ntpd" none
  ntpdig_case ntpdig_ntpd_md5 127.0.0.1 123 "$ntpd" 1:MD5 -a 1 -k "$WORK/ntp.keys"
  ntpdig_case ntpdig_ntpd_sha1 127.0.0.1 123 "$ntpd" 2:SHA1 -a 2 -k "$WORK/ntp.keys"
  ntpdig_case ntpdig_ntpd_aes128cmac 127.0.0.1 123 "$ntpd" 3:AES128CMAC -a 3 -k "$WORK/ntp.keys"
  ntpdig_case ntpdig_ntpd_unknownkey 127.0.0.1 123 "$ntpd" 99:MD5 -a 99 -k "$WORK/client-only.keys"
  chronyd_client_cases chronyd_ntpd 127.0.0.1:123 "$ntpd" 11
  stop_pid "$ntpd_pid"

  # ntpd as a client of chronyd. ntpd refuses every 127/8 server address except 127.0.0.1, and
  # only one association per address, so the four key variants run one after the other: ntpd
  # listens on 127.0.0.5:123 only, the relay takes 127.0.0.1:123, and the namespace's local route
  # for 127.0.0.1 gets source hint 127.0.0.5 so that ntpd finds its own socket to send from.
  ip addr add 127.0.0.5/8 dev lo
  ip route replace local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.5
  local server_port
  server_port=$(free_port 127.0.0.2)
  start_chronyd_server chronyd_server_ns 127.0.0.2 "$server_port"
  local auths=(plain md5 sha1 aes128cmac) keys=("" 1 2 3) macs=(none 1:MD5 2:SHA1 3:AES128CMAC)
  local i case relay_pid client_pid
  for i in 0 1 2 3; do
    case="ntpd_chronyd_${auths[$i]}"
    require_port_free 127.0.0.1 123
    start_relay "$case" 127.0.0.1 123 "127.0.0.2:$server_port" 8 30 \
      "$ntpd" "chronyd-$CHRONY_VERSION" "${macs[$i]}"
    relay_pid=$LAST_PID
    cat >"$WORK/$case.conf" <<EOF
driftfile $WORK/$case.drift
statsdir $WORK/
logfile $WORK/logs/$case.ntpdlog
keys $WORK/ntp.keys
trustedkey 1 2 3
disable ntp
disable kernel
interface ignore wildcard
interface ignore ipv6
interface ignore 127.0.0.1
interface listen 127.0.0.5
server 127.0.0.1${keys[$i]:+ key ${keys[$i]}} iburst
EOF
    start_bg "$case" "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/ntpd" -n -c "$WORK/$case.conf" \
      -p "$WORK/$case.pid"
    client_pid=$LAST_PID
    wait_or_stop "$relay_pid" 30
    stop_pid "$client_pid"
    log "$case: $(count_bins "$case") datagrams"
  done
  cleanup
}

# Copies the captures into testdata/golden/ and writes manifest.txt.
collect() {
  local case
  for case in "$WORK"/cases/*/; do
    case=$(basename "$case")
    [[ $(count_bins "$case") -gt 0 ]] || die "$case captured nothing (see $WORK/logs/)"
    rm -rf "${GOLDEN:?}/$case"
    mkdir -p "$GOLDEN/$case"
    cp "$WORK/cases/$case"/*.bin "$WORK/cases/$case"/{relay.log,case.txt} "$GOLDEN/$case/"
  done
  # The manifest covers every case folder in testdata/golden/, captured now or earlier.
  "$PY" - "$GOLDEN" "$GOLDEN/manifest.txt" "$VERSIONS" <<'EOF'
import os, sys
cases_dir, out_path, versions = sys.argv[1], sys.argv[2], sys.argv[3]
lines = [
    "# Golden NTP datagrams captured by tools/capture_golden.sh (see README.md). One line per file:",
    "#   FILE DIRECTION SENDER LENGTH MAC ANSWERS",
    "# DIRECTION: request (client -> server) or reply (server -> client).",
    "# MAC: none (48-octet packet), or KEYID:ALGORITHM of the configured key (keys in ntp.keys /",
    "#      client-only.keys). A reply's MAC uses the key of the request it answers.",
    "# ANSWERS: for a reply, the request file (same folder) it answers; '-' for requests.",
    "# Software (last capture run): " + versions,
]
for case in sorted(os.listdir(cases_dir)):
    if not os.path.isfile(os.path.join(cases_dir, case, "case.txt")):
        continue
    meta = dict(line.strip().split("=", 1) for line in open(os.path.join(cases_dir, case, "case.txt")))
    for entry in open(os.path.join(cases_dir, case, "relay.log")):
        fields = entry.split()
        name, direction, length = fields[0], fields[1], fields[2]
        answers = [f for f in fields if f.startswith("answers=")][0].split("=", 1)[1]
        sender = meta["request_sender"] if direction == "request" else meta["reply_sender"]
        lines.append("%s/%s %s %s %s %s %s" % (case, name, direction, sender, length, meta["mac"], answers))
open(out_path, "w").write("\n".join(lines) + "\n")
EOF
  log "wrote $(grep -vc '^#' "$GOLDEN/manifest.txt") datagrams to $GOLDEN"
}

# Copies a few captures into the packet fuzzer's seed corpus (names prefixed golden_).
copy_fuzz_seeds() {
  local fuzz="$REPO/testdata/fuzz/packet_fuzz" pair
  mkdir -p "$fuzz"
  for pair in \
    ntpdig_chronyd_plain/001_request.bin:golden_ntpdig_request_plain.bin \
    ntpdig_chronyd_plain/002_reply.bin:golden_chronyd_reply_plain.bin \
    ntpdig_chronyd_md5/001_request.bin:golden_ntpdig_request_md5.bin \
    ntpdig_chronyd_md5/002_reply.bin:golden_chronyd_reply_md5.bin \
    chronyd_chronyd_sha1/001_request.bin:golden_chronyd_request_sha1.bin \
    chronyd_chronyd_sha1/002_reply.bin:golden_chronyd_reply_sha1.bin \
    ntpd_chronyd_aes128cmac/001_request.bin:golden_ntpd_request_aes128cmac.bin \
    chronyd_ntpd_aes128cmac/002_reply.bin:golden_ntpd_reply_aes128cmac.bin \
    ntpdig_ntpd_plain/002_reply.bin:golden_ntpd_reply_plain.bin \
    ntpdig_chronyd_unknownkey/001_request.bin:golden_ntpdig_request_unknownkey.bin; do
    if [[ -f "$GOLDEN/${pair%%:*}" ]]; then cp "$GOLDEN/${pair%%:*}" "$fuzz/${pair##*:}"; fi
  done
}

main() {
  [[ $(id -u) == 0 ]] || die "run as root (chronyd and ntpd want root; setpriv removes CAP_SYS_TIME)"
  fetch_packages
  CHRONY_VERSION=$("$ROOTFS/usr/sbin/chronyd" -v | awk '{print $4}')
  NTPD_VERSION=$("$ROOTFS/usr/sbin/ntpd" -V | awk '{print $2}')
  NTPDIG_VERSION=$(PYTHONPATH="$ROOTFS/usr/lib/python3/dist-packages" "$PY" \
    "$ROOTFS/usr/bin/ntpdig" -V | awk '{print $2}')
  VERSIONS="chronyd $CHRONY_VERSION, ntpd $NTPD_VERSION, ntpdig $NTPDIG_VERSION; debs: $(deb_names)"
  VERSIONS=${VERSIONS% }
  export CHRONY_VERSION NTPD_VERSION NTPDIG_VERSION VERSIONS
  log "chronyd $CHRONY_VERSION, ntpd $NTPD_VERSION, ntpdig $NTPDIG_VERSION"

  WORK=$(mktemp -d /tmp/capture-golden.XXXXXX)
  export WORK
  trap 'cleanup; if [[ "${KEEP_WORK:-0}" == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi' EXIT
  trap 'exit 130' INT TERM
  write_common_files

  chrony_phase
  if [[ "${SKIP_NTPSEC_DAEMON:-0}" != 1 ]]; then
    # Same script, second phase, in a private network namespace (child PID stopped by our trap).
    start_bg ntpsec_phase timeout 150 unshare -n -- "$0" --ntpsec-phase
    local phase_pid=$LAST_PID
    wait "$phase_pid" || die "ntpd phase failed (see $WORK/logs/ntpsec_phase.log)"
  fi
  collect
  copy_fuzz_seeds
}

if [[ "${1:-}" == "--ntpsec-phase" ]]; then
  # Runs inside `unshare -n`; WORK and the versions come from the parent's environment.
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  ntpsec_phase
else
  main "$@"
fi
