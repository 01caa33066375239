#!/usr/bin/env bash
# Interop tests of our ntpd (//tools:ntpd) against real implementations on
# loopback, run by Bazel as sh_tests (see BUILD):
#   ntpdig   ntpsec's ntpdig queries our server and accepts the reply (s11).
#   seed     the tutorial's server-ntp.conf (paths rewritten) serves clients
#            on 127.0.0.2 and 127.0.0.3: ntpdig gets answers on both
#            (unsynchronised during ntpd 4.2.8's 300 s wait, then stratum 11
#            once the wait is shortened with `tos orphanwait 0`).
#   chronyd  chronyd (-x, no clock rights) uses our server as its source and
#            reports it reachable and selected.
#   client_chronyd  our client (--no_clock_adjust) selects chronyd 4.3
#            serving its local reference (`local stratum 8`) on loopback.
#   client_ntpsec   our client selects ntpsec's ntpd serving in orphan mode
#            on 127.0.0.1:123 (ntpsec knows no other port) inside a private
#            network namespace (`unshare -n`; skipped where not allowed).
# chrony / ntpsec come from Debian: reused from NTP_INTEROP_CACHE
# (~/.cache/ntp-interop, filled by tools/capture_golden.sh or
# tools/bench_server.sh) or fetched with `apt-get download` + `dpkg -x` into
# the test's temporary directory. If neither works the test prints a
# "SKIPPED:" line saying why and writes a JUnit result with one skipped case
# to $XML_OUTPUT_FILE, which .ci/run counts as skipped (never as passed). Nothing is installed; no daemon can touch the
# clock (setpriv drops CAP_SYS_TIME, chronyd also runs with -x, ours only
# reads it); every process is stopped by PID; loopback only, ports the
# kernel reports free.
set -uo pipefail

readonly CASE="${1:?usage: interop_test.sh ntpdig|seed|chronyd|client_chronyd|client_ntpsec}"
readonly NTPD="$PWD/tools/ntpd"
readonly SEED_CONF="$PWD/testdata/configs/seed/server-ntp.conf"
readonly WORK="${TEST_TMPDIR:-$(mktemp -d)}/interop_$CASE"
readonly PY=/usr/bin/python3
mkdir -p "$WORK"

source "$PWD/tools/test_lib.sh" interop "$CASE"

# Sets ROOTFS to an unpacked tree holding chronyd, ntpdig and python3-ntp.
find_packages() {
  # Bazel runs tests without HOME: fall back to the user's home directory.
  local home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
  local cache="${NTP_INTEROP_CACHE:-$home/.cache/ntp-interop}/root"
  if [[ -x "$cache/usr/sbin/chronyd" && -f "$cache/usr/bin/ntpdig" &&
        -x "$cache/usr/sbin/ntpd" && -d "$cache/usr/lib/python3/dist-packages/ntp" ]]; then
    ROOTFS="$cache"
    return 0
  fi
  ROOTFS="$WORK/root"
  fetch_debs "$WORK" chrony ntpsec ntpsec-ntpdig python3-ntp || return 1
  ln -sf ../../../x86_64-linux-gnu/ntp/libntpc.so.1.1.0 \
    "$ROOTFS/usr/lib/python3/dist-packages/ntp/libntpc.so"
}

# start_ours NAME CONF ARGS...: our daemon in the background; waits for its
# "serving on" line.
start_ours() {
  local name=$1 conf=$2; shift 2
  "${NOCLOCK[@]}" "$NTPD" --no_clock_adjust -n -c "$conf" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  local i
  for i in $(seq 100); do
    grep -q "serving on" "$WORK/$name.log" && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || fail "$name exited"
    sleep 0.05
  done
  fail "$name did not start"
}

# ntpdig PORT ARGS...: ntpsec's ntpdig, bytes unchanged; a three-line wrapper
# redirects its fixed port 123 to PORT.
ntpdig() {
  local port=$1; shift
  cat >"$WORK/ntpdig_port.py" <<'PYEOF'
import runpy, socket, sys
port, script = int(sys.argv[1]), sys.argv[2]
real_getaddrinfo = socket.getaddrinfo
socket.getaddrinfo = lambda host, p, *a, **k: real_getaddrinfo(host, port if p == 123 else p, *a, **k)
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name="__main__")
PYEOF
  "${NOCLOCK[@]}" env PYTHONPATH="$ROOTFS/usr/lib/python3/dist-packages" \
    timeout 20 "$PY" "$WORK/ntpdig_port.py" "$port" "$ROOTFS/usr/bin/ntpdig" -t 2 "$@"
}

# The seed's server-ntp.conf with its paths moved under $WORK/rootfs.
seed_conf() {
  local out=$1 root="$WORK/seedroot"
  mkdir -p "$root/etc/ntp/crypto" "$root/var/lib/ntp"
  printf '#crypto pw apassword\n' >"$root/etc/ntp/crypto/pw"
  printf '# no keys\n#65535 M akey\n' >"$root/etc/ntp/keys"
  chmod 600 "$root/etc/ntp/keys"
  sed -e "s|/var/lib/ntp/|$root/var/lib/ntp/|g" -e "s|/etc/ntp/|$root/etc/ntp/|g" \
    "$SEED_CONF" >"$out"
  grep -q "$root/etc/ntp/keys" "$out" || fail "path rewrite failed"
}

case_ntpdig() {
  # Keys for authenticated replies: ntpdig checks our MAC with each type.
  cat >"$WORK/ntp.keys" <<'KEYS'
1 MD5 md5secret
2 SHA1 sha1secret
3 AES128CMAC 00112233445566778899aabbccddeeff
KEYS
  chmod 600 "$WORK/ntp.keys"
  printf 'server 127.127.1.0\nfudge 127.127.1.0 stratum 10\ntos orphanwait 0\nkeys %s\ntrustedkey 1 2 3\n' \
    "$WORK/ntp.keys" >"$WORK/ours.conf"
  local port; port=$(free_port 127.0.0.2)
  start_ours ours "$WORK/ours.conf" --listen 127.0.0.2 --port "$port"
  sleep 1.3  # the first LOCAL poll, 1 s after start
  local out
  out=$(ntpdig "$port" 127.0.0.2 2>&1) || fail "ntpdig exit status $?: $out"
  log "$out"
  grep -Eq '^[0-9-]+ [0-9:.]+ \(\+0000\) [-+][0-9.]+ \+/- [0-9.]+ 127\.0\.0\.2 s11 no-leap$' <<<"$out" ||
    fail "unexpected ntpdig output: $out"
  out=$(ntpdig "$port" -j 127.0.0.2 2>&1) || fail "ntpdig -j: $out"
  "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["stratum"]==11 and d["leap"]=="no-leap", d' \
    "$out" || fail "unexpected ntpdig -j output: $out"
  local key
  for key in 1 2 3; do
    out=$(ntpdig "$port" -a "$key" -k "$WORK/ntp.keys" 127.0.0.2 2>&1) ||
      fail "ntpdig -a $key rejected our MAC: $out"
    log "key $key: $out"
    grep -q ' 127.0.0.2 s11 no-leap$' <<<"$out" || fail "unexpected ntpdig -a $key output: $out"
  done
  echo "PASS: ntpdig accepted our server (plain, MD5, SHA1, AES128CMAC)"
}

case_seed() {
  seed_conf "$WORK/server-ntp.conf"
  local port; port=$(free_port 127.0.0.2)
  start_ours seed "$WORK/server-ntp.conf" --listen 127.0.0.2 --listen 127.0.0.3 --port "$port"
  # Freshly started, exactly as ntpd 4.2.8: both addresses answer, with
  # LI 3 / stratum 0 / INIT, which ntpdig rejects.
  local out
  out=$(ntpdig "$port" 127.0.0.2 127.0.0.3 2>&1)
  log "$out"
  [[ $(grep -c 'Response dropped: stratum 0, probable KOD packet' <<<"$out") == 2 ]] ||
    fail "expected two unsynchronised replies: $out"
  grep -q 'no eligible servers' <<<"$out" || fail "ntpdig should find no eligible server: $out"
  grep -q 'getconfig: Couldn' "$WORK/seed.log" && fail "rewritten includefile not found"
  stop_pid "${PIDS[-1]}"

  # The same file with the 300 s wait shortened: stratum 11 on both.
  { cat "$WORK/server-ntp.conf"; echo "tos orphanwait 0"; } >"$WORK/server-ntp-fast.conf"
  port=$(free_port 127.0.0.2)
  start_ours seedfast "$WORK/server-ntp-fast.conf" --listen 127.0.0.2 --listen 127.0.0.3 \
    --port "$port"
  sleep 1.3
  local addr
  for addr in 127.0.0.2 127.0.0.3; do
    out=$(ntpdig "$port" "$addr" 2>&1) || fail "ntpdig $addr: $out"
    log "$out"
    grep -q " $addr s11 no-leap\$" <<<"$out" || fail "unexpected ntpdig output: $out"
  done
  echo "PASS: seed server-ntp.conf serves 127.0.0.2 and 127.0.0.3"
}

case_chronyd() {
  printf 'tos orphan 10 orphanwait 0\n' >"$WORK/ours.conf"
  local port cmdport
  port=$(free_port 127.0.0.2)
  cmdport=$(free_port 127.0.0.1)
  start_ours ours "$WORK/ours.conf" --listen 127.0.0.2 --port "$port"
  cat >"$WORK/chrony.conf" <<EOF
server 127.0.0.2 port $port iburst minpoll -2 maxpoll -2
cmdport $cmdport
bindcmdaddress 127.0.0.1
pidfile $WORK/chronyd.pid
EOF
  "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/chronyd" -x -d -u root -f "$WORK/chrony.conf" \
    >"$WORK/chronyd.log" 2>&1 &
  PIDS+=("$!")
  local i
  for i in $(seq 150); do
    grep -q "Selected source 127.0.0.2" "$WORK/chronyd.log" && break
    sleep 0.1
  done
  grep -q "Selected source 127.0.0.2" "$WORK/chronyd.log" || fail "chronyd did not select us"
  grep -q "Disabled control of system clock" "$WORK/chronyd.log" || fail "chronyd without -x?"
  local sources
  sources=$("$ROOTFS/usr/bin/chronyc" -h 127.0.0.1 -p "$cmdport" -n sources 2>&1)
  log "$sources"
  # ^* = selected; reach non-zero octal.
  grep -Eq '^\^\* 127\.0\.0\.2 +10 +-2 +[1-7][0-7]* ' <<<"$sources" ||
    fail "chronyc does not show us selected: $sources"
  echo "PASS: chronyd selected our server"
}


case_client_chronyd() {
  local port cmdport
  port=$(free_port 127.0.0.4)
  cmdport=$(free_port 127.0.0.1)
  cat >"$WORK/chrony.conf" <<EOF
port $port
bindaddress 127.0.0.4
local stratum 8
allow 127.0.0.0/8
cmdport $cmdport
bindcmdaddress 127.0.0.1
pidfile $WORK/chronyd.pid
EOF
  "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/chronyd" -x -d -u root -f "$WORK/chrony.conf" \
    >"$WORK/chronyd.log" 2>&1 &
  PIDS+=("$!")
  sleep 0.5
  printf 'server 127.0.0.4 iburst\n' >"$WORK/client.conf"
  start_ours client "$WORK/client.conf" --listen 127.0.0.5 --port "$(free_port 127.0.0.5)" \
    --server_port "$port"
  wait_for "$WORK/client.log" "synchronized to 127.0.0.4, stratum 9" 15 ||
    fail "our client did not select chronyd"
  log "$(grep 'synchronized to' "$WORK/client.log")"
  echo "PASS: our client selected chronyd"
}

case_client_ntpsec() {
  private_netns "ntpsec serves only on port 123" "$CASE"
  cat >"$WORK/ntpsec.conf" <<EOF
disable ntp
disable kernel
interface ignore wildcard
interface listen 127.0.0.1
tos orphan 8 orphanwait 1
restrict default
restrict 127.0.0.0 mask 255.0.0.0
EOF
  "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/ntpd" -n -c "$WORK/ntpsec.conf" -p "$WORK/ntpsec.pid" \
    >"$WORK/ntpsec.log" 2>&1 &
  PIDS+=("$!")
  # ntpsec leaves its 1 s orphan wait at its next once-a-second tick.
  sleep 2.5
  printf 'server 127.0.0.1 iburst\n' >"$WORK/client.conf"
  start_ours client "$WORK/client.conf" --listen 127.0.0.5 --port 12123
  wait_for "$WORK/client.log" "synchronized to 127.0.0.1, stratum 9" 20 ||
    fail "our client did not select ntpsec's ntpd"
  log "$(grep 'synchronized to' "$WORK/client.log")"
  echo "PASS: our client selected ntpsec's ntpd"
}

[[ -x "$NTPD" ]] || fail "no daemon at $NTPD"
find_packages || skip "chrony/ntpsec packages could not be fetched: $(tail -n 3 "$WORK/apt.out" 2>/dev/null | tr '\n' ' ')"
setpriv --bounding-set -sys_time --inh-caps -sys_time true 2>/dev/null ||
  skip "setpriv cannot drop CAP_SYS_TIME here; refusing to run daemons with clock rights"
"case_$CASE"
