#!/usr/bin/env bash
# `make profile`: where a fan-out's server CPU goes, as flame graphs. Runs the load bench's
# fan-out room (1,000 sockets, server pinned to core 0, generator on core 1) at
# PALAVER_PROFILE_RATE msg/s (default 500: 500,000 deliveries/s) against the raw baseline and
# Palaver on SQLite, samples each server with `perf record` for 10 s, then writes for each:
#   target/profile/<server>.svg      the flame graph (inferno)
#   target/profile/<server>.folded   the collapsed stacks, for diffing two runs
# and prints each server's hottest functions (self time) and its share per area.
# Installs what it needs if missing: perf (Debian's linux-perf) and inferno (pinned, into
# ~/.cargo/bin). Expects target/release/palaver (`make profile` builds it with `make site`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

INFERNO_VERSION=0.12.2
RATE="${PALAVER_PROFILE_RATE:-500}"
OUT="${PALAVER_PROFILE_DIR:-$PWD/target/profile}"
SSR_PACKAGES=(-p palaver -p palaver-app -p palaver-server --features palaver/server,palaver-app/ssr)

if ! command -v perf >/dev/null; then
    sudo_=""; [[ $(id -u) -eq 0 ]] || sudo_=sudo
    $sudo_ apt-get install -y --no-install-recommends linux-perf
fi
if ! cargo install --list | grep -qx "inferno v$INFERNO_VERSION:"; then
    cargo install inferno --version "$INFERNO_VERSION" --locked --force
fi
[[ -x target/release/palaver ]] || { echo "error: no target/release/palaver (run make site)" >&2; exit 1; }

# `scripts/profile.sh --report` redoes the reports from the last run's perf.data.
if [[ "${1:-}" != --report ]]; then
    mkdir -p "$OUT"
    rm -f "$OUT"/*.perf.data
    echo "== profiling the fan-out at $RATE msg/s into $OUT =="
    PALAVER_BENCH_PROFILE="$RATE" PALAVER_BENCH_PROFILE_DIR="$OUT" PALAVER_BENCH_STORES=sqlite \
        PALAVER_BENCH_SCENARIOS=fanout CARGO_TARGET_DIR=target/load-bench \
        cargo bench "${SSR_PACKAGES[@]}" --bench load
fi

for data in "$OUT"/*.perf.data; do
    name="$(basename "$data" .perf.data)"
    perf script -i "$data" 2>/dev/null | inferno-collapse-perf --all > "$OUT/$name.folded"
    inferno-flamegraph --title "$name: fan-out at $RATE msg/s x 1,000 sockets" \
        < "$OUT/$name.folded" > "$OUT/$name.svg"
    total="$(awk '{ n += $NF } END { print n }' "$OUT/$name.folded")"
    echo
    echo "== $name: flame graph $OUT/$name.svg =="
    echo "-- hottest functions (self time, share of the server's sampled CPU) --"
    awk '{ n = $NF; sub(/ [0-9]+$/, ""); k = split($0, f, ";"); self[f[k]] += n }
         END { for (s in self) printf "%6.2f%%  %s\n", 100 * self[s] / '"$total"', s }' \
        "$OUT/$name.folded" | sort -rn | head -n 25
    echo "-- share of samples whose stack passes through --"
    for area in 'tokio::runtime' 'palaver_server::ws' 'tungstenite' 'tokio::sync::broadcast' \
        'sys_write|sys_sendto' 'epoll_wait' 'sqlx' 'serde_json'; do
        awk -v total="$total" -v area="$area" '$0 ~ area { n += $NF }
            END { printf "%6.2f%%  %s\n", 100 * n / total, area }' "$OUT/$name.folded"
    done
done
