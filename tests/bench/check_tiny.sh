#!/usr/bin/env bash
# ctest bench_tiny: runs scripts/bench.sh --size tiny against the binaries of build directory $1,
# writing its report to $2, and checks that the table has every row and that every figure in it
# is a number. Nothing about how fast: timing assertions never go into tests.
set -euo pipefail
build_dir="${1:?usage: check_tiny.sh BUILD_DIR OUT}"
out="${2:?usage: check_tiny.sh BUILD_DIR OUT}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

rm -f "$out"
bash "$root/scripts/bench.sh" --size tiny --build-dir "$build_dir" --out "$out"

fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$out" ] || fail "no report at $out"
table="$(grep '^| ' "$out" | tail -n +2)"
expected=(
  "ingest batch 1, 1 reporters" "ingest batch 1, 8 reporters"
  "ingest batch 100, 1 reporters" "ingest batch 100, 8 reporters"
  "ingest batch 1000, 1 reporters" "ingest batch 1000, 8 reporters"
  "durable writes in the database directory: 4 KiB overwrite + fdatasync, one at a time"
  "end to end: agent submit returned to value on /metrics"
  "agent resident memory, idle" "agent resident memory, sending 500 observations (peak)"
  "scrape /metrics, 1000 series (" "collector resident memory per 100k series (at 1000 series)"
  "export 1000 observations to CSV"
  "collector start-up to serving, 1000 observations stored, after a clean stop (state checkpoint)"
  "collector start-up to serving, 1000 observations stored, after a crash (state read from the store)"
)
for figure in "${expected[@]}"; do
  grep -qF "| $figure" <<<"$table" || fail "no row '$figure' in $out"
done
rows="$(wc -l <<<"$table")"
[ "$rows" -eq "${#expected[@]}" ] || fail "$rows rows, expected ${#expected[@]}:
$table"

# Every number in the ours, peer and ratio columns must parse as one, and each of those cells
# that is not "-" holds at least one; a figure that came out empty, nan or inf would not.
number='^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$'
while IFS='|' read -r _ figure ours peer ratio _ met _; do
  for cell in "$ours" "$peer" "$ratio"; do
    [ "$(tr -d ' ' <<<"$cell")" = "-" ] && continue
    found=0
    for token in $cell; do
      token="${token#(}"; token="${token%,}"; token="${token%)}"; token="${token%/s}"
      case "$token" in
        p50 | p99 | sqlite3 | -csv) continue ;;
        *nan* | *inf*) fail "'$token' in '$cell' ($figure)" ;;
      esac
      [[ "$token" == *[0-9]* ]] || continue
      [[ "$token" =~ $number ]] || fail "'$token' in '$cell' ($figure) is not a number"
      found=1
    done
    [ "$found" = 1 ] || fail "no number in '$cell' ($figure)"
  done
  case "${met// /}" in yes | no | -) ;; *) fail "met? is '$met' ($figure)" ;; esac
done <<<"$table"
echo "bench_tiny: ${#expected[@]} rows, every figure a number"
