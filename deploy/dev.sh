#!/usr/bin/env bash
# deploy/dev.sh — the two entry points of README.md, for a fresh Debian 12 machine as root:
#   deploy/dev.sh demo   install dependencies, build, run the sandboxed demo
#   deploy/dev.sh test   install dependencies, build (plain and ASan+UBSan), run every test
# Also: deploy/dev.sh deps | build | bench
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc)

BUILD_PACKAGES=(cmake g++ clang ninja-build pkg-config libnftnl-dev libmnl-dev libboost-dev
  libboost-program-options-dev nlohmann-json3-dev libyaml-dev libssl-dev libgtest-dev libgmock-dev
  libbenchmark-dev libnghttp2-dev libldns-dev dpkg-dev file)
RUN_PACKAGES=(nftables iproute2 curl openssl python3 python3-grpcio python3-yaml procps kmod conntrack iptables time dnsmasq-base)
# Only for `bench` (tests/bench/peers.sh: the peers nfegress is measured against, and the plots); never for test/CI.
BENCH_PACKAGES=(iperf3 nginx libnginx-mod-stream libnetfilter-queue-dev gnuplot-nox nghttp2-client)

deps() {  # deps [extra packages...]
  local missing=()
  for p in "${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

build() {  # build DIR [cmake args...]; $TARGETS (if set): build only these targets
  local dir=$1; shift
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNFEGRESS_WERROR=ON "$@" >/dev/null
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$JOBS" ${TARGETS:+--target $TARGETS}
}

case "${1:-}" in
  deps) deps ;;
  build) deps; build build ;;
  demo)  # the binary only, without debug info, in a directory of its own (tests and benchmarks are for `test`)
    deps; TARGETS=nfegress build build-demo -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
      -DNFEGRESS_TESTS=OFF -DNFEGRESS_BENCH=OFF  # -O2 as the tested build (GCC 12 warns falsely at -O3)
    exec bash "$ROOT/deploy/demo.sh" "$ROOT/build-demo/nfegress"
    ;;
  test)
    deps
    build build
    echo "== tests (release build)"
    (cd build && ctest --output-on-failure -j "$JOBS" -LE netns)
    (cd build && ctest --output-on-failure -L netns)
    echo "== tests (ASan+UBSan build)"
    build build-asan -DNFEGRESS_SANITIZE=ON -DNFEGRESS_BENCH=OFF
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --output-on-failure -j "$JOBS" -LE netns)
    ;;
  bench)  # every benchmark script, tests/bench/peers.sh included (figures in docs/performance.md)
    # The nginx package would start a host-wide nginx; the benchmark starts its own inside its namespaces.
    rc_d=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      rc_d=/usr/sbin/policy-rc.d; printf '#!/bin/sh\nexit 101\n' > "$rc_d"; chmod +x "$rc_d"
    fi
    deps "${BENCH_PACKAGES[@]}"
    [ -z "$rc_d" ] || rm -f "$rc_d"
    build build
    export NFEGRESS_BIN=$ROOT/build/nfegress NFEGRESS_SOURCE_DIR=$ROOT NFEGRESS_SHARED_DIR=$ROOT/../shared
    bash "$ROOT/tests/bench/run.sh" "$ROOT/build"
    ;;
  *) echo "usage: deploy/dev.sh demo|test|deps|build|bench" >&2; exit 2 ;;
esac
