#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (build-fuzz/) and fuzzes each in turn.
#   scripts/fuzz.sh               60 seconds per target
#   scripts/fuzz.sh --seconds N   N seconds per target
# Each target starts from its seed corpus (tests/fuzz/corpus/<target>, copied; never written)
# plus what earlier runs found (build-fuzz/corpus/<target>). Inputs that crash, leak or hang are
# saved in build-fuzz/artifacts/ and make the script fail.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

seconds=60
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds)
      [ $# -ge 2 ] || vroeg_die "--seconds needs a number of seconds"
      seconds="$2"
      shift
      ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) vroeg_die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || vroeg_die "--seconds takes a whole number above 0, not '$seconds'"

targets=(fuzz_csv_reader fuzz_json_reader fuzz_config_loader fuzz_validator)

vroeg_install_packages "${VROEG_PACKAGES[@]}" "${VROEG_FUZZ_PACKAGES[@]}"
VROEG_BUILD_DIR="${VROEG_FUZZ_BUILD_DIR:-$VROEG_ROOT/build-fuzz}"
VROEG_CMAKE_ARGS="-DVROEG_FUZZ=ON -DVROEG_BUILD_TESTS=ON -DVROEG_WERROR=ON"
# Read by cmake when it configures a new build tree; an existing one keeps its compiler.
export CC=clang CXX=clang++
vroeg_build "${targets[@]}"

artifacts="$VROEG_BUILD_DIR/artifacts"
mkdir -p "$artifacts" "$VROEG_BUILD_DIR/fuzz-logs"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$VROEG_ROOT/tests/lsan.supp"

# stat_of LOG NAME: a value from libFuzzer's final statistics (-print_final_stats).
stat_of() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }

failed=()
for target in "${targets[@]}"; do
  corpus="$VROEG_BUILD_DIR/corpus/$target"
  log="$VROEG_BUILD_DIR/fuzz-logs/$target.log"
  mkdir -p "$corpus"
  cp -- "$VROEG_ROOT/tests/fuzz/corpus/$target/"* "$corpus/"
  vroeg_log "fuzzing $target for ${seconds}s (log: $log)"
  "$VROEG_BUILD_DIR/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
    "$corpus" >"$log" 2>&1
  rc=$?
  coverage="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
  printf '%-20s runs %-10s exec/s %-7s coverage %-6s corpus %s files\n' "$target" \
    "$(stat_of "$log" number_of_executed_units)" "$(stat_of "$log" average_exec_per_sec)" \
    "${coverage:-?}" "$(find "$corpus" -type f | wc -l)"
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$log" >&2
    failed+=("$target")
  fi
done

[ "${#failed[@]}" -eq 0 ] || vroeg_die "fuzzing failed for ${failed[*]}; inputs are in $artifacts"
vroeg_log "no target crashed, leaked or hung"
