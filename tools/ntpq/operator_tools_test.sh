#!/usr/bin/env bash
# ntpq and ntpstat against our daemon on loopback: a server on its LOCAL
# clock (127.0.0.2) and a client of it (127.0.0.5, still unsynchronised),
# both read-only clocks without CAP_SYS_TIME. Checks the billboard line,
# ntpstat's three exit codes, ntpq's timeout message and the MRU list.
set -u
source "$PWD/tools/test_lib.sh" operator_tools ntpq_ntpstat
readonly NTPD="$PWD/tools/ntpd"
readonly NTPQ="$PWD/tools/ntpq/ntpq"
readonly NTPSTAT="$PWD/tools/ntpq/ntpstat"
readonly NTPDATE="$PWD/tools/ntpq/ntpdate"
readonly LOADGEN="$PWD/tools/ntp_loadgen"
readonly HOSTILE="$PWD/tools/ntpq/hostile_ntp_server.py"
readonly WORK="${TEST_TMPDIR:-$(mktemp -d)}/operator_tools"
mkdir -p "$WORK"
source "$PWD/tools/ntpq/daemon_helpers.sh"

start() { start_daemon "$NTPD" "$@"; }

cat >"$WORK/server.conf" <<CONF
restrict default kod nomodify notrap nopeer noquery
restrict 127.0.0.0 mask 255.0.0.0
server 127.127.1.0
fudge 127.127.1.0 stratum 10
tos orphanwait 0
CONF
SPORT=$(free_port 127.0.0.2)
start server "$WORK/server.conf" --listen 127.0.0.2 --port "$SPORT"
wait_for "$WORK/server.log" "synchronized to LOCAL(0), stratum 11" 10 || fail "server not synchronised"

printf 'restrict 127.0.0.0 mask 255.0.0.0\nserver 127.0.0.2 iburst\n' >"$WORK/client.conf"
CPORT=$(free_port 127.0.0.5)
start client "$WORK/client.conf" --listen 127.0.0.5 --port "$CPORT" --server_port "$SPORT"
sleep 1

out=$("$NTPQ" -p "127.0.0.2:$SPORT") || fail "ntpq -p: $out"
log "$out"
[[ $(sed -n 1p <<<"$out") == "     remote           refid      st t when poll reach   delay   offset  jitter" ]] ||
  fail "header: $out"
[[ $(sed -n 2p <<<"$out") == "$(printf '=%.0s' $(seq 78))" ]] || fail "rule: $out"
grep -Eq '^\*LOCAL\(0\)        \.LOCL\.          10 l +[0-9-]+ +64 +[0-7]+ +0\.000 +0\.000 +0\.000$' <<<"$out" ||
  fail "LOCAL(0) line: $out"

out=$("$NTPQ" -c rv "127.0.0.2:$SPORT") || fail "ntpq -c rv: $out"
grep -q 'stratum=11' <<<"$out" || fail "rv: $out"
grep -q '^associd=0 status=05' <<<"$out" || fail "rv status (leap_none, sync_local): $out"

out=$("$NTPQ" -pn -c as "127.0.0.5:$CPORT") || fail "ntpq on the client: $out"
grep -Eq '^ 127\.0\.0\.2 ' <<<"$out" || fail "client billboard: $out"
grep -Eq '^  1 +1  [89]0' <<<"$out" || fail "client associations: $out"

out=$("$NTPSTAT" "127.0.0.2:$SPORT"); rc=$?
log "$out"
[[ $rc == 0 ]] || fail "ntpstat on the server: rc $rc: $out"
grep -q '^synchronised to local net at stratum 11$' <<<"$out" || fail "ntpstat: $out"
grep -Eq '^   time correct to within [0-9]+ ms$' <<<"$out" || fail "ntpstat: $out"
grep -q '^   polling server every 64 s$' <<<"$out" || fail "ntpstat: $out"

out=$("$NTPSTAT" "127.0.0.5:$CPORT"); rc=$?
[[ $rc == 1 && $(head -1 <<<"$out") == unsynchronised ]] || fail "ntpstat on the client: rc $rc: $out"

SILENT=$(free_port 127.0.0.6)
out=$("$NTPSTAT" --timeout_ms=300 "127.0.0.6:$SILENT"); rc=$?
[[ $rc == 2 && $out == "Unable to talk to NTP daemon. Is it running?" ]] ||
  fail "ntpstat without a daemon: rc $rc: $out"
# A bound but silent socket: ntpq waits, then says so.
python3 "$HOSTILE" 127.0.0.6 "$SILENT" silent 5 >"$WORK/silent.out" 2>&1 &
PIDS+=("$!")
wait_for "$WORK/silent.out" ready 10 || fail "the silent socket did not start"
err=$("$NTPQ" --timeout_ms=500 -p "127.0.0.6:$SILENT" 2>&1 >/dev/null); rc=$?
[[ $rc == 1 && $err == "127.0.0.6:$SILENT: timed out, nothing received"$'\n'"***Request timed out" ]] ||
  fail "ntpq against a silent socket: rc $rc: $err"

out=$("$NTPQ" -c mrulist "127.0.0.2:$SPORT") || fail "mrulist: $out"
log "$out"
grep -Eq ' 3 4 +[0-9]+ +[0-9]+ 127\.0\.0\.5$' <<<"$out" || fail "the client is not in the MRU list: $out"

# ntpdate: -q against the synchronised server; "no server suitable" against
# a daemon with no time source; without -q/-u/-d it wants the NTP port,
# which the daemon holds (run without CAP_SYS_TIME all the same).
out=$("$NTPDATE" -q -p 2 --port="$SPORT" 127.0.0.2); rc=$?
log "$out"
[[ $rc == 0 ]] || fail "ntpdate -q: rc $rc: $out"
grep -Eq '^server 127\.0\.0\.2, stratum 11, offset -?[0-9]+\.[0-9]{6}, delay [0-9]+\.[0-9]{5}$' <<<"$out" ||
  fail "ntpdate -q server line: $out"
grep -Eq 'ntpdate\[[0-9]+\]: adjust time server 127\.0\.0\.2 offset -?[0-9.]+ sec$' <<<"$out" ||
  fail "ntpdate -q result line: $out"
printf 'restrict 127.0.0.0 mask 255.0.0.0\n' >"$WORK/lonely.conf"
LPORT=$(free_port 127.0.0.7)
start lonely "$WORK/lonely.conf" --listen 127.0.0.7 --port "$LPORT"
out=$("$NTPDATE" -q -p 1 -t 0.5 --port="$LPORT" 127.0.0.7); rc=$?
[[ $rc == 1 ]] && grep -q 'ntpdate\[[0-9]*\]: no server suitable for synchronization found$' <<<"$out" ||
  fail "ntpdate against an unsynchronised server: rc $rc: $out"
out=$("${NOCLOCK[@]}" "$NTPDATE" -p 1 --port="$SPORT" 127.0.0.2); rc=$?
[[ $rc == 1 ]] && grep -q 'ntpdate\[[0-9]*\]: the NTP socket is in use, exiting$' <<<"$out" ||
  fail "ntpdate while the daemon runs: rc $rc: $out"

# Hostile servers: ntpdate and ntp_loadgen --query report what they got.
hostile() {
  HPORT=$(free_port 127.0.0.8)
  python3 "$HOSTILE" 127.0.0.8 "$HPORT" "$1" 5 >"$WORK/hostile_$1.out" 2>&1 &
  PIDS+=("$!")
  wait_for "$WORK/hostile_$1.out" ready 10 || fail "hostile server $1 did not start"
}
hostile short
err=$("$NTPDATE" -q -p 1 -t 0.5 --port="$HPORT" 127.0.0.8 2>&1); rc=$?
[[ $rc == 1 ]] && grep -q 'malformed reply (47 octets: too_short)' <<<"$err" ||
  fail "ntpdate, 47-octet reply: rc $rc: $err"
err=$("$LOADGEN" --query "127.0.0.8:$HPORT" 2>&1); rc=$?
[[ $rc == 1 && $err == "ntp_loadgen: malformed reply (47 octets: too_short) from 127.0.0.8:$HPORT" ]] ||
  fail "ntp_loadgen --query, 47-octet reply: rc $rc: $err"
err=$("$NTPQ" --timeout_ms=1000 -p "127.0.0.8:$HPORT" 2>&1); rc=$?
[[ $rc == 1 && $err == "***malformed response: too short: 3 octets" ]] ||
  fail "ntpq, 3-octet mode 6 reply: rc $rc: $err"
hostile zero_origin
err=$("$LOADGEN" --query "127.0.0.8:$HPORT" 2>&1); rc=$?
[[ $rc == 1 && $err == "ntp_loadgen: rejected (bogus) from 127.0.0.8:$HPORT" ]] ||
  fail "ntp_loadgen --query, zero origin: rc $rc: $err"
out=$("$NTPDATE" -q -p 1 -t 0.5 --port="$HPORT" 127.0.0.8 2>&1); rc=$?
[[ $rc == 1 ]] || fail "ntpdate took a reply with a zero origin: $out"
hostile escape
out=$("$LOADGEN" --query "127.0.0.8:$HPORT" 2>&1); rc=$?
[[ $rc == 0 ]] || fail "ntp_loadgen --query, kiss: rc $rc: $out"
LC_ALL=C grep -q $'\x1b' <<<"$out" && fail "raw escape sequence printed: $out"
grep -q 'refid \.\.\[2J\.$' <<<"$out" || fail "ntp_loadgen --query refid: $out"
hostile other_port
err=$("$LOADGEN" --query "127.0.0.8:$HPORT" 2>&1); rc=$?
[[ $rc == 1 && $err == "ntp_loadgen: no reply from 127.0.0.8:$HPORT" ]] ||
  fail "ntp_loadgen --query took a reply from another port: rc $rc: $err"
echo "PASS: ntpq, ntpstat, ntpdate and ntp_loadgen --query against our daemon and hostile servers"
