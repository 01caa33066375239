# Shell helpers for the shell tests that run real daemons
# (ntp/interop/interop_test.sh, tools/seed_topology_test.sh). Source it from
# the runfiles root: `source "$PWD/tools/test_lib.sh" NAME CASE`. It sets
# NOCLOCK and PIDS, and defines skip, stop_pid, wait_for, log, fail,
# free_port, fetch_debs, private_netns and an EXIT trap that stops every PID in PIDS.

readonly TEST_LIB_SUITE="${1:?usage: source test_lib.sh SUITE CASE}"
readonly TEST_LIB_CASE="${2:?usage: source test_lib.sh SUITE CASE}"

# Every daemon a test starts runs without CAP_SYS_TIME: the kernel refuses
# clock writes even if a flag is wrong.
readonly NOCLOCK=(setpriv --bounding-set -sys_time --inh-caps -sys_time)
PIDS=()

# skip REASON: a test that cannot run here writes a JUnit result with one
# skipped case to $XML_OUTPUT_FILE, which .ci/run counts as skipped (never
# as passed), and exits 0.
skip() {
  echo "SKIPPED: $*"
  if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
    local why
    why=$(printf '%s' "$*" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g')
    cat > "$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0" skipped="1">
  <testsuite name="$TEST_LIB_SUITE" tests="1" failures="0" skipped="1">
    <testcase name="$TEST_LIB_CASE" classname="$TEST_LIB_SUITE" status="run" result="skipped">
      <skipped message="$why"/>
    </testcase>
  </testsuite>
</testsuites>
XML
  fi
  exit 0
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

test_lib_cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do [[ -n "$pid" ]] && stop_pid "$pid"; done
}
trap test_lib_cleanup EXIT

# wait_for FILE TEXT SECONDS: true once FILE contains TEXT.
wait_for() {
  local i
  for i in $(seq $(( $3 * 10 ))); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# log MESSAGE: a progress line naming the suite and case, on stderr (a
# script that defined its own log before sourcing this file keeps it).
declare -F log >/dev/null ||
  log() { printf '%s(%s): %s\n' "$TEST_LIB_SUITE" "$TEST_LIB_CASE" "$*" >&2; }

# fail MESSAGE: logs it, prints every $WORK/*.log, exits 1.
fail() {
  log "FAIL: $*"
  local f
  for f in "${WORK:-/nonexistent}"/*.log; do
    [[ -f "$f" ]] && { echo "--- $f"; cat "$f"; } >&2
  done
  exit 1
}

# free_port ADDRESS [udp|tcp]: a port the kernel reports free there.
free_port() {
  /usr/bin/python3 -c 'import socket,sys
k=socket.SOCK_STREAM if sys.argv[2]=="tcp" else socket.SOCK_DGRAM
s=socket.socket(socket.AF_INET,k); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1" "${2:-udp}"
}

# fetch_debs DIR PACKAGE...: `apt-get download`s the Debian packages into
# DIR/debs and unpacks them (`dpkg -x`, never installed) into DIR/root;
# apt's output goes to DIR/apt.out. False if any step fails.
fetch_debs() {
  local dir=$1 deb
  shift
  mkdir -p "$dir/debs" "$dir/root"
  (cd "$dir/debs" && timeout 60 apt-get -o APT::Sandbox::User=root download "$@" \
    >"$dir/apt.out" 2>&1) || return 1
  for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root" || return 1; done
}

# private_netns REASON ARG...: re-runs this test script with ARGs once in
# a private network namespace with lo up, where it may use 127.0.0.1 and
# port 123 freely; skips with REASON where namespaces are not allowed.
private_netns() {
  local reason=$1
  shift
  if [[ "${TEST_LIB_NETNS:-}" != 1 ]]; then
    unshare -n true 2>/dev/null || skip "no private network namespace here ($reason)"
    exec unshare -n env TEST_LIB_NETNS=1 "$0" "$@"
  fi
  ip link set lo up || skip "cannot bring lo up in the namespace"
}
