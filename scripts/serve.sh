#!/usr/bin/env bash
# Builds the page and serves it on http://127.0.0.1:8080 (the sample logs are built in:
# press "Try with sample logs"). Installs what is missing first (see .ci/setup).
# Usage: bash scripts/serve.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
port=${1:-8080}

bash .ci/setup all
trunk build --release
echo "s3logdrop: http://127.0.0.1:$port/  (Ctrl-C stops it)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
