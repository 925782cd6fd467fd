#!/usr/bin/env bash
# Lighthouse (its default mobile emulation) on a conversation page of the release build, and
# what the /pkg files weigh on the wire. It prints the figures and asserts nothing: they depend
# on the machine, so read them (`bench`, Lighthouse's benchmarkIndex, says how fast it found
# this one). `make lighthouse` builds first; this script never does.
#
# Two sets of runs. `simulate` is Lighthouse's default (and PageSpeed Insights'): one fast,
# unthrottled load, from which a model estimates the slow phone. On loopback that model counts
# the WASM as holding up Largest Contentful Paint: it finishes downloading before the first
# paint there, so the model waits for its 1.6 Mbit/s download too. `devtools` loads the page
# really throttled with the same profile (4x CPU, 1.4 Mbit/s, 563 ms a request) and measures.
#
#   scripts/lighthouse.sh     RUNS=3 runs per method, the median by Performance stands for the
#                             set; METHODS="simulate devtools"; PORT=3200; reports in
#                             target/lighthouse/METHOD-N.report.{html,json}
#   SERVER=/tmp/a/palaver SITE=/tmp/a/site scripts/lighthouse.sh
#                             a copy of a build (with its hash.txt beside the binary), safe
#                             from the next build overwriting target/site mid-run
#
# It starts target/release/palaver on a fresh data directory, signs a user up, creates a
# conversation with a few messages (end2end/lighthouse/seed.mjs, in Debian's chromium), then
# runs Lighthouse on that page with the user's session cookie.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh

RUNS=${RUNS:-3}
METHODS=${METHODS:-simulate devtools}
PORT=${PORT:-3200}
ORIGIN="http://127.0.0.1:$PORT"
SERVER=${SERVER:-target/release/palaver}
SITE=${SITE:-target/site}
OUT=target/lighthouse
LIGHTHOUSE=end2end/node_modules/.bin/lighthouse
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
# Root needs --no-sandbox; the rest keep chromium off the closed network (see
# end2end/playwright.config.ts).
CHROME_FLAGS="--headless=new --no-sandbox --disable-gpu --disable-background-networking \
--disable-component-update --disable-sync --no-first-run --disable-quic"

die() { echo "lighthouse.sh: $*" >&2; exit 1; }
[[ -x $SERVER && -d $SITE/pkg ]] || die "no release build at $SERVER and $SITE: run 'make build' first"
[[ -x $LIGHTHOUSE ]] || die "no $LIGHTHOUSE: run 'scripts/setup.sh npm' first"
[[ -x $CHROME_PATH ]] || die "no chromium at $CHROME_PATH: run 'scripts/setup.sh apt' first"

data=$(mktemp -d "${TMPDIR:-/tmp}/palaver-lighthouse.XXXXXX")
LEPTOS_SITE_ROOT=$SITE RUST_LOG=${RUST_LOG:-warn} "$SERVER" --listen "127.0.0.1:$PORT" \
    --public-origin "$ORIGIN" --data-dir "$data" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT

for _ in $(seq 100); do
    curl -fsS "$ORIGIN/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || die "the server exited (port $PORT taken? try PORT=...)"
    sleep 0.1
done
curl -fsS "$ORIGIN/healthz" >/dev/null || die "the server did not answer on $ORIGIN"

# Bytes of one response body with `Accept-Encoding: $1`, and the Content-Encoding chosen.
wire() { curl -fsS -H "Accept-Encoding: $1" -o /dev/null -w '%{size_download} %header{content-encoding}' "$ORIGIN$2"; }

echo "== /pkg on the wire: bytes by Accept-Encoding (the encoding the server chose) =="
printf '%-44s %9s %17s %17s  %s\n' file identity gzip br cache-control
for file in "$SITE"/pkg/*; do
    [[ -f $file && $file != *.br && $file != *.gz ]] || continue
    path=${file#"$SITE"}
    cache=$(curl -fsS -o /dev/null -w '%header{cache-control}' "$ORIGIN$path")
    printf '%-44s %9s %17s %17s  %s\n' "$path" "$(wire identity "$path")" "$(wire gzip "$path")" "$(wire br "$path")" "$cache"
done

echo
echo "== seeding: a user, a conversation, a few messages =="
seed=$(node end2end/lighthouse/seed.mjs "$ORIGIN")
url=$(node -pe 'JSON.parse(process.argv[1]).url' "$seed")
headers=$(node -pe 'JSON.stringify({ Cookie: JSON.parse(process.argv[1]).cookie })' "$seed")
echo "page: $url"

rm -rf "$OUT"
mkdir -p "$OUT"
for method in $METHODS; do
    for run in $(seq "$RUNS"); do
        echo "== Lighthouse, $method throttling, run $run of $RUNS =="
        "$LIGHTHOUSE" "$url" --quiet \
            --only-categories=performance,accessibility,best-practices \
            --throttling-method="$method" \
            --chrome-flags="$CHROME_FLAGS" \
            --extra-headers="$headers" \
            --output=json --output=html --output-path="$OUT/$method-$run"
    done
done

for method in $METHODS; do
    echo
    node end2end/lighthouse/summary.mjs "$OUT/$method"-*.report.json
done
echo
echo "reports: $OUT/*.report.html"
