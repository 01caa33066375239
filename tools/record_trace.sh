#!/usr/bin/env bash
# Re-records the golden trace in testdata/traces/: our server on 127.0.0.2
# (orphan mode) and our client on 127.0.0.3 (iburst), both ntpd with a
# read-only clock, the client with --trace, until the client has been
# synchronized for SECONDS more seconds. //ntp/trace:golden_trace_test
# replays it on every build. Re-record when a change is meant to alter
# the daemon's decisions (the test names the first one that changed).
#
# Usage: tools/record_trace.sh [SECONDS]   (default 60)
#   Env: BAZEL (default bazel), BAZEL_ARGS (e.g. --output_base=...).
#
# Safety: loopback only, ports the kernel hands out as free, never 123;
# both daemons run with --no_clock_adjust under
# `setpriv --bounding-set -sys_time --inh-caps -sys_time` and are stopped
# by PID on exit.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly SECONDS_SYNCED="${1:-60}"
readonly OUT="$REPO/testdata/traces/loopback_client.trace"
# NOCLOCK, PIDS, stop_pid and wait_for (tools/test_lib.sh).
# shellcheck source=tools/test_lib.sh
source "$REPO/tools/test_lib.sh" record_trace record

log() { printf 'record_trace: %s\n' "$*" >&2; }
work=$(mktemp -d /tmp/ntp-record-trace.XXXXXX)
cleanup() {
  test_lib_cleanup
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {  # ADDRESS
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"
}

cd "$REPO"
# shellcheck disable=SC2086
"${BAZEL:-bazel}" ${BAZEL_ARGS:-} build //tools:ntpd >&2
ntpd="$REPO/bazel-bin/tools/ntpd"
cp "$ntpd" "$work/ntpd"  # a later build must not change the running binary

server_port=$(free_port 127.0.0.2)
client_port=$(free_port 127.0.0.3)
cat > "$work/server.conf" <<CONF
tos orphan 5 orphanwait 1
restrict default nomodify notrap nopeer noquery
restrict 127.0.0.0 mask 255.0.0.0
CONF
echo "server 127.0.0.2 iburst" > "$work/client.conf"

"${NOCLOCK[@]}" "$work/ntpd" --no_clock_adjust -c "$work/server.conf" --listen 127.0.0.2 \
  --port "$server_port" 2> "$work/server.err" > /dev/null &
PIDS+=($!)
wait_for "$work/server.err" "orphan mode, stratum 5" 10 || { cat "$work/server.err" >&2; exit 1; }
"${NOCLOCK[@]}" "$work/ntpd" --no_clock_adjust -c "$work/client.conf" --listen 127.0.0.3 \
  --port "$client_port" --server_port "$server_port" --trace="$work/client.trace" \
  2> "$work/client.err" > /dev/null &
client_pid=$!
PIDS+=($client_pid)
wait_for "$work/client.err" "synchronized to 127.0.0.2" 60 || { cat "$work/client.err" >&2; exit 1; }
log "synchronized; recording ${SECONDS_SYNCED} s more"
sleep "$SECONDS_SYNCED"
stop_pid "$client_pid"
"$REPO/bazel-bin/tools/ntpreplay" "$work/client.trace" >&2
mkdir -p "$(dirname "$OUT")"
cp "$work/client.trace" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "wrote $OUT ($(stat -c %s "$OUT") bytes, $(git -C "$REPO" rev-parse --short HEAD))"
# The fuzz corpus keeps a copy, half of it, and a copy of another format
# version (testdata/fuzz/trace_fuzz/README.md).
python3 - "$OUT" "$REPO/testdata/fuzz/trace_fuzz" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
out = sys.argv[2] + '/'
def varint(b, i):
    v = s = 0
    while True:
        v |= (b[i] & 0x7f) << s
        s += 7
        i += 1
        if b[i - 1] < 0x80:
            return v, i
_, i = varint(data, 0)          # the record's length
assert data[i] == 0x0a          # Record.header
_, i = varint(data, i + 1)
assert data[i:i + 2] == b'\x08\x01'  # Header.format_version = 1
open(out + 'loopback_client.trace', 'wb').write(data)
open(out + 'truncated.trace', 'wb').write(data[:len(data) // 2])
open(out + 'version2.trace', 'wb').write(data[:i] + b'\x08\x02' + data[i + 2:])
PY
