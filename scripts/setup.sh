#!/usr/bin/env bash
# Installs what building and testing Palaver needs on a Debian machine, skipping every piece
# that is already there at the right version, so `make build` and `make test` can call it on
# every run. Safe without a terminal (CI=true, no stdin). Needs root (or sudo) only for apt.
#
#   scripts/setup.sh             all steps
#   scripts/setup.sh npm rust    only the named steps: rust apt cargo npm
#   scripts/setup.sh --check     install nothing; list what is missing, exit 1 if anything is
#
# Versions are pinned on purpose; the reason is next to each pin.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh

# Must equal the `wasm-bindgen = "=0.2.130"` pin in Cargo.toml exactly, or cargo-leptos stops
# with "schema version must exactly match".
WASM_BINDGEN_VERSION=0.2.130
# Newer unlocked releases pull crates that need a newer rustc than ours.
CARGO_LEPTOS_VERSION=0.3.10
# sass 1.108.2 declares node >= 20.19.
NODE_MIN=20.19.0

check_only=0
missing=0
steps=()
for arg in "$@"; do
    case $arg in
        --check) check_only=1 ;;
        rust | apt | cargo | npm) steps+=("$arg") ;;
        -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown argument '$arg' (steps: rust apt cargo npm; flag: --check)" >&2; exit 2 ;;
    esac
done
((${#steps[@]})) || steps=(rust apt cargo npm)

ok() { echo "ok: $*"; }
die() { echo "error: $*" >&2; exit 1; }

# `provide WHAT CMD...` runs CMD to install WHAT, or in --check mode only reports it missing.
provide() {
    local what=$1
    shift
    if ((check_only)); then
        echo "missing: $what"
        missing=1
        return 0
    fi
    echo "installing $what"
    "$@"
}

# First x.y.z in the output of "$@", or nothing when the command is absent or fails.
version_of() {
    local out
    out=$("$@" 2>/dev/null) || return 0
    grep -oE '[0-9]+\.[0-9]+\.[0-9]+' <<<"$out" | head -n 1 || true
}

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]; }

as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root for: $*"
    fi
}

# Another `cargo install CRATE` already running (a background install started by hand, or a
# second checkout) would make us compile the same 20 minutes of crates twice on two cores and
# race for ~/.cargo/bin. Wait for it instead, then look at the version again.
wait_for_running_install() {
    local crate=$1 pid f announced=0
    local -a argv
    while :; do
        pid=""
        for f in /proc/[0-9]*/cmdline; do
            # Only cargo itself: a shell whose script merely mentions the install (perhaps the
            # one that runs us) must not count, or we would wait for ourselves.
            mapfile -d '' -t argv 2>/dev/null <"$f" || continue
            if [[ ${argv[0]:-} == cargo || ${argv[0]:-} == */cargo ]] &&
                [[ ${argv[1]:-} == install && " ${argv[*]:2} " == *" $crate "* ]]; then
                pid=${f#/proc/}
                pid=${pid%/cmdline}
                break
            fi
        done
        [[ -n $pid ]] || return 0
        if ((check_only)); then
            echo "note: cargo install $crate is running (pid $pid)"
            return 0
        fi
        ((announced)) || echo "waiting for the running 'cargo install $crate' (pid $pid) to finish"
        announced=1
        sleep 10
    done
}

step_rust() {
    command -v rustup >/dev/null && command -v cargo >/dev/null ||
        die "rustup and cargo are required: see https://rustup.rs (then re-run this script)"

    local installed
    installed=$(rustup target list --installed)
    if grep -qx wasm32-unknown-unknown <<<"$installed"; then
        ok "rust target wasm32-unknown-unknown already installed"
    else
        provide "rust target wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
    fi

    # A `minimal` rustup profile has neither; `make test` runs both.
    installed=$(rustup component list --installed)
    local component
    for component in rustfmt clippy; do
        if grep -q "^$component" <<<"$installed"; then
            ok "rust component $component already installed"
        else
            provide "rust component $component" rustup component add "$component"
        fi
    done
}

step_apt() {
    local packages=()
    if [[ -x /usr/bin/chromium ]]; then
        ok "chromium already installed ($(version_of /usr/bin/chromium --version))"
    else
        packages+=(chromium)
    fi
    # Headless Chromium draws emoji with the system's fonts: without a colour emoji font the
    # reaction picker and the emoji suggestions show empty boxes in the screenshots.
    if [[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]]; then
        ok "fonts-noto-color-emoji already installed"
    else
        packages+=(fonts-noto-color-emoji)
    fi
    # cargo needs a C toolchain to link the two cargo installs and the server.
    if command -v cc >/dev/null; then
        ok "C compiler already installed"
    else
        packages+=(build-essential)
    fi
    # The cluster suite starts and stops NATS servers of its own; `make cluster` puts
    # HAProxy in front of its nodes. Debian's nats-server (2.9) has the core pub/sub the
    # cluster uses.
    if command -v nats-server >/dev/null || [[ -x /usr/sbin/nats-server ]]; then
        ok "nats-server already installed"
    else
        packages+=(nats-server)
    fi
    if command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]]; then
        ok "haproxy already installed"
    else
        packages+=(haproxy)
    fi
    ((${#packages[@]})) || return 0
    provide "apt packages: ${packages[*]}" apt_install "${packages[@]}"
}

apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

step_cargo() {
    local version

    wait_for_running_install wasm-bindgen-cli
    version=$(version_of wasm-bindgen --version)
    if [[ $version == "$WASM_BINDGEN_VERSION" ]]; then
        ok "wasm-bindgen $version already installed"
    else
        # Not --locked: its lockfile names a webpki-roots version the registry lacks.
        # --force: replace a binary of another version, however it got there.
        provide "wasm-bindgen-cli $WASM_BINDGEN_VERSION (found: ${version:-none}; ~3 min)" \
            cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
    fi

    wait_for_running_install cargo-leptos
    version=$(version_of cargo leptos --version)
    if [[ $version == "$CARGO_LEPTOS_VERSION" ]]; then
        ok "cargo-leptos $version already installed"
    else
        # no_downloads: use wasm-bindgen, sass and wasm-opt from PATH instead of fetching them.
        # Its own release profile (fat LTO, one codegen unit) took 20 minutes here; the
        # profile in scripts/cargo-leptos-build.toml (mostly unoptimised, which a build tool
        # that runs for seconds per site build can afford) takes 10 and builds the same site.
        provide "cargo-leptos $CARGO_LEPTOS_VERSION (found: ${version:-none}; ~10 min on 2 cores)" \
            cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads --force \
            --config scripts/cargo-leptos-build.toml
    fi
}

# npm ci when node_modules is absent or older than the lockfile (npm ci rewrites
# node_modules/.package-lock.json, so its mtime marks the last install).
npm_ci_in() {
    local dir=$1 what=$2
    shift 2
    [[ -f $dir/package-lock.json ]] || die "$dir/package-lock.json is missing (run npm install there once)"
    if [[ -d $dir/node_modules && ! $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
        ok "$what already installed"
    else
        provide "$what (npm ci in $dir)" npm_ci "$dir" "$@"
    fi
}

# npm_ci DIR [VAR=value...]
npm_ci() {
    local dir=$1
    shift
    (cd "$dir" && env "$@" npm ci --no-audit --no-fund)
}

step_npm() {
    local version
    command -v node >/dev/null && command -v npm >/dev/null ||
        die "node >= $NODE_MIN and npm are required (Debian 12's nodejs is too old; use NodeSource or nvm)"
    version=$(version_of node --version)
    version_ge "$version" "$NODE_MIN" || die "node >= $NODE_MIN is required, found $version"

    npm_ci_in . "sass and wasm-opt (binaryen)"
    # Playwright drives Debian's chromium; never download its browsers.
    npm_ci_in end2end "@playwright/test" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

    ((check_only)) && [[ ! -d node_modules ]] && return 0
    # cargo-leptos takes the first sass / wasm-opt on PATH: make sure that is ours.
    local tool
    for tool in sass wasm-opt; do
        [[ "$(command -v "$tool")" == "$PWD/node_modules/.bin/$tool" ]] ||
            die "$tool on PATH is $(command -v "$tool" || echo 'missing'), expected $PWD/node_modules/.bin/$tool"
    done
    ok "sass $(version_of sass --version) and wasm-opt $(wasm-opt --version 2>/dev/null | grep -oE "[0-9]+" | head -n 1 || true) first on PATH"
}

for step in "${steps[@]}"; do
    "step_$step"
done

if ((check_only && missing)); then
    echo "setup.sh --check: something is missing (see above)" >&2
    exit 1
fi
