#!/usr/bin/env bash
# The Prometheus exporter against our daemon on loopback: /metrics is
# scraped over HTTP and every line of the exposition is parsed (names,
# labels, values, one TYPE per family, counters ending in _total); the
# daemon's stratum and counters must show, and ntp_up must drop to 0 when
# the daemon is gone.
set -u
source "$PWD/tools/test_lib.sh" ntp_exporter scrape
readonly NTPD="$PWD/tools/ntpd"
readonly EXPORTER="$PWD/tools/ntpq/ntp_exporter"
readonly WORK="${TEST_TMPDIR:-$(mktemp -d)}/ntp_exporter"
mkdir -p "$WORK"
source "$PWD/tools/ntpq/daemon_helpers.sh"

cat >"$WORK/server.conf" <<CONF
restrict 127.0.0.0 mask 255.0.0.0
server 127.127.1.0
fudge 127.127.1.0 stratum 10
tos orphanwait 0
CONF
SPORT=$(free_port 127.0.0.2)
start_daemon "$NTPD" ntpd "$WORK/server.conf" --listen 127.0.0.2 --port "$SPORT"
DAEMON=$DAEMON_PID
wait_for "$WORK/ntpd.log" "synchronized to LOCAL(0), stratum 11" 10 || fail "daemon not synchronised"

HPORT=$(free_port 127.0.0.9 tcp)
"$EXPORTER" --listen="127.0.0.9:$HPORT" --daemon="127.0.0.2:$SPORT" --timeout_ms=500 \
  >"$WORK/exporter.log" 2>&1 &
PIDS+=("$!")
wait_for "$WORK/exporter.log" "serving http://" 10 || fail "exporter did not start"

# scrape EXPECTED_UP: fetches /metrics, parses it, prints "name{labels} value".
scrape() {
  python3 - "http://127.0.0.9:$HPORT/metrics" "$1" <<'PY'
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode("utf-8")
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
sample = re.compile(r"^(%s)(\{(%s=\"(?:[^\"\\\n]|\\.)*\",?)*\})? (\S+)$" % (name_re, name_re))
types, seen = {}, {}
for line in text.splitlines():
    if not line:
        continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ")
        assert name not in types, "two TYPE lines for " + name
        types[name] = kind
        continue
    if line.startswith("# HELP "):
        continue
    m = sample.match(line)
    assert m, "unparseable line: %r" % line
    value = m.group(4)
    if value not in ("Nan", "NaN", "+Inf", "-Inf"):
        float(value)
    seen[line.rsplit(" ", 1)[0]] = value
for name, kind in types.items():
    if name.startswith("ntp_") and kind == "counter":
        assert name.endswith("_total"), name + " is a counter without _total"
    if name.startswith("ntp_") and name.endswith("_total"):
        assert kind == "counter", name + " ends in _total but is a " + kind
assert seen.get("ntp_up") == sys.argv[2], "ntp_up is %r" % seen.get("ntp_up")
for key, value in sorted(seen.items()):
    if key.startswith("ntp_"):
        print(key, value)
PY
}

out=$(scrape 1) || fail "scrape: $out"
log "$(grep -c . <<<"$out") ntp_ samples"
grep -qx 'ntp_system_stratum 11' <<<"$out" || fail "stratum: $out"
grep -qx 'ntp_system_synchronized 1' <<<"$out" || fail "synchronized: $out"
grep -Eq '^ntp_server_received_total [0-9]+$' <<<"$out" || fail "received: $out"
grep -Eq '^ntp_control_answered_total [1-9][0-9]*$' <<<"$out" || fail "control counters: $out"
grep -Eq '^ntp_server_drops_total\{reason="noquery"\} 0$' <<<"$out" || fail "drops by reason: $out"
grep -qx 'ntp_source_system_peer{association="65535",address="LOCAL(0)"} 1' <<<"$out" ||
  fail "source labels: $out"

stop_pid "$DAEMON"
out=$(scrape 0) || fail "scrape without the daemon: $out"
grep -q '^ntp_system_' <<<"$out" && fail "system metrics without a daemon: $out"
echo "PASS: /metrics scraped and parsed; ntp_up follows the daemon"
