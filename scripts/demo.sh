#!/usr/bin/env bash
# Live demo of a Flevoland region: installs what is missing, builds, makes a regional PKI,
# starts vroeg-collector on SQLite (or PostgreSQL: VROEG_DEMO_STORAGE), starts one
# `vroeg-agent run` daemon per reporter, each watching its own drop folder, delivers 24 months
# of generated Flevoland data by dropping the files into those folders, and starts Prometheus
# scraping the collector with the repository's recording and alert rules (the scenario's risks
# show under /alerts). The agents keep watching: copy a CSV or JSON export into a drop folder
# and it shows in Prometheus. Prints the drop folders and an example to try. Runs until Ctrl-C.
#
# Layout of the state directory:
#   drop/<kind>-<id>/           a reporter's drop folder; taken files move to done/, refused
#                               ones to rejected/ with an .errors.txt
#   agents/<kind>-<id>.log      that reporter's agent log (its /metrics address is in the
#                               event=listening line; agents take a free port of the host)
#   agents/<kind>-<id>/spool/   its spool; agents/<kind>-<id>.yaml its configuration
#   examples/                   a new month for De Zeearend Jeugdzorg to copy into its folder
#
# Environment (all optional):
#   VROEG_DEMO_HOST             address to listen on            (default 127.0.0.1)
#   VROEG_DEMO_GRPC_PORT        collector gRPC port             (default 7443)
#   VROEG_DEMO_METRICS_PORT     collector /metrics port         (default 9464)
#   VROEG_DEMO_PROMETHEUS_PORT  Prometheus web port             (default 9090)
#   VROEG_DEMO_DIR              state directory, wiped at start (default /tmp/vroeg-demo)
#   VROEG_DEMO_MONTHS           months of history to generate   (default 24)
#   VROEG_DEMO_STALL_SECONDS    give up delivering the history when nothing moved this long
#                               (default 120)
#   VROEG_DEMO_STORAGE          sqlite (default), or postgres: the collector stores in a
#                               PostgreSQL server of the demo's own (postgres/ in the state
#                               directory, Unix socket only, stopped with the demo; as root it
#                               runs as the postgres user). Try: psql -h <dir>/postgres -U vroeg
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in
  # The help is the header comment: every line from the second up to the first non-comment.
  -h|--help) awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  "") ;;
  *) vroeg_die "unknown argument $1 (see --help)" ;;
esac

host="${VROEG_DEMO_HOST:-127.0.0.1}"
grpc_port="${VROEG_DEMO_GRPC_PORT:-7443}"
metrics_port="${VROEG_DEMO_METRICS_PORT:-9464}"
prometheus_port="${VROEG_DEMO_PROMETHEUS_PORT:-9090}"
demo_dir="${VROEG_DEMO_DIR:-/tmp/vroeg-demo}"
months="${VROEG_DEMO_MONTHS:-24}"
stall_seconds="${VROEG_DEMO_STALL_SECONDS:-120}"
case "$stall_seconds" in
  ''|*[!0-9]*) vroeg_die "VROEG_DEMO_STALL_SECONDS must be a number of seconds, not '$stall_seconds'" ;;
esac
storage="${VROEG_DEMO_STORAGE:-sqlite}"
case "$storage" in
  sqlite|postgres) ;;
  *) vroeg_die "VROEG_DEMO_STORAGE must be sqlite or postgres, not '$storage'" ;;
esac

port_busy() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }
for port in "$grpc_port" "$metrics_port" "$prometheus_port"; do
  port_busy "$port" && vroeg_die "port $port on $host is in use; choose another with the VROEG_DEMO_*_PORT variables (see --help)"
done

vroeg_install_deps
vroeg_build vroeg-collector vroeg-agent vroegctl vroeg-demo-data
bin="$VROEG_BUILD_DIR"
collector_bin="$bin/server/vroeg-collector"
agent_bin="$bin/agent/vroeg-agent"
vroegctl_bin="$bin/tools/vroegctl/vroegctl"
demo_data_bin="$bin/tools/demo/vroeg-demo-data"

# The PostgreSQL server of the demo, when VROEG_DEMO_STORAGE=postgres: its programs, run as the
# postgres user when we are root (initdb and postgres refuse root).
pg_bin="" pg_dir="$demo_dir/postgres" pg_started=0 as_pg=()
if [ "$storage" = postgres ]; then
  pg_bin="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [ -x "$pg_bin/postgres" ] || vroeg_die "no PostgreSQL server in /usr/lib/postgresql/*/bin (Debian package postgresql)"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || vroeg_die "no postgres user to run PostgreSQL as (Debian package postgresql)"
    as_pg=(runuser -u postgres --)
  fi
  # A server left running by an earlier demo that was killed would keep the old files open.
  if [ -f "$pg_dir/data/postmaster.pid" ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 30 stop >/dev/null 2>&1
  fi
fi

if ! { rm -rf "$demo_dir" && mkdir -p "$demo_dir"/{agents,drop,examples,prometheus}; }; then
  vroeg_die "cannot create $demo_dir"
fi
# Absolute, because the printed drop folders and example are meant to be pasted anywhere.
demo_dir="$(cd "$demo_dir" && pwd)"
pg_dir="$demo_dir/postgres"

pids=()
cleanup() {
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null
    # Every process stops on SIGTERM within moments; one that hangs must not keep the demo (and
    # its ports) alive, so after a bounded wait it is killed.
    local _ pid alive
    for _ in $(seq 1 100); do
      alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
    [ "$alive" = 1 ] && kill -KILL "${pids[@]}" 2>/dev/null
  fi
  wait 2>/dev/null
  # After the collector, which commits what is in flight before it exits.
  if [ "$pg_started" = 1 ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || vroeg_log "PostgreSQL did not stop; see $pg_dir/postgres.log"
  fi
  vroeg_log "stopped; state kept in $demo_dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# The value of the unlabelled sample `name` on the /metrics page at host:port. Plain bash, as a
# minimal Debian has no curl; the read timeout keeps a stuck endpoint from stalling the demo.
scrape_value() {
  local address=$1 name=$2 line
  exec 3<>"/dev/tcp/${address%:*}/${address##*:}" || return 1
  printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n' "$address" >&3
  while IFS= read -r -t 5 line <&3; do
    line=${line%$'\r'}
    if [ "${line%% *}" = "$name" ]; then
      printf '%s\n' "${line#* }"
      return 0
    fi
  done
  return 1
}

# The number of files (not hidden ones) matching the glob pattern `$1`.
count_files() {
  local matches=()
  shopt -s nullglob
  # shellcheck disable=SC2206  # the pattern is meant to be expanded here
  matches=($1)
  shopt -u nullglob
  local n=0 f
  for f in "${matches[@]}"; do [ -f "$f" ] && n=$((n + 1)); done
  echo "$n"
}

vroeg_log "making the regional PKI in $demo_dir/ca"
"$vroegctl_bin" pki init --dir "$demo_dir/ca" --region flevoland >/dev/null || vroeg_die "pki init failed"
"$vroegctl_bin" pki issue --dir "$demo_dir/ca" --server --dns localhost --ip "$host" >/dev/null \
  || vroeg_die "server certificate failed"

vroeg_log "generating $months months of Flevoland data"
# Its summary goes with the progress lines, keeping standard output for what the user acts on.
"$demo_data_bin" --out "$demo_dir/data" --months "$months" >&2 || vroeg_die "demo data generation failed"

storage_yaml="storage: {sqlite: {path: collector.db}}"
if [ "$storage" = postgres ]; then
  vroeg_log "starting PostgreSQL for the collector (log: $pg_dir/postgres.log)"
  mkdir -p "$pg_dir" || vroeg_die "cannot create $pg_dir"
  if [ "${#as_pg[@]}" -gt 0 ]; then
    chown postgres: "$pg_dir"
    "${as_pg[@]}" test -x "$pg_dir" \
      || vroeg_die "the postgres user cannot reach $pg_dir: make its parent directories searchable (chmod o+x), or set VROEG_DEMO_DIR elsewhere"
  fi
  "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U vroeg --auth=trust -E UTF8 --no-locale \
    > "$pg_dir/initdb.log" 2>&1 || vroeg_die "initdb failed; see $pg_dir/initdb.log"
  # Only a Unix socket in the demo's directory: no port to collide with, no system cluster used.
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 \
    -o "-k $pg_dir -c listen_addresses= -p 5432" start >/dev/null \
    || vroeg_die "PostgreSQL did not start; see $pg_dir/postgres.log"
  pg_started=1
  "${as_pg[@]}" "$pg_bin/createdb" -h "$pg_dir" -p 5432 -U vroeg vroeg \
    || vroeg_die "cannot create the database vroeg; see $pg_dir/postgres.log"
  # Without a database file to sit next to, the audit log would default to /var/lib/vroeg.
  storage_yaml="storage: {postgres: {host: $pg_dir, port: 5432, dbname: vroeg, user: vroeg}}
audit_log: collector.audit.log"
fi

cat > "$demo_dir/collector.yaml" <<YAML
region:
  code: flevoland
  name: Flevoland
  municipalities:
    - {code: GM0034, name: Almere}
    - {code: GM0303, name: Dronten}
    - {code: GM0995, name: Lelystad}
    - {code: GM0171, name: Noordoostpolder}
    - {code: GM0184, name: Urk}
    - {code: GM0050, name: Zeewolde}
listen: $host:$grpc_port
metrics_listen: $host:$metrics_port
catalogue: $VROEG_ROOT/deploy/catalogue/catalogue.yaml
$storage_yaml
tls: {certificate: ca/server.crt, private_key: ca/server.key, ca_certificate: ca/ca.crt}
YAML

vroeg_log "starting vroeg-collector (log: $demo_dir/collector.log)"
"$collector_bin" --config "$demo_dir/collector.yaml" 2> "$demo_dir/collector.log" &
pids+=($!)
for _ in $(seq 1 100); do
  grep -q 'event=listening' "$demo_dir/collector.log" && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$demo_dir/collector.log" >&2; vroeg_die "vroeg-collector exited"; }
  sleep 0.1
done
grep -q 'event=listening' "$demo_dir/collector.log" || vroeg_die "vroeg-collector did not start; see $demo_dir/collector.log"

# One daemon per reporter, as each provider and municipality would run its own. Scans every
# second and settles for one, so that a dropped file shows within seconds; retries start fast
# and stay short because the collector is local; the spool is bounded well below the 1 GiB
# default because the demo lives in /tmp.
vroeg_log "starting one vroeg-agent daemon per reporter (logs: $demo_dir/agents/*.log)"
agents=() agent_names=() agent_folders=() agent_logs=() agent_pids=() agent_metrics=()
while IFS=$'\t' read -r kind id name folder note; do
  [ "$kind" = kind ] && continue
  agent="$kind-$id"
  "$vroegctl_bin" pki issue --dir "$demo_dir/ca" --identity "urn:vroeg:$kind:$id" \
    --out "$demo_dir/agents" >/dev/null || vroeg_die "certificate for $kind $id failed"
  mkdir -p "$demo_dir/drop/$agent" "$demo_dir/agents/$agent" || vroeg_die "cannot create folders for $agent"
  cat > "$demo_dir/agents/$agent.yaml" <<YAML
collector: $host:$grpc_port
collector_name: localhost
tls:
  certificate: $agent.crt
  private_key: $agent.key
  ca_certificate: ../ca/ca.crt
spool: {path: $agent/spool, max_bytes: 268435456}
drop_folders:
  - path: $demo_dir/drop/$agent
    settle_seconds: 1
metrics_listen: $host:0
scan_interval_seconds: 1
retry: {initial_milliseconds: 200, max_seconds: 5}
YAML
  "$agent_bin" run --config "$demo_dir/agents/$agent.yaml" > "$demo_dir/agents/$agent.log" 2>&1 &
  pids+=($!)
  agent_pids+=($!)
  agents+=("$agent")
  agent_names+=("$name")
  agent_folders+=("$folder")
  agent_logs+=("$demo_dir/agents/$agent.log")
  [ -n "$note" ] && vroeg_log "  $name ($kind $id): $note"
done < "$demo_dir/data/reporters.tsv"
[ "${#agent_pids[@]}" -gt 0 ] || vroeg_die "no reporters in $demo_dir/data/reporters.tsv"

# Each agent picked a free port for its /metrics and logs it: metrics=http://host:port/metrics.
for i in "${!agent_pids[@]}"; do
  log="${agent_logs[$i]}" address=""
  for _ in $(seq 1 100); do
    address=$(sed -n 's|.*event=listening.* metrics="\{0,1\}http://\([^/ ]*\)/metrics.*|\1|p' "$log" | head -n 1)
    [ -n "$address" ] && break
    kill -0 "${agent_pids[$i]}" 2>/dev/null || { cat "$log" >&2; vroeg_die "the agent of ${agent_names[$i]} exited; see $log"; }
    sleep 0.1
  done
  [ -n "$address" ] || vroeg_die "the agent of ${agent_names[$i]} did not start; see $log"
  agent_metrics+=("$address")
done

# The history goes in the way an export system should deliver: each file is copied under a
# hidden temporary name, which the agent ignores, and renamed into place when complete, so a
# half-written file is never taken.
vroeg_log "dropping the history into the agents' drop folders ($demo_dir/drop)"
total=0
for i in "${!agent_pids[@]}"; do
  data="$demo_dir/data/${agent_folders[$i]}" drop="$demo_dir/drop/${agents[$i]}"
  for file in "$data"/*; do
    [ -f "$file" ] || continue
    base="$(basename "$file")"
    if ! { cp "$file" "$drop/.$base.part" && mv "$drop/.$base.part" "$drop/$base"; }; then
      vroeg_die "cannot copy $file into $drop"
    fi
    total=$((total + 1))
  done
done

# Delivered means taken (moved to done/) and acknowledged by the collector (out of the
# agent's spool). A file reaches done/ only after it is durably in the spool, so counting done/
# first and the spools' pending submissions second never counts a file as delivered too early.
vroeg_log "waiting until the agents have delivered all $total files"
last_logged=-1 last_change=$SECONDS last_log_time=0 state=""
while :; do
  # A refused file sits in rejected/ with its reason next to it in <name>.errors.txt, which the
  # agent renames into place just after moving the file: give it a moment before reading.
  if [ "$(count_files "$demo_dir/drop/*/rejected/*")" -gt 0 ]; then
    sleep 1
    in_rejected=$(count_files "$demo_dir/drop/*/rejected/*")
    reasons=$(count_files "$demo_dir/drop/*/rejected/*.errors.txt")
    for errors in "$demo_dir"/drop/*/rejected/*.errors.txt; do
      [ -f "$errors" ] && { printf '%s:\n' "$errors" >&2; sed 's/^/  /' "$errors" >&2; }
    done
    vroeg_die "the agents rejected generated files ($((in_rejected - reasons))); see above"
  fi
  if grep -q 'event=submission_quarantined' "${agent_logs[@]}"; then
    grep -h 'event=submission_quarantined' "${agent_logs[@]}" >&2
    vroeg_die "the collector refused submissions of the generated history; see above"
  fi
  taken=$(count_files "$demo_dir/drop/*/done/*")
  pending=0 unknown=0
  for i in "${!agent_pids[@]}"; do
    kill -0 "${agent_pids[$i]}" 2>/dev/null \
      || { tail -n 20 "${agent_logs[$i]}" >&2; vroeg_die "the agent of ${agent_names[$i]} exited; see ${agent_logs[$i]}"; }
    value=$(scrape_value "${agent_metrics[$i]}" vroeg_agent_spool_submissions 2>/dev/null)
    case "$value" in
      ''|*[!0-9.]*) unknown=$((unknown + 1)) ;;
      *) pending=$((pending + ${value%%.*})) ;;
    esac
  done
  delivered=$((taken - pending))
  [ "$delivered" -lt 0 ] && delivered=0
  # Files moving to done/ count as progress too, not only acknowledgements.
  [ "$taken/$delivered" != "$state" ] && { state="$taken/$delivered"; last_change=$SECONDS; }
  done_now=0
  [ "$taken" -eq "$total" ] && [ "$pending" -eq 0 ] && [ "$unknown" -eq 0 ] && done_now=1
  # A progress line every few seconds while it moves, and the final count.
  if [ "$delivered" != "$last_logged" ] && { [ $((SECONDS - last_log_time)) -ge 3 ] || [ "$done_now" = 1 ]; }; then
    vroeg_log "delivered $delivered/$total files"
    last_logged=$delivered last_log_time=$SECONDS
  fi
  [ "$done_now" = 1 ] && break
  if [ $((SECONDS - last_change)) -ge "$stall_seconds" ]; then
    vroeg_die "delivery stalled at $delivered/$total files ($taken taken, $pending waiting in spools, $unknown agents not answering on /metrics); see $demo_dir/agents/*.log and $demo_dir/collector.log"
  fi
  sleep 1
done
vroeg_log "all $total files delivered: every one is in a done/ folder and every spool is empty"

# A month after the generated history for the provider that drifts into trouble: its waiting
# list keeps growing. The current month has begun, so the collector accepts it; "current" as
# the collector sees it, by the Dutch calendar, whatever the machine's time zone.
example_line=""
for i in "${!agent_pids[@]}"; do
  [ "${agent_names[$i]}" = "De Zeearend Jeugdzorg" ] || continue
  agent="${agents[$i]}"
  reporter="${agent##*-}"
  month_start="$(TZ=Europe/Amsterdam date +%Y-%m-01)"
  month_end="$(date -d "$month_start +1 month -1 day" +%Y-%m-%d)"
  example="$demo_dir/examples/${month_start%-01}-zeearend-beschikbaarheid.csv"
  example_waiting=63
  cat > "$example" <<CSV
period_start,period_end,care_form,municipality,indicator,value
$month_start,$month_end,verblijf,,wachtenden,$example_waiting
$month_start,$month_end,verblijf,,wachttijd_intake_weken,11.2
$month_start,$month_end,verblijf,,wachttijd_behandeling_weken,15.0
CSV
  example_line="$(printf 'try: cp %q %q' "$example" "$demo_dir/drop/$agent/")"
  example_query="jeugdzorg_waiting_youths{reporter=\"$reporter\",care_form=\"verblijf\"}"
done

# The repository's recording and alert rules (deploy/prometheus/rules), evaluated every 5 s so
# that the demo reacts quickly; an alert shows as pending at once and fires after its `for`.
cat > "$demo_dir/prometheus/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $VROEG_ROOT/deploy/prometheus/rules/*.yml
scrape_configs:
  - job_name: vroeg-collector
    static_configs:
      # The collector labels every series with its region itself.
      - targets: ['$host:$metrics_port']
YAML
vroeg_log "starting Prometheus (log: $demo_dir/prometheus/prometheus.log)"
prometheus --config.file="$demo_dir/prometheus/prometheus.yml" \
  --storage.tsdb.path="$demo_dir/prometheus/data" \
  --web.listen-address="$host:$prometheus_port" \
  > "$demo_dir/prometheus/prometheus.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do port_busy "$prometheus_port" && break; sleep 0.1; done
port_busy "$prometheus_port" || vroeg_die "Prometheus did not start; see $demo_dir/prometheus/prometheus.log"

echo "metrics: http://$host:$metrics_port/metrics"
echo "prometheus: http://$host:$prometheus_port"
echo "alerts: http://$host:$prometheus_port/alerts (the scenario's risks; each fires after its \`for\` duration, pending until then)"
echo "drop folders (a file moves to done/ when taken, to rejected/ with an .errors.txt when refused):"
for i in "${!agent_pids[@]}"; do
  printf '  %s/  %s\n' "$demo_dir/drop/${agents[$i]}" "${agent_names[$i]}"
done
if [ -n "$example_line" ]; then
  echo "$example_line"
  echo "then query in Prometheus: $example_query (becomes $example_waiting within about 10 seconds)"
fi
vroeg_log "demo running; press Ctrl-C to stop"
wait "${pids[0]}"
