#!/usr/bin/env bash
# Proves the build needs no network: clones the committed tree into a fresh
# folder and runs `bazel test //...` with a fresh output root and no disk
# cache, inside a network namespace whose only interface is loopback.
# Needs root (or unprivileged user namespaces) for `unshare -n`.
#   tools/offline_check.sh [--keep]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ntp-offline-check.XXXXXX)
cleanup() { [[ "${1:-}" == "--keep" ]] || rm -rf "$work"; }
trap 'cleanup "${KEEP:-}"' EXIT
git clone -q "$repo" "$work/src"
cd "$work/src"
start=$(date +%s)
unshare -n bash -c '
  set -e
  ip link set lo up
  # No route to anything but loopback:
  if getent hosts deb.debian.org >/dev/null 2>&1; then echo "network still reachable" >&2; exit 1; fi
  status=0
  bazel --output_user_root="$0/root" test --disk_cache= //... || status=$?
  bazel --output_user_root="$0/root" shutdown
  exit $status
' "$work"
echo "offline build and test passed in $(( $(date +%s) - start )) s (fresh output root, no disk cache, loopback-only namespace)"
