# Konqer: `make run` starts the product on the embedded defaults; `make test` is what CI runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test bench eval web fmt lint deps clean deploy-check fleet image-test

## Build and start `konqer serve`: site + API on 127.0.0.1:4000, admin API on 127.0.0.1:4001,
## SQLite under ./data (override anything with KONQER_* variables; see README).
## The web site is rebuilt only when its sources changed.
run:
	scripts/web.sh build
	$(CARGO) build -p konqer-server --bin konqer
	./target/debug/konqer serve

## Everything CI checks: formatting, lints, every test on SQLite and a throwaway PostgreSQL
## (and Redis) started on loopback for the run, the web build (with its type check), and the
## browser tests in headless Chromium against a fresh `konqer serve`, the offline validators
## of deploy/ and .github/, and three replicas sharing one PostgreSQL and Redis.
test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	scripts/test-services.sh -- $(CARGO) test --workspace
	scripts/browser-tests.sh
	scripts/check-deploy.sh
	scripts/fleet.sh

## Offline validators of deploy/ and .github/ (installs its tools on first use): hadolint,
## kubernetes-validate, cross-checks, promtool, actionlint, shellcheck, docs/API.md current.
deploy-check:
	scripts/check-deploy.sh

## Three `konqer serve` replicas on one PostgreSQL and Redis: shared rate limit, exact quota,
## once-only unlock and emails, SIGTERM under load (~15 s).
fleet:
	scripts/fleet.sh

## Builds the container image with podman and starts it (root; ~7 min cold, not in `make test`).
image-test:
	scripts/image-test.sh

## Load benchmark against a release build on both back ends, beside a bare axum server.
bench:
	scripts/bench.sh

## The Objection Crusher's classifier on its labelled set: per-class precision, recall, F1
## and macro-F1 on the tuning and held-out parts.
eval:
	$(CARGO) run -q -p konqer-services --example eval

## Builds the static site into web/out (skipped when nothing changed).
web:
	scripts/web.sh build

deps:
	scripts/install-deps.sh test
	scripts/web.sh deps

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
