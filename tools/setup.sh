#!/usr/bin/env bash
# Installs every Debian 12 package this project needs to build, test and run.
# Idempotent: quiet and fast when everything is present; runs `apt-get update`
# only when a package is missing. Needs root (or sudo) only when installing.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap      # Bazel 4.2.3 (binary named bazel-4)
  g++                  # g++ 12, C++20
  libabsl-dev          # Abseil 20220623
  libprotobuf-dev      # protobuf 3.21 runtime + well-known .proto files
  protobuf-compiler    # protoc 3.21, used by proto_library
  libgtest-dev         # GoogleTest
  libgmock-dev         # GoogleMock
  libbenchmark-dev     # Google Benchmark
  libssl-dev           # OpenSSL libcrypto: MD5, SHA-1, AES-CMAC
  libcap-dev           # libcap: ntpd -u keeps only CAP_SYS_TIME (tools/privileges.h)
  prometheus-cpp-dev   # prometheus-cpp 1.0.1 core + pull (civetweb): //:ntp_exporter
  python3              # coverage merger stand-in and helper scripts
  iproute2             # `ip link set lo up` inside `unshare -n` for the offline proof
  util-linux           # setpriv, unshare
  clang-14             # tools/fuzz.sh: libFuzzer builds (--config=fuzz)
  libclang-rt-14-dev   # libFuzzer and sanitizer runtimes for clang
  lld                  # ld.lld, the fuzz configuration's linker
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
