#!/usr/bin/env bash
# Runs every test of s3logdrop; installs what is missing first (see .ci/setup).
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash .ci/setup native

echo "== format"
cargo fmt --all -- --check

echo "== native tests (unit, corpus, every split point, property tests, CLI)"
cargo test --release --all-targets

echo "== the core builds for wasm32 (no web dependency in the engine)"
cargo build --release --target wasm32-unknown-unknown --lib

echo "== all tests passed"
