#!/usr/bin/env bash
# Installs what is missing, builds everything with warnings as errors, and runs every test.
#   scripts/test.sh              the normal build (build/)
#   scripts/test.sh --sanitize   an AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/)
# Extra arguments after -- go to ctest (e.g. -- -R Integration).
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

sanitize=0
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) vroeg_die "unknown option $1 (see --help)" ;;
  esac
  shift
done

vroeg_install_deps
if [ "$sanitize" = 1 ]; then
  VROEG_BUILD_DIR="${VROEG_ASAN_BUILD_DIR:-$VROEG_ROOT/build-asan}"
  VROEG_BUILD_TYPE=Debug
  VROEG_CMAKE_ARGS="-DVROEG_SANITIZE=ON -DVROEG_WERROR=ON"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  export LSAN_OPTIONS="suppressions=$VROEG_ROOT/tests/lsan.supp"
else
  VROEG_CMAKE_ARGS="-DVROEG_WERROR=ON"
fi
vroeg_build

vroeg_log "running tests"
cd "$VROEG_BUILD_DIR" && ctest --output-on-failure -j "${VROEG_JOBS:-$(nproc)}" --timeout 600 \
  "${ctest_args[@]}"
