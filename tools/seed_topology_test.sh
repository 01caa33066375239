#!/usr/bin/env bash
# The tutorial's LAN, end to end, with the seed's own files and addresses:
# a server with testdata/configs/seed/server-ntp.conf on 192.168.31.223 and
# two clients with client-ntp.conf (`server 192.168.31.223 prefer`) on
# 192.168.31.10 and 192.168.31.11, the second one dropping to `nobody` with
# -u. It runs inside a private network namespace (`unshare -n`, loopback up,
# the seed's addresses on lo), so the files run verbatim but for their paths.
# Where namespaces are not allowed, the addresses are rewritten to
# 127.0.31.x and the output says so.
#
# Checked: the server serves LOCAL(0) at stratum 11; both clients select it
# (ntpd's "synchronized to 192.168.31.223, stratum 12"); the second client
# runs as nobody; SIGHUP with a changed file keeps the unchanged association;
# SIGTERM leaves a valid drift file; a SIGKILL never leaves a torn one;
# ntpq -p, ntpstat and ntpdate -q show what the seed's users expect.
#
# Two lines are appended besides the path changes, so that the test takes
# seconds rather than minutes (README.md, "What clients see"):
# - the server gets `tos orphanwait 0`: ntpd 4.2.8's 300 s wait before the
#   LOCAL clock is chosen would outlast the test;
# - the clients get `tos maxdist 16`: chosen at its first poll, the LOCAL
#   clock's filter holds one sample, so the server announces a root
#   dispersion of about 7.9 s (seven empty stages at 16 s), beyond the
#   default maxdist of 1.5 s until its fourth poll, 193 s later. ntpd's
#   clients would wait just the same.
#
# Safety: every daemon runs with --no_clock_adjust under setpriv without
# CAP_SYS_TIME; every process is stopped by PID; traffic stays on loopback.
set -uo pipefail

readonly NTPD="$PWD/tools/ntpd"
readonly SEED="$PWD/testdata/configs/seed"

log() { printf 'seed-topology: %s\n' "$*" >&2; }

source "$PWD/tools/test_lib.sh" seed_topology seed_topology

# Re-run inside a private network namespace when the machine allows it.
if [[ "${SEED_TOPOLOGY_INSIDE:-}" == "" ]]; then
  if unshare -n true 2>/dev/null && command -v ip >/dev/null; then
    exec unshare -n env SEED_TOPOLOGY_INSIDE=namespace "$0" "$@"
  fi
  export SEED_TOPOLOGY_INSIDE=loopback
fi

if [[ "$SEED_TOPOLOGY_INSIDE" == namespace ]]; then
  ip link set lo up || skip "cannot bring lo up in the namespace"
  for a in 192.168.31.223 192.168.31.10 192.168.31.11 10.99.0.1; do
    ip addr add "$a/32" dev lo || skip "cannot add $a to lo in the namespace"
  done
  readonly NET=192.168.31
  log "running in a private network namespace with the seed's addresses"
else
  # The seed's daemons listen on port 123: that needs root outside a
  # namespace of our own.
  [[ $(id -u) -eq 0 ]] || skip "no network namespace and not root: cannot bind port 123"
  readonly NET=127.0.31
  log "network namespaces are not allowed here: the seed's addresses are" \
      "rewritten to 127.0.31.x"
fi
readonly SERVER=$NET.223 CLIENT1=$NET.10 CLIENT2=$NET.11
# A host outside 192.168.31.0/24 (only in the namespace).
readonly OUTSIDER=10.99.0.1

readonly WORK="${TEST_TMPDIR:-$(mktemp -d)}/seed_topology"
rm -rf "$WORK"
mkdir -p "$WORK/server" "$WORK/client1" "$WORK/client2"
chmod 0777 "$WORK/client2"  # the drift directory of the client run as nobody

fail() {
  log "FAIL: $*"
  local f
  for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- $f"; cat "$f"; } >&2; done
  exit 1
}

# The seed files with their paths moved under $WORK (and the addresses
# rewritten when there is no namespace).
rewrite() {  # rewrite SRC DEST DIR
  sed -e "s|/var/lib/ntp/drift|$3/drift|" \
      -e "s|/etc/ntp/crypto/pw|$3/crypto-pw|" \
      -e "s|/etc/ntp/keys|$3/keys|" \
      -e "s|192\.168\.31\.|$NET.|g" "$1" > "$2"
}
rewrite "$SEED/server-ntp.conf" "$WORK/server.conf" "$WORK/server"
echo "tos orphanwait 0" >> "$WORK/server.conf"
rewrite "$SEED/client-ntp.conf" "$WORK/client1.conf" "$WORK/client1"
rewrite "$SEED/client-ntp.conf" "$WORK/client2.conf" "$WORK/client2"
echo "tos maxdist 16" >> "$WORK/client1.conf"
echo "tos maxdist 16" >> "$WORK/client2.conf"
log "appended: server 'tos orphanwait 0', clients 'tos maxdist 16' (see the" \
    "header of this script); paths moved under the test's directory"


start() {  # start NAME ARGS...
  local name=$1; shift
  "${NOCLOCK[@]}" "$NTPD" --no_clock_adjust -n "$@" > "$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  LAST_PID=$!
}

start server -c "$WORK/server.conf" --listen "$SERVER"
SERVER_PID=$LAST_PID
wait_for "$WORK/server.log" "synchronized to LOCAL(0), stratum 11" 5 \
  || fail "the server did not choose its LOCAL clock"
log "PASS: server on $SERVER serves LOCAL(0) at stratum 11"

# ask FROM MODE: one request from address FROM to the server's port 123;
# prints the reply's stratum, or "none" after 1 s.
ask() {
  /usr/bin/python3 - "$1" "$SERVER" "$2" <<'PY'
import socket, sys
src, dst, mode = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(1.0)
req = bytearray(48 if mode == 3 else 12)
req[0] = (4 << 3) | mode          # NTPv4
if mode == 6:
    req[1] = 1                      # READSTAT
else:
    req[40:48] = b"\x01\x02\x03\x04\x05\x06\x07\x08"
s.sendto(bytes(req), (dst, 123))
try:
    data, _ = s.recvfrom(2048)
    print(data[1] if mode == 3 else "reply")
except socket.timeout:
    print("none")
PY
}
# The restrict lines: time for everybody (`restrict default kod nomodify
# notrap nopeer noquery` still serves time), so the LAN and an outsider
# both get stratum 11; ntpq's mode 6 is never answered to the outsider
# (noquery; the LAN may use ntpq).
[[ $(ask "$CLIENT1" 3) == 11 ]] || fail "no time for $CLIENT1"
if [[ "$SEED_TOPOLOGY_INSIDE" == namespace ]]; then
  [[ $(ask "$OUTSIDER" 3) == 11 ]] || fail "no time for $OUTSIDER (restrict default serves time)"
  [[ $(ask "$OUTSIDER" 6) == none ]] || fail "mode 6 answered to $OUTSIDER despite noquery"
fi
log "PASS: the restrict lines serve time to the LAN and to others, no mode 6 to others"

start client1 -c "$WORK/client1.conf" --listen "$CLIENT1"
CLIENT1_PID=$LAST_PID
as_nobody=()
if [[ $(id -u) -eq 0 ]] && id nobody >/dev/null 2>&1; then
  as_nobody=(-u nobody)
fi
start client2 -c "$WORK/client2.conf" --listen "$CLIENT2" "${as_nobody[@]}"
CLIENT2_PID=$LAST_PID

# `server ... prefer` without iburst: the first poll comes 1-1.5 s after
# start and one sample from the only server is enough to select it.
for c in client1 client2; do
  wait_for "$WORK/$c.log" "synchronized to $SERVER, stratum 12" 10 \
    || fail "$c did not select the server"
done
log "PASS: both clients selected $SERVER (stratum 12)"

# What the seed's users see (tools/ntpq): `ntpq -p` and `ntpstat` on a
# client, `ntpdate -q` against the server, all over the default port 123.
out=$("$PWD/tools/ntpq/ntpq" -p "$CLIENT1") || fail "ntpq -p on client1: $out"
log "ntpq -p on $CLIENT1:"$'\n'"$out"
grep -Eq "^\*${SERVER//./\\.} +127\.127\.1\.0 +11 u +[0-9-]+ +64 +[0-7]+ " <<<"$out" ||
  fail "ntpq -p does not show the server with '*': $out"
out=$("$PWD/tools/ntpq/ntpstat" "$CLIENT1"); rc=$?
log "ntpstat on $CLIENT1:"$'\n'"$out"
[[ $rc == 0 ]] && grep -qx "synchronised to NTP server ($SERVER) at stratum 12" <<<"$out" ||
  fail "ntpstat on client1: rc $rc: $out"
out=$("$PWD/tools/ntpq/ntpdate" -q -p 1 "$SERVER") || fail "ntpdate -q $SERVER: $out"
grep -q "^server $SERVER, stratum 11, offset " <<<"$out" || fail "ntpdate -q $SERVER: $out"
log "PASS: ntpq -p, ntpstat and ntpdate -q as the seed's users run them"

if [[ ${#as_nobody[@]} -gt 0 ]]; then
  uid=$(awk '/^Uid:/ {print $2}' "/proc/$CLIENT2_PID/status")
  [[ "$uid" == "$(id -u nobody)" ]] || fail "client2 runs as uid $uid, not nobody"
  log "PASS: client2 runs as nobody (uid $uid)"
else
  log "not root: client2 runs without -u"
fi

# SIGHUP with a changed file (a second server, the other client): the
# unchanged association is kept, the new one added.
echo "server $CLIENT2" >> "$WORK/client1.conf"
kill -HUP "$CLIENT1_PID"
wait_for "$WORK/client1.log" "1 associations kept, 1 added, 0 removed" 5 \
  || fail "SIGHUP did not keep the unchanged association"
kill -0 "$CLIENT1_PID" 2>/dev/null || fail "client1 died on SIGHUP"
log "PASS: SIGHUP with a changed file kept the unchanged association"

# SIGTERM: a valid drift file (one number) is left behind.
stop_pid "$CLIENT1_PID"
wait_for "$WORK/client1.log" "ntpd exiting on signal 15" 5 || fail "client1 did not log its exit"
[[ -f "$WORK/client1/drift" ]] || fail "no drift file after SIGTERM"
grep -Eq '^[-+]?[0-9]+(\.[0-9]+)?$' "$WORK/client1/drift" \
  || fail "the drift file is not one number: $(cat "$WORK/client1/drift")"
log "PASS: SIGTERM left a valid drift file ($(cat "$WORK/client1/drift") PPM)"

# SIGKILL: the drift file is written atomically (temp + rename), so it is
# the last complete value or absent, never torn.
kill -KILL "$CLIENT2_PID"
wait "$CLIENT2_PID" 2>/dev/null
if [[ -f "$WORK/client2/drift" ]]; then
  grep -Eq '^[-+]?[0-9]+(\.[0-9]+)?$' "$WORK/client2/drift" || fail "a torn drift file"
fi
log "PASS: SIGKILL left no torn drift file"

stop_pid "$SERVER_PID"
echo "PASS: seed topology ($SEED_TOPOLOGY_INSIDE)"
