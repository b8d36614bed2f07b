# Switchboard: the two commands are `make run` and `make test`. Both install what they need first
# (scripts/setup.sh: apt packages, tauri-driver, npm packages; skipping what is present).

SHELL := /bin/bash
UI_SOURCES := $(shell find ui/src -type f) ui/index.html ui/vite.config.ts ui/package-lock.json

.PHONY: run test setup build ui lint fmt dev e2e clean

## Open the desktop app on the bundled sandbox connector.
run: build
	scripts/run-desktop.sh

## Every test: type check, unit, loopback integration, CLI, keychain, and the real window end to end.
test: build
	cd ui && npm run check
	scripts/with-keyring.sh cargo test --workspace
	tests/e2e/run.sh

setup:
	scripts/setup.sh

ui/dist/index.html: $(UI_SOURCES)
	cd ui && npm run build

ui: setup ui/dist/index.html

## The desktop app embeds ui/dist, so the UI is built first.
build: ui
	cargo build -p switchboard-desktop -p switchboard-cli

## Formatting, clippy with warnings denied, and the TypeScript check.
lint: ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd ui && npm run check

fmt:
	cargo fmt --all

## The app against the Vite dev server, with hot reload of the UI.
dev: setup
	(cd ui && npm run dev) & trap 'kill %1' EXIT; cargo run -p switchboard-desktop --no-default-features

e2e: build
	tests/e2e/run.sh

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules tests/e2e/node_modules
