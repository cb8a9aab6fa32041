#!/usr/bin/env bash
# Benchmarks of the collector and agent against their peers (issue: benchmarks), as one table.
#
#   scripts/bench.sh [--size tiny|full] [--repeat N] [--out FILE] [--build-dir DIR]
#
# --size full (default) measures the issue's sizes and writes docs/benchmarks.md; --size tiny
# runs every figure at toy sizes in seconds (CI runs it so that the harness cannot rot) and
# writes to a temporary file unless --out is given. Each figure is the median of --repeat runs
# (default 5 full, 1 tiny); each ratio compares two figures measured in the same run.
# --build-dir uses the binaries of an existing build instead of building Release in
# build-bench/. Everything listens on 127.0.0.1 and lives in a temporary directory that is
# removed at exit. Nothing here fails on a slow figure: a missed target is a "no" in the table.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

size=full
repeat=""
out=""
build_dir=""
usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="${2:?--size needs tiny or full}"; shift 2 ;;
    --repeat) repeat="${2:?--repeat needs a number}"; shift 2 ;;
    --out) out="${2:?--out needs a file}"; shift 2 ;;
    --build-dir) build_dir="${2:?--build-dir needs a directory}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; vroeg_die "unknown argument: $1" ;;
  esac
done

case "$size" in
  tiny)
    repeat="${repeat:-1}"
    batches=(1 100 1000); concurrencies=(1 8)
    load_seconds=0.5
    scrape_series=(1000); scrape_count=5
    e2e_iterations=5
    export_rows=(1000); recovery_rows=1000
    agent_rows=500
    ;;
  full)
    repeat="${repeat:-5}"
    batches=(1 100 1000); concurrencies=(1 8 64)
    load_seconds=3
    scrape_series=(1000 10000 100000); scrape_count=20
    e2e_iterations=50
    export_rows=(1000000 10000000); recovery_rows=10000000
    agent_rows=10000
    ;;
  *) vroeg_die "--size is tiny or full, not $size" ;;
esac
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || vroeg_die "--repeat needs a positive number, not $repeat"

work="$(mktemp -d /tmp/vroeg-bench.XXXXXX)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$out" ]; then
  if [ "$size" = tiny ]; then
    out="$(mktemp --suffix=.md /tmp/vroeg-bench-tiny.XXXXXX)"
  else
    out="$VROEG_ROOT/docs/benchmarks.md"
  fi
fi

if [ -n "$build_dir" ]; then
  VROEG_BUILD_DIR="$(cd "$build_dir" && pwd)"
else
  vroeg_install_packages "${VROEG_PACKAGES[@]}"
  VROEG_BUILD_DIR="$VROEG_ROOT/build-bench"
  VROEG_BUILD_TYPE=Release vroeg_build vroeg-collector vroeg-agent vroegctl vroeg-bench
fi
collector_bin="$VROEG_BUILD_DIR/server/vroeg-collector"
agent_bin="$VROEG_BUILD_DIR/agent/vroeg-agent"
vroegctl_bin="$VROEG_BUILD_DIR/tools/vroegctl/vroegctl"
bench_bin="$VROEG_BUILD_DIR/tests/bench/vroeg-bench"
for bin in "$collector_bin" "$agent_bin" "$vroegctl_bin" "$bench_bin"; do
  [ -x "$bin" ] || vroeg_die "$bin is missing: build it, or leave out --build-dir"
done
for tool in prometheus-pushgateway sqlite3; do
  command -v "$tool" >/dev/null || vroeg_die "$tool is missing: apt-get install $tool"
done

# ---- helpers -------------------------------------------------------------------------------

# field LINE KEY: the value of KEY= in a vroeg-bench result line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# median VALUE...: the middle value (the lower of the two middle ones for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# calc EXPRESSION: awk arithmetic, printed with up to 6 significant digits.
calc() { awk "BEGIN {printf \"%.6g\", $1}"; }
now() { date +%s.%N; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }
mb() { calc "$1 / 1024"; }

# wait_for_line FILE TEXT SECONDS: waits until FILE holds a line with TEXT and prints it.
wait_for_line() {
  local deadline=$((SECONDS + $3)) line
  while [ "$SECONDS" -le "$deadline" ]; do
    line="$(grep -m1 -- "$2" "$1" 2>/dev/null || true)"
    if [ -n "$line" ]; then printf '%s\n' "$line"; return 0; fi
    sleep 0.01
  done
  vroeg_log "no '$2' in $1 within $3 s:"; tail -n 20 "$1" >&2
  return 1
}

# A TCP port on 127.0.0.1 that nothing listens on now, for the Pushgateway (which cannot say
# which port it took).
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  vroeg_die "no free port found"
}

# ---- PKI and configuration -----------------------------------------------------------------

pki="$work/pki"
first_agb=98000000
e2e_agb=98990012
agent_agb=98990013
populate_agb=97000000
max_concurrency="${concurrencies[-1]}"
vroeg_log "PKI with $max_concurrency load reporters ($work)"
"$vroegctl_bin" pki init --dir "$pki" --region flevoland >/dev/null
"$vroegctl_bin" pki issue --dir "$pki" --server --dns localhost --ip 127.0.0.1 >/dev/null
for i in $(seq 0 $((max_concurrency - 1))); do
  "$vroegctl_bin" pki issue --dir "$pki" --identity "urn:vroeg:provider:$((first_agb + i))" >/dev/null
done
for agb in "$e2e_agb" "$agent_agb"; do
  "$vroegctl_bin" pki issue --dir "$pki" --identity "urn:vroeg:provider:$agb" >/dev/null
done
"$vroegctl_bin" pki issue --dir "$pki" --identity urn:vroeg:supervisor:nza >/dev/null

# collector_config DIR: a collector on DIR/collector.db with loopback ports of its choosing and
# a rate limit far above what the load generator can send.
collector_config() {
  mkdir -p "$1"
  cat >"$1/collector.yaml" <<EOF
region: {code: flevoland, name: Flevoland, municipalities: [
  {code: GM0034, name: Almere}, {code: GM0303, name: Dronten}, {code: GM0995, name: Lelystad},
  {code: GM0171, name: Noordoostpolder}, {code: GM0184, name: Urk}, {code: GM0050, name: Zeewolde}]}
listen: 127.0.0.1:0
metrics_listen: 127.0.0.1:0
catalogue: $VROEG_ROOT/deploy/catalogue/catalogue.yaml
storage: {sqlite: {path: $1/collector.db}}
tls: {certificate: $pki/server.crt, private_key: $pki/server.key, ca_certificate: $pki/ca.crt}
limits: {submissions_per_minute: 100000000, burst: 100000000}
EOF
}

# start_collector DIR: starts the collector of DIR; sets collector_pid, grpc_address,
# metrics_port, startup_seconds (start to its event=listening line) and startup_from (where its
# state came from: "checkpoint" after a clean stop, "store" otherwise).
start_collector() {
  local log="$1/collector.log.$RANDOM" start line
  start="$(now)"
  "$collector_bin" --config "$1/collector.yaml" 2>"$log" &
  collector_pid=$!
  pids+=("$collector_pid")
  line="$(wait_for_line "$log" event=listening 600)" || vroeg_die "the collector did not start"
  startup_seconds="$(calc "$(now) - $start")"
  startup_from="$(sed -n 's/.* event=state_rebuilt .* from=\([a-z]*\).*/\1/p' "$log")"
  grpc_address="$(sed -n 's/.* grpc=\([^ ]*\).*/\1/p' <<<"$line")"
  metrics_port="$(sed -n 's/.* metrics=http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line")"
  if [ -z "$grpc_address" ] || [ -z "$metrics_port" ]; then
    vroeg_die "cannot read ports from: $line"
  fi
}

# A clean stop (SIGTERM): the collector saves its state checkpoint.
stop_collector() {
  kill "$collector_pid" 2>/dev/null || true
  wait "$collector_pid" 2>/dev/null || true
}

# A crash (SIGKILL): no checkpoint, so the next start reads the state from the store.
crash_collector() {
  kill -KILL "$collector_pid" 2>/dev/null || true
  wait "$collector_pid" 2>/dev/null || true
}

# expect_startup_from KIND: dies unless the collector just started took its state from KIND, so
# that no start-up figure is filed under the wrong row.
expect_startup_from() {
  [ "$startup_from" = "$1" ] || vroeg_die "the collector's state came from '$startup_from', expected $1"
}

# bench SUBCOMMAND ARGS...: runs vroeg-bench and prints its result line.
bench() {
  local line
  line="$("$bench_bin" "$@" | tail -n 1)" || vroeg_die "vroeg-bench $* failed"
  vroeg_log "$line"
  printf '%s\n' "$line"
}

# Rows of the table: figure | ours | peer | ratio | target | met?
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }
# yes_no CONDITION: "yes" or "no" from an awk condition.
yes_no() { awk "BEGIN {print ($1) ? \"yes\" : \"no\"}"; }
ms() { calc "$1 * 1000"; }

# ---- 1. ingest and the empty RPC -----------------------------------------------------------

vroeg_log "ingest: batches ${batches[*]}, reporters ${concurrencies[*]}, ${load_seconds} s each, $repeat runs"
collector_config "$work/ingest"
start_collector "$work/ingest"
collector_idle_kb="$(rss_kb "$collector_pid")"
# What the disk allows one writer who must be durable before answering: a lone reporter's
# batch-1 submissions can go no faster, whatever the RPC costs.
durable_runs=()
durable_p50_runs=()
for _ in $(seq 1 "$repeat"); do
  line="$(bench durable-writes --dir "$work/ingest" --seconds "$load_seconds")"
  durable_runs+=("$(field "$line" writes_per_second)")
  durable_p50_runs+=("$(field "$line" p50)")
done
durable="$(median "${durable_runs[@]}")"
durable_p50="$(median "${durable_p50_runs[@]}")"
declare -A rate p50 p99 empty
for c in "${concurrencies[@]}"; do
  reporters=(--collector "$grpc_address" --cert-dir "$pki" --first-agb "$first_agb" --reporters "$c")
  empty_runs=()
  declare -A runs_rate=() runs_p50=() runs_p99=()
  for _ in $(seq 1 "$repeat"); do
    line="$(bench empty-rpc "${reporters[@]}" --seconds "$load_seconds")"
    empty_runs+=("$(field "$line" calls_per_second)")
    for b in "${batches[@]}"; do
      line="$(bench ingest "${reporters[@]}" --batch "$b" --seconds "$load_seconds")"
      runs_rate[$b]+=" $(field "$line" observations_per_second)"
      runs_p50[$b]+=" $(field "$line" p50)"
      runs_p99[$b]+=" $(field "$line" p99)"
    done
  done
  empty[$c]="$(median "${empty_runs[@]}")"
  for b in "${batches[@]}"; do
    # shellcheck disable=SC2086 # word splitting of the run lists is intended
    rate[$b,$c]="$(median ${runs_rate[$b]})"
    # shellcheck disable=SC2086
    p50[$b,$c]="$(median ${runs_p50[$b]})"
    # shellcheck disable=SC2086
    p99[$b,$c]="$(median ${runs_p99[$b]})"
  done
done
for b in "${batches[@]}"; do
  for c in "${concurrencies[@]}"; do
    ours="$(calc "${rate[$b,$c]}") obs/s (p50 $(ms "${p50[$b,$c]}") ms, p99 $(ms "${p99[$b,$c]}") ms)"
    case "$b" in
      1)
        row "ingest batch 1, $c reporters" "$ours" "empty RPC $(calc "${empty[$c]}")/s" \
          "$(calc "${rate[$b,$c]} / ${empty[$c]}")" ">= 0.5 x empty RPC" \
          "$(yes_no "${rate[$b,$c]} >= 0.5 * ${empty[$c]}")" ;;
      1000)
        row "ingest batch 1000, $c reporters" "$ours" "empty RPC $(calc "${empty[$c]}")/s" "-" \
          ">= 500000 obs/s" \
          "$(yes_no "${rate[$b,$c]} >= 500000")" ;;
      *)
        row "ingest batch $b, $c reporters" "$ours" "empty RPC $(calc "${empty[$c]}")/s" "-" "-" "-" ;;
    esac
  done
done
row "durable writes in the database directory: 4 KiB overwrite + fdatasync, one at a time" \
  "$(calc "$durable")/s (p50 $(ms "$durable_p50") ms)" "-" "-" "-" "-"

# ---- 3. end to end, and 5. the agent's footprint, against the same collector ---------------

agent_config() {  # agent_config NAME AGB [EXTRA]: writes $work/NAME.yaml
  cat >"$work/$1.yaml" <<EOF
collector: $grpc_address
collector_name: localhost
tls: {certificate: $pki/provider-$2.crt, private_key: $pki/provider-$2.key, ca_certificate: $pki/ca.crt}
spool: {path: $work/$1-spool}
${3:-}
EOF
}

vroeg_log "end to end: $e2e_iterations values, $repeat runs"
agent_config e2e-agent "$e2e_agb"
mkdir -p "$work/e2e"
e2e_p50_runs=(); e2e_p99_runs=()
for _ in $(seq 1 "$repeat"); do
  line="$(bench e2e --agent "$agent_bin" --agent-config "$work/e2e-agent.yaml" \
    --reporter "$e2e_agb" --metrics-port "$metrics_port" --work-dir "$work/e2e" \
    --iterations "$e2e_iterations")"
  e2e_p50_runs+=("$(field "$line" p50)"); e2e_p99_runs+=("$(field "$line" p99)")
done
e2e_p50="$(median "${e2e_p50_runs[@]}")"; e2e_p99="$(median "${e2e_p99_runs[@]}")"
row "end to end: agent submit returned to value on /metrics" \
  "p50 $(ms "$e2e_p50") ms, p99 $(ms "$e2e_p99") ms" "-" "-" "p99 < 200 ms" \
  "$(yes_no "$e2e_p99 < 0.2")"

vroeg_log "agent footprint: idle, and while sending $agent_rows observations from a drop folder"
mkdir -p "$work/drop"
agent_config run-agent "$agent_agb" "drop_folders: [{path: $work/drop}]
metrics_listen: 127.0.0.1:0"
# wachtenden for every care form x municipality and month, as a provider's export would hold.
awk -v rows="$agent_rows" 'BEGIN {
  split("verblijf crisishulp hoogspecialistische_jeugd_ggz jeugdbescherming jeugdreclassering " \
        "kortdurend_verblijf dagbehandeling multidisciplinair_complex " \
        "multidisciplinair_ggz_complex", cf, " ")
  split("GM0034 GM0303 GM0995 GM0171 GM0184 GM0050", gm, " ")
  split("31 28 31 30 31 30 31 31 30 31 30 31", last, " ")
  print "period_start,period_end,care_form,municipality,indicator,value"
  for (i = 0; i < rows; i++) {
    s = i % 54; m = int(i / 54); y = 2000 + int(m / 12); mo = 1 + m % 12
    d = last[mo]; if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) d = 29
    printf "%04d-%02d-01,%04d-%02d-%02d,%s,%s,wachtenden,%d\n", y, mo, y, mo, d, cf[1 + s % 9],
           gm[1 + int(s / 9)], i % 100
  }
}' >"$work/agent-export.csv"
agent_idle_runs=(); agent_anon_runs=(); agent_sending_runs=()
for r in $(seq 1 "$repeat"); do
  "$agent_bin" run --config "$work/run-agent.yaml" 2>"$work/run-agent.log.$r" &
  agent_pid=$!
  pids+=("$agent_pid")
  wait_for_line "$work/run-agent.log.$r" event=listening 60 >/dev/null || vroeg_die "the agent did not start"
  sleep 1
  agent_idle_runs+=("$(rss_kb "$agent_pid")")
  agent_anon_runs+=("$(anon_kb "$agent_pid")")
  sed "s/,\([0-9]*\)\$/,$r/" "$work/agent-export.csv" >"$work/export-$r.csv"
  mv "$work/export-$r.csv" "$work/drop/"
  deadline=$((SECONDS + 300))
  until grep -q event=submission_acknowledged "$work/run-agent.log.$r"; do
    [ -e "$work/drop/rejected/export-$r.csv" ] &&
      vroeg_die "the agent refused its file: $(cat "$work/drop/rejected/export-$r.csv.errors.txt")"
    [ "$SECONDS" -le "$deadline" ] || vroeg_die "the collector did not acknowledge the agent's file within 300 s"
    sleep 0.05
  done
  # The high-water mark covers reading, validating, spooling and sending until acknowledged.
  agent_sending_runs+=("$(hwm_kb "$agent_pid")")
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
done
agent_idle="$(median "${agent_idle_runs[@]}")"
agent_sending="$(median "${agent_sending_runs[@]}")"
agent_anon="$(median "${agent_anon_runs[@]}")"
# VmRSS counts the pages of shared libraries the agent touched; RssAnon is its own memory.
row "agent resident memory, idle" "$(mb "$agent_idle") MB (of which $(mb "$agent_anon") MB anonymous)" \
  "-" "-" "< 20 MB" \
  "$(yes_no "$agent_idle < 20 * 1024")"
row "agent resident memory, sending $agent_rows observations (peak)" "$(mb "$agent_sending") MB" \
  "-" "-" "< 20 MB" "$(yes_no "$agent_sending < 20 * 1024")"
stop_collector

# ---- 2. scrape, next to the Pushgateway, and 5. the collector's memory per series ----------

pushgateway_port="$(free_port)"
prometheus-pushgateway --web.listen-address="127.0.0.1:$pushgateway_port" --persistence.file= \
  2>"$work/pushgateway.log" &
pids+=($!)
wait_for_line "$work/pushgateway.log" "Listening on" 30 >/dev/null || vroeg_die "the Pushgateway did not start"

# push FILE: PUTs the text exposition FILE to the Pushgateway as job "bench" (replacing what
# the job held), over bash's /dev/tcp: no curl on a minimal machine.
push() {
  local status
  exec 3<>"/dev/tcp/127.0.0.1/$pushgateway_port"
  printf 'PUT /metrics/job/bench HTTP/1.0\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %s\r\n\r\n' \
    "$(stat -c %s "$1")" >&3
  cat "$1" >&3
  status="$(timeout 300 head -n 1 <&3 | tr -d '\r')"
  exec 3>&-
  [[ "$status" == *" 200 "* || "$status" == *" 202 "* ]] || vroeg_die "the Pushgateway answered: $status"
}

for n in "${scrape_series[@]}"; do
  reporters_needed=$(((n + 53) / 54))
  vroeg_log "scrape: $n series ($reporters_needed reporters x 54), $scrape_count GETs, $repeat runs"
  dir="$work/scrape-$n"
  collector_config "$dir"
  bench populate --database "$dir/collector.db" --reporters "$reporters_needed" \
    --first-agb "$populate_agb" --periods 1 >/dev/null
  start_collector "$dir"
  # The first scrape builds what later ones reuse; it is not counted, for either side.
  bench scrape --port "$metrics_port" --count 1 --save "$dir/exposition.txt" >/dev/null
  push "$dir/exposition.txt"
  bench scrape --port "$pushgateway_port" --count 1 >/dev/null
  ours_p50=(); peer_p50=(); ours_bytes=""; peer_bytes=""; samples=""
  for _ in $(seq 1 "$repeat"); do
    line="$(bench scrape --port "$metrics_port" --count "$scrape_count")"
    ours_p50+=("$(field "$line" p50)"); ours_bytes="$(field "$line" bytes)"; samples="$(field "$line" samples)"
    line="$(bench scrape --port "$pushgateway_port" --count "$scrape_count")"
    peer_p50+=("$(field "$line" p50)"); peer_bytes="$(field "$line" bytes)"
  done
  ours="$(median "${ours_p50[@]}")"; peer="$(median "${peer_p50[@]}")"
  if [ "$n" = 100000 ]; then
    target="< 100 ms and >= 3 x faster"
    met="$(yes_no "$ours < 0.1 && $peer >= 3 * $ours")"
  else
    target="-"; met="-"
  fi
  row "scrape /metrics, $n series ($samples samples)" "$(ms "$ours") ms, $ours_bytes bytes" \
    "Pushgateway $(ms "$peer") ms, $peer_bytes bytes" "$(calc "$peer / $ours") x faster" \
    "$target" "$met"
  collector_kb="$(rss_kb "$collector_pid")"
  series_kb=$((collector_kb - collector_idle_kb))
  stop_collector
done
# Above the same collector idle on an empty database, scaled to 100k series.
row "collector resident memory per 100k series (at $n series)" \
  "$(mb "$(calc "$series_kb * 100000 / $n")") MB ($(mb "$collector_kb") MB resident, $(mb "$collector_idle_kb") MB idle and empty)" \
  "-" "-" "-" "-"

# ---- 4. export and 6. recovery -------------------------------------------------------------

# The same rows and order as the collector's export of current values (server/storage/
# sqlite_store.cc, kExportSelect and kExportOrder).
export_query="SELECT o.reporter, o.indicator, o.care_form, o.municipality, o.period_start,
  o.period_end, o.granularity, o.value, s.submission_id, s.received_at_us, ns.submission_id,
  ns.received_at_us, s.region
FROM observations AS o JOIN submissions AS s ON s.id = o.submission
LEFT JOIN observations AS n ON n.id = o.superseded_by
LEFT JOIN submissions AS ns ON ns.id = n.submission
WHERE o.superseded_by IS NULL
ORDER BY o.period_end, o.period_start, o.reporter, o.indicator, o.care_form, o.municipality, o.id"

for n in "${export_rows[@]}"; do
  # 50 series per reporter and 200 months (or fewer for small n): n observations exactly.
  periods=$((n >= 10000 ? 200 : n / 50))
  export_reporters=$((n / (50 * periods)))
  vroeg_log "export: $n observations ($export_reporters reporters x 50 series x $periods months), $repeat runs"
  dir="$work/export-$n"
  collector_config "$dir"
  line="$(bench populate --database "$dir/collector.db" --reporters "$export_reporters" \
    --series-per-reporter 50 --periods "$periods" --first-agb "$populate_agb")"
  stored="$(field "$line" observations)"
  ours_runs=(); peer_runs=(); startup_runs=(); resume_runs=()
  for _ in $(seq 1 "$repeat"); do
    sync
    # After the populate or the crash that ended the previous run: no checkpoint.
    start_collector "$dir"
    expect_startup_from store
    startup_runs+=("$startup_seconds")
    start="$(now)"
    "$vroegctl_bin" export observations --collector "$grpc_address" --collector-name localhost \
      --certificate "$pki/supervisor-nza.crt" --key "$pki/supervisor-nza.key" --ca "$pki/ca.crt" \
      --format csv --out "$dir/export.csv" --timeout-seconds 3600 >/dev/null 2>"$dir/export.log" \
      || vroeg_die "vroegctl export failed: $(cat "$dir/export.log")"
    ours_seconds="$(calc "$(now) - $start")"
    stop_collector
    start_collector "$dir"
    expect_startup_from checkpoint
    resume_runs+=("$startup_seconds")
    crash_collector
    start="$(now)"
    sqlite3 -csv "$dir/collector.db" "$export_query" >"$dir/sqlite.csv"
    peer_seconds="$(calc "$(now) - $start")"
    ours_rows=$(($(wc -l <"$dir/export.csv") - 1))
    peer_rows="$(wc -l <"$dir/sqlite.csv")"
    if [ "$ours_rows" != "$stored" ] || [ "$peer_rows" != "$stored" ]; then
      vroeg_die "export wrote $ours_rows rows and sqlite3 $peer_rows of $stored"
    fi
    ours_runs+=("$(calc "$stored / $ours_seconds")"); peer_runs+=("$(calc "$stored / $peer_seconds")")
  done
  ours="$(median "${ours_runs[@]}")"; peer="$(median "${peer_runs[@]}")"
  if [ "$n" -ge 1000000 ]; then
    target=">= 1000000 rows/s, >= 0.5 x sqlite3"
    met="$(yes_no "$ours >= 1000000 && $ours >= 0.5 * $peer")"
  else
    target="-"; met="-"
  fi
  row "export $stored observations to CSV" "$(calc "$ours") rows/s" \
    "sqlite3 -csv $(calc "$peer") rows/s" "$(calc "$ours / $peer")" "$target" "$met"
  if [ "$n" = "$recovery_rows" ]; then
    for kind in resume startup; do
      if [ "$kind" = resume ]; then
        seconds="$(median "${resume_runs[@]}")"
        how="after a clean stop (state checkpoint)"
      else
        seconds="$(median "${startup_runs[@]}")"
        how="after a crash (state read from the store)"
      fi
      if [ "$n" = 10000000 ]; then target="< 2 s"; met="$(yes_no "$seconds < 2")"; else target="-"; met="-"; fi
      row "collector start-up to serving, $stored observations stored, $how" "$(calc "$seconds") s" \
        "-" "-" "$target" "$met"
    done
  fi
  rm -rf "$dir"
done

# ---- the report ----------------------------------------------------------------------------

table="| figure | ours | peer | ratio | target | met? |
|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")"
printf '\n%s\n\n' "$table"

machine() {
  local disk
  local device
  device="$(df --output=source "$VROEG_ROOT" | tail -n 1)"
  disk="$(df -h --output=source,fstype,size "$VROEG_ROOT" | tail -n 1 |
    awk '{print $1 " (" $2 ", " $3 ")"}')"
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
  echo "- memory: $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "- kernel: $(uname -r); Debian $(cat /etc/debian_version 2>/dev/null || echo unknown)"
  echo "- disk: $disk; rotational (as the kernel reports it):" \
    "$(lsblk -dno ROTA "$device" 2>/dev/null | tr -d ' ' || echo unknown)"
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Everything after this line in an existing output file (the analysis) is kept.
marker="<!-- Written by scripts/bench.sh above this line; notes below it are kept. -->"
notes=""
if [ -f "$out" ] && grep -qF -- "$marker" "$out"; then
  notes="$(sed -n "/$(sed 's/[][\/.*^$]/\\&/g' <<<"$marker")/,\$p" "$out" | tail -n +2)"
fi
{
  echo "# Benchmarks"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`scripts/bench.sh --size $size --repeat $repeat\`"
  echo "(vroeg-bench in \`tests/bench/\`): each figure is the median of $repeat runs, each ratio"
  echo "compares two figures measured in the same run. Targets are checked at the issue's sizes only."
  echo
  echo "$table"
  echo
  echo "## Machine"
  echo
  machine
  echo
  echo "## Commands"
  echo
  echo "Release build (\`build-bench/\`), collector on SQLite (WAL, synchronous=FULL) in a temporary"
  echo "directory, every port on 127.0.0.1, certificates from \`vroegctl pki\`:"
  echo
  echo '```sh'
  cat <<EOF
vroeg-bench durable-writes --dir DATABASE_DIR --seconds $load_seconds
vroeg-bench empty-rpc --collector ADDR --cert-dir PKI --reporters C --seconds $load_seconds
vroeg-bench ingest --collector ADDR --cert-dir PKI --reporters C --batch B --seconds $load_seconds  # B in ${batches[*]}, C in ${concurrencies[*]}
vroeg-bench e2e --agent vroeg-agent --agent-config AGENT.yaml --reporter $e2e_agb --metrics-port PORT --work-dir DIR --iterations $e2e_iterations
vroeg-agent run --config AGENT.yaml  # VmRSS idle after 1 s, VmHWM once a $agent_rows-row file in its drop folder is acknowledged
vroeg-bench populate --database DB --reporters ceil(N/54) --periods 1  # N in ${scrape_series[*]}
vroeg-bench scrape --port COLLECTOR_METRICS_PORT --count $scrape_count
prometheus-pushgateway --web.listen-address=127.0.0.1:PORT --persistence.file=  # the collector's exposition PUT to /metrics/job/bench
vroeg-bench scrape --port PUSHGATEWAY_PORT --count $scrape_count
vroeg-bench populate --database DB --reporters N/(50*P) --series-per-reporter 50 --periods P  # N in ${export_rows[*]}, P = 200 (N/50 below 10000)
vroeg-collector --config COLLECTOR.yaml  # start-up: start to its event=listening line, after the export run stopped it with SIGTERM (from=checkpoint) and after SIGKILL (from=store)
vroegctl export observations --format csv --certificate supervisor-nza.crt ... --out FILE
sqlite3 -csv DB "<the export's SELECT of current values, same joins and order>" > FILE
EOF
  echo '```'
  echo
  echo "$marker"
  [ -n "$notes" ] && printf '%s\n' "$notes"
} >"$out.tmp"
mv "$out.tmp" "$out"
vroeg_log "wrote $out"
