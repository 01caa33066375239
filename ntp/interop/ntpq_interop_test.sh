#!/usr/bin/env bash
# ntpsec's own ntpq (Debian's ntpsec + python3-ntp, unpacked, never
# installed) pointed at our daemon over mode 6: `ntpq -p -n` must list the
# same associations as our ntpq (tally, remote, refid, stratum, type,
# reach), and `-c rv` must show our system variables. Both a server on its
# LOCAL clock and a client of it are read. SKIPPED when the packages can be
# neither found in ~/.cache/ntp-interop nor fetched with apt-get download.
set -u
source "$PWD/tools/test_lib.sh" interop ntpq
readonly NTPD="$PWD/tools/ntpd"
readonly OUR_NTPQ="$PWD/tools/ntpq/ntpq"
readonly WORK="${TEST_TMPDIR:-$(mktemp -d)}/ntpq_interop"
mkdir -p "$WORK"
source "$PWD/tools/ntpq/daemon_helpers.sh"

home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
ROOTFS="${NTP_INTEROP_CACHE:-$home/.cache/ntp-interop}/root"
if [[ ! -f "$ROOTFS/usr/bin/ntpq" || ! -d "$ROOTFS/usr/lib/python3/dist-packages/ntp" ]]; then
  ROOTFS="$WORK/root"
  mkdir -p "$WORK/debs" "$ROOTFS"
  (cd "$WORK/debs" && timeout 60 apt-get -o APT::Sandbox::User=root download ntpsec python3-ntp \
    >"$WORK/apt.out" 2>&1) || skip "cannot fetch ntpsec and python3-ntp with apt-get download"
  for deb in "$WORK"/debs/*.deb; do dpkg -x "$deb" "$ROOTFS" || skip "dpkg -x $deb failed"; done
  ln -sf ../../../x86_64-linux-gnu/ntp/libntpc.so.1.1.0 \
    "$ROOTFS/usr/lib/python3/dist-packages/ntp/libntpc.so"
fi

# ntpsec_ntpq PORT ARGS...: ntpsec's ntpq unchanged; a wrapper points its
# fixed "ntp" service (port 123) at PORT.
cat >"$WORK/port.py" <<'PYEOF'
import runpy, socket, sys
port, script = int(sys.argv[1]), sys.argv[2]
real_getaddrinfo = socket.getaddrinfo
socket.getaddrinfo = lambda host, p, *a, **k: real_getaddrinfo(
    host, port if p in (123, "ntp") else p, *a, **k)
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name="__main__")
PYEOF
ntpsec_ntpq() {
  local port=$1; shift
  env PYTHONPATH="$ROOTFS/usr/lib/python3/dist-packages" \
    timeout 20 python3 "$WORK/port.py" "$port" "$ROOTFS/usr/bin/ntpq" "$@"
}
ntpsec_ntpq 123 --version >"$WORK/version.out" 2>&1 || skip "ntpsec's ntpq does not run here: $(head -3 "$WORK/version.out")"

start() { start_daemon "$NTPD" "$@"; }
# The association columns both ntpq print alike (not when/delay/offset).
columns() { awk 'NR > 2 { print $1, $2, $3, $4, $7 }'; }

printf 'restrict 127.0.0.0 mask 255.0.0.0\nserver 127.127.1.0\nfudge 127.127.1.0 stratum 10\ntos orphanwait 0\n' \
  >"$WORK/server.conf"
SPORT=$(free_port 127.0.0.2)
start server "$WORK/server.conf" --listen 127.0.0.2 --port "$SPORT"
wait_for "$WORK/server.log" "synchronized to LOCAL(0), stratum 11" 10 || fail "server not synchronised"
printf 'restrict 127.0.0.0 mask 255.0.0.0\nserver 127.0.0.2 iburst\nserver 127.0.0.3\n' >"$WORK/client.conf"
CPORT=$(free_port 127.0.0.5)
start client "$WORK/client.conf" --listen 127.0.0.5 --port "$CPORT" --server_port "$SPORT"
sleep 3

for target in "127.0.0.2 $SPORT" "127.0.0.5 $CPORT"; do
  read -r addr port <<<"$target"
  theirs=$(ntpsec_ntpq "$port" -p -n "$addr" 2>&1) || fail "ntpsec ntpq -p $addr: $theirs"
  ours=$("$OUR_NTPQ" -p -n "$addr:$port" 2>&1) || fail "our ntpq -p $addr: $ours"
  log "ntpsec:"$'\n'"$theirs"
  log "ours:"$'\n'"$ours"
  [[ $(columns <<<"$theirs" | wc -l) -ge 1 ]] || fail "ntpsec ntpq listed nothing for $addr"
  [[ "$(columns <<<"$theirs")" == "$(columns <<<"$ours")" ]] ||
    fail "the associations differ for $addr"$'\n'"$(columns <<<"$theirs")"$'\n'"--"$'\n'"$(columns <<<"$ours")"
done
rv=$(ntpsec_ntpq "$SPORT" -c rv 127.0.0.2 2>&1) || fail "ntpsec ntpq -c rv: $rv"
grep -q 'stratum=11' <<<"$rv" || fail "ntpsec ntpq -c rv: $rv"
grep -q 'sync_local' <<<"$rv" || fail "ntpsec ntpq -c rv status: $rv"
echo "PASS: ntpsec's ntpq reads our daemon; its billboard lists what ours lists"
