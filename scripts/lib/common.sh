# Shared by scripts/demo.sh, scripts/test.sh and scripts/fuzz.sh: dependency installation and the
# build.
# Sourced, not executed.

VROEG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VROEG_BUILD_DIR="${VROEG_BUILD_DIR:-$VROEG_ROOT/build}"

# Debian 12 packages needed to build, test and run the demo.
VROEG_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev libssl-dev libsqlite3-dev libyaml-cpp-dev libcli11-dev libabsl-dev
  libmicrohttpd-dev
  # The PostgreSQL storage backend: libpq to build it, the server for its tests and for
  # VROEG_DEMO_STORAGE=postgres (each starts its own; the system cluster is never used).
  libpq-dev postgresql
  # vroegctl export --format xlsx.
  libxlsxwriter-dev
  libgtest-dev libgmock-dev
  prometheus openssl sqlite3 ca-certificates tzdata
  # scripts/bench.sh compares /metrics with the Pushgateway holding the same series.
  prometheus-pushgateway
  # The package test (tests/package): dpkg-shlibdeps for the Depends of the .deb files, and
  # systemd-analyze to verify the installed units. systemd is only installed, never started.
  dpkg-dev systemd
)

# Only scripts/fuzz.sh needs these: clang and its libFuzzer runtime (-fsanitize=fuzzer).
VROEG_FUZZ_PACKAGES=(clang libclang-rt-14-dev)

vroeg_log() { printf '==> %s\n' "$*" >&2; }
vroeg_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs whatever of VROEG_PACKAGES is missing, and the npm tools of tests/lint; does nothing
# (and needs no network) when all are present.
vroeg_install_deps() {
  local wanted=("${VROEG_PACKAGES[@]}")
  # npm comes from Debian only where the machine has none of its own.
  command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)
  vroeg_install_packages "${wanted[@]}"
  vroeg_install_npm_tools
}

# Installs whichever of the given Debian packages are missing; needs root (and the network) only
# then.
vroeg_install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    vroeg_log "all Debian packages are installed"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || vroeg_die "missing packages: ${missing[*]}; run as root or install them with apt-get"
  vroeg_log "installing ${missing[*]}"
  # Packages such as prometheus would start a system-wide service on install; we only want their
  # binaries, so service starts are refused for the duration of this install.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && added_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || { [ "$added_policy" = 1 ] && rm -f "$policy"; vroeg_die "apt-get update failed"; }
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  local rc=$?
  [ "$added_policy" = 1 ] && rm -f "$policy"
  [ "$rc" -eq 0 ] || vroeg_die "apt-get install failed"
}

# The linters in tests/lint (buf for the API), at the exact versions its package.json pins. No
# lock file: buf's platform binaries are optional dependencies, and a lock written on one
# platform does not satisfy `npm ci` on another.
vroeg_install_npm_tools() {
  local dir="$VROEG_ROOT/tests/lint"
  [ -x "$dir/node_modules/.bin/buf" ] && return 0
  vroeg_log "installing npm tools in $dir"
  (cd "$dir" && npm install --no-package-lock --no-audit --no-fund --loglevel=error) \
    || vroeg_die "npm install in $dir failed"
}

# Configures (once) and builds the given targets (all when none are given).
# VROEG_CMAKE_ARGS adds configure options; VROEG_JOBS sets parallelism.
vroeg_build() {
  local jobs="${VROEG_JOBS:-$(nproc)}"
  # An existing build tree keeps its generator and options; cmake --build re-runs cmake itself
  # when the lists change.
  if [ ! -f "$VROEG_BUILD_DIR/CMakeCache.txt" ]; then
    vroeg_log "configuring $VROEG_BUILD_DIR"
    cmake -S "$VROEG_ROOT" -B "$VROEG_BUILD_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE="${VROEG_BUILD_TYPE:-RelWithDebInfo}" ${VROEG_CMAKE_ARGS:-} \
      || vroeg_die "cmake configure failed"
  fi
  vroeg_log "building ${*:-everything} with $jobs jobs"
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$VROEG_BUILD_DIR" -j "$jobs" "${targets[@]}" || vroeg_die "build failed"
}
