#!/usr/bin/env bash
# Live demo of a Flevoland region: installs what is missing, builds, makes a regional PKI,
# starts vroeg-collector on SQLite, submits 24 months of generated Flevoland data through one
# vroeg-agent per reporter, and starts Prometheus scraping the collector. Runs until Ctrl-C.
#
# Environment (all optional):
#   VROEG_DEMO_HOST             address to listen on            (default 127.0.0.1)
#   VROEG_DEMO_GRPC_PORT        collector gRPC port             (default 7443)
#   VROEG_DEMO_METRICS_PORT     collector /metrics port         (default 9464)
#   VROEG_DEMO_PROMETHEUS_PORT  Prometheus web port             (default 9090)
#   VROEG_DEMO_DIR              state directory, wiped at start (default /tmp/vroeg-demo)
#   VROEG_DEMO_MONTHS           months of history to generate   (default 24)
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) vroeg_die "unknown argument $1 (see --help)" ;;
esac

host="${VROEG_DEMO_HOST:-127.0.0.1}"
grpc_port="${VROEG_DEMO_GRPC_PORT:-7443}"
metrics_port="${VROEG_DEMO_METRICS_PORT:-9464}"
prometheus_port="${VROEG_DEMO_PROMETHEUS_PORT:-9090}"
demo_dir="${VROEG_DEMO_DIR:-/tmp/vroeg-demo}"
months="${VROEG_DEMO_MONTHS:-24}"

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

rm -rf "$demo_dir" && mkdir -p "$demo_dir"/{agents,prometheus} || vroeg_die "cannot create $demo_dir"
pids=()
cleanup() {
  trap - INT TERM EXIT
  [ "${#pids[@]}" -gt 0 ] && kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  vroeg_log "stopped; state kept in $demo_dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

vroeg_log "making the regional PKI in $demo_dir/ca"
"$vroegctl_bin" pki init --dir "$demo_dir/ca" --region flevoland >/dev/null || vroeg_die "pki init failed"
"$vroegctl_bin" pki issue --dir "$demo_dir/ca" --server --dns localhost --ip "$host" >/dev/null \
  || vroeg_die "server certificate failed"

vroeg_log "generating $months months of Flevoland data"
"$demo_data_bin" --out "$demo_dir/data" --months "$months" || vroeg_die "demo data generation failed"

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
storage: {sqlite: {path: collector.db}}
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

vroeg_log "submitting the history through one vroeg-agent per reporter"
agent_pids=()
while IFS=$'\t' read -r kind id name folder note; do
  [ "$kind" = kind ] && continue
  "$vroegctl_bin" pki issue --dir "$demo_dir/ca" --identity "urn:vroeg:$kind:$id" \
    --out "$demo_dir/agents" >/dev/null || vroeg_die "certificate for $kind $id failed"
  cat > "$demo_dir/agents/$kind-$id.yaml" <<YAML
collector: $host:$grpc_port
collector_name: localhost
tls:
  certificate: $kind-$id.crt
  private_key: $kind-$id.key
  ca_certificate: ../ca/ca.crt
YAML
  (
    cd "$demo_dir/data/$folder" || exit 1
    "$agent_bin" submit --config "$demo_dir/agents/$kind-$id.yaml" $(ls | sort) \
      > "$demo_dir/agents/$kind-$id.log" 2>&1
  ) &
  agent_pids+=($!)
  [ -n "$note" ] && vroeg_log "  $name ($kind $id): $note"
done < "$demo_dir/data/reporters.tsv"
failed=0
for pid in "${agent_pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
[ "$failed" -eq 0 ] || vroeg_die "$failed agents reported a problem; see $demo_dir/agents/*.log"
accepted=$(cat "$demo_dir"/agents/*.log | grep -c ': accepted:')
vroeg_log "all agents done: $accepted files accepted"

cat > "$demo_dir/prometheus/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
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
vroeg_log "demo running; press Ctrl-C to stop"
wait "${pids[0]}"
