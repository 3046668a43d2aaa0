#!/usr/bin/env bash
# Runs every test of s3logdrop: native, wasm (in Chromium, in a worker), browser end to end
# (Chromium and Firefox).
# Installs what is missing first (see .ci/setup; ~40 min on a new machine, seconds after).
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

bash .ci/setup all

echo "== format"
cargo fmt --all -- --check

echo "== lints (clippy, warnings are errors): native, and wasm32 for the web glue"
cargo clippy --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --bins --test web_browser --test web_worker -- -D warnings

echo "== unit tests of the page's pure helpers (node --test)"
node --test tests/unit/

echo "== native tests (unit, corpus, every split point, property tests, CLI)"
cargo test --release --all-targets

echo "== the core builds for wasm32 (no web dependency in the engine)"
cargo build --release --target wasm32-unknown-unknown --lib

echo "== wasm-bindgen tests of the web glue (Chromium page and dedicated worker)"
cargo test --release --target wasm32-unknown-unknown --test web_browser --test web_worker

echo "== the page (trunk release build) and the CLI the end-to-end tests compare with"
cargo build --release --bin s3logdrop
trunk build --release
# The same page under a GitHub Pages project path, for the deploy tests.
trunk build --release --public-url /s3logdrop/ --dist target/dist-subpath

echo "== end-to-end tests in headless Chromium and Firefox ESR"
node --test tests/e2e/

echo "== all tests passed"
