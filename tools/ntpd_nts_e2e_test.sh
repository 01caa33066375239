#!/bin/bash
# NTS end to end between two of our daemons on loopback (RFC 8915): a
# server on 127.0.0.2 (`nts enable`, certificate from a throw-away CA made
# here with openssl, NTS-KE and NTP on free ports) and a client on
# 127.0.0.3 (`server 127.0.0.2 nts ca CA`) that must select the server
# through authenticated exchanges only; a second client trusting another
# CA must fail its NTS-KE and say so. Both daemons run with read-only
# clocks (--no_clock_adjust) and without CAP_SYS_TIME (setpriv).
set -euo pipefail

readonly NTPD="$PWD/tools/ntpd"
readonly WORK="${TEST_TMPDIR:-$(mktemp -d)}/ntpd_nts_e2e"
mkdir -p "$WORK"
source "$PWD/tools/test_lib.sh" ntpd_nts_e2e nts

[[ -x "$NTPD" ]] || fail "no ntpd at $NTPD"
command -v openssl >/dev/null || skip "no openssl command to make test certificates"
setpriv --bounding-set -sys_time --inh-caps -sys_time true 2>/dev/null ||
  skip "setpriv cannot drop CAP_SYS_TIME here; refusing to run daemons with clock rights"

# ca.pem signs server.pem (ntp.test, 127.0.0.2); other-ca.pem signs nothing.
(cd "$WORK" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout ca.key -out ca.pem -subj "/CN=NTS e2e CA" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout other-ca.key -out other-ca.pem -subj "/CN=another CA" &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=ntp.test" &&
  printf 'subjectAltName=DNS:ntp.test,IP:127.0.0.2\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -out server.pem -extfile ext.cnf) >"$WORK/openssl.log" 2>&1 ||
  fail "openssl could not make the test certificates"
chmod 0600 "$WORK/server.key"

port=$(free_port 127.0.0.2 udp)
ke_port=$(free_port 127.0.0.2 tcp)
rm -f "$WORK/nts-cookies"
cat >"$WORK/server.conf" <<CONF
tos orphan 5 orphanwait 1
restrict default nomodify notrap nopeer noquery
restrict 127.0.0.0 mask 255.0.0.0
nts enable
nts cert $WORK/server.pem
nts key $WORK/server.key
nts cookie $WORK/nts-cookies
CONF
start=$(date +%s.%N)
"${NOCLOCK[@]}" "$NTPD" -c "$WORK/server.conf" --listen 127.0.0.2 --port "$port" \
  --nts_ke_port "$ke_port" --no_clock_adjust >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_for "$WORK/server.log" "orphan mode, stratum 5" 10 || fail "the NTS server did not start"
grep -q "NTS-KE on 127.0.0.2:$ke_port" "$WORK/server.log" || fail "no NTS-KE listener"
[[ $(stat -c %a "$WORK/nts-cookies") == 600 ]] || fail "the cookie key file is not 0600"

# The good client: the server names its NTP port during NTS-KE.
cat >"$WORK/client.conf" <<CONF
server 127.0.0.2 nts ca $WORK/ca.pem ntsport $ke_port iburst
CONF
"${NOCLOCK[@]}" "$NTPD" -c "$WORK/client.conf" --listen 127.0.0.3 \
  --port "$(free_port 127.0.0.3 udp)" --no_clock_adjust >"$WORK/client.log" 2>&1 &
CLIENT_PID=$!
PIDS+=("$CLIENT_PID")
# A client trusting another CA.
cat >"$WORK/wrong.conf" <<CONF
server 127.0.0.2 nts ca $WORK/other-ca.pem ntsport $ke_port iburst
CONF
"${NOCLOCK[@]}" "$NTPD" -c "$WORK/wrong.conf" --listen 127.0.0.4 \
  --port "$(free_port 127.0.0.4 udp)" --no_clock_adjust >"$WORK/wrong.log" 2>&1 &
WRONG_PID=$!
PIDS+=("$WRONG_PID")

wait_for "$WORK/client.log" "synchronized to 127.0.0.2, stratum 6" 30 ||
  fail "the NTS client did not select the server"
synced=$(date +%s.%N)
grep -q "NTS-KE with 127.0.0.2: 8 cookies, NTP server 127.0.0.2:$port" "$WORK/client.log" ||
  fail "no NTS-KE result naming the NTP port"
wait_for "$WORK/wrong.log" "NTS-KE with 127.0.0.2 failed" 10 ||
  fail "the client with the wrong CA did not report a failed NTS-KE"
grep -q "certificate verify failed\|certificate" "$WORK/wrong.log" ||
  fail "the failed NTS-KE does not name the certificate"

stop_pid "$CLIENT_PID"
stop_pid "$WRONG_PID"
stop_pid "$SERVER_PID"
grep -Eq "NTS client 127.0.0.2: key exchanges 1 \(failed 0\), replies accepted [1-9][0-9]*, dropped 0, NAKs 0" \
  "$WORK/client.log" || fail "the client's NTS counters are wrong"
grep -Eq "NTS client 127.0.0.2: key exchanges [1-9][0-9]* \(failed [1-9][0-9]*\), replies accepted 0" \
  "$WORK/wrong.log" || fail "the wrong-CA client's NTS counters are wrong"
grep -Eq "NTS server: NTS-KE completed 1, failed [0-9]+, timed out 0; NTS requests answered [1-9][0-9]*, NAKs 0, dropped 0" \
  "$WORK/server.log" || fail "the server's NTS counters are wrong"
log "$(grep -h "NTS client\|NTS server\|NTS-KE with" "$WORK"/*.log)"
log "time from server start to the client's sync: $(echo "$synced - $start" | bc) s"
echo "PASS: our NTS client selected our NTS server; a wrong CA failed NTS-KE"
