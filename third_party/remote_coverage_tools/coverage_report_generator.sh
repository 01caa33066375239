#!/bin/sh
# Combined coverage report: concatenates the per-test lcov files Bazel lists.
# Called as: coverage_report_generator.sh --reports_file=F --output_file=O [...]
reports=""
out=""
for arg in "$@"; do
  case "$arg" in
    --reports_file=*) reports="${arg#--reports_file=}" ;;
    --output_file=*) out="${arg#--output_file=}" ;;
  esac
done
[ -n "$out" ] || { echo "coverage_report_generator: --output_file missing" >&2; exit 1; }
: > "$out"
if [ -n "$reports" ] && [ -f "$reports" ]; then
  while IFS= read -r f; do
    [ -f "$f" ] && cat "$f" >> "$out"
  done < "$reports"
fi
exit 0
