# Shell helpers for the operator tools' tests (tools/ntpq/*_test.sh,
# ntp/interop/ntpq_interop_test.sh), on top of tools/test_lib.sh. Source it
# after test_lib.sh with WORK set: it defines log/fail (printing every
# $WORK/*.log on failure), free_port and start_daemon.

log() { printf '%s: %s\n' "$TEST_LIB_CASE" "$*" >&2; }
fail() {
  log "FAIL: $*"
  local f
  for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- $f"; cat "$f"; }; done >&2
  exit 1
}

# free_port ADDR [SOCK_DGRAM|SOCK_STREAM]: a port free on ADDR now.
free_port() {
  python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET,getattr(socket,sys.argv[2])); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' \
    "$1" "${2:-SOCK_DGRAM}"
}

# start_daemon NTPD NAME CONF ARGS...: our daemon on a read-only clock
# without CAP_SYS_TIME, logging to $WORK/NAME.log; waits for "serving on".
# Its PID is in PIDS (stopped at exit) and in DAEMON_PID.
start_daemon() {
  local ntpd=$1 name=$2 conf=$3; shift 3
  "${NOCLOCK[@]}" "$ntpd" --no_clock_adjust -n -c "$conf" "$@" >"$WORK/$name.log" 2>&1 &
  DAEMON_PID=$!
  PIDS+=("$DAEMON_PID")
  wait_for "$WORK/$name.log" "serving on" 10 || fail "$name did not start"
}
