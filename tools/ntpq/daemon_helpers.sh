# Shell helpers for the operator tools' tests (tools/ntpq/*_test.sh,
# ntp/interop/ntpq_interop_test.sh), on top of tools/test_lib.sh (log, fail,
# free_port, wait_for). Source it after test_lib.sh with WORK set: it
# defines start_daemon.

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
