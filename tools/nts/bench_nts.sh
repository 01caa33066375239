#!/usr/bin/env bash
# NTS-protected requests per second: nts_serve (ours) against chronyd 4.3's
# NTS server, same load generator (nts_loadgen, closed loop, authenticated
# replies checked), same run, alternating rounds. Loopback only; chronyd
# runs with -x and without CAP_SYS_TIME; both are stopped by PID.
#   tools/nts/bench_nts.sh [ROUNDS] [SECONDS] [INFLIGHT]
# Needs chronyd unpacked in ~/.cache/ntp-interop/root (see
# ntp/interop/interop_test.sh) and `bazel build -c opt //tools/nts:all`
# (uses BAZEL_OUTPUT_BASE if set). Prints one line per server and round,
# then the medians and their ratio.
set -euo pipefail

rounds=${1:-3}
seconds=${2:-3}
inflight=${3:-64}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bazel_cmd=(bazel)
[[ -n ${BAZEL_OUTPUT_BASE:-} ]] && bazel_cmd+=("--output_base=$BAZEL_OUTPUT_BASE")
"${bazel_cmd[@]}" build -c opt //tools/nts:nts_serve //tools/nts:nts_loadgen >/dev/null 2>&1 ||
  { echo "bench_nts: build failed" >&2; exit 2; }
bin=$("${bazel_cmd[@]}" info -c opt bazel-bin 2>/dev/null)/tools/nts
chronyd=${NTP_INTEROP_CACHE:-$HOME/.cache/ntp-interop}/root/usr/sbin/chronyd
[[ -x $chronyd ]] || { echo "bench_nts: no chronyd at $chronyd" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench_nts.XXXXXX")
pids=()
cleanup() { local p; for p in "${pids[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
noclock=(setpriv --bounding-set -sys_time --inh-caps -sys_time)
free_port() {
  python3 -c 'import socket,sys
k=socket.SOCK_STREAM if sys.argv[2]=="tcp" else socket.SOCK_DGRAM
s=socket.socket(socket.AF_INET,k); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1" "$2"
}

theirs=127.0.15.12
ours=127.0.15.13
(cd "$work" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout ca.key -out ca.pem -subj "/CN=bench CA" &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=ntp.test" &&
  printf 'subjectAltName=DNS:ntp.test\n' >ext.cnf &&
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -out server.pem -extfile ext.cnf) >"$work/openssl.log" 2>&1

their_port=$(free_port $theirs udp)
their_ke=$(free_port $theirs tcp)
cat >"$work/chrony.conf" <<CONF
port $their_port
bindaddress $theirs
local stratum 8
allow 127.0.0.0/8
cmdport 0
pidfile $work/chronyd.pid
ntsserverkey $work/server.key
ntsservercert $work/server.pem
ntsport $their_ke
ntsdumpdir $work
CONF
"${noclock[@]}" "$chronyd" -x -d -u root -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 &
pids+=("$!")
our_port=$(free_port $ours udp)
our_ke=$(free_port $ours tcp)
"${noclock[@]}" "$bin/nts_serve" --address $ours --ntp_port "$our_port" --ke_port "$our_ke" \
  --cert "$work/server.pem" --key "$work/server.key" --key_file "$work/nts.keys" \
  >"$work/serve.log" 2>&1 &
pids+=("$!")
sleep 1

run() {  # run NAME ADDRESS KE_PORT
  "$bin/nts_loadgen" --server ntp.test --address "$2" --ke_port "$3" --ca "$work/ca.pem" \
    --duration "$seconds" --inflight "$inflight" | awk -v n="$1" '{print n, $2, $0}'
}
results=()
for ((i = 1; i <= rounds; i++)); do
  results+=("$(run chronyd $theirs "$their_ke")")
  results+=("$(run ours $ours "$our_ke")")
done
printf '%s\n' "${results[@]}" | cut -d' ' -f1,3-
median() { printf '%s\n' "${results[@]}" | awk -v n="$1" '$1 == n {print $2}' | sort -n |
  awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
m_theirs=$(median chronyd)
m_ours=$(median ours)
echo "median req/s: chronyd $m_theirs, ours $m_ours, ratio $(awk -v a="$m_ours" -v b="$m_theirs" 'BEGIN {printf "%.2f", a / b}')"
