#!/usr/bin/env bash
# Checks what promtool does not: every alert in ALERTS has the contract's name, `for` and severity
# (CONTRACT: lines of "name for severity"), a severity of warning or critical, each required
# annotation with a value, a runbook pointing at its own section of docs/early-warning.md, and at
# least one unit test in which it fires and one in which it does not (TEST files, promtool's
# format). Every alert a test names must exist. bash, grep and awk only: CI has no python3.
#
# Usage: check_alerts.sh ALERTS CONTRACT TEST...
#
# The rule file is read line by line in the shape deploy/prometheus/rules/alerts.yml keeps
# ("- alert:" items, two spaces per level, block scalars for long texts); a file in another shape
# fails with the name of what could not be found rather than passing.
set -uo pipefail

if (($# < 3)); then
  echo "usage: $0 ALERTS CONTRACT TEST..." >&2
  exit 2
fi
alerts_file=$1
contract_file=$2
shift 2
test_files=("$@")
for file in "$alerts_file" "$contract_file" "${test_files[@]}"; do
  [[ -r $file ]] || { echo "cannot read $file" >&2; exit 2; }
done

required_annotations="summary description samenvatting beschrijving action actie runbook"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# One line per alert: name, for, severity, runbook, then the annotations that have a value.
# Fields are separated by tabs; an absent field is "-".
alerts=$(awk '
  function indent(line) { match(line, /^ */); return RLENGTH }
  function value(line) {
    sub(/^ *(- )?[A-Za-z_]+: */, "", line)
    sub(/ +#.*$/, "", line)
    gsub(/^["\047]|["\047]$/, "", line)
    return line
  }
  function flush(   key, keys) {
    if (name == "") return
    keys = ""
    for (key in present) keys = keys " " key
    printf "%s\t%s\t%s\t%s\t%s\n", name, (for_ == "" ? "-" : for_),
      (severity == "" ? "-" : severity), (runbook == "" ? "-" : runbook), (keys == "" ? "-" : keys)
    name = ""
  }
  {
    ind = indent($0)
    if ($0 ~ /^ *$/ || $0 ~ /^ *#/) next
    if ($0 ~ /^ *- (alert|record|name):/) {
      flush()
      if ($0 ~ /^ *- alert:/) {
        name = value($0); item = ind + 2; section = ""; for_ = ""; severity = ""; runbook = ""
        split("", present); pending = ""
      }
      next
    }
    if (name == "") next
    if (ind <= item - 2) { flush(); next }
    if (pending != "" && ind > child) { present[pending] = 1; pending = ""; next }
    pending = ""
    if (ind == item) {
      section = ""
      if ($0 ~ /^ *for:/) for_ = value($0)
      if ($0 ~ /^ *labels: *$/) section = "labels"
      if ($0 ~ /^ *annotations: *$/) section = "annotations"
      child = ind + 2
      next
    }
    if (ind != child || section == "") next
    key = $0; sub(/^ */, "", key); sub(/:.*/, "", key)
    val = value($0)
    if (section == "labels" && key == "severity") severity = val
    if (section == "annotations") {
      if (key == "runbook") runbook = val
      if (val ~ /^[>|][-+]?$/) pending = key
      else if (val != "") present[key] = 1
    }
  }
  END { flush() }
' "$alerts_file")

if [[ -z $alerts ]]; then
  fail "$alerts_file: no '- alert:' rules found"
fi

# Which alerts the tests make fire, and which they evaluate without it firing. An expectation
# belongs to the alertname above it in the same test item (eval_time starts an item).
coverage=$(awk '
  awaiting != "" && !/^ *$/ {
    print (/^ *- exp_(labels|annotations):/ ? "fires" : "quiet") "\t" awaiting
    awaiting = ""
  }
  /^ *(- )?eval_time:/ { current = "" }
  /^ *(- )?alertname:/ {
    current = $0; sub(/^ *(- )?alertname: */, "", current); sub(/ +#.*$/, "", current)
    print "named\t" current
  }
  /^ *(- )?exp_alerts:/ {
    if (current == "") { printf "order\t%s:%d\n", FILENAME, FNR; next }
    if (/\[ *\]/) print "quiet\t" current
    else awaiting = current
  }
' "${test_files[@]}")

while IFS=$'\t' read -r _ where; do
  fail "$where: exp_alerts before alertname (write eval_time, alertname, exp_alerts in that order)"
done < <(grep $'^order\t' <<<"$coverage")

declare -A seen
while IFS=$'\t' read -r name for_ severity runbook keys; do
  [[ -n $name ]] || continue
  seen[$name]=1
  case $severity in
    warning | critical) ;;
    *) fail "$name: label severity is '$severity', not warning or critical" ;;
  esac
  for annotation in $required_annotations; do
    [[ " $keys " == *" $annotation "* ]] || fail "$name: annotation $annotation missing or empty"
  done
  expected_runbook="docs/early-warning.md#${name,,}"
  [[ $runbook == "$expected_runbook" ]] ||
    fail "$name: runbook is '$runbook', expected '$expected_runbook'"
  grep -qxF "fires"$'\t'"$name" <<<"$coverage" ||
    fail "$name: no test in which it fires (alert_rule_test with exp_alerts)"
  grep -qxF "quiet"$'\t'"$name" <<<"$coverage" ||
    fail "$name: no test in which it does not fire (alert_rule_test with exp_alerts: [])"

  contract_line=$(awk -v n="$name" '$1 == n' "$contract_file")
  if [[ -z $contract_line ]]; then
    fail "$name: not an alert of the contract ($contract_file)"
  elif [[ $contract_line != "$name $for_ $severity" ]]; then
    fail "$name: for $for_, severity $severity; the contract says: $contract_line"
  fi
done <<<"$alerts"

while read -r name _; do
  [[ -z $name || $name == \#* ]] && continue
  [[ -n ${seen[$name]:-} ]] || fail "$name: in the contract but not in $alerts_file"
done <"$contract_file"

while IFS=$'\t' read -r _ name; do
  [[ -n ${seen[$name]:-} ]] || fail "tests name alert $name, which $alerts_file does not have"
done < <(grep $'^named\t' <<<"$coverage" | sort -u)

count=$(grep -c . <<<"$alerts")
if ((failures > 0)); then
  echo "$failures problem(s) in $count alerts"
  exit 1
fi
echo "$count alerts: contract, severity, annotations, runbook and tests complete"
