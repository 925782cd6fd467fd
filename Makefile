# Palaver developer and CI entry points. `make test` is what CI runs (.ci/run).
#
# Every recipe that runs cargo sources scripts/env.sh first: cargo-leptos (built with
# no_downloads) takes wasm-bindgen, sass and wasm-opt from PATH, and Debian's own wasm-opt
# in /usr/bin must not win.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# Steps build on one another and share target/: never run them side by side, even under -j.
.NOTPARALLEL:
.DEFAULT_GOAL := help

ENV := . scripts/env.sh &&
# One feature set for clippy and tests on the server side, so cargo resolves features once
# and the test build reuses what clippy's dependencies already compiled where it can.
SSR_PACKAGES := -p palaver -p palaver-app -p palaver-server --features palaver/server,palaver-app/ssr
ARGS ?=

.PHONY: help setup build run cluster test e2e fmt lint unit reliability security postgres bench profile instructions lighthouse clean-data site playwright playwright-postgres playwright-cluster

help:
	@echo 'make setup       install the toolchain pieces that are missing (scripts/setup.sh)'
	@echo 'make build       setup + cargo leptos build --release (target/release/palaver, target/site)'
	@echo 'make run         build + serve on http://127.0.0.1:3000, data in ./data (extra flags: ARGS=...)'
	@echo 'make cluster     build + 3 nodes on PostgreSQL and NATS behind HAProxy on http://127.0.0.1:3000'
	@echo 'make test        setup, fmt check, clippy (ssr + hydrate), the suites on SQLite and PostgreSQL, benches, release build, Playwright on both'
	@echo 'make e2e         build + Playwright only'
	@echo 'make lint        fmt check + clippy (ssr + hydrate)'
	@echo 'make unit        cargo test for palaver, palaver-app, palaver-server'
	@echo 'make reliability kill -9, slow-consumer and dropped-socket runs; print their figures'
	@echo 'make security    the security suites (forgeries, cross-site, roles, XSS, fuzzing, timing, floods, bans); print their figures'
	@echo 'make postgres    unit, security and kill -9 suites again on PostgreSQL (127.0.0.1:5432)'
	@echo 'make bench       history at a million messages (benches/scale.rs), appends, retention, the cluster bench, and the load bench vs a raw broadcast server'
	@echo 'make lighthouse  build + Lighthouse (mobile) on a conversation page; print scores and /pkg sizes'
	@echo 'make fmt         cargo fmt --all'
	@echo 'make profile     flame graphs of the fan-out, Palaver beside the raw baseline (perf + inferno)'
	@echo 'make instructions user-space instructions per delivery, counted by callgrind'
	@echo 'make clean-data  delete ./data and the data directories of Playwright runs'

setup:
	scripts/setup.sh

build: setup site

run: build
	LEPTOS_SITE_ROOT=target/site ./target/release/palaver $(ARGS)

# Three nodes on the local PostgreSQL and NATS behind HAProxy on http://127.0.0.1:3000
# (scripts/cluster.sh says which settings it takes).
cluster: build
	scripts/cluster.sh

# Fail fast: make stops at the first step that fails and exits non-zero. The store suites
# (unit, security, the kill -9 run) run on SQLite, then again on PostgreSQL.
test: setup lint unit reliability security postgres bench site playwright playwright-postgres playwright-cluster
# `bench` builds `site` first (make runs each step once), and runs the load bench small.
test: LOAD_SCALE = small

e2e: build playwright

fmt:
	$(ENV) cargo fmt --all

lint: setup
	$(ENV) cargo fmt --all --check
	$(ENV) cargo clippy $(SSR_PACKAGES) --all-targets -- -D warnings
	$(ENV) cargo clippy -p palaver-frontend --target wasm32-unknown-unknown -- -D warnings

# The kill -9, slow-consumer and dropped-socket suites run on their own with --nocapture so
# that their figures are printed.
KILL_NINE := acknowledged_messages_survive_kill_nine
SLOW_CONSUMER := a_client_that_stops_reading_slows_nobody_and_is_dropped
DROPPED_SOCKET := a_dropped_socket_with_late_acks_resumes_and_retries_without_gaps_or_duplicates

# Selected by test binary, not by name: the security and reliability suites run below, on
# their own, with their figures printed.
UNIT_TARGETS := --lib --bins --test chat --test realtime --test governance --test attention --test reactions \
	--test search --test attachments --test profiles --test lifecycle \
	--test direct --test store_contract --test migrations --test search_backfill --test search_index --test image_limits
SECURITY_TARGETS := --test security --test security_direct --test security_admin --test hardening --test hardening_live
# The integration suites' store: sqlite (default) or postgres (PALAVER_TEST_STORE).
STORE = $${PALAVER_TEST_STORE:-sqlite}

unit: setup
	@echo "== unit and integration suites, store: $(STORE) =="
	$(ENV) cargo test $(SSR_PACKAGES) $(UNIT_TARGETS)

# One test at a time: the login-timing and memory figures must not share the cores with
# other suites.
security: setup
	@echo "== security suites, store: $(STORE) =="
	$(ENV) cargo test $(SSR_PACKAGES) $(SECURITY_TARGETS) -- --nocapture --test-threads 1

# The suites again on PostgreSQL (a fresh database per test on 127.0.0.1:5432, see
# server/tests/common/store.rs). The kill -9 run is the store-specific fault suite; the
# slow-consumer and dropped-socket runs exercise the gateway, not the store, and run once.
postgres: setup
	scripts/pg-test-clean.sh
	PALAVER_TEST_STORE=postgres $(MAKE) --no-print-directory unit security
	@echo "== reliability (kill -9), store: postgres =="
	$(ENV) PALAVER_TEST_STORE=postgres cargo test $(SSR_PACKAGES) --test durability -- --nocapture $(KILL_NINE)
	scripts/pg-test-clean.sh

reliability: setup
	$(ENV) cargo test $(SSR_PACKAGES) --test durability -- --nocapture $(KILL_NINE)
	$(ENV) cargo test $(SSR_PACKAGES) --test slow_consumer -- --nocapture $(SLOW_CONSUMER)
	$(ENV) cargo test $(SSR_PACKAGES) --test dropped_socket -- --nocapture $(DROPPED_SOCKET)
	@echo "== cluster: 3 nodes on PostgreSQL with NATS =="
	$(ENV) cargo test $(SSR_PACKAGES) --test cluster -- --nocapture

# Built with the dev profile so it reuses the test build; SQLite itself is optimised there.
# Then the load bench (server/benches/load.rs): the release server (target/release/palaver,
# built by `site`, so site comes first) against a raw tokio broadcast server, open-loop, on
# SQLite and PostgreSQL; full size here, the small one (under 2 minutes) in `make test`.
# The full size builds the bench optimised, in its own target directory (the site's release
# build has other RUSTFLAGS, and a bench build would replace target/release/palaver): built
# unoptimised, the baseline server costs twice as much per delivery and the generator runs
# out of core before the servers do. The first build takes 10-20 minutes here. The small run
# reuses the dev build (a smoke run: its figures are not comparable).
LOAD_SCALE ?= full
LOAD_BENCH_full := CARGO_TARGET_DIR=target/load-bench cargo bench $(SSR_PACKAGES) --bench load
LOAD_BENCH_small := cargo bench $(SSR_PACKAGES) --bench load --profile dev
bench: setup site
	$(ENV) PALAVER_BENCH_SCALE=$(LOAD_SCALE) PALAVER_CLUSTER_SERVER=target/release/palaver cargo bench $(SSR_PACKAGES) --bench scale --bench appends --bench retention --bench cluster --profile dev
	$(ENV) PALAVER_BENCH_SCALE=$(LOAD_SCALE) $(LOAD_BENCH_$(LOAD_SCALE))

# Flame graphs of the fan-out (scripts/profile.sh): the baseline and Palaver on SQLite, each
# sampled with perf for 10 s at PALAVER_PROFILE_RATE msg/s into 1,000 sockets (default 500).
profile: setup site
	scripts/profile.sh

# User-space instructions per delivery, counted by callgrind (scripts/instructions.sh): exact
# where CPU times move with the machine, to compare two builds of the socket path.
instructions: setup site
	scripts/instructions.sh

# Not part of `make test`: the figures depend on the machine, so they are printed, not asserted.
lighthouse: build
	scripts/lighthouse.sh

clean-data:
	rm -rf data target/e2e-data-*

# Building blocks without the setup step; use the targets above.
# The release site's /pkg names carry a content hash, so the server lets browsers keep them for
# a year (server/src/site.rs), and come with brotli and gzip siblings, so the server never
# compresses them per request. Hashing is switched on here, not in Cargo.toml: the rebuilds of
# `cargo leptos watch` would not hash again and would leave pages naming the old files.
# cargo-leptos' own gzip (libflate) comes out 17% larger than gzip -9's: the .gz files are redone.
# `--cfg erase_components` has leptos type-erase every component, as its debug builds do: 13%
# less WASM (15% less with brotli) and no slower to hydrate (measured with `make lighthouse`).
# Server and browser must agree on it or hydration panics, so it goes in RUSTFLAGS for both;
# a release build without it rebuilds every release dependency.
site:
	$(ENV) RUSTFLAGS="--cfg erase_components" LEPTOS_HASH_FILES=true cargo leptos build --release --precompress
	find target/site -type f -name '*.gz' -exec sh -c 'gzip -9 -n -c "$${1%.gz}" > "$$1"' sh {} \;

playwright:
	@echo "== browser suite, store: sqlite =="
	cd end2end && npx --no-install playwright test

# The browser suite again with the server on PostgreSQL, in a fresh database.
PG_ADMIN ?= postgres://postgres@127.0.0.1:5432/postgres
E2E_PG_URL := $(patsubst %/postgres,%/palaver_e2e,$(PG_ADMIN))
playwright-postgres:
	@echo "== browser suite, store: postgres =="
	psql "$(PG_ADMIN)" -qc "DROP DATABASE IF EXISTS palaver_e2e WITH (FORCE)" -c "CREATE DATABASE palaver_e2e"
	cd end2end && PALAVER_DATABASE_URL="$(E2E_PG_URL)" npx --no-install playwright test
	psql "$(PG_ADMIN)" -qc "DROP DATABASE IF EXISTS palaver_e2e WITH (FORCE)"

# Two people on two nodes of `make cluster`'s setup (scripts/cluster.sh on port 3200, a fresh
# database, the local NATS), a third through HAProxy.
playwright-cluster:
	@echo "== browser suite, cluster: 3 nodes behind HAProxy =="
	cd end2end && PALAVER_TEST_POSTGRES="$(PG_ADMIN)" npx --no-install playwright test -c cluster.config.ts
	psql "$(PG_ADMIN)" -qc "DROP DATABASE IF EXISTS palaver_e2e_cluster WITH (FORCE)"
