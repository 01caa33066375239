#!/usr/bin/env bash
# Builds one libFuzzer target with Debian's clang-14 and ASan + UBSan
# (--config=fuzz in .bazelrc) and runs it for a bounded time on a scratch
# copy of its seed corpus (testdata/fuzz/<target>/, never modified).
#
#   tools/fuzz.sh TARGET SECONDS [extra libFuzzer flags...]
#   tools/fuzz.sh packet_fuzz 60
#   tools/fuzz.sh //ntp/wire:control_message_fuzz 600 -jobs=2 -workers=2
#
# TARGET is a short name from the table below or its full label. Prints the
# number of executions and whether anything was found; exits 1 on a finding
# (crash, leak, timeout, OOM: reproducers are kept and their paths printed),
# 2 on usage or build errors.
#
# Environment:
#   FUZZ_OUTPUT_BASE  Bazel output base for the clang build (default
#                     ~/.cache/bazel-ob-fuzz). It must not be the one used for
#                     gcc builds: switching CC invalidates every action.
#   FUZZ_WORK_DIR     where the scratch corpus, log and artifacts go (default:
#                     a new directory under ${TMPDIR:-/tmp}).
set -euo pipefail

# Short name -> Bazel label.
declare -A LABELS=(
  [packet_fuzz]=//ntp/wire:packet_fuzz
  [control_message_fuzz]=//ntp/wire:control_message_fuzz
  [control_server_fuzz]=//ntp/control:control_server_fuzz
  [control_reply_fuzz]=//ntp/control:control_reply_fuzz
  [keys_file_fuzz]=//ntp/auth:keys_file_fuzz
  [mac_fuzz]=//ntp/auth:mac_fuzz
  [ntp_conf_fuzz]=//ntp/config:ntp_conf_fuzz
  [trace_fuzz]=//ntp/trace:trace_fuzz
  [ke_records_fuzz]=//ntp/nts:ke_records_fuzz
  [nts_fields_fuzz]=//ntp/nts:nts_fields_fuzz
)

# Extra seed directories per short name (relative to the repo root; every
# *.bin below them is copied in as well): real datagrams from peers.
declare -A EXTRA_SEEDS=(
  [packet_fuzz]=testdata/golden
)

usage() {
  echo "usage: $0 TARGET SECONDS [libFuzzer flags...]" >&2
  echo "targets: ${!LABELS[*]}" >&2
  exit 2
}

(($# >= 2)) || usage
target=$1
seconds=$2
shift 2
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage

if [[ $target == //* ]]; then
  label=$target
  name=${target##*:}
  [[ -n ${LABELS[$name]:-} && ${LABELS[$name]} == "$label" ]] || {
    echo "fuzz.sh: $label is not in the target table" >&2
    usage
  }
else
  name=$target
  label=${LABELS[$name]:-}
  [[ -n $label ]] || usage
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
output_base=${FUZZ_OUTPUT_BASE:-$HOME/.cache/bazel-ob-fuzz}
bazel_cmd=(bazel "--output_base=$output_base")

echo "fuzz.sh: building $label (clang-14, --config=fuzz, output base $output_base)"
# No bazel-* symlinks: they would point the worktree at the fuzz output
# base, and `bazel test //...` with the usual one would then descend into it.
if ! "${bazel_cmd[@]}" build --config=fuzz --experimental_convenience_symlinks=ignore "$label"; then
  echo "fuzz.sh: build of $label failed" >&2
  exit 2
fi
bin_dir=$("${bazel_cmd[@]}" info --config=fuzz bazel-bin 2>/dev/null)
package=${label#//}
package=${package%%:*}
binary="$bin_dir/$package/$name"
[[ -x $binary ]] || {
  echo "fuzz.sh: no binary at $binary" >&2
  exit 2
}

work=${FUZZ_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX")}
mkdir -p "$work/corpus" "$work/artifacts"
seeds="$root/testdata/fuzz/$name"
if [[ -d $seeds ]]; then
  find "$seeds" -maxdepth 1 -type f ! -name BUILD ! -name 'README*' ! -name '*.py' \
    -exec cp -t "$work/corpus" {} +
fi
extra=${EXTRA_SEEDS[$name]:-}
if [[ -n $extra && -d $root/$extra ]]; then
  while IFS= read -r -d '' file; do
    relative=${file#"$root/$extra/"}
    cp "$file" "$work/corpus/extra_${relative//\//_}"
  done < <(find "$root/$extra" -type f -name '*.bin' -print0)
fi
echo "fuzz.sh: $(find "$work/corpus" -type f | wc -l) seed files, running for ${seconds} s in $work"

# -max_total_time bounds the fuzzing; `timeout` bounds everything else
# (start-up, final merge) with a grace period, then kills.
log="$work/fuzz.log"
status=0
timeout --kill-after=30 $((seconds + 120)) "$binary" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@" \
  "$work/corpus" >"$log" 2>&1 || status=$?

execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
  awk '{s += $2} END {print s + 0}')
findings=$(find "$work/artifacts" -type f | wc -l)
echo "fuzz.sh: $name: $execs executions in ${seconds} s, exit status $status," \
  "$(find "$work/corpus" -type f | wc -l) corpus files"
if ((findings > 0 || status != 0)); then
  echo "fuzz.sh: FINDING in $name (log: $log)"
  find "$work/artifacts" -type f -printf '  %p\n'
  grep -m 5 -E 'ERROR|SUMMARY|runtime error|deadly signal' "$log" || true
  exit 1
fi
echo "fuzz.sh: $name: no findings"
