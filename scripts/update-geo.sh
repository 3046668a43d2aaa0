#!/usr/bin/env bash
# Rebuilds the address tables and the map built into s3logdrop (src/geo/countries.bin,
# networks.bin, cloud.bin, map.bin) from the npm packages pinned in package.json, AWS's
# ranges in the crate aws-ip-ranges and the list src/geo/cloud.csv. For newer data:
#   bash scripts/update-geo.sh latest
# (installs the newest @ip-location-db packages, pins them, repacks).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "latest" ]; then
  npm install --save-dev --save-exact @ip-location-db/geo-whois-asn-country@latest @ip-location-db/asn@latest
fi
[ -d node_modules/@ip-location-db/asn ] && [ -d node_modules/world-atlas ] || npm ci
cargo run --release --quiet --example pack_geo -- node_modules src/geo
