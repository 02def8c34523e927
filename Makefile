# Konqer: `make run` starts the product on the embedded defaults; `make test` is what CI runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test bench fmt lint deps clean

## Build and start `konqer serve`: site + API on 127.0.0.1:4000, admin API on 127.0.0.1:4001,
## SQLite under ./data (override anything with KONQER_* variables; see README).
run:
	$(CARGO) build -p konqer-server --bin konqer
	./target/debug/konqer serve

## Everything CI checks: formatting, lints, and every test on SQLite and a throwaway
## PostgreSQL (and Redis) started on loopback for the run.
test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	scripts/test-services.sh -- $(CARGO) test --workspace

## Load benchmark against a release build on both back ends, beside a bare axum server.
bench:
	scripts/bench.sh

deps:
	scripts/install-deps.sh test

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
