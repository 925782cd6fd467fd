#!/usr/bin/env bash
# `make cluster`: three Palaver nodes on one PostgreSQL database with NATS carrying live
# events between them, behind HAProxy (round robin, no stickiness, WebSocket upgrades
# forwarded) on http://127.0.0.1:3000. Runs until Ctrl-C, then stops everything it started.
#
# Environment (defaults in brackets):
#   PALAVER_CLUSTER_DATABASE  PostgreSQL URL the nodes share
#                             [postgres://postgres@127.0.0.1:5432/palaver_cluster, created if absent]
#   PALAVER_NATS_URL          NATS server [nats://127.0.0.1:4222]
#   PALAVER_CLUSTER_PORT      where HAProxy listens [3000]; the nodes take the next three ports
#   PALAVER_CLUSTER_DIR       data directories, logs, the shared JWT key and haproxy.cfg [data/cluster]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

database=${PALAVER_CLUSTER_DATABASE:-postgres://postgres@127.0.0.1:5432/palaver_cluster}
nats=${PALAVER_NATS_URL:-nats://127.0.0.1:4222}
port=${PALAVER_CLUSTER_PORT:-3000}
dir=${PALAVER_CLUSTER_DIR:-data/cluster}
binary=target/release/palaver
[[ -x $binary ]] || { echo "cluster: $binary is missing (make build)" >&2; exit 1; }
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[[ -x $haproxy ]] || { echo "cluster: haproxy is missing (scripts/setup.sh apt)" >&2; exit 1; }
mkdir -p "$dir"

# The default database is created on first use; a URL of one's own must exist already.
if [[ -z ${PALAVER_CLUSTER_DATABASE:-} ]]; then
    admin=${database%/*}/postgres
    if [[ -z $(psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = 'palaver_cluster'") ]]; then
        psql "$admin" -qc "CREATE DATABASE palaver_cluster"
    fi
fi

# One key for every node, kept across restarts: tokens issued by one node are checked by
# the others.
key_file=$dir/jwt.key
[[ -s $key_file ]] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$key_file")

pids=()
stop_all() {
    trap - EXIT INT TERM
    echo "cluster: stopping"
    ((${#pids[@]})) && kill -TERM "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

servers=""
for n in 1 2 3; do
    node_port=$((port + n))
    mkdir -p "$dir/node$n"
    PALAVER_JWT_KEY=$(cat "$key_file") LEPTOS_SITE_ROOT=target/site "$binary" \
        --listen "127.0.0.1:$node_port" \
        --public-origin "http://127.0.0.1:$port" \
        --allowed-origins "http://localhost:$port" \
        --data-dir "$dir/node$n" \
        --files-dir "$dir/files" \
        --database-url "$database" \
        --nats-url "$nats" \
        --connections-per-address 0 \
        --trusted-proxies 127.0.0.1 \
        >"$dir/node$n.log" 2>&1 &
    pids+=($!)
    servers+="    server node$n 127.0.0.1:$node_port check inter 1s fall 2 rise 1"$'\n'
    # The first node runs the migrations before the others start.
    if ((n == 1)); then
        for _ in $(seq 100); do
            curl -fs "http://127.0.0.1:$node_port/healthz/ready" >/dev/null && break
            sleep 0.2
        done
    fi
done

# No `maxconn`: HAProxy derives it from the open-file limit it is given.
cat >"$dir/haproxy.cfg" <<EOF
defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 75s
    timeout server 75s
    # An upgraded WebSocket: Palaver pings every 25 s, so an hour without a frame is a dead one.
    timeout tunnel 1h

frontend palaver
    bind 127.0.0.1:$port
    default_backend nodes

backend nodes
    balance roundrobin
    # Readiness, not liveness: a node without its database or NATS gets no new requests.
    option httpchk GET /healthz/ready
    http-check expect status 200
$servers
EOF
"$haproxy" -c -q -f "$dir/haproxy.cfg"
"$haproxy" -db -f "$dir/haproxy.cfg" &
pids+=($!)
echo "cluster: 3 nodes behind http://127.0.0.1:$port (logs in $dir/node*.log; Ctrl-C stops)"
wait -n "${pids[@]}"
echo "cluster: a process exited; see $dir/*.log" >&2
exit 1
