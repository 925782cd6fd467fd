# shellcheck shell=bash
# Source this file (bash or zsh), do not run it:   . scripts/env.sh
#
# cargo-leptos is built with `no_downloads`, so it looks up `wasm-bindgen` (~/.cargo/bin),
# `sass` and `wasm-opt` (the repo's node_modules/.bin) on PATH. Debian ships an old `wasm-opt`
# in /usr/bin that writes broken modules, so the repo's copies must come first, not merely
# be present. Sourcing twice does not grow PATH: each entry is moved to the front.

_palaver_env="${BASH_SOURCE[0]:-$PWD/scripts/env.sh}"
_palaver_root="$(cd "$(dirname "$_palaver_env")/.." && pwd)"

for _palaver_dir in "$HOME/.cargo/bin" "$_palaver_root/node_modules/.bin"; do
    PATH=":$PATH:"
    while [[ $PATH == *":$_palaver_dir:"* ]]; do
        PATH="${PATH//":$_palaver_dir:"/:}"
    done
    PATH="${PATH#:}"
    PATH="${PATH%:}"
    PATH="$_palaver_dir${PATH:+:$PATH}"
done
export PATH

unset _palaver_env _palaver_root _palaver_dir
