#!/usr/bin/env bash
# NTS interop on loopback (RFC 8915), run by Bazel as sh_tests (BUILD):
#   client_chronyd  nts_probe (our NTS-KE client and NTS client) against
#                   chronyd 4.3 as NTS server (ntsserverkey/ntsservercert):
#                   key exchange, then an authenticated NTP reply; and the
#                   same server refused under a name its certificate lacks.
#   client_ntpsec   the same against ntpsec 1.2.2's ntpd (`nts enable`),
#                   inside a private network namespace (ntpsec serves NTP
#                   only on port 123; skipped where unshare is not allowed).
#   server_chronyd  chronyd 4.3 as NTS client (`server ... nts`,
#                   ntstrustedcerts) of nts_serve (our KeServer + NtsServer
#                   behind the daemon's Responder) selects it; every request
#                   it sent was NTS and answered, across master-key
#                   rotations every 2 s (no NAK).
#   server_ntpsec   ntpsec's ntpd as NTS client (`server 127.0.0.1 nts ca`)
#                   of nts_serve makes it its system peer, inside a private
#                   network namespace (ntpsec accepts no other loopback
#                   address); the NTP port comes from our Port record.
# The same four pairings with our daemon (tools/ntpd, `server ... nts` and
# `nts enable`) in place of nts_probe / nts_serve; each must reach a
# selected source:
#   ntpd_client_chronyd, ntpd_client_ntpsec  our ntpd as NTS client selects
#                   chronyd / ntpsec as NTS server;
#   ntpd_server_chronyd, ntpd_server_ntpsec  chronyd / ntpsec as NTS client
#                   select our ntpd as NTS server (chronyd across master-key
#                   rotations every 2 s).
# Certificates come from a throw-away CA made here with the `openssl`
# command. chrony / ntpsec are reused from NTP_INTEROP_CACHE
# (~/.cache/ntp-interop) or fetched with `apt-get download` + `dpkg -x`
# into the test's directory, never installed; when neither works the test
# is reported SKIPPED (tools/test_lib.sh), never passed. No daemon can touch
# the clock (setpriv drops CAP_SYS_TIME, chronyd also runs with -x); every
# process is stopped by PID.
set -uo pipefail

readonly CASE="${1:?usage: nts_interop_test.sh client_chronyd|client_ntpsec|server_chronyd|server_ntpsec}"
readonly PROBE="$PWD/tools/nts/nts_probe"
readonly SERVE="$PWD/tools/nts/nts_serve"
readonly NTPD="$PWD/tools/ntpd"
readonly WORK="${TEST_TMPDIR:-$(mktemp -d)}/nts_interop_$CASE"
mkdir -p "$WORK"

source "$PWD/tools/test_lib.sh" nts_interop "$CASE"

# Sets ROOTFS to an unpacked tree holding chronyd and ntpsec's ntpd.
find_servers() {
  local home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
  local cache="${NTP_INTEROP_CACHE:-$home/.cache/ntp-interop}/root"
  if [[ -x "$cache/usr/sbin/chronyd" && -x "$cache/usr/sbin/ntpd" ]]; then
    ROOTFS="$cache"
    return 0
  fi
  ROOTFS="$WORK/root"
  fetch_debs "$WORK" chrony ntpsec
}

# A CA and a server certificate for ntp.test and ADDRESS.
make_certificates() {
  local address=$1
  (cd "$WORK" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -keyout ca.key -out ca.pem -subj "/CN=NTS interop CA" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout server.key -out server.csr -subj "/CN=ntp.test" &&
    printf 'subjectAltName=DNS:ntp.test,IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
      "$address" >ext.cnf &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -out server.pem -extfile ext.cnf) >"$WORK/openssl.log" 2>&1 ||
    fail "openssl could not make the test certificates"
  chmod 0600 "$WORK/server.key"
}

# chronyd_nts_server ADDRESS PORT KE_PORT: chronyd 4.3 as NTS server
# (local stratum 8) with the certificate from make_certificates.
chronyd_nts_server() {
  cat >"$WORK/chrony.conf" <<CONF
port $2
bindaddress $1
local stratum 8
allow 127.0.0.0/8
cmdport 0
pidfile $WORK/chronyd.pid
ntsserverkey $WORK/server.key
ntsservercert $WORK/server.pem
ntsport $3
ntsdumpdir $WORK
CONF
  "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/chronyd" -x -d -u root -f "$WORK/chrony.conf" \
    >"$WORK/chronyd.log" 2>&1 &
  PIDS+=("$!")
}

# ntpsec_nts_server: ntpsec's ntpd as NTS server on 127.0.0.1 (orphan
# stratum 8 after 1 s), inside the private network namespace.
ntpsec_nts_server() {
  cat >"$WORK/ntpsec.conf" <<CONF
disable ntp
disable kernel
interface ignore wildcard
interface listen 127.0.0.1
tos orphan 8 orphanwait 1
restrict default
restrict 127.0.0.0 mask 255.0.0.0
nts enable
nts key $WORK/server.key
nts cert $WORK/server.pem
CONF
  "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/ntpd" -n -c "$WORK/ntpsec.conf" -p "$WORK/ntpsec.pid" \
    >"$WORK/ntpsec.log" 2>&1 &
  PIDS+=("$!")
}

# chronyd_nts_client ADDRESS "SERVER OPTIONS": chronyd 4.3 as NTS client
# of ADDRESS (polling every 0.25 s), trusting the test CA.
chronyd_nts_client() {
  mkdir -p "$WORK/dump"
  cat >"$WORK/chrony.conf" <<CONF
server $1 iburst $2 minpoll -2 maxpoll -2
ntstrustedcerts $WORK/ca.pem
bindacqaddress 127.0.15.4
port 0
cmdport 0
pidfile $WORK/chronyd.pid
ntsdumpdir $WORK/dump
CONF
  "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/chronyd" -x -d -u root -f "$WORK/chrony.conf" \
    >"$WORK/chronyd.log" 2>&1 &
  PIDS+=("$!")
}

# ntpsec_nts_client "EXTRA LINE": ntpsec's ntpd as NTS client of
# 127.0.0.1 (the NTP port from the server's NTS-KE), trusting the test CA.
ntpsec_nts_client() {
  cat >"$WORK/ntpsec.conf" <<CONF
$1
disable ntp
disable kernel
interface ignore wildcard
interface listen 127.0.0.1
server 127.0.0.1 nts ca $WORK/ca.pem minpoll 1 maxpoll 1 iburst
logfile $WORK/ntpsec.log
logconfig =allall
CONF
  "${NOCLOCK[@]}" "$ROOTFS/usr/sbin/ntpd" -n -c "$WORK/ntpsec.conf" -p "$WORK/ntpsec.pid" \
    >"$WORK/ntpsec.out" 2>&1 &
  PIDS+=("$!")
}

# probe_until ARGS...: runs nts_probe until it passes (the server may still
# be starting), at most 10 times.
probe_until() {
  local i
  for i in $(seq 10); do
    "$PROBE" "$@" >"$WORK/probe.log" 2>&1 && return 0
    sleep 0.3
  done
  return 1
}

case_client_chronyd() {
  local address=127.0.15.2 port ke_port
  port=$(free_port $address udp)
  ke_port=$(free_port $address tcp)
  make_certificates $address
  chronyd_nts_server $address "$port" "$ke_port"
  probe_until --server ntp.test --address $address --ke_port "$ke_port" --ca "$WORK/ca.pem" ||
    fail "no authenticated reply from chronyd: $(cat "$WORK/probe.log")"
  log "$(cat "$WORK/probe.log")"
  grep -q "NTP server $address:$port" "$WORK/probe.log" ||
    fail "chronyd's NTS-KE did not name its NTP port $port"
  # The same server under a name its certificate does not carry.
  "$PROBE" --server other.test --address $address --ke_port "$ke_port" \
    --ca "$WORK/ca.pem" >"$WORK/wrong_name.log" 2>&1 && fail "a wrong name was accepted"
  grep -q "hostname mismatch" "$WORK/wrong_name.log" || fail "$(cat "$WORK/wrong_name.log")"
  echo "PASS: our NTS client got an authenticated reply from chronyd"
}

case_client_ntpsec() {
  private_netns "ntpsec serves only on port 123" "$CASE"
  make_certificates 127.0.0.1
  ntpsec_nts_server
  probe_until --server ntp.test --address 127.0.0.1 --ke_port 4460 --ca "$WORK/ca.pem" ||
    fail "no authenticated reply from ntpsec: $(cat "$WORK/probe.log")"
  log "$(cat "$WORK/probe.log")"
  echo "PASS: our NTS client got an authenticated reply from ntpsec's ntpd"
}

# start_serve ADDRESS NTP_PORT KE_PORT SECONDS [ROTATE_S]: nts_serve in the
# background, rotating its master key every ROTATE_S seconds (default 1 day).
start_serve() {
  "${NOCLOCK[@]}" "$SERVE" --address "$1" --ntp_port "$2" --ke_port "$3" --duration_s "$4" \
    --rotate_s "${5:-86400}" \
    --cert "$WORK/server.pem" --key "$WORK/server.key" --key_file "$WORK/nts.keys" \
    >"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  wait_for "$WORK/serve.log" "NTS-KE on" 5 || fail "nts_serve did not start"
}

# serve_counters: waits for nts_serve to exit and checks its totals.
serve_counters() {
  wait "$SERVE_PID"
  log "$(tail -n 1 "$WORK/serve.log")"
  grep -Eq "NTS requests answered [1-9][0-9]*, NAKs 0, dropped 0, plain requests 0" \
    "$WORK/serve.log" || fail "nts_serve answered no NTS request, or dropped some"
  [[ $(stat -c %a "$WORK/nts.keys") == 600 ]] || fail "master key file is not 0600"
}

case_server_chronyd() {
  local address=127.0.15.3 port ke_port
  port=$(free_port $address udp)
  ke_port=$(free_port $address tcp)
  make_certificates $address
  # Master keys rotate every 2 s: chronyd, polling every 0.25 s, keeps
  # getting fresh cookies and never sees a NAK.
  start_serve $address "$port" "$ke_port" 8 2
  chronyd_nts_client "$address" "nts port $port ntsport $ke_port"
  wait_for "$WORK/chronyd.log" "Selected source $address" 8 ||
    fail "chronyd did not select our NTS server"
  serve_counters
  grep -q "master key 4" "$WORK/serve.log" || fail "nts_serve did not rotate its master key"
  echo "PASS: chronyd as NTS client selected our NTS server"
}

case_server_ntpsec() {
  private_netns "ntpsec accepts only 127.0.0.1 as a loopback server" "$CASE"
  make_certificates 127.0.0.1
  start_serve 127.0.0.1 10123 4460 12
  ntpsec_nts_client ""
  wait_for "$WORK/ntpsec.log" "sys_peer" 12 || fail "ntpsec did not make our NTS server its peer"
  grep -q "NTSc: Got 8 cookies" "$WORK/ntpsec.log" || fail "ntpsec got no cookies"
  serve_counters
  echo "PASS: ntpsec as NTS client chose our NTS server"
}

# start_ntpd NAME ARGS...: our daemon with a read-only clock, its log in
# $WORK/NAME.log; NTPD_PID is its PID.
start_ntpd() {
  local name=$1
  shift
  "${NOCLOCK[@]}" "$NTPD" --no_clock_adjust "$@" >"$WORK/$name.log" 2>&1 &
  NTPD_PID=$!
  PIDS+=("$NTPD_PID")
}

# ntpd_client_selects NAME SERVER SECONDS: our client NAME synchronises to
# SERVER through NTS within SECONDS; its NTS counters show only
# authenticated replies.
ntpd_client_selects() {
  local t0=$SECONDS
  if ! wait_for "$WORK/$1.log" "synchronized to $2" "$3"; then
    stop_pid "$NTPD_PID"  # its NTS counters go to the log
    fail "our NTS client did not select $2"
  fi
  log "our client synchronised $((SECONDS - t0)) s after the server was up"
  stop_pid "$NTPD_PID"
  log "$(grep -h "NTS" "$WORK/$1.log")"
  grep -Eq "NTS client $2: key exchanges [1-9][0-9]* \(failed 0\), replies accepted [1-9][0-9]*, dropped 0" \
    "$WORK/$1.log" || fail "our client's NTS counters"
}

case_ntpd_client_chronyd() {
  local address=127.0.15.2 port ke_port
  port=$(free_port $address udp)
  ke_port=$(free_port $address tcp)
  make_certificates $address
  chronyd_nts_server $address "$port" "$ke_port"
  wait_for "$WORK/chronyd.log" "chronyd version" 5 || fail "chronyd did not start"
  echo "server $address nts ca $WORK/ca.pem ntsport $ke_port iburst" >"$WORK/client.conf"
  start_ntpd client -c "$WORK/client.conf" --listen 127.0.15.5 --port "$(free_port 127.0.15.5 udp)"
  ntpd_client_selects client $address 30
  grep -q "NTS-KE with $address: 8 cookies, NTP server $address:$port" "$WORK/client.log" ||
    fail "chronyd's NTS-KE did not name its NTP port $port"
  echo "PASS: our ntpd as NTS client selected chronyd"
}

case_ntpd_client_ntpsec() {
  private_netns "ntpsec serves only on port 123" "$CASE"
  make_certificates 127.0.0.1
  ntpsec_nts_server
  # ntpsec leaves its 1 s orphan wait at its next once-a-second tick; its
  # orphan refid is 127.0.0.1, so our client must not own that address.
  sleep 2.5
  echo "server 127.0.0.1 nts ca $WORK/ca.pem iburst" >"$WORK/client.conf"
  start_ntpd client -c "$WORK/client.conf" --listen 127.0.0.5 --port 10123
  ntpd_client_selects client 127.0.0.1 40
  echo "PASS: our ntpd as NTS client selected ntpsec's ntpd"
}

# ntpd_server ADDRESS PORT KE_PORT [ROTATE_S] [local]: our daemon as NTS
# server in orphan mode (stratum 5 after 1 s, zero root dispersion: a LOCAL
# clock would take minutes to come below the clients' maximum distance),
# or with `local` its LOCAL clock at once (for ntpsec, which takes the
# orphan refid 127.0.0.1 for a loop when it owns 127.0.0.1 itself);
# certificate from make_certificates.
ntpd_server() {
  local source="tos orphan 5 orphanwait 1" wait_text="orphan mode, stratum 5"
  if [[ "${5:-}" == local ]]; then
    source=$'server 127.127.1.0\nfudge 127.127.1.0 stratum 4\ntos orphanwait 0'
    wait_text="synchronized to LOCAL(0)"
  fi
  cat >"$WORK/server.conf" <<CONF
$source
restrict default nomodify notrap nopeer noquery
restrict 127.0.0.0 mask 255.0.0.0
nts enable
nts cert $WORK/server.pem
nts key $WORK/server.key
nts cookie $WORK/nts.keys
CONF
  start_ntpd server -c "$WORK/server.conf" --listen "$1" --port "$2" --nts_ke_port "$3" \
    --nts_rotate_s "${4:-86400}"
  SERVER_PID=$NTPD_PID
  wait_for "$WORK/server.log" "$wait_text" 10 || fail "our NTS server did not start"
}

# ntpd_server_counters: stops our server and checks its NTS totals.
ntpd_server_counters() {
  stop_pid "$SERVER_PID"
  log "$(grep -h "NTS server" "$WORK/server.log")"
  grep -Eq "NTS requests answered [1-9][0-9]*, NAKs 0, dropped 0" "$WORK/server.log" ||
    fail "our server answered no NTS request, or dropped some"
  [[ $(stat -c %a "$WORK/nts.keys") == 600 ]] || fail "master key file is not 0600"
}

case_ntpd_server_chronyd() {
  local address=127.0.15.3 port ke_port t0
  port=$(free_port $address udp)
  ke_port=$(free_port $address tcp)
  make_certificates $address
  ntpd_server $address "$port" "$ke_port" 2
  t0=$SECONDS
  # The NTP port comes from our NTS-KE (Port Negotiation record).
  chronyd_nts_client "$address" "nts ntsport $ke_port"
  wait_for "$WORK/chronyd.log" "Selected source $address" 15 ||
    fail "chronyd did not select our NTS server"
  log "chronyd selected our server $((SECONDS - t0)) s after its start"
  sleep 5  # across rotations of the master key
  ntpd_server_counters
  grep -Eq "master key rotations [1-9]" "$WORK/server.log" || fail "no master key rotation"
  echo "PASS: chronyd as NTS client selected our ntpd"
}

case_ntpd_server_ntpsec() {
  private_netns "ntpsec accepts only 127.0.0.1 as a loopback server" "$CASE"
  local t0
  make_certificates 127.0.0.1
  ntpd_server 127.0.0.1 10123 4460 86400 local
  t0=$SECONDS
  # The LOCAL clock's root dispersion starts large: ntpsec must accept it.
  ntpsec_nts_client "tos maxdist 16"
  wait_for "$WORK/ntpsec.log" "sys_peer" 40 || fail "ntpsec did not make our NTS server its peer"
  log "ntpsec chose our server $((SECONDS - t0)) s after its start"
  grep -q "NTSc: Got 8 cookies" "$WORK/ntpsec.log" || fail "ntpsec got no cookies"
  ntpd_server_counters
  echo "PASS: ntpsec as NTS client chose our ntpd"
}

[[ -x "$PROBE" ]] || fail "no nts_probe at $PROBE"
command -v openssl >/dev/null || skip "no openssl command to make test certificates"
find_servers || skip "chrony/ntpsec packages could not be fetched: $(tail -n 3 "$WORK/apt.out" 2>/dev/null | tr '\n' ' ')"
setpriv --bounding-set -sys_time --inh-caps -sys_time true 2>/dev/null ||
  skip "setpriv cannot drop CAP_SYS_TIME here; refusing to run daemons with clock rights"
"case_$CASE"
