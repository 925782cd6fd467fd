#!/usr/bin/env bash
# `make instructions`: the user-space instructions a delivery costs, counted by callgrind, so
# two builds compare exactly where the load bench's CPU times move with the machine (on a
# shared machine, run to run, by a quarter). Runs the server under
# `valgrind --tool=callgrind` with instrumentation off, opens PALAVER_COUNT_SOCKETS sockets
# (default 100) of one user in one conversation, switches instrumentation on, sends
# PALAVER_COUNT_MESSAGES messages (default 100) one at a time, each waited for on every
# socket, switches it off and prints the instructions per delivery and the ten functions that
# cost most. The count covers every thread of the server (the sender's path and the store's
# work included, shared by the deliveries of a message), never the kernel's.
#   scripts/instructions.sh [server binary, default target/release/palaver]
# With PALAVER_COUNT_BASELINE set to the load bench's binary (target/load-bench/release/deps/
# load-*), the same count is taken of the raw broadcast baseline (`load --baseline PORT`, no
# authentication, no persistence) instead: the two compare exactly.
# Installs valgrind (Debian's package) if it is missing; needs the end2end npm packages
# (`ws`), which `scripts/setup.sh` installs.
set -euo pipefail
cd "$(dirname "$0")/.."

baseline="${PALAVER_COUNT_BASELINE:-}"
bin="$(realpath "${baseline:-${1:-target/release/palaver}}")"
sockets="${PALAVER_COUNT_SOCKETS:-100}"
messages="${PALAVER_COUNT_MESSAGES:-100}"
[[ -x "$bin" ]] || { echo "error: no server binary $bin (run make site)" >&2; exit 1; }
if ! command -v callgrind_control >/dev/null; then
    sudo_=""; [[ $(id -u) -eq 0 ]] || sudo_=sudo
    $sudo_ apt-get install -y --no-install-recommends valgrind
fi

work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
if [[ -n "$baseline" ]]; then
    args=(--baseline "$port")
    # The baseline speaks WebSocket only: up once its port accepts a connection.
    up() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; }
else
    args=(--listen "127.0.0.1:$port" --data-dir "$work/data" --site-root target/site
        --sign-ups-per-hour 100000 --messages-per-minute 1000000000 --sockets-per-user 10000
        --connections-per-address 0 --idle-timeout-secs 3600)
    up() { curl -fs -o /dev/null "http://127.0.0.1:$port/healthz"; }
fi
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out" \
    "$bin" "${args[@]}" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
    up && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 1
done
PALAVER_COUNT_BASELINE="$baseline" node scripts/instructions.mjs "$port" "$server" "$sockets" "$messages"
kill -INT "$server"
wait "$server" || true
report="$(callgrind_annotate "$work/callgrind.out")"
total="$(awk '/PROGRAM TOTALS/ && !seen { gsub(",", "", $1); print $1; seen = 1 }' <<<"$report")"
deliveries=$((sockets * messages))
echo "== $bin: $total instructions in user space, $((total / deliveries)) per delivery =="
sed -n '/file:function/,$p' <<<"$report" | sed -n '3,12p' | cut -c1-160
